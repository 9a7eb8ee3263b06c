#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds,
# runs unit tests (also under ASan+UBSan), proto lint/breaking checks, the fuzzer for a bounded
# time, a benchmark smoke run, then starts a real Kafka broker and PostgreSQL and runs the
# integration tests and the reliability scenarios (docs/RELIABILITY.md), then a three-broker
# cluster for the failover scenarios (label `cluster`).
# The brokers are stopped on every exit path. Exits non-zero if anything failed.
#
# Environment: SYN_FUZZ_SECONDS (default 60), SYN_TEST_KAFKA_PORT (default 29092),
#              SYN_TEST_PG_PORT (default 25432), SYN_TEST_CLUSTER_PORT (default 29192, the
#              cluster uses it and the next 5): all below the kernel's ephemeral port range
#              (32768-60999), which client sockets take ports from,
#              SYN_SKIP_INSTALL=1 to skip scripts/install-deps.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
fuzz_seconds=${SYN_FUZZ_SECONDS:-60}
kafka_port=${SYN_TEST_KAFKA_PORT:-29092}
pg_port=${SYN_TEST_PG_PORT:-25432}
cluster_port=${SYN_TEST_CLUSTER_PORT:-29192}
failures=()

stage() { printf '\n=== %s [%s]\n' "$*" "$(date +%T)"; }
run_stage() { # name cmd... : records a failure and goes on, so one run shows every failure
  local name=$1; shift
  stage "$name"
  if ! "$@"; then failures+=("$name"); echo "!!! $name failed"; fi
}

if [ "${SYN_SKIP_INSTALL:-0}" != 1 ]; then
  stage "install dependencies"
  bash scripts/install-deps.sh
fi

stage "build (dev)"
cmake --preset dev >/dev/null
cmake --build --preset dev -j "$jobs"

run_stage "unit tests" ctest --preset unit -j "$jobs"

stage "build (asan-ubsan)"
cmake --preset asan-ubsan >/dev/null
cmake --build --preset asan-ubsan -j "$jobs"
run_stage "unit tests under ASan+UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --preset asan-unit -j "$jobs"

run_stage "proto: buf lint + buf breaking" bash scripts/check-proto.sh

if [ -x tests/fuzz/run.sh ]; then
  run_stage "fuzz splitter (${fuzz_seconds}s) and callback parser (20s)" bash tests/fuzz/run.sh "$fuzz_seconds"
fi

# The release preset (-O3, warnings as errors: GCC 12 warns there where -O2 does not), for the
# shipped binary and the benchmark; the smoke run uses the release benchmark.
# A run_stage, so that a broken release build is reported and the broker suites still run.
release_build() {
  cmake --preset release >/dev/null && cmake --build --preset release -j "$jobs" --target syndicate bench_splitter
}
run_stage "build (release: syndicate, bench_splitter)" release_build
if [ -x build-release/bench/bench_splitter ]; then
  run_stage "benchmark smoke run (release build)" build-release/bench/bench_splitter --benchmark_min_time=0.01
fi

stage "start Kafka on 127.0.0.1:$kafka_port and PostgreSQL on port $pg_port"
pg_dir=$root/build/pg
cleanup() {
  bash "$root/deploy/kafka/kafka.sh" stop --port "$kafka_port" || true
  bash "$root/deploy/kafka/kafka.sh" stop --nodes 3 --port "$cluster_port" || true
  bash "$root/consumers/archive/tests/pg.sh" stop "$pg_dir" || true
}
trap cleanup EXIT
bash deploy/kafka/kafka.sh start --port "$kafka_port"
export SYN_TEST_BOOTSTRAP=127.0.0.1:$kafka_port
export SYN_KAFKA_SH="$root/deploy/kafka/kafka.sh"
SYN_TEST_PG_CONNINFO=$(bash consumers/archive/tests/pg.sh start "$pg_dir" "$pg_port")
export SYN_TEST_PG_CONNINFO

run_stage "integration tests (real Kafka)" ctest --preset integration -j 1
run_stage "reliability scenarios (real Kafka + PostgreSQL)" ctest --preset reliability -LE cluster -j 2

stage "start a three-broker Kafka cluster on 127.0.0.1:$cluster_port-$((cluster_port + 5))"
bash deploy/kafka/kafka.sh stop --port "$kafka_port" # done with it: its CPU and memory to the cluster
bash deploy/kafka/kafka.sh wipe --nodes 3 --port "$cluster_port" >/dev/null 2>&1 # a fresh cluster
if bash deploy/kafka/kafka.sh start --nodes 3 --port "$cluster_port"; then
  run_stage "failover scenarios (three-broker cluster + PostgreSQL)" \
    env SYN_TEST_CLUSTER_PORT="$cluster_port" ctest --preset reliability -L cluster -j 1
  bash deploy/kafka/kafka.sh stop --port "$cluster_port" || true
else
  failures+=("three-broker cluster start"); echo "!!! three-broker cluster start failed"
fi

stage "summary"
if ((${#failures[@]})); then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "all stages passed"
