#!/usr/bin/env bash
# bench/translate_ab.sh [--issues N] [--rounds R] OLD NEW -- `translate` (OpenCC) of two syndicate
# binaries, A against B, taking turns on the same jobs (issue 24, BENCHMARKS.md "translate on
# every core"): ISSUES generated issues are published and turned into jobs once; then each round
# runs OLD's and NEW's `translate --until-idle` over those jobs, each into a translated topic and
# done store of its own (a shared one would let the second skip every job). Time: start to the
# last translated record's timestamp. Prints each round, the medians and NEW's speed over OLD's,
# and `bench_opencc`-free context: records, load average.
#
# Environment: SYN_BENCH_BOOTSTRAP (a running broker; otherwise one is started on a free port).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
issues=500 rounds=3
while [ $# -gt 0 ]; do
  case $1 in
    --issues) issues=${2:?}; shift ;;
    --rounds) rounds=${2:?}; shift ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    -*) echo "bench/translate_ab.sh: unknown option '$1'" >&2; exit 2 ;;
    *) break ;;
  esac
  shift
done
[ $# = 2 ] || { echo "usage: bench/translate_ab.sh [--issues N] [--rounds R] OLD_SYNDICATE NEW_SYNDICATE" >&2; exit 2; }
old=$1 new=$2
for b in "$old" "$new"; do [ -x "$b" ] || { echo "bench/translate_ab.sh: $b is not an executable" >&2; exit 2; }; done

work=$(mktemp -d /tmp/syn-tab.XXXXXX)
broker_port=
cleanup() {
  if [ -n "$broker_port" ]; then bash "$root/deploy/kafka/kafka.sh" stop --port "$broker_port" --state-dir "$work/kafka" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
say() { printf '%s\n' "$*" >&2; }
SYN_TEST_BOOTSTRAP=${SYN_BENCH_BOOTSTRAP:-starting}
source "$root/tests/e2e/lib.sh"
if [ -z "${SYN_BENCH_BOOTSTRAP:-}" ]; then
  read -r broker_port controller_port <<<"$(free_port 2 | awk '{print $1, $1 + 1}')"
  bash "$root/deploy/kafka/kafka.sh" start --port "$broker_port" --controller-port "$controller_port" \
    --state-dir "$work/kafka" >/dev/null
  SYN_TEST_BOOTSTRAP=127.0.0.1:$broker_port
fi
kc() { kcat -b "$SYN_TEST_BOOTSTRAP" -X isolation.level=read_committed "$@"; }
count() { kc -C -t "$1" -o beginning -e -q -f '%o\n' | wc -l; }
id=tab$(date +%s)$$
quiet='observability: {metrics: {trigger: "", feed: "", archive: "", translation: "", translator: "", feed_server: "", run: ""}, log_level: warn}'
write_config "$work/base.yaml" "$id" "$quiet" </dev/null
python3 "$root/bench/gen_issues.py" --out "$work/issues" --count "$issues" "$root"/tests/data/issues/*.txt >/dev/null
"$new" topics create --config "$work/base.yaml" >/dev/null
"$new" publish --config "$work/base.yaml" "$work"/issues/*.txt >/dev/null
"$new" consume translation --config "$work/base.yaml" --until-idle >/dev/null 2>&1
jobs=$(count "$id.jobs")
say "$issues issues -> $jobs jobs on $id.jobs"

# run NAME BIN ROUND: translate the jobs into <id>.<name><round>.translated; prints seconds.
run() {
  local cfg=$work/$1$3.yaml t0 last n
  write_config "$cfg" "$id" "$quiet" </dev/null
  sed -i "s/name: $id.translated,/name: $id.$1$3.translated,/; s/translator: $id-translator/translator: $id-$1$3/" "$cfg"
  "$2" topics create --config "$cfg" >/dev/null
  t0=$(date +%s%3N)
  "$2" translate --config "$cfg" --until-idle --instance "ab-$1$3" --done-store "$work/$1$3-done.db" >/dev/null 2>"$work/$1$3.err" ||
    { tail -5 "$work/$1$3.err" >&2; exit 1; }
  n=$(count "$id.$1$3.translated")
  [ "$n" = "$jobs" ] || { say "$1 round $3: expected $jobs translated, got $n"; exit 1; }
  last=$(kc -C -t "$id.$1$3.translated" -o beginning -e -q -f '%T\n' | sort -n | tail -1)
  awk -v a="$t0" -v b="$last" 'BEGIN{printf "%.3f", (b-a)/1000}'
}
median() { printf '%s\n' "$@" | sort -g | awk '{v[NR]=$1} END{print v[int((NR+1)/2)]}'; }
olds=() news=()
for r in $(seq 1 "$rounds"); do
  o=$(run old "$old" "$r"); n=$(run new "$new" "$r")
  olds+=("$o") news+=("$n")
  say "round $r: old $o s, new $n s (load $(cut -d' ' -f1 /proc/loadavg))"
done
mo=$(median "${olds[@]}") mn=$(median "${news[@]}")
echo "translate of $jobs jobs (OpenCC, $(nproc) cores), median of $rounds rounds: old $mo s ($(awk -v j="$jobs" -v s="$mo" 'BEGIN{printf "%.0f", j/s}') jobs/s), new $mn s ($(awk -v j="$jobs" -v s="$mn" 'BEGIN{printf "%.0f", j/s}') jobs/s): new/old speed $(awk -v a="$mo" -v b="$mn" 'BEGIN{printf "%.2f", a/b}')x"
