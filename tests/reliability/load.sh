#!/usr/bin/env bash
# Scenario 6: load. ${SYN_REL_LOAD_ISSUES:-1000} distinct issues (tests/reliability/gen_issues.py:
# different papers, dates and texts), half POSTed to the HTTP trigger 8 at a time and half dropped
# into its hot folder at the same time, while every consumer runs: every article lands in every
# sink (archive, WeChat drafts, translation jobs, translations) exactly once. Prints the wall time
# and each process's peak memory and CPU time (GNU time). $1 is the syndicate binary.
set -euo pipefail
syndicate=$1
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/lib.sh"
issues=${SYN_REL_LOAD_ISSUES:-1000}
half=$((issues / 2))
articles=$((issues * 5))
wechat_port=$(free_port)
trigger_port=$(free_port)
id=load$(date +%s)$$
cfg=$work/syndication.yaml
start_wechat "$wechat_port"
rel_config "$cfg" "$id" "$wechat_port"
cat >>"$cfg" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$trigger_port
    token_env: SYN_REL_TOKEN
    spool_dir: $work/spool    # accepted issues: this run's own, never replayed by another
  hot_folder:
    enabled: true
    dir: $work/hot
    poll_interval_ms: 200
    stable_wait_ms: 300
YAML
export SYN_REL_TOKEN=rel-token-$$
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/http" "$half"
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/folder" $((issues - half)) --start "$half"
mkdir -p "$work/hot/incoming"

# run_timed NAME ARGS...: runs syndicate under GNU time (-v report in $work/NAME.time).
declare -A timed
run_timed() {
  local name=$1; shift
  /usr/bin/time -v -o "$work/$name.time" "$syndicate" "$@" >"$work/$name.out" 2>"$work/$name.log" &
  timed[$name]=$!; pids_to_stop+=($!)
}
stop_timed() { # NAME: SIGTERM to syndicate under time, wait for the report
  pkill -TERM -P "${timed[$1]}" 2>/dev/null || true
  wait "${timed[$1]}" 2>/dev/null || true
}
started=$(date +%s.%N)
run_timed trigger serve trigger --config "$cfg"
run_timed archive consume archive --config "$cfg" --metrics-listen ""
run_timed feed consume feed --config "$cfg" --metrics-listen "" --state "$work/feed.db"
run_timed translation consume translation --config "$cfg" --metrics-listen ""
run_timed translator translate --config "$cfg" --done-store "$work/done.db" --metrics-listen ""
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$trigger_port/healthz" >/dev/null && break; sleep 0.1; done

# HTTP, 8 concurrent clients, and the hot folder at the same time.
(
  ls "$work"/http/*.txt | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
    -H "Authorization: Bearer $SYN_REL_TOKEN" --data-binary @{} "http://127.0.0.1:$trigger_port/v1/issues" >"$work/http.codes"
) &
poster=$!
for f in "$work"/folder/*.txt; do cp "$f" "$work/hot/incoming/$(basename "$f").part" && mv "$work/hot/incoming/$(basename "$f").part" "$work/hot/incoming/$(basename "$f")"; done
wait "$poster"
expect "scenario 6 HTTP issues accepted (202)" "$half" "$(awk '$0 == "202" {n++} END {print n + 0}' "$work/http.codes")"

wechat_count() { wechat_articles "$wechat_port"; }
translated_count() { count_committed "$id.translated"; }
wait_for "archive revisions" "$articles" 300 count_archive_revisions
wait_for "WeChat articles" "$articles" 120 wechat_count
wait_for "translated articles" "$articles" 300 translated_count
wait_for "archived translations" "$articles" 120 count_archive_translations
elapsed=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")
for name in trigger archive feed translation translator; do stop_timed "$name"; done

echo "scenario 6: $issues issues, $articles articles through every sink in ${elapsed}s (from start of all processes)"
for name in trigger archive feed translation translator; do
  awk -v n="$name" -F': ' '/Maximum resident set size/ {rss=$2} /User time/ {u=$2} /System time/ {s=$2}
    END {printf "  %-12s peak RSS %6.1f MB, CPU %6.2f s\n", n, rss / 1024, u + s}' "$work/$name.time"
done
[ -d "$work/hot/done" ] || fail "no hot folder done/ directory"
expect "scenario 6 issues in the hot folder's done/" $((issues - half)) "$(find "$work/hot/done" -name '*.txt' | awk 'END {print NR}')"
expect_topic_once "scenario 6 issue manifests (read_committed)" "$issues" "$id.issues"
expect_topic_once "scenario 6 articles on the topic (read_committed)" "$articles" "$id.articles"
expect_once "scenario 6 archive" "$articles" "$(count_archive_revisions)" "$(count_archive_articles)"
expect "scenario 6 archive revisions repeating a content hash" 0 "$(count_archive_repeated_hashes)"
expect "scenario 6 archived translations" "$articles" "$(count_archive_translations)"
expect_once "scenario 6 WeChat draft articles" "$articles" "$(wechat_articles "$wechat_port")" \
  "$(wechat_articles "$wechat_port" distinct)"
expect_topic_once "scenario 6 translation jobs (read_committed)" "$articles" "$id.jobs"
expect_topic_once "scenario 6 translated articles (read_committed)" "$articles" "$id.translated"
expect "scenario 6 dead letters" 0 "$(count_dlq "$id.dlq")"
echo "load: ok"
