"""SQL episodes on PostgreSQL: the same rewards as SQLite, one database and role per episode, limits the agent
cannot lift. Runs against EXECEVAL_PG_DSN, or a private throwaway cluster when PostgreSQL's binaries are here
(as root, the server runs as the `postgres` user); skipped otherwise."""

from __future__ import annotations

import asyncio
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from execeval.protocols.interactive import environment_for
from execeval.sandbox import Limits
from test_interactive import sandbox, tasks  # noqa: F401  (fixtures: one sandbox, the fixture tasks)

psycopg = pytest.importorskip("psycopg")


def _pg_bin(name: str) -> str | None:
    return shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))), None)


@pytest.fixture(scope="module")
def dsn():
    if os.environ.get("EXECEVAL_PG_DSN"):
        yield os.environ["EXECEVAL_PG_DSN"]
        return
    initdb, pg_ctl = _pg_bin("initdb"), _pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        pytest.skip("no PostgreSQL (set EXECEVAL_PG_DSN, or install Debian's postgresql)")
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server")
        run_as = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="execeval-pg-"))  # pytest's tmp dirs are root's alone (0700)
    base.chmod(0o755)
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    if run_as:
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
    subprocess.run([*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "postgres"], check=True,
                   capture_output=True)
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-w", "-l", str(base / "log"), "-o",
                    f"-k {sock} -c listen_addresses='' -c fsync=off", "start"], check=True, capture_output=True)
    try:
        yield f"host={sock} user=postgres dbname=postgres"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "stop"], capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow  # the private cluster's initdb takes a few seconds
def test_postgres_rewards_match_sqlites(dsn, sandbox, tasks):
    answers = {"sql/paris_sorted": ("SELECT name FROM customers WHERE city = 'Paris' ORDER BY name DESC", -1.0),
               "sql/totals": ("SELECT customer_id, SUM(amount) FROM orders GROUP BY customer_id ORDER BY 1 DESC",
                              1.0),
               "sql/big_orders": ("SELECT * FROM orders WHERE amount > 500", 1.0),
               "sql/order_count": ("SELECT nope FROM orders", 0.0)}
    for task_id, (query, reward) in answers.items():
        for env in (environment_for("sql", sandbox), environment_for("sql", sandbox, dsn=dsn)):
            env.reset(tasks[task_id])
            env.step(query)
            assert env.step("submit")[1] == reward, (task_id, type(env).__name__)
            env.close()


@pytest.mark.slow
def test_each_episode_has_its_own_database_and_cannot_lift_its_limits(dsn, sandbox, tasks):
    short = Limits(wall_s=1.0, cpu_s=1.0)
    a, b = (environment_for("sql", sandbox, dsn=dsn, limits=short) for _ in range(2))

    async def both():
        await asyncio.gather(a.areset(tasks["sql/order_count"]), b.areset(tasks["sql/order_count"]))
        await a.astep("DELETE FROM orders")
        return (await a.astep("SELECT COUNT(*) FROM orders"))[0], (await b.astep("SELECT COUNT(*) FROM orders"))[0]

    assert asyncio.run(both()) == ("[(0,)]", "[(5,)]")
    assert "timeout" in a.step("SELECT pg_sleep(30)")[0]
    assert "timed out" in a.step("SET statement_timeout = 0; SELECT pg_sleep(30)")[0]  # cancelled from outside
    for hostile in ("SELECT pg_read_file('/etc/passwd')", "CREATE DATABASE x", "CREATE ROLE x SUPERUSER",
                    "COPY (SELECT 1) TO PROGRAM 'id'"):
        assert a.step(hostile)[0].startswith("Error executing query"), hostile
    assert a.step("SELECT COUNT(*) FROM orders")[0] == "[(0,)]"  # the episode goes on
    names = (a.database, b.database)
    a.close()
    b.close()
    with psycopg.connect(dsn) as admin:
        left = admin.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", (list(names),)).fetchall()
    assert left == []  # dropped with their episodes
