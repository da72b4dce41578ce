"""Interactive task sets: the native JSONL format and InterCode's own files, loaded as they are.

Native (one task per line; paths relative to the file):

    {"task_id": "count", "language": "bash", "query": "...", "gold": "wc -l *.log", "tree": "tree"}
    {"task_id": "paris", "language": "sql", "query": "...", "gold": "SELECT ...", "db": "shop.sql"}
    {"task_id": "add", "language": "python", "query": "...", "gold": "def add(a, b): ...",
     "tests": ["assert add(1, 2) == 3"], "test_setup": ""}

`tree` is a directory (the starting file tree), `db` an SQLite file or an SQL script that builds one.

InterCode (detected from the file's content): `nl2bash_fs_N.json` (its tree is built by running InterCode's
`setup_nl2b_fs_N.sh` in the sandbox; found at InterCode's `docker/bash_scripts/` or given as `setup=`),
`ic_spider_dev.json` and the other SQL sets (databases from the MySQL dump beside them, `ic_spider_dbs.sql`, or
`dump=`), `ic_mbpp.json`. Task ids are the row index, as in InterCode's results files.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from execeval.errors import TaskFormatError
from execeval.protocols.interactive.env import InteractiveTask
from execeval.protocols.interactive.tree import tar_directory

__all__ = ["load_interactive_tasks", "detect_format"]


def load_interactive_tasks(path: str | Path, *, sandbox=None, setup: str | Path | None = None,
                           dump: str | Path | None = None, limit: int | None = None) -> list[InteractiveTask]:
    """Tasks from a native JSONL file or one of InterCode's task files (`sandbox` builds nl2bash trees)."""
    path = Path(path)
    if not path.exists():
        raise TaskFormatError(f"{path}: no such task file", hint="give a .jsonl of tasks or an InterCode .json")
    kind = detect_format(path)
    if kind == "native":
        tasks = [_native(path, i, line) for i, line in enumerate(path.read_text().splitlines(), 1) if line.strip()]
    else:
        from execeval.protocols.interactive import intercode

        rows = json.loads(path.read_text())
        rows = rows[:limit] if limit is not None else rows
        tasks = intercode.load(kind, path, rows, sandbox=sandbox, setup=setup, dump=dump)
    return tasks[:limit] if limit is not None else tasks


def detect_format(path: Path) -> str:
    """"native", or InterCode's "bash" / "sql" / "python" set, from the first record's fields."""
    text = path.read_text(encoding="utf-8", errors="replace").lstrip()
    if not text.startswith("["):
        return "native"
    try:
        first = json.loads(text)[0]
    except (json.JSONDecodeError, IndexError) as e:
        raise TaskFormatError(f"{path}: not a JSON list of tasks ({e})") from e
    if "tests" in first:
        return "python"
    if "db" in first:
        return "sql"
    if {"query", "gold"} <= set(first):
        return "bash"
    raise TaskFormatError(f"{path}: records have neither InterCode's fields nor execeval's",
                          hint="see docs/interactive.md for the task format")


def _native(path: Path, lineno: int, line: str) -> InteractiveTask:
    where = f"{path}:{lineno}"
    try:
        row = json.loads(line)
        language = row["language"]
        common = dict(task_id=str(row["task_id"]), language=language, query=row["query"], gold=row["gold"])
    except (json.JSONDecodeError, KeyError) as e:
        raise TaskFormatError(f"{where}: {e}", hint="each line needs task_id, language, query, gold") from e
    base = path.parent
    if language == "bash":
        tree = base / row["tree"] if row.get("tree") else None
        state = tar_directory(tree) if tree else b""
        return InteractiveTask(**common, state=state, mounts=tuple(row.get("mounts", ())))
    if language == "sql":
        if "db" not in row:
            raise TaskFormatError(f"{where}: an SQL task needs db (an .sqlite file or an .sql script)")
        return InteractiveTask(**common, state=sqlite_bytes(base / row["db"]),
                               extra={"tables": row.get("tables", {})})
    if language == "python":
        return InteractiveTask(**common, tests=tuple(row.get("tests", ())), test_setup=row.get("test_setup", ""))
    raise TaskFormatError(f"{where}: unknown language '{language}'", hint="use bash, sql or python")


def sqlite_bytes(db: Path) -> bytes:
    """An SQLite file's bytes, or the database an SQL script builds."""
    if not db.exists():
        raise TaskFormatError(f"{db}: no such database file")
    if db.suffix != ".sql":
        return db.read_bytes()
    con = sqlite3.connect(":memory:")
    try:
        con.executescript(db.read_text())
        return con.serialize()
    except sqlite3.Error as e:
        raise TaskFormatError(f"{db}: the script does not build a database ({e})") from e
    finally:
        con.close()
