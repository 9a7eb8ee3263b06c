#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is missing, builds (dev),
# runs the unit tests, then two lanes side by side: the CPU lane (ASan+UBSan build and unit
# tests, proto lint/breaking checks, the fuzzers for a bounded time, the release build and a
# benchmark smoke run) and the broker lane (a real Kafka broker and PostgreSQL for the
# integration tests and the reliability scenarios (docs/RELIABILITY.md), then a three-broker
# cluster for the failover scenarios, label `cluster`).
# The brokers are stopped on every exit path. Exits non-zero if anything failed.
#
# Environment: SYN_FUZZ_SECONDS (default 60), SYN_TEST_KAFKA_PORT (default 29092),
#              SYN_TEST_PG_PORT (default 25432), SYN_TEST_S3_PORT (default 25450, the S3 test
#              server), SYN_TEST_CLUSTER_PORT (default 29192, the cluster uses it and the next
#              5): all below the kernel's ephemeral port range (32768-60999), which client
#              sockets take ports from,
#              SYN_SKIP_INSTALL=1 to skip scripts/install-deps.sh, SYN_UNITY=OFF for one
#              compile per source (default ON: unity builds, see below).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
jobs=$(nproc)
fuzz_seconds=${SYN_FUZZ_SECONDS:-60}
kafka_port=${SYN_TEST_KAFKA_PORT:-29092}
pg_port=${SYN_TEST_PG_PORT:-25432}
cluster_port=${SYN_TEST_CLUSTER_PORT:-29192}
s3_port=${SYN_TEST_S3_PORT:-25450}
# Unity builds (16 sources per compile): the headers (Beast, Asio, protobuf, spdlog) are parsed
# once per batch instead of once per source, a fraction of the compile time of the three builds
# below (BENCHMARKS.md, "CI build time"). SYN_UNITY=OFF builds as the presets do.
unity=(-DCMAKE_UNITY_BUILD="${SYN_UNITY:-ON}" -DCMAKE_UNITY_BUILD_BATCH_SIZE=16)
failures_file=$(mktemp)
lane_pids=()

stage() { printf '\n=== %s [%s]\n' "$*" "$(date +%T)"; }
run_stage() { # name cmd... : records a failure and goes on, so one run shows every failure
  local name=$1 t0=$SECONDS; shift
  stage "$name"
  if "$@"; then
    echo "=== $name: passed in $((SECONDS - t0)) s"
  else
    echo "$name" >>"$failures_file"
    echo "!!! $name failed after $((SECONDS - t0)) s"
  fi
}

if [ "${SYN_SKIP_INSTALL:-0}" != 1 ]; then
  stage "install dependencies"
  bash scripts/install-deps.sh
fi

stage "build (dev)"
cmake --preset dev "${unity[@]}" >/dev/null
cmake --build --preset dev -j "$jobs"

# Before the lanes: ctest keeps per-build-dir state (Testing/), which two ctest runs in one build
# dir at once would share.
run_stage "unit tests" ctest --preset unit -j "$jobs"
run_stage "code checks (clang-format, clang-tidy: scripts/lint.sh)" bash scripts/lint.sh build

# From here on two lanes run side by side: the broker-backed suites (mostly waiting on brokers,
# processes and fault windows; their lines are prefixed "[brokers] ") and the CPU-bound lane
# (the sanitizer build and its tests, proto checks, fuzzing, the release build).
# Serially they took about 15 + 19 minutes; side by side the broker suites finish inside the
# compile lane. Every test waits on observable state with a bound, never on a time, so the
# extra load changes how long they take, not what they assert.

pg_dir=$root/build/pg
s3_dir=$root/build/s3
cleanup() {
  for pid in "${lane_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  bash "$root/deploy/kafka/kafka.sh" stop --port "$kafka_port" || true
  bash "$root/deploy/kafka/kafka.sh" stop --nodes 3 --port "$cluster_port" || true
  bash "$root/consumers/archive/tests/pg.sh" stop "$pg_dir" || true
  bash "$root/tests/s3/s3.sh" stop "$s3_dir" || true
  rm -f "$failures_file"
}
trap cleanup EXIT

broker_lane() {
  stage "start Kafka on 127.0.0.1:$kafka_port and PostgreSQL on port $pg_port"
  if ! bash deploy/kafka/kafka.sh start --port "$kafka_port"; then
    echo "Kafka start" >>"$failures_file"; echo "!!! Kafka start failed"; return
  fi
  export SYN_TEST_BOOTSTRAP=127.0.0.1:$kafka_port
  export SYN_KAFKA_SH="$root/deploy/kafka/kafka.sh"
  if ! SYN_TEST_PG_CONNINFO=$(bash consumers/archive/tests/pg.sh start "$pg_dir" "$pg_port"); then
    echo "PostgreSQL start" >>"$failures_file"; echo "!!! PostgreSQL start failed"; return
  fi
  export SYN_TEST_PG_CONNINFO
  # The S3-protocol server of the blob store's tests (moto, signatures checked), on port $s3_port.
  if ! s3_env=$(bash tests/s3/s3.sh start "$s3_dir" "$s3_port"); then
    echo "S3 test server start" >>"$failures_file"; echo "!!! S3 test server start failed"; return
  fi
  eval "$s3_env"

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
    echo "three-broker cluster start" >>"$failures_file"; echo "!!! three-broker cluster start failed"
  fi
}

# The release preset (-O3, warnings as errors: GCC 12 warns there where -O2 does not), for the
# shipped binary and the benchmark; the smoke run uses the release benchmark.
# A run_stage, so that a broken release build is reported and the other stages still run.
release_build() {
  cmake --preset release "${unity[@]}" >/dev/null && cmake --build --preset release -j "$jobs" --target syndicate bench_splitter
}

cpu_lane() {
  build_asan() { cmake --preset asan-ubsan "${unity[@]}" >/dev/null && cmake --build --preset asan-ubsan -j "$jobs"; }
  run_stage "build (asan-ubsan)" build_asan
  run_stage "unit tests under ASan+UBSan" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --preset asan-unit -j "$jobs"
  run_stage "proto: buf lint + buf breaking" bash scripts/check-proto.sh
  run_stage "fuzz splitter (${fuzz_seconds}s), callback parser (20s), correction files (15s) and photo sidecars (10s)" bash tests/fuzz/run.sh "$fuzz_seconds"
  run_stage "build (release: syndicate, bench_splitter)" release_build
  if [ -x build-release/bench/bench_splitter ]; then
    run_stage "benchmark smoke run (release build)" build-release/bench/bench_splitter --benchmark_min_time=0.01
  fi
}

# Lines of the broker lane carry a prefix; each lane's stages still print start and end times.
( broker_lane 2>&1 | sed -u 's/^/[brokers] /' ) &
lane_pids+=($!)
cpu_lane
stage "CPU lane done; waiting for the broker lane"
wait "${lane_pids[@]}" || true

stage "summary (the whole run took $((SECONDS / 60)) min $((SECONDS % 60)) s)"
if [ -s "$failures_file" ]; then
  sed 's/^/FAILED: /' "$failures_file"
  exit 1
fi
echo "all stages passed"
