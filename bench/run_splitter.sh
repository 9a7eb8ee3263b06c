#!/usr/bin/env bash
# Builds and runs the splitter benchmark (RelWithDebInfo: -O2 -g, as recorded in BENCHMARKS.md),
# printing MB/s of input per case.
#   bench/run_splitter.sh [extra Google Benchmark flags]
# Environment: SYN_BENCH_BUILD_DIR (default build-bench).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${SYN_BENCH_BUILD_DIR:-$root/build-bench}"
if [[ ! -f "$build/CMakeCache.txt" ]]; then
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYN_BENCH=ON >/dev/null
fi
cmake --build "$build" --target bench_splitter
exec "$build/bench/bench_splitter" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true "$@"
