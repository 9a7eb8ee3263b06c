#!/usr/bin/env bash
# Builds the fuzzers with clang and runs each for a bounded time.
#   tests/fuzz/run.sh [SECONDS] [TARGET...]   (default 60; targets: splitter callback corrections
#   sidecar, default all; corrections runs min(SECONDS, SYN_FUZZ_CORRECTIONS_SECONDS (default 15)),
#   sidecar min(SECONDS, SYN_FUZZ_SIDECAR_SECONDS (default 10)))
# The splitter runs SECONDS; the WeChat callback parser min(SECONDS, SYN_FUZZ_CALLBACK_SECONDS
# (default 20)): its input is small and its seeds reach every path in seconds.
# Environment: SYN_FUZZ_BUILD_DIR (default build-fuzz), SYN_FUZZ_JOBS (default 1).
# Seeds: tests/data/issues/* (splitter), tests/fuzz/callback_seeds/* (callback). New corpus
# entries and crash reproducers stay in the build dir.
set -euo pipefail
seconds="${1:-60}"
shift || true
targets=("$@")
((${#targets[@]})) || targets=(splitter callback corrections sidecar)
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${SYN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
cxx="${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14)}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DSYN_FUZZ=ON -DSYN_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target "${targets[@]/#/fuzz_}"

parallel=()
if [[ "${SYN_FUZZ_JOBS:-1}" -gt 1 ]]; then
  parallel=(-fork="$SYN_FUZZ_JOBS")
fi
for target in "${targets[@]}"; do
  corpus="$build/fuzz/$target/corpus"
  artifacts="$build/fuzz/$target/artifacts"
  mkdir -p "$corpus" "$artifacts"
  case "$target" in
    splitter) cp "$root"/tests/data/issues/* "$corpus/"; t=$seconds; max_len=262144 ;;
    callback) cp "$root"/tests/fuzz/callback_seeds/* "$corpus/"
              t=$((seconds < ${SYN_FUZZ_CALLBACK_SECONDS:-20} ? seconds : ${SYN_FUZZ_CALLBACK_SECONDS:-20}))
              max_len=70000 ;;  # past the parser's 64 KiB limit, so the limit itself is fuzzed
    corrections) cp "$root"/tests/fuzz/corrections_seeds/* "$corpus/"
              t=$((seconds < ${SYN_FUZZ_CORRECTIONS_SECONDS:-15} ? seconds : ${SYN_FUZZ_CORRECTIONS_SECONDS:-15}))
              max_len=270000 ;;  # past the parser's 256 KiB limit
    sidecar) cp "$root"/tests/fuzz/sidecar_seeds/* "$corpus/"
              t=$((seconds < ${SYN_FUZZ_SIDECAR_SECONDS:-10} ? seconds : ${SYN_FUZZ_SIDECAR_SECONDS:-10}))
              max_len=4096 ;;  # a sidecar is a few lines; yaml-cpp's cost grows with nesting
    *) echo "run.sh: unknown fuzz target $target" >&2; exit 2 ;;
  esac
  echo "fuzz_$target: ${t}s, corpus $corpus"
  # A crash, leak, sanitizer report or timeout exits non-zero and leaves a reproducer in $artifacts.
  "$build/tests/fuzz/fuzz_$target" "$corpus" \
    -max_total_time="$t" -timeout=5 -rss_limit_mb=2048 -max_len="$max_len" \
    "${parallel[@]}" -artifact_prefix="$artifacts/" -print_final_stats=1
done
