#!/usr/bin/env python3
"""Strict check of a Prometheus text exposition (format 0.0.4), then print selected samples.

Usage: ops_promcheck.py FILE [SELECTOR...]

Every line must be a `# HELP`, a `# TYPE` or a sample; each family has one HELP and one TYPE
before its samples, its samples are contiguous, names and labels are well formed, label values
are properly escaped, values are numbers; counters are not negative; each histogram series has
increasing `le` buckets ending at +Inf, cumulative counts, and `_count` equal to the +Inf bucket.
Exit 1 with `FILE:LINE: problem` on the first violation.

Each SELECTOR is `name` or `name{label="value",...}` (labels may be a subset); its value is the
sum of the matching samples, printed one per line (0 if none match, `missing` if the family
does not exist).
"""
import math
import re
import sys

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r"(?:[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|[+-]Inf|NaN)"
LABEL_VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE_RE = re.compile(
    rf"^(?P<name>{NAME})(?:\{{(?P<labels>(?:{LABEL}={LABEL_VALUE})(?:,{LABEL}={LABEL_VALUE})*,?)?\}})?"
    rf" (?P<value>{VALUE})(?: (?P<ts>-?[0-9]+))?$")
PAIR_RE = re.compile(rf"({LABEL})=({LABEL_VALUE})")
HELP_RE = re.compile(rf"^# HELP (?P<name>{NAME}) (?P<help>.*)$")
TYPE_RE = re.compile(rf"^# TYPE (?P<name>{NAME}) (?P<type>counter|gauge|histogram|summary|untyped)$")


def unescape(v):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v[1:-1])


def parse_labels(text):
    if not text:
        return {}
    out = {}
    for k, v in PAIR_RE.findall(text):
        if k in out:
            raise ValueError(f"label {k} repeated")
        out[k] = unescape(v)
    return out


def family_of(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[: -len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return name


def check(path):
    types, helps, samples, done = {}, {}, [], set()
    current = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        raise SystemExit(f"{path}: exposition does not end with a newline")
    for n, line in enumerate(lines, 1):
        def fail(msg):
            raise SystemExit(f"{path}:{n}: {msg}: {line!r}")
        if line.startswith("# HELP "):
            m = HELP_RE.match(line) or fail("malformed HELP")
            if m["name"] in helps:
                fail("second HELP for the family")
            helps[m["name"]] = m["help"]
            continue
        if line.startswith("# TYPE "):
            m = TYPE_RE.match(line) or fail("malformed TYPE")
            if m["name"] in types:
                fail("second TYPE for the family")
            if any(family_of(s[0], types) == m["name"] for s in samples):
                fail("TYPE after samples of the family")
            types[m["name"]] = m["type"]
            continue
        if line.startswith("#") or not line.strip():
            fail("not a sample, HELP or TYPE line")
        m = SAMPLE_RE.match(line) or fail("malformed sample")
        try:
            labels = parse_labels(m["labels"])
        except ValueError as e:
            fail(str(e))
        fam = family_of(m["name"], types)
        if fam not in types or fam not in helps:
            fail(f"sample of {fam} without HELP and TYPE before it")
        if fam != current:
            if fam in done:
                fail(f"samples of {fam} are not contiguous")
            if current is not None:
                done.add(current)
            current = fam
        value = float(m["value"].replace("Inf", "inf"))
        if types[fam] == "counter" and (value < 0 or math.isnan(value)):
            fail("counter is negative or NaN")
        if types[fam] == "histogram" and m["name"] == fam:
            fail("histogram sample without _bucket/_sum/_count")
        if m["name"].endswith("_bucket") and "le" not in labels:
            fail("bucket without le")
        samples.append((m["name"], labels, value, n))
    # Histograms: per series (labels without le), increasing le, cumulative, +Inf == _count.
    for fam, t in types.items():
        if t != "histogram":
            continue
        series = {}
        for name, labels, value, n in samples:
            if family_of(name, types) != fam:
                continue
            key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
            s = series.setdefault(key, {"buckets": [], "count": None})
            if name == fam + "_bucket":
                s["buckets"].append((float(labels["le"].replace("Inf", "inf")), value, n))
            elif name == fam + "_count":
                s["count"] = value
        for key, s in series.items():
            b = s["buckets"]
            if not b or b[-1][0] != math.inf:
                raise SystemExit(f"{path}: {fam}{dict(key)}: buckets do not end with le=\"+Inf\"")
            for (le1, v1, _), (le2, v2, n2) in zip(b, b[1:]):
                if le2 <= le1 or v2 < v1:
                    raise SystemExit(f"{path}:{n2}: {fam}: buckets not increasing and cumulative")
            if s["count"] != b[-1][1]:
                raise SystemExit(f"{path}: {fam}{dict(key)}: _count {s['count']} != +Inf bucket {b[-1][1]}")
    return types, samples


def select(selector, types, samples):
    m = re.match(rf"^({NAME})(?:\{{(.*)\}})?$", selector)
    if not m:
        raise SystemExit(f"bad selector {selector!r}")
    name, want = m.group(1), parse_labels(m.group(2))
    if family_of(name, types) not in types:
        return "missing"
    total = sum(v for n, l, v, _ in samples if n == name and all(l.get(k) == x for k, x in want.items()))
    return str(int(total)) if total == int(total) else repr(total)


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    types, samples = check(sys.argv[1])
    for sel in sys.argv[2:]:
        print(select(sel, types, samples))


if __name__ == "__main__":
    main()
