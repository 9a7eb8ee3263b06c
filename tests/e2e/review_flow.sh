#!/usr/bin/env bash
# Issue 15 items 5 and 6 on the real broker: `serve trigger` with producer.review.min_confidence
# HOLDS doubtful issues (HTTP and hot folder), the hold survives a kill -9, a release publishes the
# issue exactly once (released twice, or twice at once: still once; counted as raw records on the
# topic), a correction file changes only the articles it names (new revisions, the others not
# sent again), bad correction files are refused (HTTP 400, exit 2) with nothing published, and
# `publish` / `review` on the command line do the same (publish exits 4 for a held issue).
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary. About 25 s.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/beijiang-daily-2024-03-12-p1.txt   # 7 articles, confidence 0.95
work=$(mktemp -d)
id=rvw$(date +%s)$$
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
port=$(free_port)
write_config "$work/cfg.yaml" "$id" <<YAML
producer:
  review:
    min_confidence: 0.99         # hold every issue the splitter doubts at all
    dir: $work/review
  trigger:
    listen: 127.0.0.1:$port
    max_body_bytes: 100000
    token_env: SYN_E2E_TOKEN
    spool_dir: $work/spool
  hot_folder:
    enabled: true
    dir: $work/hot
    poll_interval_ms: 200
    stable_wait_ms: 400
YAML
fail() { echo "FAIL: $*" >&2; [ -f "$work/trigger.log" ] && tail -20 "$work/trigger.log" >&2; exit 1; }
status() { curl -s -o "$work/body" -w '%{http_code}' -H 'Authorization: Bearer tok3n' "$@"; }
api=http://127.0.0.1:$port/v1
articles() { count_committed "$id.articles" "$1"; }
start_trigger() {
  SYN_E2E_TOKEN=tok3n "$syndicate" serve trigger --config "$work/cfg.yaml" --metrics-listen '' >>"$work/trigger.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer tok3n' "$api/review")" = 200 ] && return
    sleep 0.2
  done
  fail "the trigger did not come up"
}
wait_status() {  # ISSUE STATUS: GET /v1/issues/ISSUE until it reports STATUS
  for _ in $(seq 1 150); do
    status "$api/issues/$1" >/dev/null
    grep -q "\"status\":\"$2\"" "$work/body" && return
    sleep 0.2
  done
  fail "$1 never reached $2: $(cat "$work/body")"
}

"$syndicate" topics create --config "$work/cfg.yaml" >/dev/null
start_trigger

# 1. Held, not published: over HTTP and through the hot folder.
expect "POST of a doubtful issue" 202 "$(status -X POST --data-binary @"$fixture" "$api/issues")"
grep -q '"status":"held"' "$work/body" || fail "202 body: $(cat "$work/body")"
wait_status cn65-0001-20240312 held
sed 's/2024年3月12日/2024年4月12日/' "$fixture" >"$work/hot/incoming/mar.txt"
sed 's/2024年3月12日/2024年6月12日/' "$fixture" >"$work/hot/incoming/apr.txt"
for _ in $(seq 1 100); do [ -f "$work/hot/done/mar.txt" ] && [ -f "$work/hot/done/apr.txt" ] && break; sleep 0.2; done
[ -f "$work/hot/done/mar.txt" ] || fail "the held hot-folder file did not reach done/"
expect "issues held (GET /v1/review)" 3 "$(status "$api/review" >/dev/null; python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["held"]))' "$work/body")"
expect "articles on the topic while held" 0 "$(articles cn65-0001-2024)"
expect "manifests on the topic while held" 0 "$(count_committed "$id.issues" cn65-0001-2024)"
grep -q 'result=held' "$work/trigger.log" || fail "no structured publication line for the hold"

# 2. kill -9: the holds survive (they were fsync'd before the 202 and the move to done/).
kill -9 "$pid"; wait "$pid" 2>/dev/null || :
start_trigger
status "$api/review" >/dev/null
expect "issues still held after kill -9" 3 "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["held"]))' "$work/body")"
expect "GET /v1/review/{id} after the restart" 200 "$(status "$api/review/cn65-0001-20240312")"
grep -q '"doubtful": *true' "$work/body" || fail "show marks no article below the threshold as doubtful: $(head -c 300 "$work/body")"
expect "articles on the topic after the restart" 0 "$(articles cn65-0001-2024)"

# 3. A bad correction file: 400 naming line and field; nothing published; still held.
printf 'issue: cn65-0001-20240312\ncorrections:\n  - set: {article: 1, headlin: x}\n' >"$work/bad.yaml"
expect "release with a bad correction file" 400 "$(status -X POST --data-binary @"$work/bad.yaml" "$api/review/cn65-0001-20240312/release")"
grep -q '"field":"corrections\[0\].set.headlin"' "$work/body" && grep -q '"line":3' "$work/body" || fail "400 body: $(cat "$work/body")"
expect "articles after the refused release" 0 "$(articles cn65-0001-2024)"

