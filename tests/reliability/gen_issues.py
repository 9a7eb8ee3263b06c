#!/usr/bin/env python3
"""Writes N distinct newspaper issues for the load scenarios, made from the Changji Daily fixture.

Each issue gets its own paper (publisher name and CN number, so its own paper code), its own date
and its own text (a numbered sentence in every article), so every issue id, article id and
content hash differs. The article count per issue stays the fixture's (5), which the load
scenario multiplies for its expected totals.

usage: gen_issues.py FIXTURE OUTDIR COUNT [--start K]
"""
import datetime
import pathlib
import re
import sys


def make(fixture: str, i: int) -> str:
    paper = 100 + i // 300          # 300 dates per paper, then the next paper
    day = datetime.date(2020, 1, 1) + datetime.timedelta(days=i % 300)
    text = fixture
    text = text.replace("昌吉日报社出版", f"第{paper}测试日报社出版")
    text = text.replace("昌吉日报", f"第{paper}测试日报")
    text = re.sub(r"CN 65—0010", f"CN 65—{paper:04d}", text)
    text = re.sub(r"2024年1月\n\n30\n", f"{day.year}年{day.month}月\n\n{day.day}\n", text, count=1)
    # A numbered sentence after every first paragraph line that ends with 。 (changes each hash).
    text = re.sub(r"(\n[^\n□»]{30,}?。)\n", lambda m: f"{m.group(1)}第{i}号测试。\n", text)
    return text


def main() -> int:
    if len(sys.argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    fixture = pathlib.Path(sys.argv[1]).read_text(encoding="utf-8")
    out = pathlib.Path(sys.argv[2])
    count = int(sys.argv[3])
    start = int(sys.argv[5]) if len(sys.argv) > 5 and sys.argv[4] == "--start" else 0
    out.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        (out / f"issue-{i:05d}.txt").write_text(make(fixture, i), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
