#!/usr/bin/env bash
# Photos on WeChat and on the pages (issue 18, items 3 and 4), end to end on the real broker.
# Records carrying photo references are produced by tests/node/produce_articles.mjs (kafkajs +
# protobufjs; the producer's own photo intake is another branch), the images sit in a folder blob
# store, `consume feed` runs as its own process against the local WeChat API:
#   1. the drafts have the body images at their places with caption and credit, every <img src> a
#      URL uploadimg issued to that AppID (the test server refuses others: 45166), a per-article
#      cover for articles with a photo (the account cover for the one without); the 1.4 MB PNG
#      arrives converted and under uploadimg's 1 MB;
#   2. a restart, then the same records produced again (a replay): no upload call is made again
#      (the server's upload counts, raw and distinct, are unchanged);
#   3. `serve feeds` serves a photo byte for byte, with its ETag and `immutable`, 304 on
#      If-None-Match, and 404 for a name that is not a SHA-256.
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary, $2 syndicate-wechat-testserver.
set -euo pipefail
syndicate=$1
wechat=$2
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
id=fph$(date +%s)$$
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

APP=wxfeedphotoaaa001
export FEED_PH_SECRET=ph-secret
start_wechat_api "$wechat" "$work/wechat.log" --app "$APP:ph-secret"

# Real images: a JPEG (libjpeg-turbo, through the test server's writer) and a PNG of noise over
# 1 MB (zlib level 0: it cannot be smaller), both stored as the folder backend lays blobs out.
"$wechat" --write-jpeg "$work/cover.jpg" --width 360 --height 200 || fail "writing the cover"
"$wechat" --write-jpeg "$work/p1.jpg" --width 800 --height 533 || fail "writing the JPEG"
python3 - "$work/p2.png" <<'PY'
import os, struct, sys, zlib
w, h = 1400, 1000
raw = b"".join(b"\x00" + os.urandom(w) for _ in range(h))
def chunk(kind, body): return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) + \
      chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")
open(sys.argv[1], "wb").write(png)
PY
put_blob() {  # put_blob FILE: stores FILE in $work/blobs, prints its SHA-256
  local sha
  sha=$(sha256sum "$1" | cut -d' ' -f1)
  mkdir -p "$work/blobs/sha256/${sha:0:2}/${sha:2:2}"
  cp "$1" "$work/blobs/sha256/${sha:0:2}/${sha:2:2}/$sha"
  echo "$sha"
}
s1=$(put_blob "$work/p1.jpg")
s2=$(put_blob "$work/p2.png")
n1=$(stat -c %s "$work/p1.jpg")
n2=$(stat -c %s "$work/p2.png")
[ "$n2" -gt 1048576 ] || fail "the PNG should be over 1 MB, is $n2 bytes"

