#!/usr/bin/env bash
# bench/cluster.sh [--out FILE] -- does each consumer role scale out? On a three-broker cluster
# (deploy/kafka/kafka.sh start --nodes 3; topics of 6 partitions, replication 3, min ISR 2), in one
# run, for `consume archive` (PostgreSQL), `consume feed` (local WeChat API, one state db as on one
# host), `consume translation` and `translate` (OpenCC): the time 1 instance takes to bring ISSUES
# issues' articles into its sink, then 3 instances in one group over the same input, side by side
# in the same run. Time: from the launch of the instances (start-up and group joins included) to
# the moment the sink holds every record, polled every 0.2 s. Prints the figures and the ratios
# (records/s with 3 over records/s with 1) and writes them as Markdown to FILE (default
# var/bench/cluster.md). docs/SCALING.md explains them.
#
# Environment: SYN_BENCH_BUILD_DIR (build: the dev build), SYN_BENCH_ISSUES (1000: 5,000 articles),
# SYN_BENCH_CLUSTER_PORT (use the cluster on this base port instead of starting one on free ports),
# SYN_BENCH_PARTITIONS (6), SYN_BENCH_KEEP=1 (keep the work directory with every log).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/var/bench/cluster.md
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:?--out needs a file}; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench/cluster.sh: unknown argument '$1' (--out FILE)" >&2; exit 2 ;;
  esac
  shift
done
build=${SYN_BENCH_BUILD_DIR:-$root/build}
syn=$build/app/syndicate
wxserver=$build/tests/wechat/syndicate-wechat-testserver
issues=${SYN_BENCH_ISSUES:-1000}
partitions=${SYN_BENCH_PARTITIONS:-6}
kafka_sh=$root/deploy/kafka/kafka.sh
say() { printf '%s\n' "$*" >&2; }
die() { say "bench/cluster.sh: $*"; exit 1; }
[ -x "$syn" ] && [ -x "$wxserver" ] || die "missing binaries in $build (cmake --build --preset dev)"
for c in kcat psql python3 curl; do command -v "$c" >/dev/null || die "$c not found (scripts/install-deps.sh)"; done

