"""The run store: one SQLite file (WAL) in the run directory.

Verdicts are keyed by a hash of (program, tests, limits, execeval version), so an identical program is executed
once, a finished run costs nothing to repeat, and `kill -9` at any moment loses at most the jobs in flight: each
verdict is committed as it arrives (WAL with synchronous=NORMAL survives a killed process). `BufferedStore` is
the service's: a commit per verdict costs about as much CPU as judging the verdict (~40 us here).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path

from execeval.errors import StoreError

STORE_NAME = "execeval.sqlite"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS verdicts (key TEXT PRIMARY KEY, verdict TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS refs (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS generations (key TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (kind TEXT NOT NULL, key TEXT NOT NULL, data TEXT NOT NULL,
                                    PRIMARY KEY (kind, key));
"""


class RunStore:
    """Key → JSON tables for verdicts, reference runs and generations, plus run metadata."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            why = "a file is in the way" if isinstance(e, (FileExistsError, NotADirectoryError)) else e.strerror
            raise StoreError(f"{self.path.parent}: cannot make the run directory ({why or e})",
                             hint="pass one you can write (--out, or --state-dir for `execeval serve`)") from None
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as e:
            raise StoreError(f"{self.path}: not a usable execeval store ({e})",
                             hint="choose another --out directory or delete the file") from e
        self._lock = threading.Lock()

    @classmethod
    def in_dir(cls, out_dir: str | os.PathLike[str]) -> "RunStore":
        return cls(Path(out_dir) / STORE_NAME)

    def _get_many(self, table: str, keys: Iterable[str]) -> dict[str, dict]:
        return {k: json.loads(v) for k, v in self._get_texts(table, keys).items()}

    def _get_texts(self, table: str, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        found: dict[str, str] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            with self._lock:
                rows = self._db.execute(f"SELECT key, {_COLUMN[table]} FROM {table} WHERE key IN ({marks})",
                                        chunk).fetchall()
            found.update(rows)
        return found

    def _put(self, table: str, key: str, value: dict | str) -> None:
        with self._lock:
            self._db.execute(_upsert(table), (key, _json_text(value)))

    def verdicts(self, keys: Iterable[str]) -> dict[str, dict]:
        return self._get_many("verdicts", keys)

    def put_verdict(self, key: str, verdict: dict) -> None:
        self._put("verdicts", key, verdict)

    def references(self, keys: Iterable[str]) -> dict[str, dict]:
        return self._get_many("refs", keys)

    def reference_texts(self, keys: Iterable[str]) -> dict[str, str]:
        """`references` as their stored JSON text: copied to another store as it is (HumanEval+'s are ~10 MB)."""
        return self._get_texts("refs", keys)

    def put_reference(self, key: str, data: dict | str) -> None:
        """`data`, or its JSON text when the caller already has it (one serialisation for the run store and the
        shared cache)."""
        self._put("refs", key, data)

    def generations(self, keys: Iterable[str]) -> dict[str, dict]:
        return self._get_many("generations", keys)

    def put_generation(self, key: str, data: dict) -> None:
        self._put("generations", key, data)

    # Records: what the protocols keep (turns of a dialogue, episodes, difference searches), by kind and key.
    # Keys sort in the order callers want them read back (e.g. "task/0003"), so a prefix reads one dialogue.
    def put_record(self, kind: str, key: str, data: dict) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO records (kind, key, data) VALUES (?, ?, ?)",
                             (kind, key, json.dumps(data)))

    def record(self, kind: str, key: str) -> dict | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM records WHERE kind = ? AND key = ?", (kind, key)).fetchone()
        return json.loads(row[0]) if row else None

    def records(self, kind: str, prefix: str = "") -> dict[str, dict]:
        """Every record of `kind` whose key starts with `prefix`, in key order."""
        with self._lock:
            rows = self._db.execute("SELECT key, data FROM records WHERE kind = ? AND substr(key, 1, ?) = ? "
                                    "ORDER BY key", (kind, len(prefix), prefix)).fetchall()
        return {k: json.loads(v) for k, v in rows}

    def get_meta(self, key: str) -> object | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else None

    def set_meta(self, key: str, value: object) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, json.dumps(value)))

    def count(self, table: str) -> int:
        with self._lock:
            return self._db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _json_text(value: dict | str) -> str:
    return value if type(value) is str else json.dumps(value)


_COLUMN = {"verdicts": "verdict", "refs": "data", "generations": "data"}


def _upsert(table: str) -> str:
    """The one statement both stores write a keyed row with."""
    return f"INSERT OR REPLACE INTO {table} (key, {_COLUMN[table]}) VALUES (?, ?)"


class BufferedStore(RunStore):
    """A run store whose verdicts, references and generations are committed by a writer thread every `every_s`
    seconds, many in one transaction. Reads see them at once (pending ones first). `close` commits everything,
    so a graceful stop loses nothing; a killed process loses at most the writes of its last `every_s` (verdicts
    already answered, so a repeated request runs them again: slower, never wrong)."""

    def __init__(self, path: str | Path, every_s: float = 0.05) -> None:
        super().__init__(path)
        self.every_s = every_s
        self._pending: dict[tuple[str, str], str] = {}  # (table, key) -> JSON, not committed yet
        self._wake = threading.Condition()
        self._closing = False
        self._writer = threading.Thread(target=self._write_loop, name="store-writer", daemon=True)
        self._writer.start()

    def _put(self, table: str, key: str, value: dict | str) -> None:
        data = _json_text(value)
        with self._wake:
            self._pending[(table, key)] = data
            self._wake.notify()

    def _get_texts(self, table: str, keys: Iterable[str]) -> dict[str, str]:
        keys = list(keys)
        with self._wake:
            found = {k: self._pending[(table, k)] for k in keys if (table, k) in self._pending}
        rest = [k for k in keys if k not in found]
        if rest:  # a write leaves `_pending` only under the connection's lock: this read then sees it committed
            found.update(super()._get_texts(table, rest))
        return found

    def _write_loop(self) -> None:
        while True:
            with self._wake:
                while not self._pending and not self._closing:
                    self._wake.wait()
                if self._closing and not self._pending:
                    return
                self._wake.wait_for(lambda: self._closing, self.every_s)  # a batch gathers: one commit for all
            try:
                self.flush()
            except StoreError:  # e.g. another process holds the file's write lock: kept, tried again next round
                pass
            if self._closing:  # `close` makes the last try, and says if it fails
                return

    def flush(self) -> None:
        """Commit every pending write now (a `StoreError` keeps them pending)."""
        with self._lock:
            with self._wake:
                batch, self._pending = self._pending, {}
            if not batch:
                return
            try:
                self._db.execute("BEGIN")
                for (table, key), data in batch.items():
                    self._db.execute(_upsert(table), (key, data))
                self._db.execute("COMMIT")
            except sqlite3.Error as e:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                with self._wake:  # kept for the next try; newer writes of the same keys win
                    self._pending = {**batch, **self._pending}
                raise StoreError(f"{self.path}: cannot commit {len(batch)} verdicts ({e})",
                                 hint="free the disk, or stop whatever else holds the store open") from e

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._writer.join()
        self.flush()
        super().close()
