"""SQL episodes on SQLite: each step is one fork-server job on a fresh copy of the task's database.

The episode's state is the list of statements that ran without error; a step replays them (results unseen)
before the new one, so `CREATE TABLE` / `INSERT` persist for the episode while the database file in the harness
never changes. The gold query runs on the untouched database. Rows leave the job as JSON (bytes tagged), are
rebuilt as tuples and compared outside the job (`rewards.sql_reward`). `x REGEXP 'p'` works (SQLite leaves the
function to the application; Python's `re.search` here, as MySQL's REGEXP searches).
"""

from __future__ import annotations

import json

from execeval.protocols.interactive.env import STEP_LIMITS, Environment, InteractiveTask, Step, shorten
from execeval.protocols.interactive.rewards import is_ordered_query, sql_reward
from execeval.sandbox.base import ExecResult, Program, Sandbox, Script, Status
from execeval.sandbox.limits import Limits

__all__ = ["SqlEnv", "ORDER_MODES"]

ORDER_MODES = ("gold", "always", "never")
_MARK = "\x1eEXECEVAL-SQL\x1e"

_RUNNER = r"""
import json, sqlite3, sys
req = json.loads(sys.stdin.read())
con = sqlite3.connect("db.sqlite", isolation_level=None)
con.text_factory = lambda b: b.decode("utf-8", "replace")
def regexp(pattern, value):
    import re
    return value is not None and re.search(pattern, str(value)) is not None
con.create_function("regexp", 2, regexp, deterministic=True)  # SQLite's REGEXP operator calls regexp()
for q in req["history"]:
    try:
        con.execute(q).fetchall()
    except Exception:
        pass
def cell(v):
    return {"$bytes": v.hex()} if isinstance(v, bytes) else v
out = {}
try:
    cur = con.execute(req["action"])
    rows = cur.fetchmany(req["max_rows"] + 1)
    out["rows"] = None if cur.description is None else [[cell(v) for v in r] for r in rows[:req["max_rows"]]]
    out["truncated"] = len(rows) > req["max_rows"]
except Exception as e:
    out["error"] = f"{type(e).__name__}: {e}"
sys.stdout.write(MARK + json.dumps(out))
""".replace("MARK", repr(_MARK))


class SqlEnv(Environment):
    """SQLite episodes. `order`: when Kendall's tau of the row order scales the reward — "gold" (the gold query
    has an ORDER BY), "always" (InterCode's rule, on MySQL's result order), "never"."""

    language = "sql"
    max_rows = 100_000

    def __init__(self, sandbox: Sandbox, limits: Limits = STEP_LIMITS, *, order: str = "gold") -> None:
        super().__init__(sandbox, limits)
        if order not in ORDER_MODES:
            raise ValueError(f"order must be one of {ORDER_MODES}, not {order!r}")
        self.order = order
        self.history: list[str] = []
        self.last_rows: list[tuple] | None = None
        self._gold: dict[str, list[tuple] | None] = {}

    def _reset_state(self, task: InteractiveTask) -> None:
        self.history, self.last_rows = [], None

    def _job(self, action: str) -> Program:
        return self._query_job(self.history, action)

    def _query_job(self, history: list[str], action: str) -> Script:
        assert self.task is not None
        request = json.dumps({"history": history, "action": action, "max_rows": self.max_rows})
        return Script(_RUNNER, stdin=request.encode(), files={"db.sqlite": self.task.state})

    def _absorb(self, action: str, result: ExecResult) -> Step:
        out = _parse(result)
        if "error" in out:
            self.last_rows = None
            return Step(action, f"Error executing query: {out['error']}", ok=False)
        self.history.append(action)
        rows = out.get("rows")
        self.last_rows = rows  # None for a statement with no result set: it scores 0, as in InterCode
        shown = "" if rows is None else str(self.last_rows)
        if out.get("truncated"):
            shown += f"\n[only the first {self.max_rows} rows kept]"
        return Step(action, shorten(shown))

    async def _ascore(self, argument: str | None) -> tuple[float, dict]:
        assert self.task is not None
        gold = await self.gold_rows()
        ordered = {"always": True, "never": False}.get(self.order, is_ordered_query(self.task.gold))
        reward = sql_reward(self.last_rows, gold, ordered=ordered)
        return reward, {"gold_rows": len(gold) if gold is not None else None, "ordered": ordered,
                        "agent_rows": None if self.last_rows is None else len(self.last_rows)}

    async def gold_rows(self) -> list[tuple] | None:
        assert self.task is not None
        key = self.task.task_id
        if key not in self._gold:
            out = _parse(await self.execute(self._query_job([], self.task.gold)))
            self._gold[key] = None if "error" in out else (out.get("rows") or [])
        return self._gold[key]


def _parse(result: ExecResult) -> dict:
    text = result.stdout.decode(errors="replace")
    if _MARK not in text:
        why = "timed out" if result.status in (Status.TIMEOUT, Status.CPU_LIMIT) else result.status.value
        return {"error": f"the query {why}: {result.stderr.decode(errors='replace')[-300:]}".rstrip(": ")}
    out = json.loads(text.rsplit(_MARK, 1)[1])
    if out.get("rows") is not None:
        out["rows"] = [tuple(_cell(v) for v in r) for r in out["rows"]]
    return out


def _cell(v):
    return bytes.fromhex(v["$bytes"]) if isinstance(v, dict) else v
