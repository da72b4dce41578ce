"""InterCode's SQL databases as SQLite: read the MySQL dump it ships (`ic_spider_dbs.sql`), one database per
`USE`, without a MySQL server.

Only what mysqldump writes is handled: `CREATE TABLE` (backticks, column types, PRIMARY/UNIQUE keys and
foreign keys kept; a case-insensitive collation (`*_ci`, what InterCode's dump declares for every text column)
becomes SQLite's `COLLATE NOCASE`, so `WHERE name = 'france'` finds `France` as it did there; other collations,
AUTO_INCREMENT, ENGINE and index-only `KEY` lines dropped) and `INSERT ... VALUES`
with MySQL's backslash escapes; `/*! ... */` directives, `LOCK`/`UNLOCK`, users and grants are skipped. The dump is
task data, like a gold query: it is converted in the harness with Python's sqlite3.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

from execeval.errors import TaskFormatError

__all__ = ["convert_dump", "split_databases"]

_USE = re.compile(r"^USE `([^`]+)`;\s*$", re.M)
_DROP_CLAUSES = [re.compile(p, re.I) for p in (
    r"\s+COLLATE\s+(?!NOCASE\b)\w+", r"\s+CHARACTER\s+SET\s+\w+", r"\s+AUTO_INCREMENT\b", r"\s+unsigned\b",
    r"\s+ON\s+UPDATE\s+CURRENT_TIMESTAMP", r"\s+COMMENT\s+'(?:[^'\\]|\\.)*'")]
_ESCAPES = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "b": "\b"}


def split_databases(dump: str) -> dict[str, str]:
    """Database name -> its part of the dump."""
    parts = _USE.split(dump)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts) - 1, 2)}


def convert_dump(dump: str) -> dict[str, bytes]:
    """Each database of a MySQL dump as the bytes of an SQLite database file."""
    return {name: _sqlite_bytes(name, sql) for name, sql in split_databases(dump).items()}


def _sqlite_bytes(name: str, sql: str) -> bytes:
    con = sqlite3.connect(":memory:")
    try:
        for statement in _statements(sql):
            converted = _convert(statement)
            if converted:
                try:
                    con.execute(converted)
                except sqlite3.Error as e:
                    raise TaskFormatError(f"database {name}: cannot convert `{statement[:120]}...` ({e})",
                                          hint="the dump is not one mysqldump wrote") from e
        con.commit()
        return con.serialize()
    finally:
        con.close()


def _statements(sql: str):
    """Split on `;` outside quotes and comments."""
    start, i, n = 0, 0, len(sql)
    while i < n:
        c = sql[i]
        if c in "'\"`":
            i = _skip_quoted(sql, i)
            continue
        if sql.startswith("--", i):
            j = sql.find("\n", i)
            sql_end = n if j < 0 else j
            if not sql[start:i].strip():
                start = sql_end
            i = sql_end
            continue
        if sql.startswith("/*", i):
            j = sql.find("*/", i)
            i = n if j < 0 else j + 2
            continue
        if c == ";":
            yield sql[start:i].strip()
            start = i + 1
        i += 1
    if sql[start:].strip():
        yield sql[start:].strip()


def _skip_quoted(sql: str, i: int) -> int:
    quote, i = sql[i], i + 1
    while i < len(sql):
        if sql[i] == "\\" and quote != "`":
            i += 2
            continue
        if sql[i] == quote:
            if sql.startswith(quote * 2, i):
                i += 2
                continue
            return i + 1
        i += 1
    return i


def _convert(statement: str) -> str | None:
    s = re.sub(r"/\*.*?\*/", "", statement, flags=re.S).strip()
    head = s.split(None, 2)[:2]
    word = head[0].upper() if head else ""
    if word == "CREATE" and len(head) > 1 and head[1].upper() == "TABLE":
        return _create_table(s)
    if word == "INSERT":
        return _insert(s)
    if word == "DROP":
        return s.replace("`", '"')
    return None  # SET, LOCK, UNLOCK, CREATE DATABASE/USER, GRANT, FLUSH: nothing to do in SQLite


def _create_table(s: str) -> str:
    body_start, body_end = s.index("("), s.rindex(")")
    lines = []
    for line in _split_top_level(s[body_start + 1:body_end]):
        line = line.strip()
        upper = line.upper()
        if upper.startswith(("KEY ", "INDEX ", "FULLTEXT ", "SPATIAL ")):
            continue
        if upper.startswith("UNIQUE KEY") or upper.startswith("UNIQUE INDEX"):
            line = "UNIQUE " + line[line.index("("):]
        line = re.sub(r"`(\w+)`\(\d+\)", r"`\1`", line)  # prefix lengths in keys: PRIMARY KEY (a, b(255))
        line = re.sub(r"\s+COLLATE\s+\w+_ci\b", " COLLATE NOCASE", line, flags=re.I)
        for pattern in _DROP_CLAUSES:
            line = pattern.sub("", line)
        lines.append(line.replace("`", '"'))
    return f"{s[:body_start].replace('`', chr(34))}(\n  " + ",\n  ".join(lines) + "\n)"


def _split_top_level(body: str) -> list[str]:
    parts, depth, start, i = [], 0, 0, 0
    while i < len(body):
        c = body[i]
        if c in "'\"`":
            i = _skip_quoted(body, i)
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == "," and depth == 0:
            parts.append(body[start:i])
            start = i + 1
        i += 1
    parts.append(body[start:])
    return [p for p in parts if p.strip()]


def _insert(s: str) -> str:
    """Backticks to double quotes, MySQL string literals to SQLite's (backslash escapes resolved)."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "`":
            j = s.index("`", i + 1)
            out.append('"' + s[i + 1:j] + '"')
            i = j + 1
        elif c in "'\"":
            j = _skip_quoted(s, i)
            out.append("'" + _unescape(s[i + 1:j - 1], c).replace("'", "''") + "'")
            i = j
        else:
            out.append(c)
            i += 1
    return "".join(out)


def _unescape(text: str, quote: str) -> str:
    result, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            result.append(_ESCAPES.get(text[i + 1], text[i + 1]))
            i += 2
        elif c == quote and text.startswith(quote * 2, i):
            result.append(quote)
            i += 2
        else:
            result.append(c)
            i += 1
    return "".join(result)


def convert_dump_file(path: str | Path) -> dict[str, bytes]:
    return convert_dump(Path(path).read_text(encoding="utf-8", errors="replace"))
