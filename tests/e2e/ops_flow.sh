#!/usr/bin/env bash
# Operations end to end on the real broker (issue 8):
#   (b)+(c) archive consumer: `replay --execute` refuses while the group has a running member;
#           after it stops, `replay --issue ID` makes the consumer read exactly that issue again;
#   (a)     feed consumer + local WeChat API: the API fails while records flow (the records are
#           dead-lettered after their retries), then `replay --to-datetime` delivers everything
#           exactly once (drafts in the server's /__state, rows in the feed's state db), and a
#           second replay changes nothing;
#   (d)     a permanent WeChat error dead-letters an issue; after the cause is gone, `dlq
#           redrive` delivers it once and empties the DLQ (0 pending for the group; `--all` still
#           lists the letters, redriven); a second redrive sends nothing, `--again` sends them
#           again and the sink still has them once; nothing new is dead-lettered;
#   (e)     /metrics of the running consumers and of `serve trigger` parse as Prometheus text
#           (tests/e2e/ops_promcheck.py, strict) and the counters move when records flow.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 the WeChat test server.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
promcheck=$src/tests/e2e/ops_promcheck.py
work=$(mktemp -d)
id=ops$(date +%s)$$
cfg=$work/syndication.yaml
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -15 "$f" >&2; }; done
  exit 1
}
wport=$(free_port)
feed_metrics=$(free_port)
archive_metrics=$(free_port)
trigger_port=$(free_port)
trigger_metrics=$(free_port)

# A real JPEG: the WeChat test server decodes covers as the platform does (issue 17).
"$wechat" --write-jpeg "$work/cover.jpg" || fail "writing the cover"
write_config "$cfg" "$id" <<YAML
feed:
  api_base_url: http://127.0.0.1:$wport
  request_timeout_ms: 3000
  retry: {initial_backoff_ms: 10, max_backoff_ms: 20, multiplier: 2.0, max_attempts: 2, jitter: 0.2}
  accounts:
    - name: cjrb
      app_id: wxops0000000001
      app_secret_env: SYN_OPS_WECHAT_SECRET
      language: zh-Hans
      cover_image: $work/cover.jpg
producer:
  trigger:
    listen: 127.0.0.1:$trigger_port
    token_env: SYN_OPS_TRIGGER_TOKEN
    spool_dir: $work/spool    # accepted issues: this run's own, never replayed by another
observability:
  kafka_statistics_interval_ms: 500
YAML
# Short consumer retries, so an outage reaches the DLQ in a second (consumers: is written by lib.sh).
sed -i "/^  groups: {feed: /a\\  retry: {initial_backoff_ms: 50, max_backoff_ms: 100, multiplier: 2.0, max_attempts: 2, jitter: 0.2}" "$cfg"
export SYN_OPS_WECHAT_SECRET=s3cret SYN_OPS_TRIGGER_TOKEN=tok3n
"$syndicate" config check "$cfg" >/dev/null || fail "config check"
"$syndicate" topics create --config "$cfg" >/dev/null

syn() { "$syndicate" "$@" --config "$cfg"; }
publish() { syn publish --date "$1" "$fixture" >/dev/null 2>"$work/publish.log" || fail "publish $1"; }
scrape() { curl -sf "http://127.0.0.1:$1/metrics" >"$work/metrics.txt" || fail "GET /metrics on port $1"; }
# metric PORT SELECTOR...: scrape, check the whole exposition strictly, print the selected values.
metric() {
  local port=$1
  shift
  scrape "$port"
  python3 "$promcheck" "$work/metrics.txt" "$@" || { cat "$work/metrics.txt" >&2; fail "/metrics on port $port is not valid Prometheus text"; }
}
# caught_up GROUP: every partition the group has read is caught up (lag 0, or 1* = a marker).
caught_up() {
  syn lag --group "$1" --json >"$work/lag.json" 2>/dev/null || return 1
  python3 - "$work/lag.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))["groups"][0]
parts = [p for p in g["partitions"] if p.get("committed") is not None]
sys.exit(0 if parts and all(p["caughtUp"] for p in parts) else 1)
PY
}
wait_for() {  # wait_for WHAT SECONDS COMMAND...
  local what=$1 secs=$2
  shift 2
  for _ in $(seq 1 $((secs * 5))); do "$@" && return 0; sleep 0.2; done
  fail "timed out after ${secs}s waiting for: $what"
}
start() {  # start NAME COMMAND...: in the background, logging to $work/NAME.log; sets $last
  local name=$1
  shift
  "$@" >"$work/$name.log" 2>&1 &
  last=$!
  pids+=("$last")
}
stop() {  # stop PID: SIGTERM, then wait for a clean exit
  kill -TERM "$1"
  wait "$1" || fail "process $1 did not exit cleanly after SIGTERM"
}
# Dead letters `dlq list` lists (pending ones; with --all every one).
dead_letters() { syn dlq list --json "$@" | python3 -c 'import json,sys; print(json.load(sys.stdin)["matched"])'; }
# `LISTED REDRIVEN` of `dlq list --all ARGS`: letters listed, and of those in state redriven.
dead_letter_states() {
  syn dlq list --all --json "$@" |
    python3 -c 'import json,sys; l=json.load(sys.stdin)["deadLetters"]; print(len(l), sum(x["state"] == "redriven" for x in l))'
}
json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
drafts() { curl -sf "http://127.0.0.1:$wport/__state" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["drafts"]))'; }
draft_articles() {  # article links across all drafts received, one per line (duplicates kept)
  curl -sf "http://127.0.0.1:$wport/__state" | python3 -c '
import json, sys
for d in json.load(sys.stdin)["drafts"]:
    for a in d["articles"]:
        print(a.get("content_source_url", ""))'
}
ledger() { sqlite3 "$work/feed.db" "$1"; }