write_config "$cfg" "$id" <<YAML
blobs: {backend: folder, folder: $work/blobs}
feed:
  api_base_url: $api
  request_timeout_ms: 5000
  server: {listen: 127.0.0.1:0, public_base_url: http://feeds.example}
  accounts:
    - {name: ph, app_id: $APP, app_secret_env: FEED_PH_SECRET, language: zh-Hans, cover_image: $work/cover.jpg, rules: {}}
YAML
"$syndicate" topics create --config "$cfg" >/dev/null

# Three articles of one issue: 1 with both photos (the JPEG after block 1, the PNG after block 2),
# 2 with none, 3 with the JPEG again and a caption-only photo.
python3 - "$work/articles.json" "$s1" "$n1" "$s2" "$n2" <<'PY'
import json, sys
out, s1, n1, s2, n2 = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
def art(seq, photos):
    return {"id": f"cjrb-20240201-01-0{seq}", "issue_id": "cjrb-20240201", "paper": "cjrb",
            "issue_date": "2024-02-01", "page": 1, "sequence": seq, "issue_article_count": 3,
            "language": "zh-Hans", "headline": f"第{seq}篇：天山面粉做好小麦精深加工",
            "content_sha256": f"{seq:064x}",
            "blocks": [{"kind": "PARAGRAPH", "text": "第一段正文。"}, {"kind": "PARAGRAPH", "text": "第二段正文。"},
                       {"kind": "PARAGRAPH", "text": "第三段正文。"}],
            "photos": photos}
jpeg = {"sha256": s1, "media_type": "image/jpeg", "bytes": n1, "width": 800, "height": 533,
        "source_name": "p1.jpg", "caption": "工人正在包装面粉<b>", "credit": "本报记者 杨鹤", "after_block": 1}
png = {"sha256": s2, "media_type": "image/png", "bytes": n2, "width": 1400, "height": 1000,
       "source_name": "p2.png", "caption": "物流园区", "credit": "", "after_block": 2}
json.dump([art(1, [jpeg, png]), art(2, []), art(3, [dict(jpeg, after_block=0), {"caption": "只有图说", "after_block": 3}])],
          open(out, "w"), ensure_ascii=False)
PY
produce() {
  node "$src/tests/node/produce_articles.mjs" --bootstrap "$SYN_TEST_BOOTSTRAP" --topic "$id.articles" \
    --file "$work/articles.json" >/dev/null || fail "producing the articles"
}
consume() {
  timeout 120 "$syndicate" consume feed --config "$cfg" --state "$work/state.db" --until-caught-up \
    --metrics-listen "" >>"$work/consume.log" 2>&1 || fail "consume feed: $(tail -n 5 "$work/consume.log")"
}
state() { curl -sf "$api/__state?full=1" >"$work/state.json" || fail "the test server's state"; }
produce
consume
state
python3 - "$work/state.json" "$APP" "$s1" "$s2" <<'PY' || fail "step 1: the drafts and their images"
import json, re, sys
s, app, s1, s2 = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3], sys.argv[4]
drafts = [d for d in s["drafts"] if d["app_id"] == app]
assert len(drafts) == 1, f"{len(drafts)} drafts"
arts = drafts[0]["articles"]
assert len(arts) == 3, f"{len(arts)} articles"
images = [i for i in s["images"] if i["app_id"] == app]
issued = {i["url"] for i in images}
assert len(images) == 2 and len(issued) == 2, f"uploads raw {len(images)}, distinct {len(issued)}"
assert all(i["bytes"] < 1 << 20 for i in images), [i["bytes"] for i in images]
assert s1 in {i["sha256"] for i in images}, "the JPEG is sent as it is"
assert s2 not in {i["sha256"] for i in images}, "the PNG is converted"
srcs = [re.findall(r'<img src="([^"]+)"', a["content"]) for a in arts]
assert [len(x) for x in srcs] == [2, 0, 1], srcs
assert all(u in issued for x in srcs for u in x), "an <img> the server did not issue"
assert srcs[0][0] == srcs[2][0], "the same photo, one URL"
c0 = arts[0]["content"]
assert "工人正在包装面粉&lt;b&gt;" in c0 and "本报记者 杨鹤" in c0, "caption and credit"
assert c0.index("第一段") < c0.index(srcs[0][0]) < c0.index("第二段") < c0.index(srcs[0][1]) < c0.index("第三段"), "places"
assert "只有图说" in arts[2]["content"]
mats = {m["media_id"]: m for m in s["materials"] if m["app_id"] == app}
cover_of = [mats[a["thumb_media_id"]]["sha256"] for a in arts]
assert cover_of[0] == s1 and cover_of[2] == s1, "the lead photo is the cover"
assert cover_of[1] not in (s1, s2), "the article without a photo takes the account cover"
assert len(mats) == 2, f"{len(mats)} materials"
assert drafts[0]["external_images_filtered"] == 0
print("step 1: 2 body images (raw 2, distinct 2), covers", [c[:8] for c in cover_of])
PY
calls() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["calls"]; print(c.get("/cgi-bin/media/uploadimg",0), c.get("/cgi-bin/material/add_material",0))' "$work/state.json"; }
before=$(calls)
[ "$before" = "2 2" ] || fail "step 1: upload calls (uploadimg, add_material) $before, expected 2 2"

# 2. A restart (a new process, same state) on the same records produced again: nothing uploaded.
produce
consume
state
after=$(calls)
[ "$after" = "$before" ] || fail "step 2: upload calls went from $before to $after after a replay"
python3 - "$work/state.json" "$APP" <<'PY' || fail "step 2: the replay"
import json, sys
s, app = json.load(open(sys.argv[1])), sys.argv[2]
assert len([d for d in s["drafts"] if d["app_id"] == app]) == 1, "a replay made another draft"
assert len([i for i in s["images"] if i["app_id"] == app]) == 2
PY

# 3. The photos from `serve feeds`.
start_serve_feeds "$syndicate" "$cfg" "$work/state.db" "$work/server.log"
curl -sf -D "$work/h1" -o "$work/got.png" "$base/photos/$s2" || fail "step 3: GET /photos/<png>"
[ "$(sha256sum "$work/got.png" | cut -d' ' -f1)" = "$s2" ] || fail "step 3: the photo's bytes differ"
grep -qi "^etag: \"$s2\"" "$work/h1" || fail "step 3: ETag: $(cat "$work/h1")"
grep -qi '^cache-control: public, max-age=31536000, immutable' "$work/h1" || fail "step 3: Cache-Control"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: \"$s2\"" "$base/photos/$s2")
[ "$code" = 304 ] || fail "step 3: If-None-Match answered $code"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/photos/..%2f..%2fetc%2fpasswd")
[ "$code" = 404 ] || fail "step 3: a bad name answered $code"
curl -sf "$base/articles/cjrb-20240201-01-01" | grep -q "<img src=\"../photos/$s1\"" || fail "step 3: the page's <img>"
echo "feed_photos: ok (uploads before/after the replay: $before / $after)"
