"""What a Python function does on given inputs, observed in the sandbox and compared in the harness.

Both protocols ask the same question of two programs (a candidate and the reference, or P and Q): what does
each return on these inputs? One job per program runs every input as a `Call` case with no expectation (so the
job never sees what the other side said); the outputs come back encoded (`execeval.values`) and are compared
here. Exceptions and timeouts are outputs too: a crash on one side only is a difference. Inputs are argument
lists of plain values (what `ast.literal_eval` or a benchmark file can give).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from execeval.sandbox.base import Assert, Call, CaseStatus, ExecResult, PythonTests, Sandbox, Status
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import Task
from execeval.values import Opaque, decode, encode, outputs_match, short_repr

__all__ = ["Outcome", "Program", "observe", "observe_many", "differs", "task_inputs", "task_program", "task_oracle",
           "call_text"]

VALUE, RAISE, TIMEOUT, UNKNOWN = "value", "raise", "timeout", "unknown"
CASE_CPU_S = 1.0  # CPU seconds per input: generated inputs are small, and both sides get the same
MAX_TIMEOUTS = 3  # a program that timed out this often gets no more re-runs (the rest of its inputs: unknown)


@dataclass(frozen=True)
class Outcome:
    """What one call did: returned `value` (encoded text), raised `error` (the exception's type), ran out of
    time, or is unknown (the job died before reaching it, or the sandbox failed)."""

    kind: str
    value: str | None = None
    error: str | None = None

    def describe(self) -> str:
        if self.kind == VALUE:
            return short_repr(decode(self.value or "null"))
        if self.kind == RAISE:
            return f"raises {self.error}"
        return "times out" if self.kind == TIMEOUT else "unknown"

    def as_dict(self) -> dict:
        return {k: v for k, v in (("kind", self.kind), ("value", self.value), ("error", self.error)) if v is not None}

    @classmethod
    def from_dict(cls, d: dict) -> "Outcome":
        return cls(d["kind"], d.get("value"), d.get("error"))


@dataclass(frozen=True)
class Program:
    """A Python module and the function of it to call (with the test setup code it needs, if any)."""

    code: str
    entry_point: str
    setup: str = ""


def call_text(entry_point: str, args: Sequence[Any]) -> str:
    """`f(1, [2])`: how an input is shown to people and models."""
    return f"{entry_point}({', '.join(short_repr(a, 2000) for a in args)})"


def _job(program: Program, inputs: Sequence[Sequence[Any]], case_cpu_s: float) -> tuple[PythonTests, Limits]:
    cases = tuple(Call(encode(list(args)), tagged=True) for args in inputs)
    job = PythonTests(program.code, program.entry_point, cases, setup=program.setup, stop_on_failure=False,
                      case_cpu_s=(case_cpu_s,) * len(cases))
    budget = 5.0 + case_cpu_s * len(cases)
    return job, DEFAULT_LIMITS.with_(cpu_s=budget, wall_s=2 * budget)


def _outcomes(result: ExecResult, n: int, loads: bool) -> tuple[list[Outcome], list[int]]:
    """Outcomes of the cases that reported, and the indices of those to run again (after a crash). `loads`:
    the program is known to load (an earlier job of it reached a case)."""
    out = [Outcome(UNKNOWN)] * n
    if result.status is Status.SANDBOX_ERROR:
        return out, []
    reported = [c for c in result.cases if c.status is not CaseStatus.NOT_RUN]
    for c in reported:
        if c.status is CaseStatus.PASSED:
            out[c.index] = Outcome(VALUE, value=c.output)
        elif c.status is CaseStatus.TIMEOUT:
            out[c.index] = Outcome(TIMEOUT)
        else:
            out[c.index] = Outcome(RAISE, error=c.error_type or "Exception")
    if not reported and not loads:  # it never reached a case: it does not load (or dies or hangs loading)
        stuck = result.status in (Status.TIMEOUT, Status.CPU_LIMIT)
        failed = result.completed or result.status is Status.FAILED
        error = (result.error_type or "LoadError") if failed else result.status.value
        return [Outcome(TIMEOUT) if stuck else Outcome(RAISE, error=error)] * n, []
    last = max((c.index for c in reported), default=-1)
    rest = [i for i in range(last + 1, n) if out[i].kind == UNKNOWN]
    if rest and not result.completed and out[last].kind != TIMEOUT:  # died in the case after the last report
        dead = rest.pop(0)
        killed = result.status in (Status.TIMEOUT, Status.CPU_LIMIT)
        out[dead] = Outcome(TIMEOUT) if killed else Outcome(RAISE, error=result.status.value)
    return out, rest


def observe_many(sandbox: Sandbox, work: Sequence[tuple[Program, Sequence[Sequence[Any]]]], *,
                 case_cpu_s: float = CASE_CPU_S,
                 enough: Callable[[int, list[list[Outcome]]], bool] | None = None) -> list[list[Outcome]]:
    """Run each program on its inputs (all jobs in flight at once); inputs after a crash or a timeout run again
    in a job of their own, so every input gets an outcome of its own, unless the program has timed out
    `MAX_TIMEOUTS` times already (each costs a whole case budget) or `enough(i, outcomes so far)` says the caller
    has what it needs of program i (a search that already sees a difference): the rest stay unknown."""
    results: list[list[Outcome]] = [[Outcome(UNKNOWN)] * len(inputs) for _, inputs in work]
    todo = [(i, list(range(len(inputs)))) for i, (_, inputs) in enumerate(work) if inputs]
    while todo:
        futures: list[tuple[int, list[int], Future[ExecResult]]] = []
        for i, idx in todo:
            program, inputs = work[i]
            job, limits = _job(program, [inputs[j] for j in idx], case_cpu_s)
            futures.append((i, idx, sandbox.submit(job, limits, priority=-len(idx))))
        todo = []
        for i, idx, fut in futures:
            got, rest = _outcomes(fut.result(), len(idx), loads=len(idx) < len(work[i][1]))
            for j, o in zip(idx, got):
                results[i][j] = o
            if rest:
                todo.append((i, [idx[r] for r in rest]))
        todo = [(i, idx) for i, idx in todo if sum(o.kind == TIMEOUT for o in results[i]) < MAX_TIMEOUTS
                and not (enough is not None and enough(i, results))]
    return results


def observe(sandbox: Sandbox, program: Program, inputs: Sequence[Sequence[Any]], *,
            case_cpu_s: float = CASE_CPU_S) -> list[Outcome]:
    return observe_many(sandbox, [(program, inputs)], case_cpu_s=case_cpu_s)[0]


def differs(expected: Outcome, actual: Outcome, *, atol: float = 0.0, oracle: str = "",
            args: Sequence[Any] = ()) -> bool:
    """Whether `actual` tells itself apart from `expected`: values compared as the tests compare them
    (`outputs_match`, with the task's atol and oracle), exceptions by type, a timeout only by a non-timeout;
    unknown never differs (nothing was seen)."""
    if UNKNOWN in (expected.kind, actual.kind):
        return False
    if expected.kind != actual.kind:
        return True
    if expected.kind == VALUE:
        want = decode(expected.value or "null")
        if isinstance(want, Opaque):  # an output that is not plain data on the expected side: not comparable
            return False
        return not outputs_match(decode(actual.value or "null"), want, atol, oracle, list(args))
    return expected.kind == RAISE and expected.error != actual.error


def task_inputs(task: Task) -> list[list[Any]]:
    """A Python function task's input pool: the arguments of its `Call` cases (base, then plus), deduplicated;
    for tasks whose tests are asserts (HumanEval, MBPP), the literal arguments of the calls they make."""
    import json

    seen: set[str] = set()
    pool: list[list[Any]] = []
    suites = [task.tests] + ([task.plus_tests] if task.plus_tests is not None else [])
    for suite in suites:
        for case in suite.cases:
            if isinstance(case, Call) and case.args_json not in seen:
                seen.add(case.args_json)
                args = decode(case.args_json) if case.tagged else json.loads(case.args_json)
                if isinstance(args, list):
                    pool.append(args)
    return pool or _assert_inputs(task)


def _assert_inputs(task: Task) -> list[list[Any]]:
    """Literal argument lists of the calls to the entry point (or HumanEval's `candidate`) in a task's test code,
    read with `ast` (never run)."""
    import ast

    code = "\n".join([task.tests.setup] + [c.code for c in task.tests.cases if isinstance(c, Assert)])
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    seen: set[str] = set()
    pool = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords
                and node.func.id in (task.entry_point, "candidate")):
            try:
                args = [ast.literal_eval(a) for a in node.args]
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                continue
            key = encode(args)
            if key not in seen:
                seen.add(key)
                pool.append(args)
    return pool


def task_program(task: Task, code: str | None = None, *, contract: bool = False) -> Program:
    """A task's reference (or `code`, a whole candidate program) with the task's test setup. `contract`: the
    reference checks its input first (EvalPlus's contracts: asserts that say which inputs the task admits), so an
    input outside the task raises instead of returning."""
    if code is None:
        code = with_contract(task) if contract else task.reference
    return Program(code, task.entry_point, task.tests.setup)


def with_contract(task: Task) -> str:
    """The reference with the task's contract (HumanEval+/MBPP+ `contract`) as the entry point's first lines."""
    import ast
    import textwrap

    contract = str(task.metadata.get("contract") or "")
    if not contract.strip():
        return task.reference
    try:
        tree = ast.parse(task.reference)
    except SyntaxError:
        return task.reference
    fn = next((n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
               and n.name == task.entry_point), None)
    if fn is None:
        return task.reference
    body = fn.body
    first = body[1] if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(
        getattr(body[0], "value", None), ast.Constant) and isinstance(body[0].value.value, str) else body[0]  # type: ignore[attr-defined]  # checked by the isinstance just before
    lines = task.reference.splitlines(keepends=True)
    line = lines[first.lineno - 1]
    indent = line[:len(line) - len(line.lstrip())]  # as the body is indented (tabs, in some MBPP+ references)
    block = textwrap.indent(textwrap.dedent(contract.strip("\n")), indent) + "\n"
    code = "".join(lines[:first.lineno - 1]) + block + "".join(lines[first.lineno - 1:])
    try:
        ast.parse(code)
    except SyntaxError:  # a reference indented with tabs (some MBPP+ ones): without its contract, then
        return task.reference
    return code


def task_oracle(task: Task) -> tuple[float, str]:
    """How a task's tests compare outputs: (atol, oracle name)."""
    oracle = next((c.oracle for c in task.tests.cases if isinstance(c, Call) and c.oracle), "")
    return task.tests.atol, oracle