work=$(mktemp -d /tmp/syn-cluster-bench.XXXXXX)
chmod 755 "$work" # the postgres user must reach $work/pg
pids=()
cluster_port= own_cluster=0
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  bash "$root/consumers/archive/tests/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true
  [ "$own_cluster" = 1 ] && bash "$kafka_sh" stop --port "$cluster_port" --state-dir "$work/kafka" >/dev/null 2>&1
  if [ "${SYN_BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
SYN_TEST_BOOTSTRAP=starting # tests/e2e/lib.sh wants it set; the real list is set below
source "$root/tests/e2e/lib.sh"

if [ -n "${SYN_BENCH_CLUSTER_PORT:-}" ]; then
  cluster_port=$SYN_BENCH_CLUSTER_PORT
  bootstrap=$(bash "$kafka_sh" bootstrap --port "$cluster_port")
else
  cluster_port=$(free_port 6) own_cluster=1
  say "starting a three-broker cluster on 127.0.0.1:$cluster_port-$((cluster_port + 5)) ..."
  bash "$kafka_sh" start --nodes 3 --port "$cluster_port" --state-dir "$work/kafka" >/dev/null 2>"$work/kafka-start.log" ||
    { cat "$work/kafka-start.log" >&2; die "the cluster did not start"; }
  bootstrap=$(bash "$kafka_sh" bootstrap --port "$cluster_port" --state-dir "$work/kafka")
fi
pg_conninfo=$(bash "$root/consumers/archive/tests/pg.sh" start "$work/pg" "$(free_port)" 2>"$work/pg.log") ||
  die "PostgreSQL: $(cat "$work/pg.log")"
export SYN_BENCH_PG SYN_BENCH_WX_SECRET=bench-secret
printf '\xFF\xD8\xFF\xE0bench cover' >"$work/cover.jpg"
wxport=$(free_port)
"$wxserver" --port "$wxport" --threads 2 >"$work/wechat.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$wxport/healthz" >/dev/null && break; sleep 0.05; done
id=cb$(date +%s)$$

# config FILE RUN ARTICLES JOBS TRANSLATED: topics of 6 partitions, replication 3, min ISR 2; the
# run's own groups and transactional ids; the archive in the run's own PostgreSQL database.
topic() { echo "{name: $1, partitions: $partitions, replication_factor: 3, config: {min.insync.replicas: \"2\"}}"; }
config() {
  cat >"$1" <<YAML
kafka:
  bootstrap_servers: $bootstrap
  transactional_id_prefix: $id-$2
  topics:
    issues: $(topic "$id.issues")
    articles: $(topic "$3")
    translation_jobs: $(topic "$4")
    translated: $(topic "$5")
    deadletter: $(topic "$id.dlq")
consumers:
  groups: {feed: $id-$2-feed, archive: $id-$2-archive, translation: $id-$2-translation, translator: $id-$2-translator}
archive:
  backend: postgres
  postgres: {conninfo_env: SYN_BENCH_PG}
feed:
  api_base_url: http://127.0.0.1:$wxport
  accounts:
    - {name: run$2, app_id: wx$id$2, app_secret_env: SYN_BENCH_WX_SECRET, language: zh-Hans, cover_image: $work/cover.jpg}
observability:
  metrics: {trigger: "", feed: "", archive: "", translation: "", translator: "", feed_server: "", run: ""}
  log_level: warn
YAML
}

# The input: ISSUES issues published once; the jobs `consume translation` makes of them once (the
# translator's input).
config "$work/base.yaml" base "$id.articles" "$id.jobs" "$id.translated"
"$syn" topics create --config "$work/base.yaml" >/dev/null
say "publishing $issues issues to the cluster ..."
python3 "$root/bench/gen_issues.py" --out "$work/issues" --count "$issues" "$root"/tests/data/issues/*.txt >/dev/null
"$syn" publish --config "$work/base.yaml" "$work"/issues/*.txt >"$work/publish.out" 2>"$work/publish.log" ||
  die "publish: $(tail -3 "$work/publish.log")"
count() { # TOPIC: records of the read_committed view (fails when kcat fails)
  local n
  n=$(kcat -b "$bootstrap" -X isolation.level=read_committed -C -t "$1" -o beginning -e -q -f '.\n' | wc -l) || return 1
  echo "$n"
}
# publish returns once the commit is decided; the markers that let read_committed readers see the
# last transactions follow: wait (bounded) until every article it reported is readable.
articles=$(awk '/: published / {n += $3} END {print n + 0}' "$work/publish.out")
for _ in $(seq 1 300); do [ "$(count "$id.articles")" = "$articles" ] && break; sleep 0.2; done
[ "$(count "$id.articles")" = "$articles" ] || die "publish reported $articles articles, the topic shows $(count "$id.articles")"
"$syn" consume translation --config "$work/base.yaml" --until-idle >"$work/base-translation.log" 2>&1 ||
  die "consume translation (input of translate): $(tail -3 "$work/base-translation.log")"
for _ in $(seq 1 300); do [ "$(count "$id.jobs")" = "$articles" ] && break; sleep 0.2; done
jobs=$(count "$id.jobs")
[ "$articles" -gt 0 ] && [ "$jobs" = "$articles" ] || die "input: $articles articles, $jobs jobs"

# CPU seconds (user + system) used so far by the given pids; of the whole machine (all cores).
cpu_of() { local p t=0; for p in "$@"; do t=$(awk -v t="$t" -v hz="$(getconf CLK_TCK)" '{printf "%.2f", t + ($14 + $15) / hz}' "/proc/$p/stat"); done; echo "$t"; }
machine_busy() { awk -v hz="$(getconf CLK_TCK)" '/^cpu / {printf "%.2f", ($2 + $3 + $4 + $7 + $8) / hz}' /proc/stat; }
broker_pids=$(if [ "$own_cluster" = 1 ]; then bash "$kafka_sh" status --port "$cluster_port" --state-dir "$work/kafka"; else bash "$kafka_sh" status --port "$cluster_port"; fi |
  sed -n 's/^node [0-9]*: running, pid \([0-9]*\) .*/\1/p')
[ "$(wc -w <<<"$broker_pids")" = 3 ] || die "three broker pids expected, got: $broker_pids"

# run ROLE N: N instances of ROLE over the input: the seconds until its sink is complete, and the
# CPU seconds its instances, the brokers and the whole machine used meanwhile.
declare -A secs cpu_inst cpu_brokers cpu_machine
run() {
  local role=$1 n=$2 run=$1$2 cfg=$work/$1$2.yaml want sink i t0 t1 rpids=()
  case $role in
    translate) config "$cfg" "$run" "$id.articles" "$id.jobs" "$id.$run.translated"; want=$jobs ;;
    translation) config "$cfg" "$run" "$id.articles" "$id.$run.jobs" "$id.$run.translated"; want=$articles ;;
    *) config "$cfg" "$run" "$id.articles" "$id.$run.jobs" "$id.$run.translated"; want=$articles ;;
  esac
  "$syn" topics create --config "$cfg" >/dev/null
  psql "$pg_conninfo" -qc "CREATE DATABASE $id$run" || die "cannot create database $id$run"
  SYN_BENCH_PG="$pg_conninfo dbname=$id$run"
  case $role in
    archive) sink() { # 0 until the archive has made its schema
      local t
      t=$(psql "$SYN_BENCH_PG" -tAc "SELECT to_regclass('article_revisions') IS NOT NULL") || return 1
      if [ "$t" = t ]; then psql "$SYN_BENCH_PG" -tAc 'SELECT count(*) FROM article_revisions'; else echo 0; fi
    } ;;
    feed) sink() { curl -sf "http://127.0.0.1:$wxport/__state" | python3 -c '
import json, sys
print(sum(len(d["articles"]) for d in json.load(sys.stdin)["drafts"] if d.get("app_id") == sys.argv[1]))' "wx$id$run"; } ;;
    translation) sink() { count "$id.$run.jobs"; } ;;
    translate) sink() { count "$id.$run.translated"; } ;;
  esac
  local b0 m0
  # shellcheck disable=SC2086
  b0=$(cpu_of $broker_pids) m0=$(machine_busy)
  t0=$(date +%s%N)
  for i in $(seq 1 "$n"); do
    case $role in
      archive) exec "$syn" consume archive --config "$cfg" --metrics-listen "" ;;
      feed) exec "$syn" consume feed --config "$cfg" --metrics-listen "" --state "$work/$run-feed.db" ;;
      translation) exec "$syn" consume translation --config "$cfg" --instance "$run-$i" --metrics-listen "" ;;
      translate) exec "$syn" translate --config "$cfg" --instance "$run-$i" --done-store "$work/$run-$i-done.db" --metrics-listen "" ;;
    esac >"$work/$run-$i.out" 2>"$work/$run-$i.log" &
    rpids+=($!) pids+=($!)
  done
  local got=0 deadline=$((SECONDS + 600))
  while :; do
    got=$(sink) || die "$run: counting the sink failed"
    [ "$got" -ge "$want" ] && break
    ((SECONDS < deadline)) || die "$run: $got of $want after 600 s"
    for i in "${rpids[@]}"; do kill -0 "$i" 2>/dev/null || die "$run: an instance exited: $(tail -3 "$work/$run"-*.log)"; done
    sleep 0.2
  done
  t1=$(date +%s%N)
  # shellcheck disable=SC2086
  cpu_inst[$run]=$(cpu_of "${rpids[@]}") cpu_brokers[$run]=$(awk -v a="$b0" -v b="$(cpu_of $broker_pids)" 'BEGIN{printf "%.1f", b - a}')
  cpu_machine[$run]=$(awk -v a="$m0" -v b="$(machine_busy)" 'BEGIN{printf "%.1f", b - a}')
  for i in "${rpids[@]}"; do kill -TERM "$i"; done
  for i in "${rpids[@]}"; do wait "$i" || die "$run: an instance failed on SIGTERM: $(tail -3 "$work/$run"-*.log)"; done
  [ "$got" = "$want" ] || die "$run: the sink holds $got, not $want"
  secs[$run]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", (b-a)/1e9}')
  say "  $role x$n: $want records in ${secs[$run]} s; CPU s: instances ${cpu_inst[$run]}, brokers ${cpu_brokers[$run]}, machine ${cpu_machine[$run]}"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
