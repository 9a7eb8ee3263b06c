#!/usr/bin/env python3
"""Writes COUNT distinct issue files for the benchmarks, made from the fixtures in
tests/data/issues: fixture i % F, its masthead date moved to START + i // F days (so every
file is a new issue id: paper code + date), and its first sentence marked with the file's
number (so every article has new content). Encoding (UTF-8 or GB18030) and line ends are kept.

    bench/gen_issues.py --out DIR --count 2000 [--start 2019-01-01] FIXTURE...

Prints the total input bytes written.
"""
import argparse
import datetime
import pathlib
import re
import sys

# The first full date of a masthead: 2024年1月 / 30 (changji puts the day on a line of its own).
DATE = re.compile(r"(\d{4})年(\d{1,2})月(\s*)(\d{1,2})")


def decode(raw: bytes):
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise ValueError("neither UTF-8 nor GB18030")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--start", default="2019-01-01")
    ap.add_argument("fixtures", nargs="+")
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    sources = []
    for f in a.fixtures:
        text, enc = decode(pathlib.Path(f).read_bytes())
        m = DATE.search(text)
        if not m:
            print(f"gen_issues: {f}: no masthead date (YYYY年M月D)", file=sys.stderr)
            return 2
        sources.append((pathlib.Path(f).stem, text, enc, m))
    start = datetime.date.fromisoformat(a.start)
    total = 0
    for i in range(a.count):
        stem, text, enc, m = sources[i % len(sources)]
        d = start + datetime.timedelta(days=i // len(sources))
        body = text[: m.start()] + f"{d.year}年{d.month}月{m.group(3)}{d.day}" + text[m.end():]
        # Mark the first sentence after the masthead so the content (and its hash) is new.
        cut = body.find("。", m.start() + 40)
        if cut > 0:
            body = body[:cut] + f"（{i}）" + body[cut:]
        data = body.encode(enc if enc != "utf-8-sig" else "utf-8")
        (out / f"{i:05d}-{stem}.txt").write_bytes(data)
        total += len(data)
    print(total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
