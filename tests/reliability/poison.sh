#!/usr/bin/env bash
# Reliability scenario 4: poison records on the articles topic. Between good issues, kcat puts
# garbage bytes, a wrong `schema` header, no `schema` header, an oversized record and valid
# Protobuf Articles missing required content. The archive, feed (local WeChat API) and
# translation consumers run throughout: every poison record must reach the dead-letter topic once
# per consumer group with its reason, every good article must land in every sink, and consumption
# goes on after each poison record. Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 the
# WeChat test server.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=poi$(date +%s)$$
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
wport=$(free_port)
t0=$(date +%s)

"$wechat" --write-jpeg "$work/cover.jpg"  # a real JPEG: the WeChat API decodes covers
write_config "$work/cfg.yaml" "$id" <<YAML
feed:
  api_base_url: http://127.0.0.1:$wport
  request_timeout_ms: 5000
  retry: {initial_backoff_ms: 100, max_backoff_ms: 1000, multiplier: 2.0, max_attempts: 3, jitter: 0.2}
  server: {listen: 127.0.0.1:0, public_base_url: http://127.0.0.1:8081}
  accounts:
    - name: poison
      app_id: wxpoison
      app_secret_env: SYN_POISON_WECHAT_SECRET
      language: zh-Hans
      cover_image: $work/cover.jpg
translation:
  targets:
    - {language: zh-Hant, engine: opencc, opencc: s2t}
observability:
  metrics: {trigger: "", feed: "", archive: "", translation: "", translator: "", feed_server: "", run: ""}
YAML
# One partition, so the poison records sit between the good issues in one log, and room on the
# broker for a record over the consumers' 8 MiB limit.
sed -i "s|articles: {name: $id.articles, partitions: 3, replication_factor: 1}|articles: {name: $id.articles, partitions: 1, replication_factor: 1, config: {max.message.bytes: '12582912'}}|" "$work/cfg.yaml"
sed -i "s|^  groups: {feed: .*|&\n  poll_batch_size: 20\n  retry: {initial_backoff_ms: 100, max_backoff_ms: 1000, multiplier: 2.0, max_attempts: 3, jitter: 0.2}|" "$work/cfg.yaml"
grep -q "max.message.bytes" "$work/cfg.yaml" || fail "could not set max.message.bytes on the articles topic"

fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do echo "--- $f" >&2; tail -15 "$f" >&2; done
  exit 1
}
"$syndicate" topics create --config "$work/cfg.yaml" >/dev/null

"$wechat" --port "$wport" --app wxpoison:s3cret >"$work/wechat.log" 2>&1 &
pids+=($!)
export SYN_POISON_WECHAT_SECRET=s3cret
"$syndicate" consume archive --config "$work/cfg.yaml" >"$work/archive.log" 2>&1 &
pids+=($!)
"$syndicate" consume feed --config "$work/cfg.yaml" --state "$work/feed.db" >"$work/feed.log" 2>&1 &
pids+=($!)
"$syndicate" consume translation --config "$work/cfg.yaml" --metrics-listen "" >"$work/translation.log" 2>&1 &
pids+=($!)

# Poison record makers. protoc encodes valid Articles from text format.
encode() { protoc -I "$src/proto" --encode=syndication.v1.Article syndication/v1/article.proto; }
hash=$(printf poison | sha256sum | cut -c1-64)
produce() {  # produce KEY FILE [kcat header args...]
  local key=$1 file=$2
  shift 2
  kcat -b "$SYN_TEST_BOOTSTRAP" -P -t "$id.articles" -p 0 -k "$key" -X message.max.bytes=12582912 "$@" "$file" ||
    fail "kcat could not produce $key"
}
art=(-H content-type=application/x-protobuf -H schema=syndication.v1.Article)
head -c 4096 /dev/urandom >"$work/garbage.bin"
printf 'id: "poison-ok-shape" issue_id: "poison" headline: "h" content_sha256: "%s" language: "zh-Hans" blocks {kind: PARAGRAPH text: "x"}' "$hash" |
  encode >"$work/valid.bin"
printf 'issue_id: "poison" headline: "no id" content_sha256: "%s" language: "zh-Hans" blocks {kind: PARAGRAPH text: "x"}' "$hash" |
  encode >"$work/no-id.bin"
printf 'id: "poison-empty" issue_id: "poison" content_sha256: "%s" language: "zh-Hans"' "$hash" | encode >"$work/empty.bin"
head -c $((9 * 1024 * 1024)) /dev/zero | tr '\0' 'x' >"$work/big.txt"
printf 'id: "poison-big" issue_id: "poison" headline: "big" content_sha256: "%s" language: "zh-Hans" blocks {kind: PARAGRAPH text: "%s"}' \
  "$hash" "$(cat "$work/big.txt")" | encode >"$work/big.bin"
rm "$work/big.txt"

publish() {  # publish MONTH: the fixture as another issue (cjrb-2024MM30; not February)
  sed "s/2024年1月/2024年$1月/" "$fixture" >"$work/issue-$1.txt"
  "$syndicate" publish --config "$work/cfg.yaml" "$work/issue-$1.txt" >/dev/null || fail "publish of month $1"
}
publish 1
produce poison-garbage "$work/garbage.bin" "${art[@]}"
publish 8
produce poison-wrong-schema "$work/valid.bin" -H content-type=application/x-protobuf -H schema=syndication.v1.Nope
publish 3
produce poison-no-schema "$work/valid.bin"
publish 4
produce poison-too-large "$work/big.bin" "${art[@]}"
publish 5
produce poison-no-id "$work/no-id.bin" "${art[@]}"
publish 6
produce poison-empty "$work/empty.bin" "${art[@]}"
publish 7
good=35     # 7 issues of 5 articles
poison=6
echo "poison: published $good good articles and $poison poison records in $(($(date +%s) - t0)) s"