# ---------------------------------------------------------------------------------------------
# (b) + (c): archive consumer, replay --issue, refusal while a member is active.
publish 2024-01-28
publish 2024-01-27   # the issue replayed below is the last one published on its partition
start archive "$syndicate" consume archive --metrics-listen "127.0.0.1:$archive_metrics" --config "$cfg"
archive=$last
wait_for "archive group caught up" 60 caught_up "$id-archive"
wait_for "archive consumer lag gauge" 20 sh -c "curl -sf http://127.0.0.1:$archive_metrics/metrics | grep -q '^syndicate_consumer_lag{'"
expect "archive records consumed (2 issues: 10 articles + 2 manifests)" 12 \
  "$(metric "$archive_metrics" 'syndicate_records_consumed_total{sink="archive"}')"
expect "archive records written" 12 "$(metric "$archive_metrics" 'syndicate_records_written_total{sink="archive"}')"
[ "$(metric "$archive_metrics" syndicate_sink_write_seconds_count)" -ge 1 ] || fail "sink latency histogram did not move"
# Caught up: at most a trailing transaction marker per partition (3 articles + 3 issues partitions).
lag_settled() { [ "$(metric "$archive_metrics" syndicate_consumer_lag)" -le 6 ]; }
wait_for "archive consumer lag gauge at most the transaction markers" 20 lag_settled
expect "archive /readyz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$archive_metrics/readyz")"

set +e
syn replay --group "$id-archive" --topic "$id.articles" --issue cjrb-20240127 --execute >"$work/refused.out" 2>"$work/refused.err"
rc=$?
set -e
expect "replay --execute exit status while a member is active" 1 "$rc"
grep -q "refusing to rewind group $id-archive: it has 1 active member" "$work/refused.err" || fail "refusal message: $(cat "$work/refused.err")"
syn replay --group "$id-archive" --topic "$id.articles" --issue cjrb-20240127 --json >"$work/plan.json"
stop "$archive"
syn replay --group "$id-archive" --topic "$id.articles" --issue cjrb-20240127 --execute --json >"$work/replayed.json" ||
  fail "replay --issue --execute after the consumer stopped"
# The group's committed offset sits on the issue's commit marker: 5 offsets back to its first record.
expect "replay --issue offsets redelivered (the issue's 5 articles)" 5 \
  "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["totalRedelivered"])' "$work/replayed.json")"
start archive "$syndicate" consume archive --metrics-listen "127.0.0.1:$archive_metrics" --config "$cfg"
archive=$last
wait_for "archive consumer serving" 20 curl -sf -o /dev/null "http://127.0.0.1:$archive_metrics/healthz"
wait_for "archive group caught up after replay" 60 caught_up "$id-archive"
sleep 1  # one more batch would show up here if more than the issue were redelivered
expect "records the archive read again after replay --issue" 5 \
  "$(metric "$archive_metrics" 'syndicate_records_consumed_total{sink="archive"}')"
expect "revisions of a replayed article" 1 \
  "$(syn archive get cjrb-20240127-01-03 --format json | grep -o '"revisionCount": *[0-9]*' | grep -o '[0-9]*$')"
stop "$archive"

