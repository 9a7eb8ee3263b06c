#!/usr/bin/env bash
# Reliability scenario 8: security. The trigger refuses every wrong token (all lengths) and a
# missing one with 401, compares in constant time, bounds bodies (413) and header fields (431);
# `serve feeds` escapes article text (an article carrying <script> and <img onerror> is loaded in
# headless Chromium and no script runs; RSS, Atom, JSON Feed and the pages parsed with real
# parsers hold no live markup from it, tests/e2e/feed_markup_check.py); the archive and feed
# stores build no SQL from values and an archive search for `'; DROP TABLE` exits 0, finds
# nothing and breaks nothing (a plain search finds the article: the control); secrets set to a
# unique marker never show in logs (debug level), in `config check` output, or in real scrapes
# of the trigger's and a feed consumer's /metrics. Every check is black-box (no source greps).
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 the WeChat test server.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=sec$(date +%s)$$
marker=SYNSECRET$(date +%s%N)x
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  [ -n "${SYN_KEEP:-}" ] || rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
port=$(free_port 5)
fport=$((port + 1))
wport=$((port + 2))
mport=$((port + 3))   # the trigger's /metrics
fmport=$((port + 4))  # consume feed's /metrics
t0=$(date +%s)
"$wechat" --write-jpeg "$work/cover.jpg"  # a real JPEG: the WeChat API decodes covers
write_config "$work/cfg.yaml" "$id" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$port
    max_body_bytes: 262144
    token_env: SYN_SEC_TOKEN
    spool_dir: $work/spool    # accepted issues: this run's own, never replayed by another
    request_timeout_ms: 3000
feed:
  api_base_url: http://127.0.0.1:$wport
  request_timeout_ms: 5000
  server: {listen: 127.0.0.1:$fport, public_base_url: http://127.0.0.1:$fport}
  accounts:
    - name: sec
      app_id: wxsec
      app_secret_env: SYN_SEC_WECHAT_SECRET
      language: zh-Hans
      cover_image: $work/cover.jpg
translation:
  targets:
    - {language: en, engine: http, url: "http://127.0.0.1:9/translate", api_key_env: SYN_SEC_MT_KEY}
  job_deadline_ms: 4000
observability:
  metrics: {trigger: "127.0.0.1:$mport", feed: "", archive: "", translation: "", translator: "", feed_server: "", run: ""}
  log_level: debug
YAML
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do [ -f "$f" ] && { echo "--- $f" >&2; tail -10 "$f" >&2; }; done
  exit 1
}
status() { curl -s -m 10 -o "$work/body" -w '%{http_code}' "$@" || true; }  # 000 when curl fails: never a 2xx/4xx
# count_in FILE FIXED_STRING: lines of FILE holding the string; a missing file fails.
count_in() { [ -f "$1" ] || tool_fail "count_in: no $1"; awk -v s="$2" 'index($0, s) {n++} END {print n + 0}' "$1"; }
url=http://127.0.0.1:$port/v1/issues
export SYN_SEC_TOKEN=$marker-token SYN_SEC_WECHAT_SECRET=$marker-wechat SYN_SEC_MT_KEY=$marker-mt
"$syndicate" topics create --config "$work/cfg.yaml" >"$work/topics.log" 2>&1
"$syndicate" serve trigger --config "$work/cfg.yaml" >"$work/trigger.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done

