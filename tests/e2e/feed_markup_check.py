#!/usr/bin/env python3
"""No live markup from article text in any output of `serve feeds` (issue 16).

    feed_markup_check.py BASE_URL ACCOUNT ARTICLE_ID MARKER...

Fetches the account's RSS, Atom, JSON Feed and HTML list and the article's page, parses each with
a real parser (xml.etree for RSS and Atom, json, html.parser for every HTML text), and checks:
  - where text is expected (RSS title and category, which readers may render as HTML): no '<' or
    '>' at all after XML decoding;
  - where HTML is expected (RSS description, Atom content type="html", JSON Feed content_html, the
    pages): only the elements the renderers write, no attribute named on*, no javascript: URL,
    no <script> but none, and each MARKER (a fragment of the hostile text, e.g. 'document.title')
    present in the article's text somewhere in each format (so the check saw the hostile item);
  - Atom title/summary are type="text" (RFC 4287: never HTML).
Prints one line per format; exits 1 listing every violation.
"""
import html.parser
import json
import sys
import urllib.request
import xml.etree.ElementTree as ET

base, account, article, *markers = sys.argv[1:]
ALLOWED = {
    # what pages.cpp and the feed renderers write, nothing else
    "html", "head", "meta", "title", "style", "body", "main", "article", "header", "h1", "h3", "p",
    "span", "strong", "aside", "blockquote", "ul", "li", "figure", "figcaption", "a", "br",
}
problems = []


class Html(html.parser.HTMLParser):
    def __init__(self, where):
        super().__init__(convert_charrefs=True)
        self.where, self.text, self.styles = where, [], 0

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED:
            problems.append(f"{self.where}: element <{tag}> from text")
        if tag == "style":
            self.styles += 1
        for name, value in attrs:
            if name.startswith("on"):
                problems.append(f"{self.where}: event handler attribute {name} on <{tag}>")
            if value and value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                problems.append(f"{self.where}: {name}={value[:40]} on <{tag}>")

    def handle_data(self, data):
        self.text.append(data)


def check_html(where, markup, whole_page=False):
    p = Html(where)
    p.feed(markup)
    p.close()
    if p.styles > (1 if whole_page else 0):
        problems.append(f"{where}: {p.styles} <style> elements")
    return "".join(p.text)


def get(path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return r.read().decode("utf-8")


def saw_markers(where, text):
    missing = [m for m in markers if m not in text]
    if missing:
        problems.append(f"{where}: the hostile text ({missing}) is not in the text: the check did not see it")


# RSS
rss = ET.fromstring(get(f"/feeds/{account}.xml"))
items = rss.findall("channel/item")
seen = ""
for it in items:
    for tag in ("title", "category"):
        for el in it.findall(tag):
            if "<" in (el.text or "") or ">" in (el.text or ""):
                problems.append(f"rss {tag}: markup after XML decoding: {el.text[:80]!r}")
            seen += el.text or ""
    d = it.find("description")
    if d is not None:
        seen += check_html("rss description", d.text or "")
saw_markers("rss (title, category, description)", seen)
print(f"rss: {len(items)} items, titles and categories without '<', descriptions without live markup")

# Atom
ns = {"a": "http://www.w3.org/2005/Atom"}
atom = ET.fromstring(get(f"/feeds/{account}.atom"))
seen = ""
entries = atom.findall("a:entry", ns)
for e in entries:
    for tag in ("title", "summary"):
        el = e.find(f"a:{tag}", ns)
        if el is not None and el.get("type", "text") != "text":
            problems.append(f"atom {tag}: type {el.get('type')} (must be text)")
    c = e.find("a:content", ns)
    if c is not None:
        if c.get("type") != "html":
            problems.append(f"atom content: type {c.get('type')}")
        seen += check_html("atom content", c.text or "")
saw_markers("atom content", seen)
print(f"atom: {len(entries)} entries, text titles, html content without live markup")

# JSON Feed
feed = json.loads(get(f"/feeds/{account}.json"))
seen = ""
for it in feed["items"]:
    seen += check_html("json content_html", it.get("content_html", ""))
saw_markers("json content_html", seen)
print(f"json feed: {len(feed['items'])} items, content_html without live markup")

# HTML pages
check_html("feed page", get(f"/feeds/{account}"), whole_page=True)
saw_markers("article page", check_html("article page", get(f"/articles/{article}"), whole_page=True))
print("html: the feed page and the article page without live markup")

for p in problems:
    print("PROBLEM:", p)
sys.exit(1 if problems else 0)
