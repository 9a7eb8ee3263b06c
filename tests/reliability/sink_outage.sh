#!/usr/bin/env bash
# Scenario 3: sinks failing for a while — the WeChat API answering 5xx, then per-minute rate-limit
# errors (45011), then hanging past the request timeout; PostgreSQL stopped under the archive;
# the machine-translation server hanging under the translator. During each outage (6 s) the
# consumer's CPU time is measured (no busy spin: under 1 s of CPU); after recovery the backlog
# drains, the group's lag returns to zero, nothing is lost or dead-lettered.
# $1 is the syndicate binary; uses the test broker and a PostgreSQL of its own.
set -euo pipefail
syndicate=$1
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/lib.sh"
outage=${SYN_REL_OUTAGE_SECONDS:-6}
max_cpu=${SYN_REL_MAX_OUTAGE_CPU:-1.0}
wechat_port=$(free_port)
mt_port=$(free_port)
pg_port=$(free_port)
id=out$(date +%s)$$
cfg=$work/syndication.yaml
start_wechat "$wechat_port"
"$mt_server" --port "$mt_port" >"$work/mt.log" 2>&1 &
pids_to_stop+=($!)
chmod 755 "$work"  # the postgres user must reach $work/pg
pg_conninfo=$(bash "$src/consumers/archive/tests/pg.sh" start "$work/pg" "$pg_port" 2>"$work/pg.log") || fail "PostgreSQL: $(cat "$work/pg.log")"
pg_stop() { bash "$src/consumers/archive/tests/pg.sh" stop "$work/pg" >/dev/null 2>&1 || true; }
trap 'pg_stop; rel_cleanup' EXIT
export SYN_REL_PG=$pg_conninfo
rel_config "$cfg" "$id" "$wechat_port"
cat >>"$cfg" <<YAML
translation:
  targets:
    - {language: en, engine: http, url: "http://127.0.0.1:$mt_port/translate", request_timeout_ms: 1000}
  job_deadline_ms: 600000
