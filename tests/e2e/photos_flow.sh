#!/usr/bin/env bash
# Photos in (issue 18) on the real broker: `publish DIR` (a bundle folder) and `publish FILE
# --photos DIR` store the fixture's photo in the blob store and reference it by SHA-256 from its
# article; the same bundle again publishes nothing and stores nothing new; a bad image (a text
# file named .jpg) is one error naming the file, exit 2, and nothing of that issue is on the
# topic. Needs SYN_TEST_BOOTSTRAP and the syndicate binary as $1. About 10 s.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
photos=$src/tests/data/photos/changji-daily-2024-01-30-p1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
run_id=$(date +%s)-$$
cfg=$work/syndication.yaml
source "$src/tests/e2e/lib.sh"
write_config "$cfg" "e2e.$run_id" <<YAML
blobs:
  backend: folder
  folder: $work/blobs
YAML
articles=e2e.$run_id.articles
"$syndicate" topics create --config "$cfg" >/dev/null

blob_files() { find "$work/blobs/sha256" -type f 2>/dev/null | wc -l; }
sha=$(sha256sum "$photos/wheat-packing.jpg" | cut -d' ' -f1)
blob=$work/blobs/sha256/${sha:0:2}/${sha:2:2}/$sha

# 1. A bundle folder: the text, its image (a caption embedded as IPTC, matching the text's).
mkdir "$work/bundle"
cp "$fixture" "$work/bundle/page.txt"
cp "$photos/wheat-packing.jpg" "$work/bundle/"
out=$("$syndicate" publish --config "$cfg" "$work/bundle")
echo "$out"
grep -q "^cjrb-20240130: 1 photo(s) stored in folder $work/blobs ($(stat -c %s "$photos/wheat-packing.jpg") bytes)$" <<<"$out" ||
  fail "publish DIR must report the stored photo"
grep -q "^cjrb-20240130: published 5 of 5 articles" <<<"$out" || fail "publish DIR"
cmp "$blob" "$photos/wheat-packing.jpg" || fail "the blob store must hold the image's bytes under its SHA-256"
expect "blobs stored" 1 "$(blob_files)"
expect "articles visible" 5 "$(count_committed "$articles" cjrb-20240130-)"
# The reference rides in the record (its SHA-256 as text inside the protobuf), the bytes do not.
expect "article records naming the blob (article 04 only)" 1 "$(count_matching "$articles" '%s\n' "$sha")"
expect "article records holding the image's bytes" 0 "$(count_matching "$articles" '%s\n' 'JFIF\|Exif\|Photoshop')"

# 2. The same bundle again: unchanged, nothing new stored or sent.
out=$("$syndicate" publish --config "$cfg" "$work/bundle")
echo "$out"
grep -q "^cjrb-20240130: unchanged" <<<"$out" || fail "the same bundle again must be unchanged"
expect "blobs stored after the same bundle again" 1 "$(blob_files)"
expect "article records after the same bundle again (raw)" 5 "$(count_committed "$articles" cjrb-20240130-)"
expect "distinct articles" 5 "$(count_distinct_committed "$articles")"

# 2b. The issue archived, exported as a bundle (text, image from the blob store, photos.yaml,
# issue.json) and published again: byte-identical files, and unchanged on the topic.
"$syndicate" consume archive --config "$cfg" --until-caught-up >/dev/null 2>"$work/archive.err" ||
  { cat "$work/archive.err"; fail "consume archive"; }
"$syndicate" archive export --config "$cfg" --issue cjrb-20240130 --format bundle -o "$work/export" >/dev/null
cmp "$work/bundle/wheat-packing.jpg" "$work/export/wheat-packing.jpg" || fail "exported image differs"
cmp "$work/bundle/page.txt" "$work/export/$(cd "$work/export" && ls -- *.txt)" || fail "exported text differs"
out=$("$syndicate" publish --config "$cfg" "$work/export")
echo "$out"
grep -q "^cjrb-20240130: unchanged" <<<"$out" || fail "the exported bundle published again must be unchanged"
expect "blobs stored after the exported bundle again" 1 "$(blob_files)"
expect "article records after the exported bundle again (raw)" 5 "$(count_committed "$articles" cjrb-20240130-)"
# 3. FILE --photos DIR, another date: the same blob (content-addressed), a reference to it.
out=$("$syndicate" publish --config "$cfg" --date 2024-02-02 "$fixture" --photos "$photos")
echo "$out"
grep -q "^cjrb-20240202: published 5 of 5 articles" <<<"$out" || fail "publish FILE --photos DIR"
expect "blobs stored after --photos (same image)" 1 "$(blob_files)"
expect "article records naming the blob (one of each issue)" 2 "$(count_matching "$articles" '%s\n' "$sha")"

# 4. A bad image: one error line naming the file, exit 2, nothing of the issue published.
mkdir "$work/bad"
cp "$fixture" "$work/bad/page.txt"
cp "$photos/wheat-packing.jpg" "$work/bad/a.jpg"
echo "新疆天山面粉小麦食品加工产业园区内" >"$work/bad/b.jpg"
set +e
"$syndicate" publish --config "$cfg" --date 2024-02-03 "$work/bad" >"$work/bad.out" 2>"$work/bad.err"
rc=$?
set -e
cat "$work/bad.out" "$work/bad.err"
expect "exit status for a bad image" 2 "$rc"
expect "stderr lines" 1 "$(wc -l <"$work/bad.err")"
grep -qx "syndicate: photos: $work/bad/b.jpg: not a JPEG, PNG, GIF or WebP image (by its content)" "$work/bad.err" ||
  fail "the error must name the bad file"
expect "stdout lines" 0 "$(wc -l <"$work/bad.out")"
expect "records of the refused issue (read_uncommitted)" 0 \
  "$(count_matching "$articles" '%k\n' '^cjrb-20240203-' read_uncommitted)"

# 5. --photos with two files is a usage error.
set +e
"$syndicate" publish --config "$cfg" "$fixture" "$fixture" --photos "$photos" 2>"$work/usage.err"
rc=$?
set -e
expect "exit status for --photos with two files" 2 "$rc"
grep -q "exactly one issue FILE" "$work/usage.err" || fail "--photos usage error"
echo "photos_flow: OK"