archived() { sqlite_count "$work/archive.db" "select count(*) from articles"; }
pushed() { sqlite_count "$work/feed.db" "select count(distinct article_id) from pushed"; }
pushed_raw() { sqlite_count "$work/feed.db" "select count(*) from pushed"; }
jobs() { count_committed "$id.jobs" cjrb-; }
dlq_json() {
  "$syndicate" dlq list --config "$work/cfg.yaml" --json --timeout 20 2>"$work/dlq.err" || tool_fail "dlq list: $(cat "$work/dlq.err")"
}
dead() { dlq_json | python3 -c 'import json,sys; print(len(json.load(sys.stdin).get("deadLetters", [])))'; }
deadline=$(($(date +%s) + 120))
while [ "$(date +%s)" -lt "$deadline" ]; do
  [ "$(archived)" -ge $good ] && [ "$(pushed)" -ge $good ] && [ "$(jobs)" -ge $good ] && [ "$(dead)" -ge $((3 * poison)) ] && break
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a process died (pid $p)"; done
  sleep 2
done
# Nothing more to come: every group has committed to the end of its topic (then a duplicate
# would already be counted below).
caught_up() { # GROUP
  "$syndicate" lag --config "$work/cfg.yaml" --group "$1" --json 2>"$work/lag.err" | python3 -c '
import json, sys
rows = [r for g in json.load(sys.stdin)["groups"] for r in g["partitions"] if (r["end"] or 0) > 0]
sys.exit(0 if rows and all(r["caughtUp"] for r in rows) else 1)'
}
for g in archive feed translation; do
  wait_caught_up() { caught_up "$id-$g"; }
  for _ in $(seq 150); do wait_caught_up && break; sleep 0.2; done
  wait_caught_up || fail "group $id-$g not caught up in 30 s: $(cat "$work/lag.err")"
done
echo "poison: drained in $(($(date +%s) - t0)) s"

for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null || fail "a consumer or the WeChat server exited (pid $p)"; done
# Lost and duplicated apart for every sink: raw rows/records against distinct articles.
archived_raw() { sqlite_count "$work/archive.db" "select count(*) from article_revisions"; }
archived_distinct() { sqlite_count "$work/archive.db" "select count(distinct article_id) from article_revisions"; }
jobs_distinct() { kcat_dump "$id.jobs" '%k\n' "$work/jobs.keys"; awk '/^cjrb-/' "$work/jobs.keys" | sort -u | awk 'END {print NR}'; }
expect "poison: good articles in the archive" $good "$(archived)"
expect "poison: archive lost" 0 $((good - $(archived_distinct)))
expect "poison: archive duplicated (revisions - distinct articles)" 0 $(($(archived_raw) - $(archived_distinct)))
expect "poison: good articles pushed to WeChat" $good "$(pushed)"
expect "poison: WeChat lost" 0 $((good - $(pushed)))
expect "poison: WeChat duplicated (articles pushed twice)" 0 $(($(pushed_raw) - $(pushed)))
expect "poison: translation jobs for good articles" $good "$(jobs)"
expect "poison: translation jobs lost" 0 $((good - $(jobs_distinct)))
expect "poison: translation jobs duplicated (raw - distinct)" 0 $(($(jobs) - $(jobs_distinct)))
dlq_json >"$work/dlq.json"
python3 - "$work/dlq.json" "$id" >"$work/reasons.txt" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
prefix = sys.argv[2] + "-"
rows = {}
for d in doc.get("deadLetters", []):
    rows[(d["consumerGroup"][len(prefix):], d["offset"])] = d
for (group, offset), d in sorted(rows.items()):
    print(f'{group} {offset} {d["reason"]} {d["error"]}')
PY
cat "$work/reasons.txt"
expect "poison: dead letters (6 poison records x 3 groups)" $((3 * poison)) "$(wc -l <"$work/reasons.txt")"
# The reason each group gives, by poison record (offsets in produce order).
reasons() { awk -v g="$1" '$1 == g { printf "%s ", $3 }' "$work/reasons.txt"; }
expect "poison: archive reasons" "DECODE_FAILED WRONG_SCHEMA WRONG_SCHEMA TOO_LARGE VALIDATION_FAILED VALIDATION_FAILED " "$(reasons archive)"
expect "poison: feed reasons" "DECODE_FAILED WRONG_SCHEMA WRONG_SCHEMA TOO_LARGE VALIDATION_FAILED VALIDATION_FAILED " "$(reasons feed)"
# The translation consumer reads the schema header and the bytes in one step (DECODE_FAILED).
expect "poison: translation reasons" "DECODE_FAILED DECODE_FAILED DECODE_FAILED TOO_LARGE VALIDATION_FAILED VALIDATION_FAILED " "$(reasons translation)"
expect "poison: articles in WeChat drafts" $good "$(curl -s "http://127.0.0.1:$wport/__state" |
  python3 -c 'import json,sys; s=json.load(sys.stdin); print(sum(len(d.get("articles", [])) for d in s.get("drafts", [])) + sum(len(p.get("articles", [])) for p in s.get("published", [])))')"
echo "poison: ok in $(($(date +%s) - t0)) s"
