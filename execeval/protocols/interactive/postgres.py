"""SQL episodes on a PostgreSQL server you run (`SqlEnv`'s rewards, `--postgres DSN`); needs `psycopg`.

This is the one environment whose actions do not run in a sandbox job: jobs get no network, so the statements
go from the harness to the server, and the server's own permissions are the boundary. Each episode gets a
database of its own, cloned from a per-task template (`CREATE DATABASE ... TEMPLATE`, a file copy), owned by a
role made for the episode (no superuser, no CREATEDB/CREATEROLE, two connections), which is all it connects
as; so `pg_read_file`, `COPY ... PROGRAM`, other episodes' databases and new roles are refused by the server.
Each statement runs under `statement_timeout` and is also cancelled from here when the step's wall limit
passes (an action may `SET statement_timeout = 0`). The database and role are dropped when the episode ends.
The task's data comes from its SQLite database (tables and rows copied, types mapped by SQLite's affinity
rules); the gold query runs in a transaction that is rolled back, on a clone of its own.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import secrets
import sqlite3

from execeval.errors import UsageError
from execeval.protocols.interactive.env import STEP_LIMITS, Environment, InteractiveTask, Step, shorten
from execeval.protocols.interactive.rewards import is_ordered_query, sql_reward
from execeval.protocols.interactive.sql import ORDER_MODES
from execeval.sandbox.base import ExecResult, Program, Sandbox
from execeval.sandbox.limits import Limits

__all__ = ["PostgresEnv"]

_templates: dict[tuple[str, str], asyncio.Lock] = {}
_gold: dict[tuple[str, str, str], list[tuple] | None] = {}


class PostgresEnv(Environment):
    language = "sql"
    max_rows = 100_000

    def __init__(self, sandbox: Sandbox, limits: Limits = STEP_LIMITS, *, dsn: str, order: str = "gold") -> None:
        super().__init__(sandbox, limits)
        if importlib.util.find_spec("psycopg") is None:
            raise UsageError("PostgreSQL episodes need psycopg", hint="pip install 'psycopg[binary]'")
        if order not in ORDER_MODES:
            raise ValueError(f"order must be one of {ORDER_MODES}, not {order!r}")
        self.dsn, self.order = dsn, order
        self.conn = None
        self.database = self.role = None
        self.last_rows: list[tuple] | None = None

    # ------------------------------------------------------------ episode lifecycle
    async def _areset_state(self, task: InteractiveTask) -> None:
        await self.aclose()
        template = await self._template(task)
        suffix = secrets.token_hex(6)
        self.database, self.role, password = f"ee_e_{suffix}", f"ee_agent_{suffix}", secrets.token_hex(16)  # type: ignore[assignment]  # set when the episode starts
        async with await self._admin() as admin:
            await admin.execute(f'CREATE ROLE "{self.role}" LOGIN PASSWORD \'{password}\' NOSUPERUSER NOCREATEDB '
                                "NOCREATEROLE NOINHERIT CONNECTION LIMIT 2")
            await admin.execute(f'CREATE DATABASE "{self.database}" TEMPLATE "{template}" OWNER "{self.role}"')
            await admin.execute(f'REVOKE ALL ON DATABASE "{self.database}" FROM PUBLIC')
        import psycopg

        async with await psycopg.AsyncConnection.connect(self.dsn, dbname=self.database, autocommit=True) as db:
            tables = await (await db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).fetchall()
            await db.execute(f'ALTER SCHEMA public OWNER TO "{self.role}"')
            for (table,) in tables:  # the episode's tables are the agent's, as an SQLite file's would be
                await db.execute(f'ALTER TABLE "{table}" OWNER TO "{self.role}"')

        self.conn = await psycopg.AsyncConnection.connect(self.dsn, dbname=self.database, user=self.role,  # type: ignore[assignment]  # set when the episode starts
                                                          password=password, autocommit=True)
        self.last_rows = None

    async def aclose(self) -> None:
        if self.conn is not None:
            await self.conn.close()
            self.conn = None
        if self.database is not None:
            async with await self._admin() as admin:
                await admin.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
                await admin.execute(f'DROP ROLE IF EXISTS "{self.role}"')
            self.database = self.role = None

    async def _arun(self, action: str) -> Step:
        assert self.conn is not None
        budget = self.limits.wall_s
        try:
            rows = await asyncio.wait_for(self._query(self.conn, action, budget), budget + 1.0)
        except TimeoutError:
            self.conn.cancel()
            self.last_rows = None
            return Step(action, f"Error executing query: timed out after {budget:g} s", ok=False)
        except Exception as e:  # noqa: BLE001 - psycopg.Error: the statement failed; the connection (autocommit) goes on
            self.last_rows = None
            return Step(action, f"Error executing query: {str(e).strip().splitlines()[0]}", ok=False)
        self.last_rows = rows
        return Step(action, "" if rows is None else shorten(str(rows)))

    async def _query(self, conn, sql: str, budget: float) -> list[tuple] | None:
        async with conn.cursor() as cur:
            await cur.execute(f"SET statement_timeout = {int(budget * 1000)}")
            await cur.execute(sql)
            return None if cur.description is None else [tuple(r) for r in await cur.fetchmany(self.max_rows)]

    async def _ascore(self, argument: str | None) -> tuple[float, dict]:
        assert self.task is not None
        key = (self.dsn, _task_key(self.task), self.task.gold)
        if key not in _gold:
            _gold[key] = await self._gold_rows(self.task)
        gold = _gold[key]
        ordered = {"always": True, "never": False}.get(self.order, is_ordered_query(self.task.gold))
        return sql_reward(self.last_rows, gold, ordered=ordered), {"gold_rows": None if gold is None else len(gold)}

    async def _gold_rows(self, task: InteractiveTask) -> list[tuple] | None:
        import psycopg

        template = await self._template(task)
        async with await psycopg.AsyncConnection.connect(self.dsn, dbname=_gold_db(template)) as conn:
            try:
                rows = await self._query(conn, task.gold, self.limits.wall_s)
            except psycopg.Error:
                rows = None
            await conn.rollback()  # the gold query changes nothing, not even the template
        return rows

    # ------------------------------------------------------------ the per-task template
    async def _template(self, task: InteractiveTask) -> str:
        """The task's database on the server, made once: `ee_t_<hash of its SQLite bytes>`."""
        name = f"ee_t_{_task_key(task)}"
        lock = _templates.setdefault((self.dsn, name), asyncio.Lock())
        async with lock:
            async with await self._admin() as admin:
                exists = await (await admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                                    (name,))).fetchone()
                if not exists:
                    await admin.execute(f'CREATE DATABASE "{name}"')
                    await admin.execute(f'REVOKE ALL ON DATABASE "{name}" FROM PUBLIC')
                    import psycopg

                    async with await psycopg.AsyncConnection.connect(self.dsn, dbname=name) as conn:
                        await _copy_sqlite(task.state, conn)
                    # the gold query's own copy: a session on the template would stop it being cloned
                    await admin.execute(f'CREATE DATABASE "{_gold_db(name)}" TEMPLATE "{name}"')
        return name

    async def _admin(self):
        import psycopg

        return await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)

    # the base class's job hooks: nothing here is a sandbox job
    def _reset_state(self, task: InteractiveTask) -> None:  # pragma: no cover - _areset_state replaces it
        raise NotImplementedError

    def _job(self, action: str) -> Program:  # pragma: no cover - _arun replaces it
        raise NotImplementedError

    def _absorb(self, action: str, result: ExecResult) -> Step:  # pragma: no cover
        raise NotImplementedError