YAML
# The archive on PostgreSQL; retries of the translator outlast the outage.
sed -i "s|^  sqlite: {path: .*}|  backend: postgres\n  postgres: {conninfo_env: SYN_REL_PG}|; s|max_attempts: 5}|max_attempts: 1000}|" "$cfg"
"$syndicate" config check --config "$cfg" >/dev/null || fail "config: $("$syndicate" config check --config "$cfg" 2>&1)"
"$syndicate" topics create --config "$cfg" >/dev/null
published=0
publish_issues() { # COUNT
  python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/batch" "$1" --start "$published" >/dev/null
  "$syndicate" publish --config "$cfg" "$work"/batch/*.txt >/dev/null 2>>"$work/publish.log" || fail "publish"
  rm -rf "$work/batch"; published=$((published + $1))
}
# outage NAME PIDVAR START_CMD STOP_CMD HITS_FN: START_CMD switches the fault on and then gives
# the consumer work (so the work cannot slip through before the fault); waits (30 s at most)
# until HITS_FN, a counter of the fault's own (the fake server's, or the consumer's failed
# writes), has grown: the consumer met the fault; $outage seconds, CPU of the process whose pid
# is in $PIDVAR over them; fault off; the fault's hits.
outage() {
  local name=$1 pidvar=$2 hits_fn=$5 before after cpu hits0 hits pid
  hits0=$($hits_fn)
  eval "$3"
  pid=${!pidvar}
  met() { [ "$($hits_fn)" -gt "$hits0" ]; }
  wait_until "$name: the consumer met the fault" 30 met
  before=$(cpu_seconds "$pid"); sleep "$outage"; after=$(cpu_seconds "$pid")
  hits=$(($($hits_fn) - hits0))  # before the fault is switched off (the MT server's reset zeroes it)
  eval "$4"
  cpu=$(python3 -c "print(f'{$after - $before:.2f}')")
  echo "$name: fault hit $hits times; ${cpu}s CPU during a ${outage}s outage"
  [ "$hits" -gt 0 ] || fail "$name: the fault was never hit"
  python3 -c "import sys; sys.exit(0 if $cpu < $max_cpu else 1)" || fail "$name: consumer used ${cpu}s CPU in ${outage}s (busy spin?)"
}
pg_count() {
  local out
  out=$(psql "$pg_conninfo" -Atc 'SELECT count(*) FROM article_revisions' 2>"$work/.psql.err") ||
    tool_fail "psql: $(cat "$work/.psql.err")"
  echo "$out"
}
# Fault counters: the WeChat test server's injected faults, the archive consumer's failed writes
# (the runner logs each), the MT test server's injected faults.
wechat_hits() { wechat_faults_injected "$wechat_port"; }
archive_write_failures() { awk '/write failed/ {n++} END {print n + 0}' "$work/archive.log"; }
mt_hits() {
  local state
  state=$(curl -sf -m 10 "http://127.0.0.1:$mt_port/__state") || tool_fail "GET /__state of the MT test server"
  printf '%s' "$state" | python3 -c 'import json, sys; print(json.load(sys.stdin)["injected"])'
}
wechat_count() { wechat_articles "$wechat_port"; }
translated_count() { count_committed "$id.translated"; }

# --- WeChat: 5xx, rate limit, timeouts.
"$syndicate" consume feed --config "$cfg" --metrics-listen "" --state "$work/feed.db" >"$work/feed.log" 2>&1 &
feed=$!; pids_to_stop+=("$feed")
for fault in '{"fail_next": 1000000, "http_status": 503}' \
             '{"fail_next": 1000000, "path": "draft/add", "errcode": 45011}' \
             '{"fail_next": 1000000, "hang_ms": 3000}'; do
  outage "WeChat $fault" feed "wechat_control $wechat_port '$fault'; publish_issues 4" \
    "wechat_control $wechat_port '{\"clear_faults\": true}'" wechat_hits
  wait_for "WeChat articles" $((published * 5)) 60 wechat_count
  expect "scenario 3 WeChat articles after $fault" $((published * 5)) "$(wechat_count)"
done
wait_for "feed lag" 1 30 lag_caught_up "$id-feed"
expect "scenario 3 feed group caught up (lag 0)" 1 "$(lag_caught_up "$id-feed")"
expect_once "scenario 3 WeChat draft articles" $((published * 5)) "$(wechat_articles "$wechat_port")" \
  "$(wechat_articles "$wechat_port" distinct)"

# --- PostgreSQL stopped under the archive.
"$syndicate" consume archive --config "$cfg" --metrics-listen "" >"$work/archive.log" 2>&1 &
archive=$!; pids_to_stop+=("$archive")
# A condition, not a count: the consumer has created its schema (counting before would fail).
pg_has_schema() { [ "$(psql "$pg_conninfo" -Atc "SELECT to_regclass('article_revisions') IS NOT NULL" 2>/dev/null)" = t ]; }
wait_until "the archive's schema in PostgreSQL" 60 pg_has_schema
wait_for "archive rows" $((published * 5)) 60 pg_count
outage "PostgreSQL stopped" archive "pg_stop; publish_issues 4" \
  "bash '$src/consumers/archive/tests/pg.sh' start '$work/pg' '$pg_port' >/dev/null 2>&1" archive_write_failures
wait_for "archive rows" $((published * 5)) 60 pg_count
expect "scenario 3 archive revisions after PostgreSQL came back" $((published * 5)) "$(pg_count)"
wait_for "archive lag" 1 30 lag_caught_up "$id-archive"
expect "scenario 3 archive group caught up (lag 0)" 1 "$(lag_caught_up "$id-archive")"

# --- The MT server hanging under the translator.
"$syndicate" consume translation --config "$cfg" --until-idle >"$work/translation.log" 2>&1
start_translator() {
  "$syndicate" translate --config "$cfg" --done-store "$work/done.db" --metrics-listen "" >"$work/translator.log" 2>&1 &
  translator=$!; pids_to_stop+=("$translator")
}
outage "MT server hanging" translator \
  "curl -sf -XPOST http://127.0.0.1:$mt_port/__control -d '{\"fail_next\": 1000000, \"hang_ms\": 5000, \"status\": 200}' >/dev/null; start_translator" \
  "curl -sf -XPOST http://127.0.0.1:$mt_port/__control -d '{\"reset\": true}' >/dev/null" mt_hits
wait_for "translated articles" $((published * 5)) 90 translated_count
expect_topic_once "scenario 3 translated articles after the MT server recovered" $((published * 5)) "$id.translated"
wait_for "translator lag" 1 30 lag_caught_up "$id-translator"
expect "scenario 3 translator group caught up (lag 0)" 1 "$(lag_caught_up "$id-translator")"
expect "scenario 3 dead letters" 0 "$(count_dlq "$id.dlq")"
echo "sink_outage: ok"
