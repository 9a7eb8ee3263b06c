#!/usr/bin/env bash
# Translation on the real broker: articles -> jobs (consume translation) -> zh-Hant articles
# (translate, OpenCC) -> archive, linked to their source. Running the consumers again adds
# nothing (exactly once through transactions). Needs SYN_TEST_BOOTSTRAP; $1 is the binary.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
: "${SYN_TEST_BOOTSTRAP:?SYN_TEST_BOOTSTRAP must point at the test broker (scripts/test.sh sets it)}"
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
id=tr$(date +%s)$$
cfg=$work/syndication.yaml
cat > "$cfg" <<YAML
kafka:
  bootstrap_servers: $SYN_TEST_BOOTSTRAP
  transactional_id_prefix: $id
  topics:
    issues: {name: $id.issues, partitions: 3, replication_factor: 1, config: {cleanup.policy: compact}}
    articles: {name: $id.articles, partitions: 3, replication_factor: 1}
    translated: {name: $id.translated, partitions: 3, replication_factor: 1}
    translation_jobs: {name: $id.jobs, partitions: 3, replication_factor: 1}
    deadletter: {name: $id.dlq, partitions: 1, replication_factor: 1}
consumers:
  groups: {feed: $id-feed, archive: $id-archive, translation: $id-translation, translator: $id-translator}
archive:
  sqlite: {path: $work/archive.db}
YAML
fail() { echo "FAIL: $*" >&2; exit 1; }
expect() { echo "$1: expected $2, got $3"; [ "$2" = "$3" ] || fail "$1"; }
count() { kcat -b "$SYN_TEST_BOOTSTRAP" -C -t "$1" -o beginning -e -q -X isolation.level=read_committed -f '%k\n' 2>/dev/null | grep -c . || true; }

"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1
for round in 1 2; do
  "$syndicate" consume translation --config "$cfg" --until-idle 2>/dev/null
  "$syndicate" translate --config "$cfg" --until-idle 2>/dev/null
  expect "translation jobs after round $round" 5 "$(count "$id.jobs")"
  expect "translated articles after round $round" 5 "$(count "$id.translated")"
done
timeout 120 "$syndicate" consume archive --config "$cfg" --until-caught-up --metrics-listen "" 2>/dev/null
got=$("$syndicate" archive get cjrb-20240130-01-01.zh-Hant --config "$cfg" --format json)
grep -q '"headline": "昌吉州:實施"典範行動"打造高質量發展先行區"' <<<"$got" || grep -q '昌吉州:實施' <<<"$got" || fail "no traditional headline: $(head -c 400 <<<"$got")"
grep -q '"translationOf": "cjrb-20240130-01-01"' <<<"$got" || fail "translation not linked to its source"
grep -q '"language": "zh-Hant"' <<<"$got" || fail "language is not zh-Hant"
echo "translation_flow: ok"