for role in archive feed translation translate; do
  say "$role: 1 instance, then 3 ..."
  run "$role" 1
  run "$role" 3
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
per_s() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", n/s; else print "n/a" }'; }
mkdir -p "$(dirname "$out")"
{
  echo "# bench/cluster.sh"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) vCPUs, $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM; three brokers on this machine ($bootstrap); load average at start $load_start, at end $(cut -d' ' -f1-3 /proc/loadavg); git $(git -C "$root" rev-parse --short HEAD)."
  echo "$issues issues, $articles articles, $jobs translation jobs; topics of $partitions partitions, replication 3, min.insync.replicas 2."
  echo
  echo "| role | records | 1 instance s | records/s | 3 instances s | records/s | 3 vs 1 |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  for role in archive feed translation translate; do
    want=$articles; [ "$role" = translate ] && want=$jobs
    r1=$(per_s "$want" "${secs[${role}1]}") r3=$(per_s "$want" "${secs[${role}3]}")
    echo "| \`$role\` | $want | ${secs[${role}1]} | $r1 | ${secs[${role}3]} | $r3 | **$(ratio "$r3" "$r1")×** |"
  done
  echo
  echo "CPU seconds over each run (user + system): the instances', the three brokers', and the whole machine's (every process of every session; 2 cores give 2 CPU s per second of wall time)."
  echo
  echo "| run | wall s | instances | brokers | machine | machine busy |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for role in archive feed translation translate; do
    for n in 1 3; do
      r=$role$n
      echo "| \`$role\` ×$n | ${secs[$r]} | ${cpu_inst[$r]} | ${cpu_brokers[$r]} | ${cpu_machine[$r]} | $(awk -v c="${cpu_machine[$r]}" -v w="${secs[$r]}" -v n="$(nproc)" 'BEGIN{printf "%.0f %%", 100 * c / w / n}') |"
    done
  done
} >"$out"
cat "$out"
