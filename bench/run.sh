#!/usr/bin/env bash
# bench/run.sh [--quick] [--out FILE] -- syndicate against its baselines, side by side, on a real
# Kafka broker, in one run (issue 10; method in BENCHMARKS.md):
#   1. producer: `syndicate publish` of ISSUES generated issues vs `kcat -P` sending the same
#      records (keys, values, same-size headers), taking turns for 3 rounds after a warm-up, vs
#      Kafka's ProducerPerformance (same count and average size);
#      and the floor of a producer that splits: kcat -P's wall + the split's CPU over the cores;
#   2. consumers: `consume translation`, `translate` (OpenCC), `consume archive` (SQLite),
#      `consume feed` (local WeChat test server), each vs `kcat -C -e` reading the same topics;
#   3. splitter MB/s (Google Benchmark);
#   4. latency from `serve trigger` (HTTP) to each sink at a steady RATE issues/s for SECONDS
#      (and, before that, to Kafka with the trigger alone on the machine, for SECONDS/2);
#   5. peak RSS of every process.
# Prints the figures and ratios, and writes them as Markdown to FILE (default var/bench/summary.md).
#
# Environment: SYN_BENCH_BOOTSTRAP (use this broker instead of starting one on a free port),
# SYN_BENCH_BUILD_DIR (build-bench), SYN_BENCH_NO_BUILD=1 (skip the build step),
# SYN_BENCH_ISSUES, SYN_BENCH_RATE, SYN_BENCH_SECONDS (override the sizes below), SYN_BENCH_KEEP=1
# (keep the work directory with every log).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
quick=0
out=$root/var/bench/summary.md
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --out) out=${2:?--out needs a file}; shift ;;
    -h|--help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "bench/run.sh: unknown argument '$1' (--quick, --out FILE)" >&2; exit 2 ;;
  esac
  shift
done
if [ $quick = 1 ]; then issues=100 rate=100 seconds=3 min_time=0.05; else issues=2000 rate=100 seconds=30 min_time=0.5; fi
issues=${SYN_BENCH_ISSUES:-$issues} rate=${SYN_BENCH_RATE:-$rate} seconds=${SYN_BENCH_SECONDS:-$seconds}
build=${SYN_BENCH_BUILD_DIR:-$root/build-bench}
syn=$build/app/syndicate
wxserver=$build/tests/wechat/syndicate-wechat-testserver
tools="python3 $root/bench/bench_tools.py"
t_start=$SECONDS