def _gold_db(template: str) -> str:
    return template.replace("ee_t_", "ee_g_", 1)


def _task_key(task: InteractiveTask) -> str:
    return hashlib.sha256(task.state).hexdigest()[:16]


def _pg_type(declared: str) -> str:
    """SQLite's type affinity rules (in their order), as a PostgreSQL type."""
    t = declared.upper()
    if "INT" in t:
        return "bigint"
    if any(k in t for k in ("CHAR", "CLOB", "TEXT")):
        return "text"
    if "BLOB" in t or not t:
        return "bytea" if "BLOB" in t else "text"
    if any(k in t for k in ("REAL", "FLOA", "DOUB")):
        return "double precision"
    return "numeric" if any(k in t for k in ("DEC", "NUM")) else "text"


async def _copy_sqlite(db: bytes, conn) -> None:
    source = sqlite3.connect(":memory:")
    try:
        source.deserialize(db)
        tables = [r[0] for r in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for table in tables:
            columns = source.execute(f'PRAGMA table_info("{table}")').fetchall()
            names = [c[1] for c in columns]
            ddl = ", ".join(f'"{c[1]}" {_pg_type(c[2] or "")}' for c in columns)
            async with conn.cursor() as cur:
                await cur.execute(f'CREATE TABLE "{table}" ({ddl})')
                rows = source.execute(f'SELECT {", ".join(chr(34) + n + chr(34) for n in names)} FROM "{table}"')
                marks = ", ".join(["%s"] * len(names))
                await cur.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows.fetchall())
        await conn.commit()
    finally:
        source.close()
