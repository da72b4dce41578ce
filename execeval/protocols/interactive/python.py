"""Python episodes: the agent defines and tries functions; `submit NAME` scores NAME on the task's tests.

The session's state is the list of cells that ran without an exception; each step replays them in a fresh
fork-server job (their output unseen) and runs the new cell, showing its output and, as a REPL does, the repr of
a final expression. Scoring is a `PythonTests` job (the sandbox's authenticated test channel), with the gold
function's name bound to NAME so the task's asserts call it; reward = share of asserts that pass.
"""

from __future__ import annotations

import ast
import json
import re

from execeval.protocols.interactive.env import STEP_LIMITS, Environment, InteractiveTask, Step, shorten
from execeval.sandbox.base import Assert, CaseStatus, ExecResult, Program, PythonTests, Sandbox, Script
from execeval.sandbox.limits import Limits

__all__ = ["PythonEnv"]

_MARK = "\x1eEXECEVAL-PY\x1e"

_RUNNER = r"""
import ast, contextlib, io, json, sys, traceback
req = json.loads(sys.stdin.read())
ns = {"__name__": "__main__"}
sink = io.StringIO()
for cell in req["cells"]:
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        try:
            exec(compile(cell, "<cell>", "exec"), ns)
        except BaseException:
            pass
buf = io.StringIO()
error = ""
with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
    try:
        tree = ast.parse(req["action"], "<input>")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "<input>", "exec"), ns)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<input>", "eval"), ns)
            if value is not None:
                print(repr(value))
    except BaseException as e:
        error = "".join(traceback.format_exception_only(type(e), e)).strip()
sys.__stdout__.write(MARK + json.dumps({"output": buf.getvalue(), "error": error}))
""".replace("MARK", repr(_MARK))


class PythonEnv(Environment):
    language = "python"

    def __init__(self, sandbox: Sandbox, limits: Limits = STEP_LIMITS) -> None:
        super().__init__(sandbox, limits)
        self.cells: list[str] = []

    def _reset_state(self, task: InteractiveTask) -> None:
        self.cells = []

    def _job(self, action: str) -> Program:
        return Script(_RUNNER, stdin=json.dumps({"cells": self.cells, "action": action}).encode())

    def _absorb(self, action: str, result: ExecResult) -> Step:
        text = result.stdout.decode(errors="replace")
        if _MARK not in text:
            return Step(action, f"Error: the cell did not finish ({result.status.value})", ok=False)
        out = json.loads(text.rsplit(_MARK, 1)[1])
        if not out["error"]:
            self.cells.append(action)
        shown = out["output"] + (("\n" if out["output"] else "") + out["error"] if out["error"] else "")
        return Step(action, shorten(shown.rstrip("\n")), ok=not out["error"])

    async def _ascore(self, argument: str | None) -> tuple[float, dict]:
        assert self.task is not None
        name = argument.strip() if argument else self.score_function()
        if not name or not self.task.tests:
            return 0.0, {"error": "no function to submit" if not name else "the task has no tests"}
        gold_name = tested_function(self.task.gold, self.task.tests) or name
        program = "\n\n".join(self.cells) + f"\n\n{gold_name} = {name}\n"
        job = PythonTests(program, gold_name, tuple(Assert(t) for t in self.task.tests),
                          setup=self.task.test_setup, stop_on_failure=False)
        result = await self.execute(job)
        passed = sum(c.status is CaseStatus.PASSED for c in result.cases) if result.completed else 0
        return passed / len(self.task.tests), {"submitted": name, "passed": passed,
                                               "tests": len(self.task.tests), "status": result.status.value}

    def score_function(self) -> str | None:
        names = defined_functions("\n".join(self.cells))
        return names[-1] if names else None


def tested_function(gold: str, tests: tuple[str, ...]) -> str | None:
    """The gold function the tests call (a gold solution may define helpers first), else its first."""
    names = re.findall(r"^def\s+(\w+)\s*\(", gold, re.MULTILINE)
    called = [n for n in names if any(re.search(rf"\b{re.escape(n)}\s*\(", t) for t in tests)]
    return (called or names or [None])[0]


def defined_functions(source: str) -> list[str]:
    """Top-level functions a session defined, in order (the last one is what a bare `submit` means)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
