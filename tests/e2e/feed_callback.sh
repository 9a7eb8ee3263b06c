#!/usr/bin/env bash
# The publish result end to end: the fixture is published on the real broker, `consume feed`
# pushes it to the local WeChat API (syndicate-wechat-testserver) for two accounts and submits the
# drafts; for each freepublish/submit the WeChat server pushes a PUBLISHJOBFINISH event to the
# running `serve feeds` (/wechat/callback/<account>): account `ok` in safe mode (AES-encrypted
# body, msg_signature, EncodingAESKey from the environment) with publish_status 0, account `bad`
# in plain-text mode with 4 (rejected by platform review). Checked: the ledger (status.json) shows
# every draft of the first account `published` with its article_id and every draft of the second
# `rejected`, logged as a warning; the URL verification GET echoes echostr; a wrong signature is
# 403, malformed XML 400, an unknown account 404; a replayed or stale callback 403 and not
# recorded; a plain-text push to the safe-mode account 403; 50,000 nested elements 413 and 9,000
# 400, with `serve feeds` alive and answering after them (issue 16: it died of SIGSEGV); 30
# unsigned 4 MiB POSTs at once (half with Content-Length, half chunked) refused from their heads
# (413/403) without growing the RSS (they grew it by ~120 MB); a callback replayed after a
# restart of `serve feeds` still refused (the nonces of the window are kept in <state>.nonces).
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
# 43 characters of a-z, A-Z, 0-9, as the platform generates an EncodingAESKey.
export FEED_CB_OK_AES_KEY=$(python3 -c 'import random, string; print("".join(random.choice(string.ascii_letters + string.digits) for _ in range(43)))')

start_wechat_api "$wechat" "$work/wechat.log" --app "$OK:ok-secret" --app "$BAD:bad-secret"

"$wechat" --write-jpeg "$work/cover.jpg" || fail "writing the cover"
write_config "$cfg" "$id" <<YAML
feed:
  api_base_url: $api
  request_timeout_ms: 3000
  server: {listen: 127.0.0.1:0, public_base_url: http://feeds.example}
  accounts:
    - {name: ok, app_id: $OK, app_secret_env: FEED_CB_OK_SECRET, callback_token_env: FEED_CB_OK_TOKEN,
       encoding_aes_key_env: FEED_CB_OK_AES_KEY, language: zh-Hans, cover_image: $work/cover.jpg, rules: {}}
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
     "$base/wechat/callback/bad?signature=$(sig "$FEED_CB_BAD_TOKEN" "$ts" 43)&timestamp=$ts&nonce=43")"
expect "unknown account: HTTP" 404 \
  "$(curl -s -o /dev/null -w '%{http_code}' "$base/wechat/callback/nobody?signature=x&timestamp=$ts&nonce=1&echostr=1")"

# Replay and staleness (plain-text account `bad`: its signature covers no body). post ACCOUNT
# TOKEN TS NONCE BODY_FILE: the HTTP status of a signed POST.
post() {
  curl -s -m 30 -o "$work/answer" -w '%{http_code}' -XPOST --data-binary "@$5" \
    "$base/wechat/callback/$1?signature=$(sig "$2" "$3" "$4")&timestamp=$3&nonce=$4"
}
printf '<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>4040</publish_id><publish_status>0</publish_status></PublishEventInfo></xml>' >"$work/event.xml"
expect "signed POST: HTTP" 200 "$(post bad "$FEED_CB_BAD_TOKEN" "$ts" 5001 "$work/event.xml")"
printf '<xml><MsgType>event</MsgType><Event>PUBLISHJOBFINISH</Event><PublishEventInfo><publish_id>4040</publish_id><publish_status>6</publish_status></PublishEventInfo></xml>' >"$work/forged.xml"
expect "the same signed URL replayed with another body: HTTP" 403 "$(post bad "$FEED_CB_BAD_TOKEN" "$ts" 5001 "$work/forged.xml")"
expect "the replay's answer" "replayed nonce" "$(cat "$work/answer")"
expect "a correctly signed POST from 2001: HTTP" 403 "$(post bad "$FEED_CB_BAD_TOKEN" 978307200 5002 "$work/event.xml")"
expect "its answer" "stale timestamp" "$(cat "$work/answer")"
expect "a correctly signed POST from 10 minutes ahead: HTTP" 403 \
  "$(post bad "$FEED_CB_BAD_TOKEN" $((ts + 600)) 5003 "$work/event.xml")"
expect "a plain-text POST to the safe-mode account: HTTP" 403 "$(post ok "$FEED_CB_OK_TOKEN" "$ts" 5004 "$work/event.xml")"
# Nesting: 50,000 elements (350 KB) crashed the server; now 413 (over the 64 KiB message limit),
# 9,000 (63 KB) 400 (over the depth limit); the server answers after both.
python3 -c 'import sys; n = int(sys.argv[1]); sys.stdout.write("<xml>" + "<a>" * n + "</a>" * n + "</xml>")' 50000 >"$work/deep50k.xml"
python3 -c 'import sys; n = int(sys.argv[1]); sys.stdout.write("<xml>" + "<a>" * n + "</a>" * n + "</xml>")' 9000 >"$work/deep9k.xml"
expect "50,000 nested elements: HTTP" 413 "$(post bad "$FEED_CB_BAD_TOKEN" "$ts" 5005 "$work/deep50k.xml")"
expect "9,000 nested elements: HTTP" 400 "$(post bad "$FEED_CB_BAD_TOKEN" "$ts" 5006 "$work/deep9k.xml")"
expect "its answer" "elements nested deeper than 16" "$(cat "$work/answer")"
kill -0 "$server_pid" 2>/dev/null || fail "serve feeds died: $(tail -5 "$work/server.log")"
expect "serve feeds after the deep XML: /healthz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")"
expect "nothing recorded from the refused callbacks" "[]" \
  "$(curl -sf "$base/feeds/bad/status.json" | python3 -c 'import json, sys; print(json.load(sys.stdin)["publish_results"])')"