# 1. Tokens, black-box: real requests with every wrong token (the constant-time comparison is
# the unit tests' and the code review's; a timed assertion here would be flaky).
token=$SYN_SEC_TOKEN
wrong=0 refused=0
for len in $(seq 0 $((${#token} + 16))); do  # every length, a prefix of the token where it can be
  long=${token}zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz
  cand=${long:0:$len}
  [ "$cand" = "$token" ] && continue
  wrong=$((wrong + 1))
  [ "$(status -X POST -H "Authorization: Bearer $cand" --data-binary @"$fixture" "$url")" = 401 ] && refused=$((refused + 1))
done
for i in $(seq 0 $((${#token} - 1))); do  # the token with one byte changed, at every position
  cand=${token:0:$i}$(printf '%s' "${token:$i:1}" | tr 'A-Za-z0-9-' 'B-ZAb-za1-90_')${token:$((i + 1))}
  wrong=$((wrong + 1))
  [ "$(status -X POST -H "Authorization: Bearer $cand" --data-binary @"$fixture" "$url")" = 401 ] && refused=$((refused + 1))
done
expect "security: wrong tokens refused with 401" "$wrong" "$refused"
expect "security: no Authorization header" 401 "$(status -X POST --data-binary @"$fixture" "$url")"
curl -s -o /dev/null -D "$work/headers" -X POST --data-binary @"$fixture" "$url"
expect "security: 401 names the scheme (WWW-Authenticate: Bearer)" 1 "$(grep -ci '^WWW-Authenticate: Bearer' "$work/headers")"
expect "security: token in a query string is not a token" 401 "$(status -X POST --data-binary @"$fixture" "$url?token=$token")"
expect "security: GET of an issue without a token" 401 "$(status "$url/cjrb-20240130")"

# 2. Bounds.
head -c 300000 /dev/zero | tr '\0' x >"$work/big.txt"
expect "security: body over max_body_bytes" 413 "$(status -X POST -H "Authorization: Bearer $token" --data-binary @"$work/big.txt" "$url")"
expect "security: one header field of 20 KiB" 431 "$(status -H "X-Big: $(head -c 20480 /dev/zero | tr '\0' a)" "$url/x")"
hdrs=()
for i in $(seq 1 200); do hdrs+=(-H "X-Many-$i: $(head -c 100 /dev/zero | tr '\0' b)"); done
expect "security: 200 header fields of 100 bytes" 431 "$(status "${hdrs[@]}" "$url/x")"
expect "security: the trigger still serves after the bounds" 200 "$(status "http://127.0.0.1:$port/healthz")"

# 3. HTML output escapes article text (checked in headless Chromium).
python3 - "$fixture" "$work/xss.txt" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
# (Not in the headline: the splitter takes a line with markup for a paragraph, and the article
# would have no headline, which every consumer dead-letters.)
t = t.replace("\n创新驱动\n", '\n创新<script>document.title="pwned-subhead"</script>驱动\n', 1)
# The lead paragraph: the summary every feed format carries.
t = t.replace("智能化工厂,机械手臂运转如飞", '智能化工厂<script>document.title="pwned-lead"</script>,'
              '机械手臂<img src=x onerror="document.title=\'pwned-lead-img\'">运转如飞', 1)
t = t.replace("新疆源一科创的发展之路,正是昌吉州持续推动产业转型升级的缩影。",
              '新疆源一科创<img src=x onerror="document.title=\'pwned-img\'">的发展之路<script>document.title="pwned-body"</script>,'
              '正是昌吉州持续推动产业转型升级的缩影</p><svg onload="document.title=\'pwned-svg\'">。', 1)
open(sys.argv[2], "w", encoding="utf-8").write(t)
PY
expect "security: the issue with markup is accepted" 202 "$(status -X POST -H "Authorization: Bearer $token" --data-binary @"$work/xss.txt" "$url")"
article=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["articleIds"][0])' "$work/body")
for _ in $(seq 1 100); do
  status -H "Authorization: Bearer $token" "$url/cjrb-20240130" >/dev/null
  grep -q '"status":"published"' "$work/body" && break
  sleep 0.2
done
grep -q '"status":"published"' "$work/body" || fail "the issue with markup was not published: $(cat "$work/body")"
"$wechat" --port "$wport" --app "wxsec:$SYN_SEC_WECHAT_SECRET" >"$work/wechat.log" 2>&1 &
pids+=($!)
timeout 120 "$syndicate" consume feed --config "$work/cfg.yaml" --state "$work/feed.db" --until-caught-up >"$work/feed.log" 2>&1 ||
  fail "consume feed --until-caught-up failed"
# /metrics scraped for real with every secret set (the trigger's, and a feed consumer's, which
# holds the WeChat AppSecret): the marker must not be in them, and they must hold metrics.
"$syndicate" consume feed --config "$work/cfg.yaml" --state "$work/feed.db" --metrics-listen "127.0.0.1:$fmport" \
  >"$work/feed-metrics.log" 2>&1 &
feed_metrics_pid=$!
pids+=($feed_metrics_pid)
for m in "$mport" "$fmport"; do
  wait_scrape() { curl -sf -m 5 "http://127.0.0.1:$m/metrics" >"$work/metrics-$m.txt"; }
  for _ in $(seq 1 100); do wait_scrape && break; sleep 0.2; done
  wait_scrape || fail "no /metrics on 127.0.0.1:$m"
  expect "security: /metrics on port $m showing the secret marker" 0 "$(count_in "$work/metrics-$m.txt" "$marker")"
  expect "security: control: /metrics on port $m holds syndicate metrics" 1 \
    "$([ "$(count_in "$work/metrics-$m.txt" 'syndicate_')" -gt 0 ] && echo 1 || echo 0)"
done
kill -TERM "$feed_metrics_pid"
rc=0; wait "$feed_metrics_pid" || rc=$?
[ "$rc" = 0 ] || [ "$rc" = 143 ] || fail "consume feed (metrics) ended with exit $rc on SIGTERM"
"$syndicate" serve feeds --config "$work/cfg.yaml" --state "$work/feed.db" >"$work/feeds.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -s "http://127.0.0.1:$fport/healthz" >/dev/null && break; sleep 0.2; done
curl -s "http://127.0.0.1:$fport/articles/$article" >"$work/page.html"
grep -q '&lt;script&gt;document.title=' "$work/page.html" || fail "the article page does not show the escaped <script>: $(grep -o '.\{40\}script.\{40\}' "$work/page.html" | head -3)"
chrome() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
    --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$work")" --virtual-time-budget=3000 --dump-dom "$1" 2>/dev/null
}
title() { python3 -c 'import html,re,sys; m=re.search(r"<title>(.*?)</title>", sys.stdin.read(), re.S); print(html.unescape(m.group(1).strip()) if m else "")'; }
# Control: the same markup, unescaped, does run in this Chromium (the check below can fail).
printf '<html><head><title>control</title></head><body><img src=x onerror="document.title=%s"><script>document.title="pwned-control"</script></body></html>' "'pwned-img'" >"$work/control.html"
control=$(chrome "file://$work/control.html" | title)
echo "security: Chromium control page title: $control"
case $control in pwned-*) ;; *) fail "control: Chromium did not run the unescaped script (title $control)" ;; esac
for page in "articles/$article" "feeds/sec"; do
  served=$(curl -s "http://127.0.0.1:$fport/$page" | title)
  got=$(chrome "http://127.0.0.1:$fport/$page" | title)
  expect "security: Chromium title of /$page is the served one (no script ran)" "$served" "$got"
  case $got in *pwned* | "") fail "a script ran on /$page, or no DOM: title '$got'" ;; esac
done
chrome "http://127.0.0.1:$fport/articles/$article" >"$work/dom.html"
expect "security: <script> elements from article text in the DOM" 0 "$(count_in "$work/dom.html" '<script>document.title')"
expect "security: <img onerror> elements from article text in the DOM" 0 "$(count_in "$work/dom.html" '<img src="x" onerror')"
expect "security: control: the escaped markup is in the DOM as text" 1 \
  "$([ "$(count_in "$work/dom.html" '&lt;script&gt;document.title')" -gt 0 ] && echo 1 || echo 0)"
# Every format parsed with a real parser (RSS, Atom, JSON Feed, the HTML pages): no markup from
# the article's text where text is expected, no live element or handler where HTML is.
python3 "$src/tests/e2e/feed_markup_check.py" "http://127.0.0.1:$fport" sec "$article" 'document.title' ||
  fail "markup from article text in a feed format"

# 4. SQL: bound parameters only. No SQL text is built from values in the stores (a string
# literal holding SQL glued with + or fmt/format to something), and a hostile search is inert.
check_sql() { python3 "$src/tests/reliability/sql_concat_check.py" "$@"; }
printf 'std::string q = "SELECT * FROM articles WHERE id = \x27" + id + "\x27";\n' >"$work/neg.cpp"
# sql_findings FILE...: lines the checker flags (it exits 1 when it flags any, 2 when it fails).
sql_findings() {
  local out rc=0
  out=$(check_sql "$@") || rc=$?
  [ "$rc" -le 1 ] || tool_fail "sql_concat_check.py failed (exit $rc)"
  [ -z "$out" ] || echo "$out" >&2
  printf '%s' "$out" | awk 'NF {n++} END {print n + 0}'
}
expect "security: control: the SQL check flags a value glued into SQL" 1 "$(sql_findings "$work/neg.cpp")"
expect "security: SQL strings built from values in consumers/archive and consumers/feed" 0 \
  "$(sql_findings "$src"/consumers/archive/src/*.cpp "$src"/consumers/archive/src/*.hpp "$src"/consumers/feed/src/*.cpp)"
timeout 120 "$syndicate" consume archive --config "$work/cfg.yaml" --until-caught-up >"$work/archive.log" 2>&1 ||
  fail "consume archive --until-caught-up failed"
before=$(sqlite3 "$work/archive.db" "select count(*) from articles")
injected=0
for q in "'; DROP TABLE articles; --" "\"; DROP TABLE articles; --" "x' OR '1'='1" "%' OR 1=1 --" "1); DELETE FROM articles; --"; do
  rc=0
  "$syndicate" archive search --config "$work/cfg.yaml" "$q" >"$work/search.out" 2>"$work/search.err" || rc=$?
  # A search that fails (exit 1: the query broke something) fails the check: only a clean
  # "nothing found" passes.
  expect "security: archive search $q exit status" 0 "$rc"
  grep -q "$article" "$work/search.out" && injected=$((injected + 1))
done
expect "security: hostile searches that matched an article" 0 "$injected"
# Control: the same search finds the article by its words (the check above can fail).
"$syndicate" archive search --config "$work/cfg.yaml" "源一科创" >"$work/search.out" 2>"$work/search.err" ||
  fail "archive search 源一科创: $(cat "$work/search.err")"
expect "security: control: a plain search finds the article" 1 "$(count_in "$work/search.out" "$article")"
expect "security: articles in the archive after the hostile searches" "$before" "$(sqlite3 "$work/archive.db" "select count(*) from articles")"
[ "$before" -gt 0 ] || fail "the archive is empty"

# 5. Secrets never in logs or config check output. The marker is in the trigger token, the WeChat
# app secret and the MT key; everything above ran at log level debug.
set +e
"$syndicate" config check "$work/cfg.yaml" >"$work/check.log" 2>&1
SYN_SEC_TOKEN= "$syndicate" config check "$work/cfg.yaml" >>"$work/check.log" 2>&1
# Jobs for the MT engine (unreachable: the translator fails, retries and dead-letters with the key set).
timeout 60 "$syndicate" consume translation --config "$work/cfg.yaml" --until-idle >"$work/translation.log" 2>&1
timeout 60 "$syndicate" translate --config "$work/cfg.yaml" --until-idle >"$work/translate.log" 2>&1
# Inline secrets are refused, and the refusal does not echo them.
sed "s|token_env: SYN_SEC_TOKEN|token: $marker-inline|" "$work/cfg.yaml" >"$work/inline.yaml"
printf 'kafka:\n  client: {sasl.password: %s-sasl}\n' "$marker" >"$work/inline2.yaml"
"$syndicate" config check "$work/inline.yaml" >"$work/inline.log" 2>&1
rc1=$?
"$syndicate" config check "$work/inline2.yaml" >>"$work/inline.log" 2>&1
rc2=$?
set -e
expect "security: config check of an inline secret fails" 1 "$([ $rc1 -ne 0 ] && [ $rc2 -ne 0 ] && echo 1 || echo 0)"
cat "$work/inline.log"
kill -TERM "${pids[@]}" 2>/dev/null || true
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()
grep -q 'debug' "$work/trigger.log" "$work/feed.log" || echo "security: note: no debug lines logged"
expect "security: translation jobs the MT engine was tried on (with the key)" 5 "$(count_committed "$id.jobs" cjrb-)"
rm -f "$work/wechat.log"  # the test double's own log, not ours
lines=$(cat "$work"/*.log | wc -l)
[ "$lines" -gt 0 ] || fail "no log lines to check"
leaks=0
for f in "$work"/*.log; do
  n=$(count_in "$f" "$marker")
  [ "$n" = 0 ] || { echo "security: $f shows the secret marker:"; grep -n "$marker" "$f" | cut -c1-300 | head -3; }
  leaks=$((leaks + n))
done
expect "security: log and output lines ($lines lines) showing the secret marker" 0 "$leaks"
echo "security: ok in $(($(date +%s) - t0)) s"
