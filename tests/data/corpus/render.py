#!/usr/bin/env python3
"""Lays out a corpus page the way PDF extraction does: render.py PAGE.src > PAGE.txt

The .src file is the page as printed, one paragraph per line, written by hand from the
public source named in SOURCES.md. Directives (lines starting with `#!`) set the layout:

  #! width N      wrap paragraphs marked `~` into column lines of N characters
  #! indent       start each wrapped paragraph with an ideographic double space
  #! spaces K     put an extraction space into every K-th column line (at a fixed offset)

A line starting with `~` is a paragraph to wrap; every other line is copied as is (headings,
bylines, captions, damage written by hand such as a paragraph cut by a blank line, a caption
inside a paragraph or a stray page number). Nothing here invents text: it only moves line
breaks and inserts spaces, the damage PDF extraction makes.
"""
import sys

def main(path):
    width, indent, spaces = 0, False, 0
    out, n = [], 0
    for line in open(path, encoding="utf-8").read().split("\n"):
        if line.startswith("#!"):
            parts = line[2:].split()
            if parts[0] == "width":
                width = int(parts[1])
            elif parts[0] == "indent":
                indent = True
            elif parts[0] == "spaces":
                spaces = int(parts[1])
            continue
        if not line.startswith("~") or width == 0:
            out.append(line[1:] if line.startswith("~") else line)
            continue
        text = line[1:]
        first = True
        while text:
            piece, text = text[:width], text[width:]
            n += 1
            if spaces and n % spaces == 0 and len(piece) > 6:
                piece = piece[:5] + " " + piece[5:]
            out.append(("\u3000\u3000" if indent and first else "") + piece)
            first = False
    sys.stdout.write("\n".join(out))

if __name__ == "__main__":
    main(sys.argv[1])
