#!/usr/bin/env bash
# Builds the splitter fuzzer with clang and runs it for a bounded time.
#   tests/fuzz/run.sh [SECONDS]          (default 60)
# Environment: SYN_FUZZ_BUILD_DIR (default build-fuzz), SYN_FUZZ_JOBS (default 1).
# Seeds: tests/data/issues/*. New corpus entries and crash reproducers stay in the build dir.
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build="${SYN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
cxx="${CXX_FUZZ:-$(command -v clang++ || command -v clang++-14)}"

if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER="$cxx" -DSYN_FUZZ=ON -DSYN_BENCH=OFF >/dev/null
fi
cmake --build "$build" --target fuzz_splitter

corpus="$build/fuzz/corpus"
artifacts="$build/fuzz/artifacts"
mkdir -p "$corpus" "$artifacts"
cp "$root"/tests/data/issues/* "$corpus/"

parallel=()
if [[ "${SYN_FUZZ_JOBS:-1}" -gt 1 ]]; then
  parallel=(-fork="$SYN_FUZZ_JOBS")
fi
echo "fuzz_splitter: ${seconds}s, corpus $corpus"
# A crash, leak, sanitizer report or timeout exits non-zero and leaves a reproducer in $artifacts.
"$build/tests/fuzz/fuzz_splitter" "$corpus" \
  -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=262144 \
  "${parallel[@]}" -artifact_prefix="$artifacts/" -print_final_stats=1