work=$(mktemp -d /tmp/syn-bench.XXXXXX)
pids=()
broker_dir=
cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  if [ -n "$broker_dir" ]; then bash "$root/deploy/kafka/kafka.sh" stop --port "$broker_port" --state-dir "$broker_dir" >/dev/null 2>&1 || true; fi
  if [ "${SYN_BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
say() { printf '%s\n' "$*" >&2; }
die() { say "bench/run.sh: $*"; exit 1; }
for c in kcat python3 sqlite3 curl /usr/bin/time; do command -v "$c" >/dev/null || die "$c not found (scripts/install-deps.sh)"; done

# ------------------------------------------------------------------ build and broker
if [ "${SYN_BENCH_NO_BUILD:-0}" != 1 ]; then
  [ -f "$build/CMakeCache.txt" ] ||
    cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSYN_BENCH=ON >/dev/null
  say "building $build (syndicate, WeChat test server, bench_splitter) ..."
  flock /tmp/syn-build.lock cmake --build "$build" --target syndicate syndicate-wechat-testserver bench_splitter >/dev/null ||
    die "build failed: cmake --build $build"
fi
[ -x "$syn" ] && [ -x "$wxserver" ] || die "missing binaries in $build"
# Ports: free ones below the kernel's ephemeral range (tests/e2e/lib.sh's free_port), so no
# client socket of the run can hold one when its server binds it.
SYN_TEST_BOOTSTRAP=${SYN_BENCH_BOOTSTRAP:-starting}  # set below; lib.sh's configs read it then
source "$root/tests/e2e/lib.sh"
broker_port=
if [ -n "${SYN_BENCH_BOOTSTRAP:-}" ]; then
  bootstrap=$SYN_BENCH_BOOTSTRAP
else
  broker_dir=$work/kafka
  read -r broker_port controller_port <<<"$(free_port 2 | awk '{print $1, $1 + 1}')"
  say "starting a Kafka broker on 127.0.0.1:$broker_port (state in $broker_dir) ..."
  bash "$root/deploy/kafka/kafka.sh" start --port "$broker_port" --controller-port "$controller_port" --state-dir "$broker_dir" >/dev/null 2>"$work/kafka-start.log" ||
    { cat "$work/kafka-start.log" >&2; die "broker did not start"; }
  bootstrap=127.0.0.1:$broker_port
fi
id=bench$(date +%s)$$
kc() { kcat -b "$bootstrap" -X isolation.level=read_committed "$@"; }

# bench_config FILE PREFIX WXPORT: tests/e2e/lib.sh's config (topics `<PREFIX>.*`, groups and
# transactional ids of their own, the SQLite archive in $work/<PREFIX>/archive.db), plus the
# trigger on $trigger_port and two WeChat accounts on the local WeChat API.
trigger_port=$(free_port)
SYN_TEST_BOOTSTRAP=$bootstrap
bench_config() {
  local top=$work
  mkdir -p "$work/$2"
  work=$work/$2 write_config "$1" "$2" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$trigger_port
    token_env: SYN_BENCH_TOKEN
    spool_dir: $work/spool    # accepted issues: this run's own, never replayed by another
feed:
  api_base_url: http://127.0.0.1:$3
  server: {listen: 127.0.0.1:39399, public_base_url: http://bench.invalid}
  accounts:
    - {name: hans, app_id: wxbenchhans, app_secret_env: SYN_BENCH_WX_SECRET, language: zh-Hans, cover_image: $top/cover.jpg}
    - {name: hant, app_id: wxbenchhant, app_secret_env: SYN_BENCH_WX_SECRET, language: zh-Hant, cover_image: $top/cover.jpg}
observability:
  # Nothing served (other processes on this machine may hold the default ports); quiet logs.
  metrics: {trigger: "", feed: "", archive: "", translation: "", translator: "", feed_server: "", run: ""}
  log_level: warn
YAML
}
"$wxserver" --write-jpeg "$work/cover.jpg"  # a real JPEG: the WeChat API decodes covers
export SYN_BENCH_TOKEN=bench-token SYN_BENCH_WX_SECRET=bench-secret

# start_wechat PORTVAR: the local WeChat API on a free port.
start_wechat() {
  local port
  port=$(free_port)
  "$wxserver" --port "$port" --threads 2 >"$work/wechat-$port.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.05; done
  printf -v "$1" '%s' "$port"
  printf -v "$2" '%s' "$!"
}

# timed NAME CMD...: runs CMD under /usr/bin/time; sets wall_<NAME> (s) and rss_<NAME> (MB).
declare -A wall rss
timed() {
  local name=$1; shift
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f '%M' -o "$work/time-$name" "$@" >"$work/out-$name" 2>"$work/err-$name" ||
    { tail -20 "$work/err-$name" >&2; die "$name failed: $*"; }
  t1=$(date +%s%N)
  read -r m <"$work/time-$name"
  wall[$name]=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f", (b-a)/1e9}')
  rss[$name]=$(awk -v k="$m" 'BEGIN{printf "%.1f", k/1024}')
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b > 0) printf "%.2f", a/b; else print "n/a" }'; }
per_s() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.0f", n/s; else print "n/a" }'; }
mb_s() { awk -v n="$1" -v s="$2" 'BEGIN{ if (s > 0) printf "%.2f", n/s/1e6; else print "n/a" }'; }
count() { kc -C -t "$1" -o beginning -e -q -f '%o\n' | wc -l; }

md=$work/summary.md
{
  echo "# bench/run.sh $([ $quick = 1 ] && echo --quick)"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) vCPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(awk '/MemTotal/{printf "%.0f GB", $2/1048576}' /proc/meminfo) RAM;"
  echo "build $(grep -m1 CMAKE_BUILD_TYPE: "$build/CMakeCache.txt" | cut -d= -f2); broker $bootstrap; load average at start: $(cut -d' ' -f1-3 /proc/loadavg); git $(git -C "$root" rev-parse --short HEAD)."
} >"$md"

