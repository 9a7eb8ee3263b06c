#!/usr/bin/env python3
"""Seeded mutations of issue files, for the bad-input sweep (tests/reliability/bad_input.sh).

    mutate_issues.py SEED COUNT OUTDIR FIXTURE...

Writes COUNT files OUTDIR/mut-NNN.txt. Each starts from a UTF-8 fixture whose masthead date is made
unique (2001-2099, month and day from the file number), so that every accepted file is its own
issue; the first 12 lines (the masthead) are kept, the rest is mutated the way libFuzzer's
mutators and real extractions damage text: bit flips, random bytes, cut or repeated runs, lines
swapped, dropped or duplicated, NULs, invalid UTF-8, CR and LF storms, a truncated tail, and a
few files that are pure noise or empty. The same SEED always gives the same files.
"""
import random
import re
import sys


def unique_date(text: bytes, n: int) -> bytes:
    year, month, day = 2001 + n % 99, 1 + n % 12, 1 + n % 28
    s = text.decode("utf-8", "replace")
    s = re.sub(r"20\d\d年\d{1,2}月(\s*)\d{1,2}", lambda m: f"{year}年{month}月{m.group(1)}{day}", s, count=1)
    return s.encode("utf-8")


def mutate(rng: random.Random, body: bytes) -> bytes:
    b = bytearray(body)
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(11)
        pos = rng.randrange(len(b) + 1) if b else 0
        if op == 0 and b:  # bit flips
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(b))
                b[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # random bytes
            b[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
        elif op == 2 and b:  # cut a run
            del b[pos : pos + rng.randint(1, 2000)]
        elif op == 3 and b:  # repeat a run
            run = b[pos : pos + rng.randint(1, 500)]
            b[pos:pos] = run * rng.randint(2, 20)
        elif op in (4, 5, 6):  # line surgery
            lines = bytes(b).split(b"\n")
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            if op == 4:
                lines[i], lines[j] = lines[j], lines[i]
            elif op == 5:
                del lines[i]
            else:
                lines[i:i] = [lines[j]] * rng.randint(1, 50)
            b = bytearray(b"\n".join(lines))
        elif op == 7:  # NULs and control bytes
            b[pos:pos] = b"\x00\x01\x1b[2J\x00" * rng.randint(1, 10)
        elif op == 8:  # invalid UTF-8: lone continuation bytes, overlongs, surrogates
            b[pos:pos] = rng.choice([b"\x80\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\xe4\xb8"])
        elif op == 9:  # CR/LF storms
            b[pos:pos] = rng.choice([b"\r", b"\n", b"\r\n"]) * rng.randint(1, 300)
        else:  # truncate
            del b[pos:]
    return bytes(b)


def main() -> None:
    seed, count, outdir, fixtures = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4:]
    rng = random.Random(seed)
    sources = [open(f, "rb").read() for f in fixtures]
    for n in range(count):
        if n % 10 == 9:  # pure noise, or nothing
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000))) if n % 20 == 9 else b""
        else:
            text = unique_date(rng.choice(sources), n)
            lines = text.split(b"\n")
            head, tail = b"\n".join(lines[:12]) + b"\n", b"\n".join(lines[12:])
            data = head + mutate(rng, tail)
        with open(f"{outdir}/mut-{n:03d}.txt", "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
