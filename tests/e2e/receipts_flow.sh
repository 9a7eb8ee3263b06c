#!/usr/bin/env bash
# Delivery receipts (news.deliveries.v1) on the real broker, read by a kafkajs subscriber
# (tests/node/receipts.mjs): the fixture issue published, then every sink run to its end --
# `consume archive` (originals and translations), `consume translation`, `translate`, `consume
# feed` pushing to the local WeChat API -- and the receipts counted per sink and state, raw
# (records) and distinct (receipt ids). Then the archive's group replayed from the beginning: its
# receipts are written again (at least once) with the same ids, so the raw count doubles and the
# distinct count stays. A permanent WeChat refusal (45002 on the first draft/add, the injected
# fault checked as hit) dead-letters that draft's articles, each with a DEAD_LETTERED receipt.
#
# Then the console (`serve console`) as a person sees it, in headless Chromium: the Issues page
# shows the issue published with its partition and offset and its articles' receipts per sink;
# the Issue page a row per article and sink (archive revision, feed account, zh-Hant
# translation); an article corrected with <script> and <img onerror> in its text shows revision 2,
# the diff from revision 1, and the markup as text, nothing run. A screenshot of each page is kept
# in $3 (the build dir's console-screenshots/).
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-wechat-testserver, $3 the
# screenshot folder.
set -euo pipefail
syndicate=$1
wechat=$2
shots=${3:-}
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=rc$(date +%s)$$
cfg=$work/syndication.yaml
api_pid='' console_pid=''
cleanup() {
  [ -z "$api_pid" ] || kill "$api_pid" 2>/dev/null || true
  [ -z "$console_pid" ] || kill "$console_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  if [ -n "${RECEIPTS_E2E_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"

APP=wxreceiptse2e00001
export RECEIPTS_E2E_SECRET=receipts-secret
"$wechat" --port 0 --app "$APP:receipts-secret" >"$work/wechat.log" 2>&1 &
api_pid=$!
for _ in $(seq 100); do grep -q '^listening on ' "$work/wechat.log" && break; sleep 0.1; done
api=$(sed -n 's/^listening on //p' "$work/wechat.log")
[ -n "$api" ] || fail "the WeChat test server did not start: $(cat "$work/wechat.log")"
"$wechat" --write-jpeg "$work/cover.jpg" || fail "writing the cover"

write_config "$cfg" "$id" <<YAML
feed:
  api_base_url: $api
  request_timeout_ms: 3000
  max_articles_per_draft: 2
  server: {listen: 127.0.0.1:0, public_base_url: http://feeds.example}
  accounts:
    - {name: front, app_id: $APP, app_secret_env: RECEIPTS_E2E_SECRET, language: zh-Hans,
       cover_image: $work/cover.jpg, rules: {pages: [1]}}
YAML
# Receipts on: the deliveries topic named (lib.sh's configs leave it out, so no other test writes any).
sed -i "s|^    deadletter: .*|&\n    deliveries: {name: $id.deliveries, partitions: 3, replication_factor: 1}|" "$cfg"
grep -q "deliveries: {name: $id.deliveries" "$cfg" || fail "deliveries topic not in the config"

"$syndicate" topics create --config "$cfg" >"$work/topics.log" 2>&1 || fail "topics create: $(cat "$work/topics.log")"
grep -q "$id.deliveries" "$work/topics.log" || fail "topics create did not create the deliveries topic"
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1 || fail "publish"

run() { timeout 180 "$syndicate" "$@" --config "$cfg" >>"$work/sinks.log" 2>&1 || fail "$*: $(tail -n 5 "$work/sinks.log")"; }
run consume translation --until-idle
run translate --until-idle --done-store "$work/done.db"
run consume archive --until-caught-up --metrics-listen ""
# The first draft/add is refused for good (45002): its two articles are dead-lettered.
curl -sf -XPOST "$api/__control" -d "{\"fail_next\": 1, \"path\": \"draft/add\", \"errcode\": 45002}" >/dev/null ||
  fail "control"
run consume feed --state "$work/feed-state.db" --until-caught-up --metrics-listen ""
expect "feed records dead-lettered (the injected 45002 hit)" 2 "$(count_committed "$id.dlq")"

counts() { node "$src/tests/node/receipts.mjs" --bootstrap "$SYN_TEST_BOOTSTRAP" --topic "$id.deliveries" \
  --expect "$1" --timeout-ms 60000 >"$work/receipts.txt" 2>"$work/receipts.err" ||
  fail "receipts subscriber: $(cat "$work/receipts.err" "$work/receipts.txt")"; }
line() { grep "^$1 " "$work/receipts.txt" | sed "s/^$1 //" || true; }
# 5 originals + 5 translations stored; 5 jobs, 5 translations; 3 articles drafted and submitted
# (2 per draft: 2 + 1), the 2 of the refused draft dead-lettered.
counts 28
cat "$work/receipts.txt"
expect "archive stored" "raw=10 distinct=10" "$(line "archive stored")"
expect "translation job_created" "raw=5 distinct=5" "$(line "translation job_created")"
expect "translation translated" "raw=5 distinct=5" "$(line "translation translated")"
expect "feed drafted" "raw=3 distinct=3" "$(line "feed drafted")"
expect "feed submitted" "raw=3 distinct=3" "$(line "feed submitted")"
expect "feed dead_lettered (the refused draft's 2 articles)" "raw=2 distinct=2" "$(line "feed dead_lettered")"
expect "total" "raw=28 distinct=28" "$(line total)"

# At least once: the archive's group replayed from the beginning writes its receipts again.
"$syndicate" replay --config "$cfg" --group "$id-archive" --topic "$id.articles" --to-earliest --execute >/dev/null
"$syndicate" replay --config "$cfg" --group "$id-archive" --topic "$id.translated" --to-earliest --execute >/dev/null
run consume archive --until-caught-up --metrics-listen ""
counts 38
cat "$work/receipts.txt"
expect "archive stored after a replay (raw doubles, same ids)" "raw=20 distinct=10" "$(line "archive stored")"

# The console, in headless Chromium.
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps.sh installs it)"
[ -n "$shots" ] || shots=$work/shots
mkdir -p "$shots"
sed -i "s|^console:.*||" "$cfg"
printf 'console: {listen: "127.0.0.1:0", refresh_seconds: 5}\n' >>"$cfg"
"$syndicate" serve console --config "$cfg" >"$work/console.out" 2>"$work/console.log" &
console_pid=$!
for _ in $(seq 100); do grep -q '^console: http' "$work/console.out" && break; sleep 0.1; done
base=$(sed -n 's|^console: \(http://[^ ]*\)/$|\1|p' "$work/console.out")
[ -n "$base" ] || fail "serve console did not start: $(cat "$work/console.log")"
chrome() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$work")" \
    --virtual-time-budget=2000 "$@" 2>/dev/null
}
has() { grep -qF -- "$2" "$1" || fail "$3: '$2' not in the rendered page"; }
# wait_page PATH FILE TEXT: the page rendered until it holds TEXT (the console reads the topics
# every 5 s; the pages reload themselves after 5 s, beyond chromium's virtual-time budget).
wait_page() {
  local deadline=$((SECONDS + 60))
  until chrome --dump-dom "$base$1" >"$2" && grep -qF -- "$3" "$2"; do
    [ $SECONDS -lt $deadline ] || fail "$1: '$3' did not appear: $(head -c 600 "$2")"
    sleep 0.5
  done
}
shoot() { chrome --window-size=1280,900 --hide-scrollbars --screenshot="$shots/$2.png" "$base$1" >/dev/null
  [ -s "$shots/$2.png" ] || fail "no screenshot of $1"; }
a=cjrb-20240130-01
wait_page / "$work/issues.html" 'cjrb-20240130'
has "$work/issues.html" 'published' "issue state"
python3 - "$work/issues.html" <<'PY' || fail "the Issues page's receipts per sink"
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
row = re.search(r'<tr><td><a href="/issues/cjrb-20240130">.*?</tr>', dom, re.S).group(0)
cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
text = [re.sub(r"<[^>]+>", "", c).strip() for c in cells]
print("issues row:", text)
assert re.search(r"p\d+@\d+", text[3]), "partition@offset of the manifest"
assert text[4] == "5", "articles"
assert "stored 5" in text[5], "archive"
assert "submitted 3" in text[6] and "dead_lettered 2" in text[6], "feed"
assert "translated 5" in text[7], "translation"
PY
shoot / issues
wait_page /issues/cjrb-20240130 "$work/issue.html" "$a-05"
has "$work/issue.html" 'revision 1' "archive revision"
has "$work/issue.html" 'front' "feed account"
has "$work/issue.html" "$a-01.zh-Hant" "translated article"
shoot /issues/cjrb-20240130 issue
chrome --dump-dom "$base/articles/$a-03" >"$work/article.html"
has "$work/article.html" '我州评出2023年度安全管理标准化示范班组' "article headline"
shoot "/articles/$a-03" article
for page in search lag dead-letters review; do
  q=""; [ "$page" = search ] && q="?q=%E6%98%8C%E5%90%89"
  chrome --dump-dom "$base/$page$q" >"$work/$page.html"
  grep -q '</main>' "$work/$page.html" || fail "/$page did not render: $(head -c 400 "$work/$page.html")"
  shoot "/$page$q" "$page"
done
has "$work/search.html" "$a-01" "search hit"
has "$work/dead-letters.html" 'SINK_REJECTED (2)' "dead letters grouped by reason"
has "$work/lag.html" "$id-archive" "lag of the archive group"

# A correction whose text carries markup: revision 2, the diff, the markup inert.
python3 - "$fixture" "$work/xss.txt" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
t = t.replace("大潮澎湃起", '大潮<script>document.title="pwned"</script>澎湃<img src=x onerror="document.title=\'pwned-img\'">起', 1)
open(sys.argv[2], "w", encoding="utf-8").write(t)
PY
"$syndicate" publish --config "$cfg" "$work/xss.txt" >/dev/null 2>&1 || fail "publish the correction"
run consume archive --until-caught-up --metrics-listen ""
wait_page "/articles/$a-01" "$work/xss.html" 'revision 2 of 2'
title=$(python3 -c 'import re,sys; m=re.search(r"<title>(.*?)</title>", open(sys.argv[1], encoding="utf-8").read(), re.S); print(m.group(1).strip() if m else "")' "$work/xss.html")
expect "page title after the scripts in the text had their chance to run" "Article $a-01 · syndicate console" "$title"
grep -q '<script>document.title' "$work/xss.html" && fail "a <script> element from the article text is in the DOM"
grep -q '<img src="x"' "$work/xss.html" && fail "an <img> element from the article text is in the DOM"
has "$work/xss.html" '&lt;script&gt;document.title="pwned"&lt;/script&gt;' "the escaped script shown as text"
has "$work/xss.html" 'Changes from revision 1' "the diff"
has "$work/xss.html" 'class="add">+ ' "an added line in the diff"
shoot "/articles/$a-01" article-corrected
echo "screenshots: $shots"
echo "receipts_flow: ok"