# ---------------------------------------------------------------------------------------------
# (a) sink outage while records flow, then replay --to-datetime: everything exactly once.
start wechat "$wechat" --port "$wport" --app "wxops0000000001:s3cret"
wait_for "WeChat test server" 20 curl -sf -o /dev/null "http://127.0.0.1:$wport/__state"
start feed "$syndicate" consume feed --state "$work/feed.db" --metrics-listen "127.0.0.1:$feed_metrics" --config "$cfg"
feed=$last
wait_for "feed pushed the two earlier issues" 90 sh -c "[ \"\$(curl -sf http://127.0.0.1:$wport/__state | grep -o '\"media_id\"' | wc -l)\" -ge 2 ]"
wait_for "feed group caught up" 60 caught_up "$id-feed"
expect "drafts before the outage" 2 "$(drafts)"
sleep 1.2
outage_start=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
curl -sf -XPOST "http://127.0.0.1:$wport/__control" -d '{"fail_next": 100000, "path": "draft/add", "errcode": -1}' >/dev/null
publish 2024-01-30
wait_for "outage records dead-lettered" 90 sh -c "[ \"\$($syndicate dlq list --config $cfg --group $id-feed --json | grep -o '\"RETRIES_EXHAUSTED\"' | wc -l)\" -ge 5 ]"
wait_for "feed group caught up (past the dead letters)" 60 caught_up "$id-feed"
expect "feed dead letters after the outage" 5 "$(dead_letters --group "$id-feed" --reason RETRIES_EXHAUSTED)"
expect "feed records consumed (15 articles)" 15 "$(metric "$feed_metrics" 'syndicate_records_consumed_total{sink="feed"}')"
expect "feed records dead-lettered" 5 "$(metric "$feed_metrics" 'syndicate_records_dead_lettered_total{sink="feed"}')"
[ "$(metric "$feed_metrics" 'syndicate_sink_retries_total{sink="feed"}')" -ge 1 ] || fail "feed retries did not move"
expect "drafts during the outage" 2 "$(drafts)"

# The API is back. Rewind the feed group to the start of the outage (refused while it runs).
curl -sf -XPOST "http://127.0.0.1:$wport/__control" -d '{"clear_faults": true}' >/dev/null
set +e
syn replay --group "$id-feed" --topic "$id.articles" --to-datetime "$outage_start" --execute >/dev/null 2>"$work/refused.err"
rc=$?
set -e
expect "replay --to-datetime --execute exit status while the feed runs" 1 "$rc"
stop "$feed"
syn replay --group "$id-feed" --topic "$id.articles" --to-datetime "$outage_start" --execute --json >"$work/replayed.json" ||
  fail "replay --to-datetime --execute"
# Partitions without records since then only skip their trailing marker (redelivered -1).
expect "offsets redelivered by replay --to-datetime (the 5 articles of the outage)" 5 \
  "$(python3 -c 'import json,sys; print(sum(max(0, p["redelivered"] or 0) for p in json.load(open(sys.argv[1]))["partitions"]))' "$work/replayed.json")"
syn consume feed --state "$work/feed.db" --until-caught-up >"$work/feed-replay.log" 2>&1 || fail "consume feed after replay"
expect "drafts after replay (3 issues, each once)" 3 "$(drafts)"
expect "articles in drafts, each once" "15 15" "$(draft_articles | wc -l) $(draft_articles | sort -u | wc -l)"
expect "ledger: pushed articles" 15 "$(ledger 'SELECT count(*) FROM pushed')"
expect "ledger: drafts" 3 "$(ledger 'SELECT count(*) FROM drafts')"
# A second replay of the same window is a no-op for the sink.
syn replay --group "$id-feed" --topic "$id.articles" --to-datetime "$outage_start" --execute >/dev/null
syn consume feed --state "$work/feed.db" --until-caught-up >"$work/feed-replay.log" 2>&1 || fail "consume feed after 2nd replay"
expect "drafts after a second replay" 3 "$(drafts)"

# ---------------------------------------------------------------------------------------------
# (d) DLQ redrive after fixing the cause.
curl -sf -XPOST "http://127.0.0.1:$wport/__control" -d '{"fail_next": 1, "path": "draft/add", "errcode": 40164}' >/dev/null
publish 2024-01-31
syn consume feed --state "$work/feed.db" --until-caught-up >"$work/feed-d.log" 2>&1 || fail "consume feed (rejected)"
expect "SINK_REJECTED dead letters (40164, IP not whitelisted)" 5 "$(dead_letters --group "$id-feed" --reason SINK_REJECTED)"
expect "drafts while rejected" 3 "$(drafts)"
curl -sf -XPOST "http://127.0.0.1:$wport/__control" -d '{"clear_faults": true}' >/dev/null   # the cause, fixed
syn dlq redrive --group "$id-feed" --reason SINK_REJECTED --execute --json >"$work/redrive.json"
expect "dead letters redriven" 5 "$(json_field "$work/redrive.json" redriven)"
# The DLQ is empty: no pending SINK_REJECTED letter of the group; --all still has them, redriven.
expect "pending SINK_REJECTED dead letters after the redrive (the DLQ is empty)" 0 \
  "$(dead_letters --group "$id-feed" --reason SINK_REJECTED)"