# 4. Release with a correction: published once; released again (and twice at once): still once.
printf 'issue: cn65-0001-20240312\ncorrections:\n  - set: {article: 1, headline: 编辑核定的标题}\n' >"$work/fix.yaml"
expect "release with corrections" 202 "$(status -X POST --data-binary @"$work/fix.yaml" "$api/review/cn65-0001-20240312/release")"
wait_status cn65-0001-20240312 published
expect "release again" 200 "$(status -X POST "$api/review/cn65-0001-20240312/release")"
grep -q '"state": *"released"' "$work/body" || fail "second release: $(cat "$work/body")"
curl -s -o /dev/null -H 'Authorization: Bearer tok3n' -X POST "$api/review/cn65-0001-20240412/release" &
p1=$!
curl -s -o /dev/null -H 'Authorization: Bearer tok3n' -X POST "$api/review/cn65-0001-20240412/release" &
p2=$!
wait "$p1" "$p2"
wait_status cn65-0001-20240412 published
expect "article records of the released issue (raw)" 7 "$(articles cn65-0001-20240312-)"
expect "its manifests (raw)" 1 "$(count_committed "$id.issues" cn65-0001-20240312)"
expect "article records of the issue released twice at once (raw)" 7 "$(articles cn65-0001-20240412-)"
expect "the corrected headline on the topic" 1 "$(count_matching "$id.articles" '%s\n' '编辑核定的标题')"

# 5. Reject: never published.
expect "reject" 200 "$(status -X POST --data-binary '{"reason":"wrong page"}' "$api/review/cn65-0001-20240612/reject")"
expect "release of a rejected issue" 409 "$(status -X POST "$api/review/cn65-0001-20240612/release")"
kill "$pid"; wait "$pid" 2>/dev/null || :
pid=

# 6. The command line: publish exits 4 for a held issue; review release publishes it once.
sed 's/2024年3月12日/2024年5月12日/' "$fixture" >"$work/may.txt"
set +e
"$syndicate" publish --config "$work/cfg.yaml" "$work/may.txt" >"$work/pub.out" 2>&1
rc=$?
set -e
expect "publish exit status for a held issue" 4 "$rc"
grep -q '^cn65-0001-20240512: HELD for review, not published' "$work/pub.out" || fail "publish said: $(cat "$work/pub.out")"
"$syndicate" review list --config "$work/cfg.yaml" | grep -q '^cn65-0001-20240512  held' || fail "review list lacks it"
"$syndicate" review show --config "$work/cfg.yaml" cn65-0001-20240512 | grep -q '^? \[' || fail "show marks no doubtful article"
set +e
"$syndicate" review release --config "$work/cfg.yaml" cn65-0001-20240512 --corrections "$work/bad.yaml" >"$work/rel.out" 2>"$work/rel.err"
rc=$?
set -e
expect "review release with a bad correction file" 2 "$rc"
grep -q "bad.yaml:3: corrections\[0\].set.headlin: unknown key" "$work/rel.err" || fail "stderr: $(cat "$work/rel.err")"
expect "articles after the refused CLI release" 0 "$(articles cn65-0001-20240512-)"
"$syndicate" review release --config "$work/cfg.yaml" cn65-0001-20240512 | grep -q 'released, published' || fail "release"
"$syndicate" review release --config "$work/cfg.yaml" cn65-0001-20240512 | grep -q 'already released' || fail "second release"
expect "article records of the CLI-released issue (raw)" 7 "$(articles cn65-0001-20240512-)"

# 7. A correction of a published issue: only the changed article is sent again, a new revision.
sed -i 's/min_confidence: 0.99/min_confidence: 0/' "$work/cfg.yaml"
printf 'issue: cn65-0001-20240512\ncorrections:\n  - set: {article: 2, kicker: 更正}\n' >"$work/fix2.yaml"
"$syndicate" publish --config "$work/cfg.yaml" --corrections "$work/fix2.yaml" "$work/may.txt" | grep -q 'published 1 of 7 articles (1 revised)' || fail "the correction was not published as one revision"
expect "article records after the correction (raw)" 8 "$(articles cn65-0001-20240512-)"
expect "distinct articles after the correction" 7 "$(distinct_matching "$id.articles" '%k\n' '^cn65-0001-20240512-')"
set +e
"$syndicate" publish --config "$work/cfg.yaml" --corrections "$work/bad.yaml" "$work/may.txt" >/dev/null 2>"$work/pub.err"
rc=$?
set -e
expect "publish with a bad correction file" 2 "$rc"
expect "stderr lines for a bad correction file" 1 "$(wc -l <"$work/pub.err")"
expect "article records after the refused publish" 8 "$(articles cn65-0001-20240512-)"
echo "review_flow: ok"
