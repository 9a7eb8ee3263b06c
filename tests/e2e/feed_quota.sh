#!/usr/bin/env bash
# WeChat accounts through a real day (issue 17), end to end on the real broker against the local
# WeChat API (syndicate-wechat-testserver, which decodes the covers and keeps daily quotas per
# API), with `consume feed` running as its own process:
#   1. a daily quota of 1 freepublish/submit for one account: nothing is dead-lettered, submit is
#      not called again after the first refusal, the other account keeps flowing; `feed status`
#      and /metrics show the pause and the resume time; after `feed quota reset --execute` each
#      waiting draft is submitted exactly once;
#   2. the cover deleted from the material library: uploaded again once, nothing dead-lettered;
#   3. the drafts as received: multi-article drafts without a digest, no link outside WeChat,
#      the cover a real JPEG.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-wechat-testserver.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=fq$(date +%s)$$
cfg=$work/syndication.yaml
api_pid='' consumer_pid=''
cleanup() {
  [ -z "$consumer_pid" ] || kill -9 "$consumer_pid" 2>/dev/null || true
  [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${FEED_E2E_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
source "$src/tests/e2e/feed_lib.sh"

QA=wxfeedquotaaaa0001 QB=wxfeedquotabbb0001
export FEED_Q_A_SECRET=a-secret FEED_Q_B_SECRET=b-secret

start_wechat_api "$wechat" "$work/wechat.log" --app "$QA:a-secret" --app "$QB:b-secret"

# A real cover: a JPEG the test server decodes (libjpeg-turbo).
"$wechat" --write-jpeg "$work/cover.jpg" --width 360 --height 200 || fail "writing the cover"
[ "$(head -c 3 "$work/cover.jpg" | od -An -tx1 | tr -d ' ')" = ffd8ff ] || fail "the cover is not a JPEG"

# Drafts of 2 articles, so the fixture's 5 articles make 3 drafts per account.
write_config "$cfg" "$id" \
  "  retry: {initial_backoff_ms: 100, max_backoff_ms: 400, multiplier: 2.0, max_attempts: 5, jitter: 0.2}" <<YAML
feed:
  api_base_url: $api
  request_timeout_ms: 3000
  max_articles_per_draft: 2
  retry: {initial_backoff_ms: 50, max_backoff_ms: 200, multiplier: 2.0, max_attempts: 3, jitter: 0.2}
  server: {listen: 127.0.0.1:0, public_base_url: http://feeds.example}
  accounts:
    - {name: qa, app_id: $QA, app_secret_env: FEED_Q_A_SECRET, language: zh-Hans, cover_image: $work/cover.jpg, rules: {}}
    - {name: qb, app_id: $QB, app_secret_env: FEED_Q_B_SECRET, language: zh-Hans, cover_image: $work/cover.jpg, rules: {}}
YAML

control() { curl -sf -XPOST "$api/__control" -d "$1" >/dev/null || fail "control $1"; }
q() {
  curl -sf "$api/__state?full=1" | python3 -c '
import json, sys
s = json.load(sys.stdin)
def drafts(app): return [d for d in s["drafts"] if d["app_id"] == app]
def published(app): return sum(1 for d in drafts(app) if d["published"])
def quota(app, api, what):
    return sum(x[what] for x in s["quotas"] if x["app_id"] == app and x["api"] == api)
print('"$1"')'
}
wait_for() {
  local deadline=$((SECONDS + ${3:-60}))
  until [ "$(q "$2")" = True ]; do
    [ $SECONDS -lt $deadline ] || { tail -n 20 "$work"/consumer.log >&2 || true; fail "timed out waiting for $1"; }
    sleep 0.3
  done
}
publish() { "$syndicate" publish --config "$cfg" "$@" >/dev/null 2>&1 || fail "publish $*"; }
"$syndicate" topics create --config "$cfg" >/dev/null

# 1. One freepublish/submit a day for account qa.
control "{\"quota\": {\"app_id\": \"$QA\", \"api\": \"freepublish/submit\", \"daily_limit\": 1}}"
publish "$fixture"
"$syndicate" consume feed --config "$cfg" --state "$work/feed-state.db" --metrics-listen 127.0.0.1:0 \
  >"$work/consumer.log" 2>&1 &
consumer_pid=$!
wait_for "qb's drafts (the other account flows)" "published('$QB') == 3"
wait_for "qa's drafts added" "len(drafts('$QA')) == 3"
wait_for "qa's submit refused once" "quota('$QA', 'freepublish/submit', 'refused') == 1"
sleep 3  # the consumer's tick runs every second: give it the chance to call submit again
expect "qa: submits accepted" 1 "$(q "quota('$QA', 'freepublish/submit', 'used')")"
expect "qa: submits refused (not called again after the first refusal)" 1 \
  "$(q "quota('$QA', 'freepublish/submit', 'refused')")"
expect "qa: drafts published" 1 "$(q "published('$QA')")"
expect "dead letters while paused" 0 "$(count_committed "$id.dlq")"
kill -0 "$consumer_pid" || fail "the consumer died"
metrics_url=$(grep -o 'http://127.0.0.1:[0-9]*/metrics' "$work/consumer.log" | head -1)
metrics=$(curl -sf "$metrics_url") || fail "GET $metrics_url"
expect "metric: qa paused" 1 "$(sed -n 's/^syndicate_feed_quota_paused{account="qa"} //p' <<<"$metrics")"
expect "metric: qb not paused" 0 "$(sed -n 's/^syndicate_feed_quota_paused{account="qb"} //p' <<<"$metrics")"
resume=$(sed -n 's/^syndicate_feed_quota_resume_time_seconds{account="qa"} //p' <<<"$metrics")
expect "metric: qa resumes within a day" True "$(python3 -c "import time; print(0 < $resume - time.time() <= 86400)")"
status=$("$syndicate" feed status --config "$cfg" --state "$work/feed-state.db" --json) || fail "feed status"
expect "feed status: qa paused API" freepublish/submit \
  "$(python3 -c 'import json,sys; a=json.load(sys.stdin)["accounts"][0]; print(a["paused"][0]["api"])' <<<"$status")"
expect "feed status: qa drafts waiting" 2 \
  "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["drafts_waiting"])' <<<"$status")"
expect "feed status: qa submit quota left" 0 \
  "$(python3 -c 'import json,sys; print(json.load(sys.stdin)["accounts"][0]["quota"]["freepublish/submit"]["remain"])' <<<"$status")"
"$syndicate" feed status --config "$cfg" --state "$work/feed-state.db" | grep -q '^qa .*PAUSED freepublish/submit until' ||
  fail "feed status does not show qa paused"
# A dry run changes nothing; --execute calls clear_quota and resumes. (The test server's quota is
# raised to 3 first: with 1 a day, clear_quota would let only one of the two waiting drafts go.)
control "{\"quota\": {\"app_id\": \"$QA\", \"api\": \"freepublish/submit\", \"daily_limit\": 3}}"
"$syndicate" feed quota reset qa --config "$cfg" --state "$work/feed-state.db" | grep -q '^dry run' || fail "dry run"
expect "clear_quota calls after the dry run" 0 "$(q "s['clear_quota'].get('$QA', 0)")"
"$syndicate" feed quota reset qa --config "$cfg" --state "$work/feed-state.db" --execute >/dev/null ||
  fail "feed quota reset"
wait_for "qa's waiting drafts submitted" "published('$QA') == 3"
sleep 2
expect "qa: submits after the reset (each waiting draft once)" 2 "$(q "quota('$QA', 'freepublish/submit', 'used')")"
expect "qa: publications in all" 3 "$(q "sum(1 for p in s['publishes'] if p['app_id'] == '$QA')")"
expect "qa: drafts (none added twice)" 3 "$(q "len(drafts('$QA'))")"
expect "operator action logged" 1 "$(sqlite3 "$work/feed-state.db" "SELECT count(*) FROM operator_actions WHERE action = 'quota reset' AND account = 'qa'")"

# 2. The cover is deleted from qa's material library; a correction makes a new draft (qa's
# submit quota lifted first, so that only the cover is in the way).
control "{\"quota\": {\"app_id\": \"$QA\", \"api\": \"freepublish/submit\", \"daily_limit\": 0}}"
media=$(q "[m['media_id'] for m in s['materials'] if m['app_id'] == '$QA'][0]")
control "{\"delete_material\": \"$media\"}"
uploads_before=$(q "s['calls'].get('/cgi-bin/material/add_material', 0)")
sed 's/两地群众来往将更加便利。/两地群众往来将更加便利。/' "$fixture" >"$work/correction.txt"
publish "$work/correction.txt"
wait_for "the correction's drafts" "len(drafts('$QA')) == 4 and len(drafts('$QB')) == 4 and published('$QA') == 4" 60
expect "covers uploaded again (qa only, once)" 1 "$(q "s['calls'].get('/cgi-bin/material/add_material', 0) - $uploads_before")"
expect "dead letters after the deleted cover" 0 "$(count_committed "$id.dlq")"
kill -TERM "$consumer_pid"
wait "$consumer_pid" || fail "consume feed exited with $?"
consumer_pid=''

# 3. The drafts as WeChat received them.
expect "multi-article drafts with a digest" 0 \
  "$(q "sum(1 for d in s['drafts'] if len(d['articles']) > 1 for a in d['articles'] if a.get('digest'))")"
expect "digests the server had to drop" 0 "$(q "sum(d['digests_dropped'] for d in s['drafts'])")"
expect "links outside WeChat the server had to remove" 0 "$(q "sum(d['external_links_removed'] for d in s['drafts'])")"
expect "content with a non-WeChat link" 0 \
  "$(q "sum(1 for d in s['drafts'] for a in d['articles'] if 'href=' in a['content'])")"
expect "covers decoded as 360x200 JPEGs" True \
  "$(q "all(m['width'] == 360 and m['height'] == 200 for m in s['materials'])")"
echo "feed_quota: ok"
