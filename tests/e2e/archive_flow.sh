#!/usr/bin/env bash
# The archive consumer end to end on the real broker: publish the fixture, consume it into a
# SQLite archive, consume again (no second revision), publish a correction (revision 2 becomes
# current), and export the raw issue, which re-splits to the same content hashes.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary; $2 the backend: sqlite (default) or
# postgres (a database of its own on the server at SYN_TEST_PG_CONNINFO, dropped at the end).
set -euo pipefail
syndicate=$1
backend=${2:-sqlite}
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=arc$(date +%s)$$
cfg=$work/syndication.yaml
source "$src/tests/e2e/lib.sh"
if [ "$backend" = postgres ]; then
  : "${SYN_TEST_PG_CONNINFO:?SYN_TEST_PG_CONNINFO must point at the test PostgreSQL (scripts/test.sh sets it)}"
  psql "$SYN_TEST_PG_CONNINFO" -qc "CREATE DATABASE $id" || fail "cannot create database $id"
  trap 'psql "$SYN_TEST_PG_CONNINFO" -qc "DROP DATABASE IF EXISTS $id WITH (FORCE)"; rm -rf "$work"' EXIT
  export SYN_E2E_ARCHIVE_PG="$SYN_TEST_PG_CONNINFO dbname=$id"
  write_config "$cfg" "$id" </dev/null
  sed -i 's|^  sqlite: {path: .*}|  backend: postgres\n  postgres: {conninfo_env: SYN_E2E_ARCHIVE_PG}|' "$cfg"
else
  trap 'rm -rf "$work"' EXIT
  write_config "$cfg" "$id" </dev/null
fi
consume() { timeout 120 "$syndicate" consume archive --config "$cfg" --until-caught-up --metrics-listen "" >/dev/null 2>"$work/consume.log" || { cat "$work/consume.log"; fail "consume archive"; }; }
revisions() { "$syndicate" archive get "$1" --config "$cfg" --format json | grep -o '"revisionCount": *[0-9]*' | grep -o '[0-9]*$'; }

"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1
consume
for n in 01 02 03 04 05; do
  "$syndicate" archive get "cjrb-20240130-01-$n" --config "$cfg" --format text >/dev/null || fail "article $n not archived"
done
expect "search hits for 面粉" 1 "$("$syndicate" archive search 面粉 --config "$cfg" --json | grep -o '"id"' | wc -l)"
# `archive index` moves what the consumer left queued (SQLite) into the full-text index; the same
# search then finds the article there.
"$syndicate" archive index --config "$cfg" | grep -q "the search index is up to date" || fail "archive index"
if [ "$backend" = sqlite ]; then
  expect "articles queued for the search index after archive index" 0 \
    "$(sqlite3 "$work/archive.db" 'SELECT count(*) FROM search_pending')"
  expect "articles in the search index" 5 "$(sqlite3 "$work/archive.db" 'SELECT count(*) FROM article_search')"
fi
expect "search hits for 面粉 after archive index" 1 "$("$syndicate" archive search 面粉 --config "$cfg" --json | grep -o '"id"' | wc -l)"

# Replaying the same records changes nothing.
"$syndicate" publish --config "$cfg" --force "$fixture" >/dev/null 2>&1
consume
expect "revision of article 05 after a forced republish" 1 "$(revisions cjrb-20240130-01-05)"

# A correction becomes revision 2.
sed 's/两地群众来往将更加便利。/两地群众往来将更加便利。/' "$fixture" >"$work/corrected.txt"
"$syndicate" publish --config "$cfg" "$work/corrected.txt" >/dev/null 2>&1
consume
expect "revision of article 05 after the correction" 2 "$(revisions cjrb-20240130-01-05)"
expect "revision of article 01 after the correction" 1 "$(revisions cjrb-20240130-01-01)"

# The raw bytes come back, and re-split to the same hashes as the corrected text.
"$syndicate" archive export --issue cjrb-20240130 --format raw --config "$cfg" >"$work/raw.txt"
cmp -s "$work/raw.txt" "$work/corrected.txt" || fail "raw export differs from the published bytes"
hashes() { "$syndicate" split "$1" | grep -o '"contentSha256": "[0-9a-f]*"' | sort; }
[ "$(hashes "$work/raw.txt")" = "$(hashes "$work/corrected.txt")" ] || fail "re-split hashes differ"
echo "archive_flow ($backend): ok"
