#!/usr/bin/env bash
# Photo bundles through the trigger's hot folder (issue 18), on the real broker: a bundle folder
# taken when renamed from `*.part`, its photo stored before its records; the trigger killed in
# the middle of the bundle's transaction (after its blob is stored: the crash point is asserted
# hit) loses nothing and stores nothing twice when restarted; a bundle with a bad image and one
# with a symbolic link go to failed/ whole with their `.error` notes, publishing nothing.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary. About 20 s.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
photo=$src/tests/data/photos/changji-daily-2024-01-30-p1/wheat-packing.jpg
work=$(mktemp -d)
id=pho$(date +%s)$$
pid=
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
port=$(free_port)
write_config "$work/cfg.yaml" "$id" <<YAML
producer:
  trigger:
    listen: 127.0.0.1:$port
    token_env: SYN_E2E_TOKEN
    spool_dir: $work/spool
  hot_folder:
    enabled: true
    dir: $work/hot
    poll_interval_ms: 200
    stable_wait_ms: 400
blobs:
  backend: folder
  folder: $work/blobs
YAML
fail() { echo "FAIL: $*" >&2; [ -f "$work/trigger.log" ] && tail -20 "$work/trigger.log" >&2; exit 1; }
articles=$id.articles
in=$work/hot/incoming
sha=$(sha256sum "$photo" | cut -d' ' -f1)
blob_files() { find "$work/blobs/sha256" -type f 2>/dev/null | wc -l; }
start() { SYN_E2E_TOKEN=tok3n "$syndicate" serve trigger --config "$work/cfg.yaml" --metrics-listen "" >>"$work/trigger.log" 2>&1 & pid=$!; }
# wait_for WHAT TEST...: polls TEST (a command) every 0.2 s for at most 60 s.
wait_for() {
  local what=$1
  shift
  for _ in $(seq 1 300); do "$@" && return 0; sleep 0.2; done
  fail "timed out waiting for $what"
}
"$syndicate" topics create --config "$work/cfg.yaml" >/dev/null

# 1. The trigger dies after the first record of the bundle's transaction (exit 70, as if killed).
SYNDICATE_TEST_EXIT_AFTER_RECORDS=1 start
wait_for "the hot folder" test -d "$in"
mkdir "$in/bundle-a.part"
cp "$fixture" "$in/bundle-a.part/page.txt"
cp "$photo" "$in/bundle-a.part/"
mv "$in/bundle-a.part" "$in/bundle-a"
wait_for "the crash point" bash -c "! kill -0 $pid 2>/dev/null"
set +e
wait "$pid"
rc=$?
set -e
pid=
expect "exit status at the crash point (hit)" 70 "$rc"
expect "blobs stored before the crash" 1 "$(blob_files)"
test -d "$in/bundle-a" || fail "the bundle must still be in incoming/ after the crash"
expect "records of the killed transaction visible" 0 "$(count_committed "$articles" cjrb-20240130-)"
expect "records of the killed transaction on the broker" 1 \
  "$(count_matching "$articles" '%k\n' '^cjrb-20240130-' read_uncommitted)"

# 2. Restarted: the bundle is taken again, its blob found stored (not written twice), published.
start
wait_for "bundle-a in done/" test -d "$work/hot/done/bundle-a"
test ! -e "$in/bundle-a" || fail "bundle-a must have left incoming/"
expect "articles visible (raw)" 5 "$(count_committed "$articles" cjrb-20240130-)"
expect "articles visible (distinct)" 5 "$(count_distinct_committed "$articles")"
expect "records naming the blob" 1 "$(count_matching "$articles" '%s\n' "$sha")"
expect "blobs stored after the restart" 1 "$(blob_files)"
cmp "$work/blobs/sha256/${sha:0:2}/${sha:2:2}/$sha" "$photo" || fail "the blob must hold the photo's bytes"

# 3. A bad image: the bundle goes to failed/ whole, with its note; nothing is published.
mkdir "$in/bundle-b"
cp "$fixture" "$in/bundle-b/page.txt"
echo "新疆天山面粉" >"$in/bundle-b/b.jpg"
touch "$in/bundle-b.ready"
wait_for "bundle-b in failed/" test -f "$work/hot/failed/bundle-b.error"
test -f "$work/hot/failed/bundle-b/b.jpg" || fail "the whole bundle goes to failed/"
grep -qx "$in/bundle-b/b.jpg: not a JPEG, PNG, GIF or WebP image (by its content)" "$work/hot/failed/bundle-b.error" ||
  fail "note: $(cat "$work/hot/failed/bundle-b.error")"
test ! -e "$in/bundle-b.ready" || fail "the marker must be removed"

# 4. A symbolic link inside a bundle is never followed: failed/, nothing read.
mkdir "$in/bundle-c"
cp "$fixture" "$in/bundle-c/page.txt"
ln -s /etc/passwd "$in/bundle-c/c.jpg"
touch "$in/bundle-c.ready"
wait_for "bundle-c in failed/" test -f "$work/hot/failed/bundle-c.error"
grep -q "bundle-c/c.jpg: a symbolic link; the hot folder never follows links" "$work/hot/failed/bundle-c.error" ||
  fail "note: $(cat "$work/hot/failed/bundle-c.error")"
expect "records on the broker in the end (1 aborted by the crash + 5; none of the refused bundles)" 6 \
  "$(count_matching "$articles" '%k\n' '^cjrb-20240130-' read_uncommitted)"
expect "blobs stored in the end" 1 "$(blob_files)"

# 5. A bundle over HTTP (multipart) is not taken yet: 415, said plainly, nothing queued.
code=$(curl -s -o "$work/body" -w '%{http_code}' -H 'Authorization: Bearer tok3n' \
  -F "text=@$fixture;type=text/plain" -F "photo=@$photo;type=image/jpeg" "http://127.0.0.1:$port/v1/issues")
expect "multipart POST" 415 "$code"
grep -q "multipart bundles are not taken over HTTP yet" "$work/body" || fail "415 body: $(cat "$work/body")"

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
pid=
expect "exit status after SIGTERM" 0 "$rc"
echo "photos_hotfolder: OK"
