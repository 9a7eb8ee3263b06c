#!/usr/bin/env bash
# The feed pages as a reader sees them, in headless Chromium (Debian `chromium`): the fixture is
# published on the real broker, `consume feed` stores the pages, `serve feeds` serves them.
#   - the article page: DOM after rendering holds the Chinese headline, kicker, byline, body and
#     the photo caption with its credit; a 390x1400 screenshot (a phone) shows dark text and the
#     red kicker near the top, on a white column;
#   - the account's message list: every headline, lead article first;
#   - an article whose text carries <script> and an <img onerror>: shown as text, nothing runs;
#   - the RSS feed is well-formed XML with the required channel and item elements;
#   - the JSON Feed 1.1 and Atom feeds: valid, with their required members/elements and the full text;
#   - every format (RSS, Atom, JSON Feed, the pages) parsed with a real parser holds no live markup
#     from the article's text (tests/e2e/feed_markup_check.py).
# Needs SYN_TEST_BOOTSTRAP; $1 is the syndicate binary.
set -euo pipefail
syndicate=$1
src=$(cd "$(dirname "$0")/../.." && pwd)
fixture=$src/tests/data/issues/changji-daily-2024-01-30-p1.txt
work=$(mktemp -d)
id=fpg$(date +%s)$$
cfg=$work/syndication.yaml
server_pid=''
cleanup() {
  [ -z "$server_pid" ] || { kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; } || true
  if [ -n "${FEED_E2E_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
source "$src/tests/e2e/lib.sh"
source "$src/tests/e2e/feed_lib.sh"
command -v chromium >/dev/null || fail "chromium is not installed (scripts/install-deps.sh installs it)"
write_config "$cfg" "$id" <<YAML
feed:
  server: {listen: 127.0.0.1:0, public_base_url: http://127.0.0.1:1}
  accounts:
    - {name: cjrb, app_id: "", language: zh-Hans, rules: {}}
YAML
consume() {
  timeout 120 "$syndicate" consume feed --config "$cfg" --state "$work/state.db" --until-caught-up \
    --metrics-listen "" >"$work/consume.log" 2>&1 || fail "consume feed: $(tail -n 5 "$work/consume.log")"
}
"$syndicate" topics create --config "$cfg" >/dev/null
"$syndicate" publish --config "$cfg" "$fixture" >/dev/null 2>&1 || fail "publish"
consume

start_serve_feeds "$syndicate" "$cfg" "$work/state.db" "$work/server.log"

chrome() {
  timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d -p "$work")" \
    --virtual-time-budget=3000 "$@" 2>/dev/null
}
# has FILE TEXT WHAT: the rendered DOM in FILE contains TEXT.
has() { grep -qF -- "$2" "$1" || fail "$3: '$2' not in the rendered page"; }

# The article page with a photo (article 04) and the lead article.
a=cjrb-20240130-01
chrome --dump-dom "$base/articles/$a-04" >"$work/04.html"
has "$work/04.html" '天山面粉:做好小麦精深加工转化' "headline"
has "$work/04.html" '生产新疆绿色面粉' "headline (second part)"
has "$work/04.html" '新春走基层' "kicker"
has "$work/04.html" '新疆天山面粉小麦食品加工产业园区内,工人正在包装面粉' "photo caption"
has "$work/04.html" '本报记者 杨鹤' "photo credit"
python3 - "$work/04.html" <<'PY' || fail "article 04: layout elements"
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
need = {"h1 headline": r"<h1>[^<]*天山面粉", "kicker class": r'class="kicker"[^>]*>新春走基层',
        "caption in a figure": r"<figure>.*?<figcaption>.*?工人正在包装面粉.*?</figcaption>.*?</figure>",
        "credit set apart": r'<span class="credit">本报记者 杨鹤', "viewport": r'name="viewport"',
        "paragraphs": r"(<p>[^<]{20,}</p>.*){3}"}
missing = [k for k, rx in need.items() if not re.search(rx, dom, re.S)]
print("article 04 layout elements missing:", missing)
sys.exit(1 if missing else 0)
PY

# A phone-sized screenshot of the lead article: dark text on a white column, the red kicker on top.
chrome --window-size=390,1400 --hide-scrollbars --screenshot="$work/01.png" "$base/articles/$a-01" >/dev/null
[ -s "$work/01.png" ] || fail "no screenshot"
python3 - "$work/01.png" <<'PY' || fail "screenshot of the lead article"
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
pos, chunks = 8, {}
idat = b""
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    if kind == b"IHDR": w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
    if kind == b"IDAT": idat += body
    pos += 12 + n
bpp = {2: 3, 6: 4}[ctype]
raw = zlib.decompress(idat)
rows, prev, stride = [], bytearray(w * bpp), w * bpp
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        b, c = prev[i], prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    rows.append(line); prev = line
px = lambda x, y: tuple(rows[y][x * bpp:x * bpp + 3])
dark = sum(1 for y in range(0, h, 2) for x in range(0, w, 2) if sum(px(x, y)) < 200)
red_top = sum(1 for y in range(0, min(h, 200)) for x in range(w) if (lambda r, g, b: r > 150 and g < 80 and b < 80)(*px(x, y)))
white = sum(1 for y in range(0, h, 4) for x in range(0, w, 4) if px(x, y) == (255, 255, 255))
total = (h // 2) * (w // 2)
print(f"screenshot {w}x{h}: dark (text) pixels {dark / total:.1%} of samples, red (kicker) pixels in the top 200 px: {red_top}, white {white * 16 / (w * h):.0%}")
assert (w, h) == (390, 1400), "window size"
assert dark / total > 0.02, "no text"
assert red_top > 20, "no red kicker near the top"
assert white * 16 / (w * h) > 0.5, "no white column"
PY

# The account's message list.
chrome --dump-dom "$base/feeds/cjrb" >"$work/list.html"
python3 - "$work/list.html" <<'PY' || fail "the message list"
import sys
dom = open(sys.argv[1], encoding="utf-8").read()
heads = ['昌吉州:实施"典范行动"', "昌吉州生态环境科创中心揭牌", "安全管理标准化示范班组", "天山面粉", "嘉峪关市文旅宣传推介会"]
where = [dom.find(h.replace('"', "&quot;")) if dom.find(h) < 0 else dom.find(h) for h in heads]
print("message list: headline positions", where)
assert all(p >= 0 for p in where), "a headline is missing"
assert where == sorted(where), "not in reading order (lead article first)"
PY

# RSS: well-formed, with the required elements.
curl -sf "$base/feeds/cjrb.xml" >"$work/feed.xml" || fail "GET /feeds/cjrb.xml"
python3 - "$work/feed.xml" <<'PY' || fail "RSS feed"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "rss" and root.get("version") == "2.0", root.tag
ch = root.find("channel")
for tag in ("title", "link", "description"):
    assert ch.find(tag) is not None and ch.find(tag).text, f"channel/{tag}"
items = ch.findall("item")
for it in items:
    for tag in ("title", "link", "guid", "pubDate"):
        assert it.find(tag) is not None and (it.find(tag).text or "").strip(), f"item/{tag}"
print(f"rss: well-formed, {len(items)} items with title, link, guid, pubDate")
assert len(items) == 5, "items"
PY

# JSON Feed 1.1: valid JSON with the required members, every item with id, url, title and the
# article's full text as content_html.
curl -sf "$base/feeds/cjrb.json" >"$work/feed.json" || fail "GET /feeds/cjrb.json"
python3 - "$work/feed.json" <<'PY2' || fail "JSON Feed"
import json, sys
f = json.load(open(sys.argv[1], encoding="utf-8"))
assert f["version"] == "https://jsonfeed.org/version/1.1", f.get("version")
assert f["title"] == "cjrb", f.get("title")
items = f["items"]
for it in items:
    for k in ("id", "url", "title", "content_html"):
        assert isinstance(it.get(k), str) and it[k], f"item {it.get('id')}: {k}"
    assert it["content_html"].startswith("<article>") and "<h1>" in it["content_html"], f"{it['id']}: content_html"
    assert "<script" not in it["content_html"], f"{it['id']}: script"
ids = [it["id"].split("#")[0] for it in items]
print(f"json feed: version 1.1, {len(items)} items with id, url, title, content_html; ids {ids}")
assert len(items) == 5, "items"
assert ids == sorted(ids), "lead article first"
assert any("工人正在包装面粉" in it["content_html"] for it in items), "photo caption in the full text"
PY2

# Atom: well-formed XML with feed/id,title,updated,author and entry/id,title,updated,link.
curl -sf "$base/feeds/cjrb.atom" >"$work/feed.atom" || fail "GET /feeds/cjrb.atom"
python3 - "$work/feed.atom" <<'PY2' || fail "Atom feed"
import re, sys, xml.etree.ElementTree as ET
ns = {"a": "http://www.w3.org/2005/Atom"}
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "{http://www.w3.org/2005/Atom}feed", root.tag
date = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
for tag in ("id", "title", "updated"):
    el = root.find("a:" + tag, ns)
    assert el is not None and (el.text or "").strip(), f"feed/{tag}"
assert date.match(root.find("a:updated", ns).text), "feed/updated is RFC 3339"
assert root.find("a:author/a:name", ns) is not None, "feed/author"
entries = root.findall("a:entry", ns)
for e in entries:
    for tag in ("id", "title", "updated"):
        assert e.find("a:" + tag, ns) is not None and (e.find("a:" + tag, ns).text or "").strip(), f"entry/{tag}"
    assert date.match(e.find("a:updated", ns).text), "entry/updated is RFC 3339"
    assert e.find("a:link", ns).get("href", "").startswith("http"), "entry/link"
    c = e.find("a:content", ns)
    assert c is not None and c.get("type") == "html" and c.text.startswith("<article>"), "entry/content (html, unescaped by the parser)"
print(f"atom: well-formed, {len(entries)} entries with id, title, updated, link, html content")
assert len(entries) == 5, "entries"
PY2

# Markup in article text is shown, never run (a correction of the lead article carries it).
python3 - "$fixture" "$work/xss.txt" <<'PY'
import sys
t = open(sys.argv[1], encoding="utf-8").read()
t = t.replace("大潮澎湃起", '大潮<script>document.title="pwned"</script>澎湃<img src=x onerror="document.title=\'pwned-img\'">起', 1)
# The lead paragraph too: the summary that RSS descriptions and the list page carry.
t = t.replace("智能化工厂,机械手臂运转如飞", '智能化工厂<script>document.title="pwned-lead"</script>,'
              '机械手臂<img src=x onerror="document.title=\'pwned-lead-img\'">运转如飞', 1)
open(sys.argv[2], "w", encoding="utf-8").write(t)
PY
"$syndicate" publish --config "$cfg" "$work/xss.txt" >/dev/null 2>&1 || fail "publish the issue with markup"
consume
chrome --dump-dom "$base/articles/$a-01" >"$work/xss.html"
title=$(python3 -c 'import re,sys; m=re.search(r"<title>(.*?)</title>", open(sys.argv[1], encoding="utf-8").read(), re.S); print(m.group(1).strip() if m else "")' "$work/xss.html")
expect "page title after the scripts in the text had their chance to run" '昌吉州:实施"典范行动"打造高质量发展先行区' "$title"
grep -q '<script>document.title' "$work/xss.html" && fail "a <script> element from the article text is in the DOM"
has "$work/xss.html" '&lt;script&gt;document.title="pwned"&lt;/script&gt;' "the escaped script shown as text"
grep -q '<img src="x"' "$work/xss.html" && fail "an <img> element from the article text is in the DOM"
has "$work/xss.html" "&lt;img src=x onerror=" "the escaped <img> shown as text"
# The corrected lead article in the JSON Feed and Atom: the markup is escaped text in content_html.
curl -sf "$base/feeds/cjrb.json" >"$work/feed2.json" || fail "GET /feeds/cjrb.json after the correction"
curl -sf "$base/feeds/cjrb.atom" >"$work/feed2.atom" || fail "GET /feeds/cjrb.atom after the correction"
python3 - "$work/feed2.json" "$work/feed2.atom" <<'PY2' || fail "markup in the JSON Feed and Atom"
import json, sys, xml.etree.ElementTree as ET
items = {it["id"]: it for it in json.load(open(sys.argv[1], encoding="utf-8"))["items"]}
lead = items.get("cjrb-20240130-01-01#r2")
assert lead, f"revision 2 of the lead article: ids {sorted(items)}"
assert "&lt;script&gt;document.title" in lead["content_html"] and "<script" not in lead["content_html"], "json content_html"
ns = {"a": "http://www.w3.org/2005/Atom"}
entries = ET.parse(sys.argv[2]).getroot().findall("a:entry", ns)
c = [e.find("a:content", ns).text for e in entries if e.find("a:id", ns).text.endswith("/cjrb-20240130-01-01#r2")]
assert c and "&lt;script&gt;document.title" in c[0] and "<script" not in c[0], "atom content"
print("json feed and atom: the correction is revision 2, its markup escaped text")
PY2
# Every format parsed with a real parser: no markup from the article's text where text is
# expected (RSS titles), no live element or handler where HTML is (issue 16: RSS held both).
python3 "$src/tests/e2e/feed_markup_check.py" "$base" cjrb "$a-01" 'document.title' ||
  fail "markup from article text in a feed format"
echo "feed_pages: ok"