# ------------------------------------------------------------------ 3. splitter (run first: the
# producer's floor below takes the split's CPU from it; its table is written in its place below)
say "splitter: bench_splitter ..."
"$build/bench/bench_splitter" --benchmark_min_time="$min_time" --benchmark_repetitions=3 \
  --benchmark_report_aggregates_only=true --benchmark_format=json >"$work/splitter.json" 2>/dev/null ||
  die "bench_splitter failed"
splitter=$($tools gbench-parse "$work/splitter.json")
split_mbs=$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('BM_SplitTestIssues', 0))" "$splitter")

# ------------------------------------------------------------------ 1. producer
say "generating $issues issues ..."
input_bytes=$(python3 "$root/bench/gen_issues.py" --out "$work/issues" --count "$issues" "$root"/tests/data/issues/*.txt)
wxport= wxpid=
start_wechat wxport wxpid
cfg=$work/p1.yaml  # round 1's (below): the topics the consumers read
# Not timed, first: a warm-up. (a) The first transactional producer a broker sees makes it create
# and load __transaction_state (InitProducerId answers "coordinator load in progress" meanwhile:
# ~1 s on a fresh broker); kcat -P and ProducerPerformance are not transactional and never wait
# for it. (b) A fresh broker's JVM runs its hot paths interpreted until the JIT has compiled them,
# so whichever producer goes first pays for that: kcat -P took 0.44 s right after the first
# publish, 0.11 s on a warm broker. So the warm-up publishes every issue to topics of its own (the
# records kcat -P sends are taken from there), then the two take turns, $rounds rounds each on
# fresh topics, and the table gives the median of each.
rounds=3
wcfg=$work/w.yaml
bench_config "$wcfg" "${id}w" "$wxport"
"$syn" topics create --config "$wcfg" >/dev/null
say "producer: warm-up, syndicate publish of $issues issues (not timed) ..."
"$syn" publish --config "$wcfg" --instance warmup "$work"/issues/*.txt >"$work/out-warmup" 2>&1 ||
  die "warm-up publish failed: $(tail -3 "$work/out-warmup")"
n_articles=$(count "${id}w.articles")
n_manifests=$(count "${id}w.issues")
n_records=$((n_articles + n_manifests))
[ "$n_articles" -gt 0 ] || die "no articles on ${id}w.articles"
# The same records, pre-encoded: keys and values through kcat with delimiters no protobuf holds.
K='\x01\xfeSYNK\xfe\x01' D='\x01\xfeSYNM\xfe\x01'  # no NUL: kcat takes them as C strings
for t in articles issues; do kc -C -t "${id}w.$t" -o beginning -e -q -K "$K" -D "$D"; done >"$work/records.bin"
[ "$($tools count-delimited "$work/records.bin" "$D")" = "$n_records" ] || die "record dump does not split into $n_records records"
rec_bytes=$(kc -C -t "${id}w.articles" -o beginning -e -q -f '%K %S\n' | awk '{s+=$1+$2} END{print s+0}')
rec_bytes=$((rec_bytes + $(kc -C -t "${id}w.issues" -o beginning -e -q -f '%K %S\n' | awk '{s+=$1+$2} END{print s+0}')))
avg_size=$((rec_bytes / n_records))
# kcat -P writes to one topic per round, and ProducerPerformance to one of its own.
cat >"$work/topics-base.yaml" <<YAML
kafka:
  bootstrap_servers: $bootstrap
  topics:
    issues: {name: $id.kcatp1, partitions: 3, replication_factor: 1}
    articles: {name: $id.kcatp2, partitions: 3, replication_factor: 1}
    translated: {name: $id.kcatp3, partitions: 3, replication_factor: 1}
    translation_jobs: {name: $id.pp, partitions: 3, replication_factor: 1}
    deadletter: {name: $id.unused, partitions: 1, replication_factor: 1}
YAML
"$syn" topics create --config "$work/topics-base.yaml" >/dev/null
# median V...: the middle value (of an odd count).
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
pub_walls=() kcat_walls=() spans=() pub_rss=0 kcat_rss=0
for r in $(seq 1 $rounds); do
  # Round 1 publishes to the topics the consumers read below ($id.*); the others to their own.
  prefix=$id; [ "$r" = 1 ] || prefix=${id}r$r
  rcfg=$work/p$r.yaml
  bench_config "$rcfg" "$prefix" "$wxport"
  "$syn" topics create --config "$rcfg" >/dev/null
  say "producer: round $r: syndicate publish of $issues issues, kcat -P of the same $n_records records ..."
  timed "publish$r" "$syn" publish --config "$rcfg" --instance "bench$r" "$work"/issues/*.txt
  grep -q "NOT published" "$work/out-publish$r" && die "publish: $(grep -m1 'NOT published' "$work/out-publish$r")"
  [ "$(count "$prefix.articles")" = "$n_articles" ] || die "publish: expected $n_articles articles on $prefix.articles"
  timed "kcat_p$r" kcat -P -b "$bootstrap" -t "$id.kcatp$r" -K "$K" -D "$D" -X acks=all -X enable.idempotence=true \
    -H content-type=application/x-protobuf -H schema=syndication.v1.Article -H issue-id=cjrb-20240130 -H language=zh-Hans \
    -l "$work/records.bin"
  [ "$(count "$id.kcatp$r")" = "$n_records" ] || die "kcat -P: expected $n_records records on $id.kcatp$r"
  pub_walls+=("${wall[publish$r]}") kcat_walls+=("${wall[kcat_p$r]}")
  pub_rss=$(awk -v a="$pub_rss" -v b="${rss[publish$r]}" 'BEGIN{print (b > a) ? b : a}')
  kcat_rss=$(awk -v a="$kcat_rss" -v b="${rss[kcat_p$r]}" 'BEGIN{print (b > a) ? b : a}')
  # Publishing proper: first to last record timestamp (after start-up, splitting and the first lookups).
  spans+=("$(kc -C -t "$prefix.articles" -o beginning -e -q -f '%T\n' | sort -n | awk 'NR==1{a=$1} {b=$1} END{printf "%.3f", (b-a)/1000}')")
done
wall[publish]=$(median "${pub_walls[@]}") wall[kcat_p]=$(median "${kcat_walls[@]}")
rss[publish]=$pub_rss rss[kcat_p]=$kcat_rss
span_s=$(median "${spans[@]}")
say "producer: ProducerPerformance, $n_records records of $avg_size bytes ..."
bash "$root/deploy/kafka/kafka.sh" tool ProducerPerformance --topic "$id.pp" --num-records "$n_records" \
  --record-size "$avg_size" --throughput -1 \
  --producer-props bootstrap.servers="$bootstrap" acks=all enable.idempotence=true >"$work/pp.log" 2>&1 || die "ProducerPerformance failed: $(tail -3 "$work/pp.log")"
pp=$($tools pp-parse <"$work/pp.log")
pp_rps=$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('records_per_s', 0))" "$pp")
pp_mbs=$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('mb_per_s', 0))" "$pp")
syn_rps=$(per_s "$n_records" "${wall[publish]}")
kcat_rps=$(per_s "$n_records" "${wall[kcat_p]}")
# The floor of a producer that splits, on this machine: kcat -P's wall (sending the records) plus
# the split's CPU (the input at BM_SplitTestIssues' MB/s, the same mix of test issues) over the cores.
ncores=$(nproc)
split_cpu=$(awk -v b="$input_bytes" -v r="$split_mbs" 'BEGIN{ if (r > 0) printf "%.3f", b/1e6/r; else print 0 }')
floor_s=$(awk -v k="${wall[kcat_p]}" -v c="$split_cpu" -v n="$ncores" 'BEGIN{printf "%.3f", k + c/n}')
floor_rps=$(per_s "$n_records" "$floor_s")
say "producer: publish ${wall[publish]} s, floor $floor_s s (kcat -P ${wall[kcat_p]} s + split $split_cpu s CPU / $ncores cores)"
{
  echo
  echo "## Producer"
  echo
  echo "$issues issues ($(mb_s "$input_bytes" 1) MB of text) -> $n_articles articles + $n_manifests manifests = $n_records records, $(mb_s "$rec_bytes" 1) MB (keys + values, average $avg_size bytes; manifests carry the raw issue). After an untimed warm-up publish of the same issues, \`syndicate publish\` and \`kcat -P\` took turns, $rounds rounds each on fresh topics: median wall (each round's: publish $(echo "${pub_walls[@]}" | sed 's/ /, /g') s; kcat -P $(echo "${kcat_walls[@]}" | sed 's/ /, /g') s), highest peak RSS."
  echo
  echo "| producer | wall s | records/s | articles/s | MB/s | vs kcat -P | peak RSS MB |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  echo "| \`syndicate publish\` (split + group commit, the default max_issues_per_transaction) | ${wall[publish]} | $syn_rps | $(per_s "$n_articles" "${wall[publish]}") | $(mb_s "$rec_bytes" "${wall[publish]}") | **$(ratio "$syn_rps" "$kcat_rps")×** | ${rss[publish]} |"
  echo "| \`syndicate publish\`, first to last article timestamp | $span_s | $(per_s "$n_records" "$span_s") | $(per_s "$n_articles" "$span_s") | $(mb_s "$rec_bytes" "$span_s") | $(ratio "$(per_s "$n_records" "$span_s")" "$kcat_rps")× | |"
  echo "| \`kcat -P\` (same records, acks=all, idempotent) | ${wall[kcat_p]} | $kcat_rps | | $(mb_s "$rec_bytes" "${wall[kcat_p]}") | 1.00× | ${rss[kcat_p]} |"
  echo "| ProducerPerformance ($n_records × $avg_size B, acks=all; JVM start excluded) | | ${pp_rps%.*} | | $pp_mbs | $(ratio "$pp_rps" "$kcat_rps")× | |"
  echo "| **floor** of a splitting producer: kcat -P + split CPU ($split_cpu s at $split_mbs MB/s) / $ncores cores | $floor_s | $floor_rps | | $(mb_s "$rec_bytes" "$floor_s") | $(ratio "$floor_rps" "$kcat_rps")× | |"
  echo
  echo "\`syndicate publish\` is at **$(ratio "$floor_s" "${wall[publish]}")×** of that floor's speed (floor $floor_s s / publish ${wall[publish]} s)."
} >>"$md"

# ------------------------------------------------------------------ 2. consumers
# kcat_read NAME TOPIC...: kcat -C -e over the topics, one after the other; wall_<NAME> is the sum.
kcat_read() {
  local name=$1 t total=0; shift
  for t in "$@"; do
    timed "kcat_${name}_$t" kcat -b "$bootstrap" -X isolation.level=read_committed -C -t "$t" -o beginning -e -q -f '%k %S\n'
    total=$(awk -v a="$total" -v b="${wall[kcat_${name}_$t]}" 'BEGIN{print a+b}')
  done
  wall[kcat_$name]=$total
}
# last_ts TOPIC: the newest record timestamp (ms).
last_ts() { kc -C -t "$1" -o beginning -e -q -f '%T\n' | sort -n | tail -1; }
echo -e "\n## Consumers\n" >>"$md"
echo "The topics of the producer run ($n_articles articles, $n_manifests manifests). Each consumer reads from the beginning as a new group; \`kcat -C -e\` (read_committed) reads the same topics in the same run. Time: the process's wall time, start-up and group join included; \`--until-idle\` commands wait 5 s for more, so their time ends at their last output record's timestamp instead." >>"$md"
echo >>"$md"
echo "| consumer | records | s | records/s | kcat -C s | kcat records/s | ratio | peak RSS MB |" >>"$md"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |" >>"$md"
consumer_row() {  # NAME LABEL RECORDS SECONDS KCAT_NAME
  local r k
  r=$(per_s "$3" "$4"); k=$(per_s "$3" "${wall[kcat_$5]}")
  echo "| $2 | $3 | $4 | $r | ${wall[kcat_$5]} | $k | **$(ratio "$r" "$k")×** | ${rss[$1]} |" >>"$md"
  say "  $2: $r records/s vs kcat $k records/s"
}
elapsed_to() {  # START_MS END_MS -> seconds
  awk -v a="$1" -v b="$2" 'BEGIN{printf "%.3f", (b-a)/1000}'
}
say "consumers: consume translation ..."
t0=$(date +%s%3N)
timed translation "$syn" consume translation --config "$cfg" --until-idle
kcat_read translation "$id.articles"
consumer_row translation "\`consume translation\` (articles -> jobs, transactional)" "$n_articles" "$(elapsed_to "$t0" "$(last_ts "$id.jobs")")" translation
say "consumers: translate (OpenCC) ..."
t0=$(date +%s%3N)
timed translate "$syn" translate --config "$cfg" --until-idle --done-store "$work/done.db"
n_jobs=$(count "$id.jobs")
kcat_read translate "$id.jobs"
consumer_row translate "\`translate\` (OpenCC s2t, jobs -> articles, transactional)" "$n_jobs" "$(elapsed_to "$t0" "$(last_ts "$id.translated")")" translate
n_translated=$(count "$id.translated")
say "consumers: consume archive (SQLite) ..."
timed archive "$syn" consume archive --config "$cfg" --until-caught-up
kcat_read archive "$id.articles" "$id.translated" "$id.issues"
consumer_row archive "\`consume archive\` (SQLite; articles, translations, manifests)" "$((n_articles + n_translated + n_manifests))" "${wall[archive]}" archive
say "consumers: consume feed (WeChat test server) ..."
timed feed "$syn" consume feed --config "$cfg" --until-caught-up --state "$work/feed-state.db"
kcat_read feed "$id.articles" "$id.translated"
consumer_row feed "\`consume feed\` (2 accounts, drafts to the local WeChat API)" "$((n_articles + n_translated))" "${wall[feed]}" feed
drafts=$(curl -sf "http://127.0.0.1:$wxport/__state" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["drafts"]))')
echo >>"$md"
echo "The feed pushed $drafts drafts (\`draft/add\` + \`freepublish/submit\` each) to the WeChat test server on the same cores; the archive holds $(sqlite3 "$work/$id/archive.db" 'SELECT count(*) FROM article_revisions') article revisions." >>"$md"
kill "$wxpid" 2>/dev/null || true

# ------------------------------------------------------------------ 3. splitter (measured first, above)
{
  echo -e "\n## Splitter\n"
  echo "| case | MB/s (median of 3) |"
  echo "| --- | --- |"
  echo "$splitter" | python3 -c 'import json,sys; [print(f"| `{k}` | {v} |") for k,v in json.load(sys.stdin).items()]'
} >>"$md"

# ------------------------------------------------------------------ 4. latency
say "latency: serve trigger -> sinks at $rate issues/s for $seconds s ..."
lid=${id}l
start_wechat lwxport lwxpid
lcfg=$work/l.yaml
bench_config "$lcfg" "$lid" "$lwxport"
"$syn" topics create --config "$lcfg" >/dev/null
python3 "$root/bench/gen_issues.py" --out "$work/lat-issues" --count "$(awk -v r="$rate" -v s="$seconds" 'BEGIN{print int(r*s)}')" \
  --start 2030-01-01 "$root"/tests/data/issues/*.txt >/dev/null
declare -A lpid
start_role() {  # NAME CMD...
  local name=$1; shift
  "$@" >"$work/role-$name.log" 2>&1 &
  pids+=($!)
  lpid[$name]=$!
}
trigger_url=http://127.0.0.1:$trigger_port
wait_trigger() { for _ in $(seq 1 100); do curl -sf "$trigger_url/healthz" >/dev/null && break; sleep 0.1; done; }
# 4a. The trigger alone on the machine (topics of its own, no consumer): HTTP -> Kafka, for half
# the time. Sets apart what the trigger and the broker take from what sharing two cores with
# every consumer adds (BENCHMARKS.md).
acfg=$work/a.yaml
bench_config "$acfg" "${lid}a" "$lwxport"
"$syn" topics create --config "$acfg" >/dev/null
start_role alone "$syn" serve trigger --config "$acfg"
$tools stamp "$work/stamp-alone" kcat -b "$bootstrap" -X isolation.level=read_committed -C -t "${lid}a.articles" -o end -u -q -f '%k\t%h\n' &
alone_stamp=$!
pids+=($alone_stamp)
wait_trigger
sleep 2
load_alone=$($tools load "$trigger_url/v1/issues" "$SYN_BENCH_TOKEN" "$rate" "$(( (seconds + 1) / 2 ))" "$work/lat-issues" "$work/sends-alone.tsv")
say "  trigger alone: $load_alone"
sleep 1
kill "${lpid[alone]}" "$alone_stamp" 2>/dev/null || true
wait "${lpid[alone]}" "$alone_stamp" 2>/dev/null || true
lat_alone=$($tools latency-kafka "kafka articles (read_committed), the trigger alone" "$work/sends-alone.tsv" "$work/stamp-alone")
# 4b. Every role.
start_role trigger "$syn" serve trigger --config "$lcfg"
start_role archive "$syn" consume archive --config "$lcfg"
start_role feed "$syn" consume feed --config "$lcfg" --state "$work/lat-feed-state.db"
start_role translation "$syn" consume translation --config "$lcfg"
start_role translate "$syn" translate --config "$lcfg" --done-store "$work/lat-done.db"
# Arrival on the topics as a read_committed consumer sees it: kcat, unbuffered, stamped on receipt.
for t in articles translated; do
  $tools stamp "$work/stamp-$t" kcat -b "$bootstrap" -X isolation.level=read_committed -C -t "$lid.$t" -o end -u -q -f '%k\t%h\n' &
  pids+=($!)
done
wait_trigger
sleep 3  # consumers join their groups; kcat gets its assignment
load=$($tools load "$trigger_url/v1/issues" "$SYN_BENCH_TOKEN" "$rate" "$seconds" "$work/lat-issues" "$work/sends.tsv")
say "  load: $load"
expected=$(awk -F'\t' '$3==202' "$work/sends.tsv" | wc -l)
# Wait (bounded) until the slowest sink has everything, then read each process's peak RSS.
for _ in $(seq 1 120); do
  got=$(sqlite3 "$work/$lid/archive.db" "SELECT count(DISTINCT issue_id) FROM article_revisions WHERE language='zh-Hant'" 2>/dev/null || echo 0)
  [ "$got" -ge "$expected" ] && break
  sleep 0.5
done
sleep 1
for name in trigger archive feed translation translate; do
  rss[lat_$name]=$(awk '/VmHWM/{printf "%.1f", $2/1024}' "/proc/${lpid[$name]}/status" 2>/dev/null || echo "exited")
done
rss[lat_wechat]=$(awk '/VmHWM/{printf "%.1f", $2/1024}' "/proc/$lwxpid/status" 2>/dev/null || echo "exited")
lat=$($tools latency "$work/sends.tsv" "$work/stamp-articles" "$work/stamp-translated" "$work/$lid/archive.db" \
  "http://127.0.0.1:$lwxport/__state")
{
  echo -e "\n## End-to-end latency\n"
  echo "\`serve trigger\` at $rate issues/s for $seconds s (load: $load), with \`consume archive\`, \`consume feed\`, \`consume translation\` and \`translate\` running. Per issue: the last of its records to arrive at the sink minus the time its HTTP request was sent (same clock). The first row: \`serve trigger\` alone on the machine before that, at the same rate for $(( (seconds + 1) / 2 )) s (load: $load_alone)."
  echo
  echo "| sink (arrival stamp) | issues | missing | p50 ms | p99 ms | max ms |"
  echo "| --- | --- | --- | --- | --- | --- |"
  echo "$lat_alone"
  echo "$lat"
  echo -e "\n## Peak memory (VmHWM / max RSS, MB)\n"
  echo "| process | throughput runs | latency run ($rate issues/s) |"
  echo "| --- | --- | --- |"
  echo "| \`syndicate publish\` / \`serve trigger\` | ${rss[publish]} | ${rss[lat_trigger]} |"
  echo "| \`consume translation\` | ${rss[translation]} | ${rss[lat_translation]} |"
  echo "| \`translate\` | ${rss[translate]} | ${rss[lat_translate]} |"
  echo "| \`consume archive\` | ${rss[archive]} | ${rss[lat_archive]} |"
  echo "| \`consume feed\` | ${rss[feed]} | ${rss[lat_feed]} |"
  echo "| WeChat test server | | ${rss[lat_wechat]} |"
  echo "| kcat -P / kcat -C (archive topics) | ${rss[kcat_p]} / ${rss[kcat_archive_$id.articles]} | |"
  echo
  echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg). Run time $((SECONDS - t_start)) s."
} >>"$md"
mkdir -p "$(dirname "$out")"
cp "$md" "$out"
cat "$md"
say "summary written to $out"
