#!/usr/bin/env python3
"""Flags SQL text built from values (tests/reliability/security.sh).

    sql_concat_check.py FILE...

Every line where a string literal holding SQL is glued (`+`, `+=`) to something else is checked:
what is glued on must be another literal, a placeholder from `bind(...)`, an integer through
`std::to_string(...)`, a fragment helper (`like_score(...)`, `fts_string` output bound later), or
a local that only ever holds SQL fragments and placeholders (FRAGMENTS below). Anything else, such
as a term, an id or a table name from input, is reported as FILE:LINE: operand. Exit 1 if any.
`fmt::format`/`std::format`/`snprintf` with SQL in the format string are reported too.
"""
import re
import sys

SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|SET|FROM|AND|OR|LIMIT|ORDER BY)\b")
# `batch` (a sub-select with an integer limit), `table` (a table alias from the code, "p" or
# "article_search") and the `pending_*` clauses of the archive's not-yet-indexed search are SQL
# fragments too; `like(table, placeholder)` builds a LIKE clause from those.
FRAGMENTS = {"where", "score", "p", "lp", "like_total", "session", "sql", "out.text", "text", "q", "columns", "placeholders",
             "batch", "table", "pending_where", "pending_score", "f"}
ALLOWED_CALL = re.compile(r"^(bind|std::to_string|like_score|like|placeholder|param)\s*\(")
LITERAL = re.compile(r'"(?:[^"\\]|\\.)*"')


def operands(line: str):
    # Split on + outside string literals and parentheses.
    out, depth, cur, i = [], 0, "", 0
    while i < len(line):
        c = line[i]
        if c == '"':
            m = LITERAL.match(line, i)
            if m:
                cur += m.group(0)
                i = m.end()
                continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            depth -= 1
        if c == "+" and depth <= 0 and not line[i + 1 : i + 2] == "+" and not line[i - 1 : i] == "+":
            out.append(cur)
            cur = ""
            if line[i + 1 : i + 2] == "=":
                i += 1
        else:
            cur += c
        i += 1
    out.append(cur)
    return [o.strip().rstrip(";").strip() for o in out if o.strip()]


def main() -> int:
    bad = []
    for path in sys.argv[1:]:
        for n, raw in enumerate(open(path, encoding="utf-8"), 1):
            line = raw.split("//")[0] if not raw.lstrip().startswith('"') else raw
            lits = LITERAL.findall(line)
            if not any(SQL.search(l) for l in lits):
                continue
            if re.search(r"\b(fmt::format|std::format|snprintf)\s*\(", line):
                bad.append(f"{path}:{n}: SQL in a format string")
                continue
            if "+" not in LITERAL.sub("", line):
                continue
            for op in operands(line):
                op = re.sub(r"^[\w:<>\s&*]*\b\w+\s*=\s*", "", op) if "=" in op and not op.startswith('"') else op
                op = re.sub(r"^if\s*\((?:[^()]|\([^()]*\))*\)\s*", "", op.strip())
                op = op.strip().strip("()").strip()
                op = re.sub(r"^return\s+", "", op).rstrip(",").strip()  # `return "(" + ...`, `... + batch,`
                if not op or LITERAL.fullmatch(op) or ALLOWED_CALL.match(op) or op in FRAGMENTS:
                    continue
                if re.fullmatch(r'(\(?"(?:[^"\\]|\\.)*"\s*)+', op) or re.fullmatch(r"\(?\w+\.empty\(\) \? .*", op):
                    continue
                bad.append(f"{path}:{n}: {op}")
    for b in bad:
        print(b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