# 30 unsigned 4 MiB bodies at once (the issue's measurement: +119 MB), 15 announced by
# Content-Length (413 from the length) and 15 chunked (no length to refuse them by: 403 from the
# signature): each answered from its head, none buffered. 30 stays under the per-client
# connection cap (32), past which the rest would be 503. No `Expect:`: the body comes at once.
head -c $((4 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$work/4mib"
rss() { awk '/^VmRSS:/ {print $2}' "/proc/$server_pid/status"; }
rss_before=$(rss)
hostile=()
for i in $(seq 1 30); do
  chunked=()
  [ $((i % 2)) = 0 ] && chunked=(-H 'Transfer-Encoding: chunked')
  curl -s -m 60 -o /dev/null -w '%{http_code}\n' -H 'Expect:' "${chunked[@]}" --data-binary @"$work/4mib" \
    "$base/wechat/callback/bad?signature=0000&timestamp=$ts&nonce=h$i" >>"$work/hostile.codes" &
  hostile+=($!)
done
for c in "${hostile[@]}"; do wait "$c" || fail "a hostile curl failed (no answer)"; done
rss_after=$(rss)
echo "unsigned 4 MiB POSTs: HTTP statuses $(sort "$work/hostile.codes" | uniq -c | tr -s ' \n' ' ')"
expect "unsigned 4 MiB POSTs with Content-Length answered 413" 15 "$(grep -c '^413$' "$work/hostile.codes")"
expect "unsigned chunked 4 MiB POSTs answered 403" 15 "$(grep -c '^403$' "$work/hostile.codes")"
echo "serve feeds RSS before ${rss_before} kB, after 30 unsigned 4 MiB POSTs ${rss_after} kB"
[ $((rss_after - rss_before)) -lt 20480 ] || fail "serve feeds' RSS grew by $((rss_after - rss_before)) kB (bound 20 MB)"
expect "serve feeds after the 4 MiB POSTs: /healthz" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")"

# A restart of `serve feeds` within the window does not forget the nonces taken: the first signed
# POST above, replayed as it was, is still refused.
kill -TERM "$server_pid"
wait "$server_pid" || fail "serve feeds did not stop cleanly on SIGTERM"
[ -s "$work/state.db.nonces" ] || fail "no nonce journal beside the state db"
mv "$work/server.log" "$work/server-before-restart.log"
start_serve_feeds "$syndicate" "$cfg" "$work/state.db" "$work/server.log"
expect "the first signed POST replayed after a restart: HTTP" 403 "$(post bad "$FEED_CB_BAD_TOKEN" "$ts" 5001 "$work/event.xml")"
expect "its answer" "replayed nonce" "$(cat "$work/answer")"
expect "a new nonce after the restart: HTTP" 200 "$(post bad "$FEED_CB_BAD_TOKEN" "$ts" 5007 "$work/event.xml")"

# Every later freepublish/submit pushes PUBLISHJOBFINISH: 0 for OK's drafts (safe mode, to
# /wechat/callback/ok), 4 for BAD's (plain text, to /wechat/callback/bad).
curl -sf -XPOST "$api/__control" -d "{\"callback_url\": \"$base/wechat/callback/ok\",
  \"callback_token\": \"$FEED_CB_OK_TOKEN\", \"publish_status\": 0, \"publish_status_by_app\": {\"$BAD\": 4},
  \"callback_delay_ms\": 300, \"callback_by_app\": {
    \"$OK\": {\"url\": \"$base/wechat/callback/ok\", \"token\": \"$FEED_CB_OK_TOKEN\", \"encoding_aes_key\": \"$FEED_CB_OK_AES_KEY\"},
    \"$BAD\": {\"url\": \"$base/wechat/callback/bad\", \"token\": \"$FEED_CB_BAD_TOKEN\"}}}" >/dev/null || fail "control"

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
expect "rejections logged as warnings" "$bad_drafts" \
  "$(awk '/wechat publish bad: publish_id .* rejected \(publish_status 4\)/ {n++} END {print n + 0}' "$work/server-before-restart.log" "$work/server.log")"
expect "plain-text pushes refused on the safe-mode account (the one sent above)" 1 \
  "$(awk '/wechat callback ok: plain-text push .* refused/ {n++} END {print n + 0}' "$work/server-before-restart.log" "$work/server.log")"

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
expect "errors in the replay's log" 0 "$(awk '/failed permanently/ {n++} END {print n + 0}' "$work/replay.log")"
expect "bad: still rejected in the ledger" "$bad_drafts" "$(status 'j["draft_status_counts"].get("rejected", 0)' bad)"
echo "PASS"