expect "SINK_REJECTED dead letters with --all: listed, redriven" "5 5" \
  "$(dead_letter_states --group "$id-feed" --reason SINK_REJECTED)"
syn consume feed --state "$work/feed.db" --until-caught-up >"$work/feed-d.log" 2>&1 || fail "consume feed (redriven)"
expect "drafts after redrive (the rejected issue, once)" 4 "$(drafts)"
# A second redrive sends nothing: every selected letter is already redriven.
syn dlq redrive --group "$id-feed" --reason SINK_REJECTED --execute --json >"$work/redrive2.json"
expect "second redrive: redriven, skipped" "0 5" \
  "$(json_field "$work/redrive2.json" redriven) $(json_field "$work/redrive2.json" skipped)"
# --again sends them again: safe to repeat, the sink is idempotent.
syn dlq redrive --group "$id-feed" --reason SINK_REJECTED --again --execute --json >"$work/redrive3.json"
expect "redrive --again: redriven" 5 "$(json_field "$work/redrive3.json" redriven)"
syn consume feed --state "$work/feed.db" --until-caught-up >"$work/feed-d.log" 2>&1 || fail "consume feed (redriven twice)"
expect "drafts after a second redrive" 4 "$(drafts)"
expect "articles in drafts, each once" "20 20" "$(draft_articles | wc -l) $(draft_articles | sort -u | wc -l)"
expect "ledger: pushed articles" 20 "$(ledger 'SELECT count(*) FROM pushed')"
# Pending: only the 5 RETRIES_EXHAUSTED letters of (a) (recovered by replay, not redrive).
expect "feed group dead letters (nothing new after the redrives): pending, all, redriven" "5 10 5" \
  "$(dead_letters --group "$id-feed") $(dead_letter_states --group "$id-feed")"
expect "redriven records on the articles topic (redrive + --again, 5 each)" 10 \
  "$(count_matching "$id.articles" '%h\n' redriven-from)"
expect "feed group lag after the redrives" 0 "$(caught_up "$id-feed" && echo 0 || echo 1)"

# ---------------------------------------------------------------------------------------------
# (e) the trigger's /metrics: valid, and moving with a publication.
start trigger "$syndicate" serve trigger --metrics-listen "127.0.0.1:$trigger_metrics" --config "$cfg"
trigger=$last
wait_for "trigger metrics" 20 curl -sf -o /dev/null "http://127.0.0.1:$trigger_metrics/metrics"
# /readyz says 503 until the trigger's publisher is up (it binds before it touches Kafka).
wait_for "trigger /readyz 200" 30 curl -sf -o /dev/null "http://127.0.0.1:$trigger_metrics/readyz"
expect "trigger: issues published before a POST" 0 "$(metric "$trigger_metrics" 'syndicate_trigger_issues_total{result="published"}')"
code=$(curl -s -o "$work/body" -w '%{http_code}' -X POST -H 'Authorization: Bearer tok3n' --data-binary @"$fixture" \
  "http://127.0.0.1:$trigger_port/v1/issues?date=2024-02-01")
expect "POST of an issue" 202 "$code"
curl -s -o /dev/null -X POST -H 'Authorization: Bearer wrong' --data-binary @"$fixture" "http://127.0.0.1:$trigger_port/v1/issues"
wait_for "trigger published" 60 sh -c "curl -sf http://127.0.0.1:$trigger_metrics/metrics | grep -q '^syndicate_trigger_issues_total{via=\"http\",result=\"published\"} 1$'"
read -r ok202 no401 published articles latency <<<"$(metric "$trigger_metrics" \
  'syndicate_trigger_requests_total{route="/v1/issues",code="202"}' 'syndicate_trigger_requests_total{code="401"}' \
  'syndicate_trigger_issues_total{via="http",result="published"}' syndicate_articles_produced_total syndicate_publish_seconds_count | tr '\n' ' ')"
expect "trigger: 202 responses" 1 "$ok202"
expect "trigger: 401 responses" 1 "$no401"
expect "trigger: issues published" 1 "$published"
expect "trigger: articles produced" 5 "$articles"
expect "trigger: publish latency observations" 1 "$latency"
stop "$trigger"
echo "ops_flow: ok"
