#!/usr/bin/env bash
# The publish result end to end: the fixture is published on the real broker, `consume feed`
# pushes it to the local WeChat API (syndicate-wechat-testserver) for two accounts and submits the
# drafts; for each freepublish/submit the WeChat server pushes a signed PUBLISHJOBFINISH event to
# the running `serve feeds` (/wechat/callback/<account>), with publish_status 0 for one AppID and
# 4 (rejected by platform review) for the other. Checked: the ledger (status.json) shows every
# draft of the first account `published` with its article_id and every draft of the second
# `rejected`, logged as a warning; the URL verification GET echoes echostr; a wrong signature is
# 403, malformed XML 400, an unknown account 404.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-wechat-testserver.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=fcb$(date +%s)$$
cfg=$work/syndication.yaml
api_pid='' server_pid=''
cleanup() {
  [ -z "$server_pid" ] || kill "$server_pid" 2>/dev/null || true
  [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${FEED_E2E_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
source "$src/tests/e2e/feed_lib.sh"

OK=wxfeedcbok00000001 BAD=wxfeedcbbad0000001
export FEED_CB_OK_SECRET=ok-secret FEED_CB_BAD_SECRET=bad-secret
export FEED_CB_OK_TOKEN=tok-ok-$id FEED_CB_BAD_TOKEN=tok-bad-$id

start_wechat_api "$wechat" "$work/wechat.log" --app "$OK:ok-secret" --app "$BAD:bad-secret"

"$wechat" --write-jpeg "$work/cover.jpg" || fail "writing the cover"
write_config "$cfg" "$id" <<YAML
feed:
  api_base_url: $api
  request_timeout_ms: 3000
  server: {listen: 127.0.0.1:0, public_base_url: http://feeds.example}
  accounts:
    - {name: ok, app_id: $OK, app_secret_env: FEED_CB_OK_SECRET, callback_token_env: FEED_CB_OK_TOKEN,
       language: zh-Hans, cover_image: $work/cover.jpg, rules: {}}
    - {name: bad, app_id: $BAD, app_secret_env: FEED_CB_BAD_SECRET, callback_token_env: FEED_CB_BAD_TOKEN,
       language: zh-Hans, cover_image: $work/cover.jpg, rules: {}}
YAML

# serve feeds first: the WeChat server pushes to it while the consumer submits.
start_serve_feeds "$syndicate" "$cfg" "$work/state.db" "$work/server.log"

sig() { printf '%s\n' "$@" | LC_ALL=C sort | tr -d '\n' | sha1sum | cut -d' ' -f1; }
# The URL verification WeChat does when the push URL is configured.
ts=$(date +%s)
expect "GET verification echoes echostr" 4711 \
  "$(curl -s "$base/wechat/callback/ok?signature=$(sig "$FEED_CB_OK_TOKEN" "$ts" 42)&timestamp=$ts&nonce=42&echostr=4711")"
expect "GET with a wrong signature: HTTP" 403 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$base/wechat/callback/ok?signature=$(sig wrong "$ts" 42)&timestamp=$ts&nonce=42&echostr=1")"
expect "POST malformed XML: HTTP" 400 \
  "$(curl -s -o /dev/null -w '%{http_code}' -XPOST --data-binary '<xml><MsgType>event' \
     "$base/wechat/callback/ok?signature=$(sig "$FEED_CB_OK_TOKEN" "$ts" 43)&timestamp=$ts&nonce=43")"
expect "unknown account: HTTP" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$base/wechat/callback/nobody?signature=x&timestamp=$ts&nonce=1&echostr=1")"

# Every later freepublish/submit pushes PUBLISHJOBFINISH: 0 for OK's drafts, 4 for BAD's. One push
# URL for both (the test server has one); the ledger files each result under the publish_id's owner.
curl -sf -XPOST "$api/__control" -d "{\"callback_url\": \"$base/wechat/callback/ok\",
  \"callback_token\": \"$FEED_CB_OK_TOKEN\", \"publish_status\": 0, \"publish_status_by_app\": {\"$BAD\": 4},
  \"callback_delay_ms\": 300}" >/dev/null || fail "control"

"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1 || fail "publish"
timeout 120 "$syndicate" consume feed --config "$cfg" --state "$work/state.db" --until-caught-up \
  --metrics-listen "" >"$work/consume.log" 2>&1 || fail "consume feed: $(tail -n 5 "$work/consume.log")"

# state PYTHON: evaluates PYTHON with `s` = the WeChat server's /__state.
state() { curl -sf "$api/__state" | python3 -c "import json, sys; s = json.load(sys.stdin); print($1)"; }
submitted=$(state 'len(s["publishes"])')
[ "$submitted" -ge 2 ] || fail "expected drafts submitted on both accounts, got $submitted"
for _ in $(seq 100); do
  [ "$(state 'sum(1 for e in s["pushed_events"] if e["http_status"] == 200)')" = "$submitted" ] && break
  sleep 0.1
done
expect "PUBLISHJOBFINISH events answered 200" "$submitted" \
  "$(state 'sum(1 for e in s["pushed_events"] if e["http_status"] == 200)')"

# status PYTHON ACCOUNT: evaluates PYTHON with `j` = /feeds/ACCOUNT/status.json.
status() { curl -sf "$base/feeds/$2/status.json" | python3 -c "import json, sys; j = json.load(sys.stdin); print($1)"; }
ok_drafts=$(state "sum(1 for p in s['publishes'] if p['app_id'] == '$OK')")
bad_drafts=$(state "sum(1 for p in s['publishes'] if p['app_id'] == '$BAD')")
expect "ok: drafts published in the ledger" "$ok_drafts" "$(status 'j["draft_status_counts"].get("published", 0)' ok)"
expect "ok: drafts in another state" 0 "$(status 'len([d for d in j["drafts"] if d["status"] != "published"])' ok)"
expect "ok: results with an article_id" "$ok_drafts" \
  "$(status 'sum(1 for r in j["publish_results"] if r["article_id"] == "ART" + r["publish_id"])' ok)"
expect "bad: drafts rejected in the ledger" "$bad_drafts" "$(status 'j["draft_status_counts"].get("rejected", 0)' bad)"
expect "bad: results with publish_status 4" "$bad_drafts" \
  "$(status 'sum(1 for r in j["publish_results"] if r["publish_status"] == 4)' bad)"
expect "rejections logged as warnings" "$bad_drafts" "$(grep -c 'wechat publish bad: publish_id .* rejected (publish_status 4)' "$work/server.log" || true)"

# A replay after the publish results (issue 17): the ledger decides what is posted, so rewinding
# the feed group adds no draft and submits nothing (published and rejected drafts alike).
drafts_before=$(state 'len(s["drafts"])')
"$syndicate" replay --config "$cfg" --group "$id-feed" --topic "$id.articles" --to-earliest --execute >/dev/null ||
  fail "replay"
timeout 120 "$syndicate" consume feed --config "$cfg" --state "$work/state.db" --until-caught-up \
  --metrics-listen "" >"$work/replay.log" 2>&1 || fail "consume feed (replay): $(tail -n 5 "$work/replay.log")"
expect "drafts added by the replay" 0 "$(($(state 'len(s["drafts"])') - drafts_before))"
expect "submits by the replay" "$submitted" "$(state 'len(s["publishes"])')"
expect "freepublish/submit calls in all" "$submitted" "$(state 's["calls"].get("/cgi-bin/freepublish/submit", 0)')"
expect "errors in the replay's log" 0 "$(grep -c 'failed permanently' "$work/replay.log" || true)"
expect "bad: still rejected in the ledger" "$bad_drafts" "$(status 'j["draft_status_counts"].get("rejected", 0)' bad)"
echo "PASS"
