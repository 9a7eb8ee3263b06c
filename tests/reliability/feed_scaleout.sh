#!/usr/bin/env bash
# Issue 20 item 3: `consume feed` scales out on a PostgreSQL feed state. Three instances in one
# group share the state (--state-backend postgres) while issues are published; one is killed
# (SIGKILL) and another stopped (SIGTERM) mid-load, and both come back, so partitions move
# between instances several times. Every article must be drafted on the WeChat test server
# exactly once: counted raw and distinct from the server's own records (/__state). Then two
# `serve feeds` instances on the same database must serve the same feed and article pages.
# $1 is the syndicate binary; needs SYN_TEST_BOOTSTRAP and SYN_TEST_PG_CONNINFO (scripts/test.sh).
set -euo pipefail
syndicate=$(realpath "$1")
work=$(mktemp -d)
src=$(cd "$(dirname "$0")/../.." && pwd)
source "$src/tests/reliability/lib.sh"
: "${SYN_TEST_PG_CONNINFO:?SYN_TEST_PG_CONNINFO must point at the test PostgreSQL (scripts/test.sh sets it)}"
issues=${SYN_REL_ISSUES:-30}
articles=$((issues * 5))
wechat_port=$(free_port)
id=fs$(date +%s)$$
cfg=$work/syndication.yaml
started=$(date +%s)

psql "$SYN_TEST_PG_CONNINFO" -qc "CREATE DATABASE $id" || fail "cannot create database $id"
drop_db() { psql "$SYN_TEST_PG_CONNINFO" -qc "DROP DATABASE IF EXISTS $id WITH (FORCE)" >/dev/null 2>&1 || true; }
show_logs() { for f in "$work"/*.log; do [ -s "$f" ] && { echo "--- $(basename "$f")"; tail -5 "$f"; }; done; }
trap 'rc=$?; [ $rc = 0 ] || show_logs; drop_db; rel_cleanup' EXIT
export SYN_REL_FEED_PG="$SYN_TEST_PG_CONNINFO dbname=$id"
rel_config "$cfg" "$id" "$wechat_port"
start_wechat "$wechat_port"
"$syndicate" config check "$cfg" >/dev/null || fail "config check"
"$syndicate" topics create --config "$cfg" >/dev/null
python3 "$src/tests/reliability/gen_issues.py" "$fixture" "$work/issues" "$issues" >/dev/null
ls "$work/issues" >"$work/issue-list"
split -n "l/6" "$work/issue-list" "$work/chunk."

state_flags=(--state-backend postgres --state-pg-env SYN_REL_FEED_PG)
declare -A pid
start() { # NAME (a log of its own per start)
  "$syndicate" consume feed --config "$cfg" --metrics-listen "" "${state_flags[@]}" >"$work/$1.out" 2>"$work/$1.log" &
  pid[$1]=$!
  pids_to_stop+=($!)
}
has_partitions() { grep -q 'assigned [1-9][0-9]* partition' "$work/$1.log" && echo yes || echo no; }

for n in a b c; do start "feed-$n"; done
# The load: six runs of `syndicate publish`, one transaction per issue, spread over the restarts.
(
  for c in "$work"/chunk.*; do
    (cd "$work/issues" && xargs "$syndicate" publish --config "$cfg" <"$c") >>"$work/publish.out" 2>>"$work/publish.log" ||
      { echo "publish failed" >>"$work/publish.log"; exit 1; }
    sleep 1
  done
) &
publisher=$!
pids_to_stop+=($publisher)

drafted() { wechat_articles "$wechat_port"; }
at_least() { [ "$(drafted)" -ge "$1" ] && echo ok || echo no; }
for n in a b c; do wait_for "feed-$n holding partitions" yes 30 has_partitions "feed-$n"; done
wait_for "articles drafted before the first kill" ok 60 at_least $((articles / 6))
# SIGKILL: its partitions move once the session times out (6 s); a batch it was pushing is
# looked up (the ambiguous-draft record, in the shared state) rather than added again.
kill -9 "${pid[feed-b]}"
wait "${pid[feed-b]}" 2>/dev/null || true
echo "feed-b killed (SIGKILL) at $(drafted) drafted articles"
wait_for "articles drafted after the kill" ok 60 at_least $((articles / 3))
kill -TERM "${pid[feed-c]}"
rc=0; wait "${pid[feed-c]}" || rc=$?
expect "exit status of feed-c after SIGTERM" 0 "$rc"
echo "feed-c stopped (SIGTERM) at $(drafted) drafted articles"
# Both come back (new logs): partitions move once more.
start feed-b2
start feed-c2
for n in b2 c2; do wait_for "feed-$n holding partitions" yes 30 has_partitions "feed-$n"; done
rc=0; wait "$publisher" || rc=$?
[ "$rc" = 0 ] || tail -5 "$work/publish.log"
expect "exit status of the publisher" 0 "$rc"

wait_for "WeChat draft articles" "$articles" 90 drafted
wait_for "feed group caught up (lag 0)" 1 60 lag_caught_up "$id-feed"
for n in a b2 c2; do kill -TERM "${pid[feed-$n]}"; done
for n in a b2 c2; do rc=0; wait "${pid[feed-$n]}" || rc=$?; expect "exit status of feed-$n after SIGTERM" 0 "$rc"; done

expect_once "feed scale-out: WeChat draft articles (3 instances, PostgreSQL state)" "$articles" \
  "$(wechat_articles "$wechat_port")" "$(wechat_articles "$wechat_port" distinct)"
ledger=$(psql "$SYN_REL_FEED_PG" -tAc "SELECT count(*) FROM feed.pushed") || tool_fail "psql: count pushed"
expect "feed scale-out: ledger rows (pushed)" "$articles" "$ledger"
expect "feed scale-out: dead letters" 0 "$(count_dlq "$id.dlq")"

# Two `serve feeds` instances on the same database serve the same pages.
ports=$(free_port 2)
for i in 0 1; do
  "$syndicate" serve feeds --config "$cfg" "${state_flags[@]}" --listen "127.0.0.1:$((ports + i))" \
    >"$work/serve-$i.out" 2>"$work/serve-$i.log" &
  pids_to_stop+=($!)
done
for i in 0 1; do
  wait_until "serve feeds $i answering" 30 curl -sf -o /dev/null "http://127.0.0.1:$((ports + i))/feeds/rel.json"
done
first=$(curl -sf "http://127.0.0.1:$ports/feeds/rel.json") || tool_fail "GET feed 0"
second=$(curl -sf "http://127.0.0.1:$((ports + 1))/feeds/rel.json") || tool_fail "GET feed 1"
items=$(printf '%s' "$first" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))') ||
  tool_fail "bad JSON Feed"
expect "serve feeds: items in the JSON Feed (newest 50)" 50 "$items"
expect "serve feeds: both instances serve the same feed" "$(printf '%s' "$first" | sha256sum)" \
  "$(printf '%s' "$second" | sha256sum)"
article=$(printf '%s' "$first" |
  python3 -c 'import json,sys,urllib.parse; print(urllib.parse.urlparse(json.load(sys.stdin)["items"][0]["url"]).path)')
page0=$(curl -sf "http://127.0.0.1:$ports$article") || tool_fail "GET $article from instance 0"
page1=$(curl -sf "http://127.0.0.1:$((ports + 1))$article") || tool_fail "GET $article from instance 1"
expect "serve feeds: both instances serve the same article page" "$(printf '%s' "$page0" | sha256sum)" \
  "$(printf '%s' "$page1" | sha256sum)"
echo "feed scale-out: ok ($issues issues, $articles articles, $(($(date +%s) - started)) s)"
