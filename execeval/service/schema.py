"""What `POST /v1/verify` accepts, in one place: parsing and checking a request body into `JobSpec`s.

A body is one job, or a batch with limits shared by its jobs:

    {"task": "demo/3", "completion": "    return sorted(x)\\n"}                      # a benchmark task + a completion
    {"program": "def f(x):\\n    return x + 1\\n", "tests": ["assert f(1) == 2"]}     # a program + its tests
    {"jobs": [{...}, {...}], "limits": {"timeout_s": 0.5}}                           # a batch

Job fields: `task` (its id), `benchmark` (only when several served benchmarks have that id), `completion`
(continues the task's prompt) or `solution` (a whole program); or `program`, `tests` (Python asserts), `setup`
(code run before the tests), `entry_point` (default: the first of the program's top-level functions that
the tests call, never one named like a builtin; the answer's row says which, as `entry_point`), `task_id` (a label
for the result, default "program"). Either kind may carry `completion_id` and its own `limits`.

Limits are the `execeval evaluate` flags of the same meaning: `timeout_s` (per-test CPU floor, reference-machine
seconds), `plus_timeout_s`, `time_factor`, `memory_mb`, `all_tests`, `plus`. The reply is
`{"results": [row, ...]}`, one results.jsonl row per job, in request order (docs/run-format.md).
"""

from __future__ import annotations

import ast
import builtins
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

from execeval.errors import UsageError

_BUILTIN_NAMES = frozenset(dir(builtins))
_CALLED = re.compile(r"([A-Za-z_]\w*)\s*\(")

DEFAULT_PORT = 8731
DEFAULT_URL = f"http://127.0.0.1:{DEFAULT_PORT}"
VERIFY_PATH = "/v1/verify"
TASK_FIELDS = {"task", "benchmark", "completion", "solution", "completion_id", "limits"}
PROGRAM_FIELDS = {"program", "tests", "setup", "entry_point", "task_id", "completion_id", "limits"}
# limit name -> (type, the server's ceiling attribute on `Ceilings`, or None)
LIMIT_FIELDS: dict[str, tuple[type, str | None]] = {
    "timeout_s": (float, "timeout_s"), "plus_timeout_s": (float, "timeout_s"), "time_factor": (float, None),
    "memory_mb": (int, "memory_mb"), "all_tests": (bool, None), "plus": (bool, None),
}


class RequestError(UsageError):
    """A request the service cannot take: the message says which field and what it expected (HTTP 400)."""


@dataclass(frozen=True)
class Ceilings:
    """What one job may ask for at most on this server, so that a request cannot hold a worker for long."""

    timeout_s: float = 60.0
    memory_mb: int = 8192
    max_jobs: int = 4096  # jobs in one request
    max_code_chars: int = 1 << 20  # characters of one program, completion or test


@dataclass(frozen=True)
class JobSpec:
    """One job of a request: a served task and a sample's code, or a program with its own asserts."""

    code: str  # the completion, solution or program
    kind: str  # "completion" or "solution" (a program is a solution)
    task: str | None = None  # a served task's id
    benchmark: str | None = None
    tests: tuple[str, ...] = ()  # a program's asserts
    setup: str = ""
    entry_point: str = ""
    task_id: str = "program"
    completion_id: int = 0
    limits: dict = field(default_factory=dict)  # checked LIMIT_FIELDS values


def parse_request(body: bytes, ceilings: Ceilings = Ceilings()) -> list[JobSpec]:
    """The jobs of a request body, or a `RequestError` naming what is wrong."""
    try:
        data = json.loads(body)
    except RecursionError:
        raise RequestError("the body nests deeper than this server reads", hint="send flat job objects") from None
    except ValueError as e:  # not JSON, not UTF-8, or a number over Python's digit limit for int()
        raise RequestError(f"the body is not JSON this server reads: {str(e)[:200]}",
                           hint='send {"task": ..., "completion": ...} or {"jobs": [...]}') from None
    if not isinstance(data, dict):
        raise RequestError(f"the body is a JSON {type(data).__name__}, not an object",
                           hint='send one job object, or {"jobs": [...]}')
    if "jobs" not in data:
        return [_job(data, "the job", {}, ceilings, 0)]
    _only(data, {"jobs", "limits"}, "the request")
    jobs = data["jobs"]
    if not isinstance(jobs, list) or not jobs:
        raise RequestError("jobs: expected a non-empty list of job objects")
    if len(jobs) > ceilings.max_jobs:
        raise RequestError(f"jobs: {len(jobs)} in one request, at most {ceilings.max_jobs} on this server",
                           hint="split the batch")
    shared = _limits(data.get("limits", {}), "limits", ceilings)
    return [_job(job, f"jobs[{i}]", shared, ceilings, i) for i, job in enumerate(jobs)]


def _job(data: Any, where: str, shared: dict, ceilings: Ceilings, index: int) -> JobSpec:
    if not isinstance(data, dict):
        raise RequestError(f"{where}: expected a job object, got a JSON {type(data).__name__}")
    limits = {**shared, **_limits(data.get("limits", {}), f"{where}.limits", ceilings)}
    completion_id = data.get("completion_id", index)
    if not isinstance(completion_id, int) or isinstance(completion_id, bool):
        raise RequestError(f"{where}.completion_id: expected a whole number")
    if "program" in data:
        _only(data, PROGRAM_FIELDS, where)
        program = _text(data, "program", where, ceilings)
        tests = data.get("tests")
        if not isinstance(tests, list) or not tests or not all(isinstance(t, str) and t.strip() for t in tests):
            raise RequestError(f"{where}.tests: expected a non-empty list of Python asserts (strings)",
                               hint='e.g. "tests": ["assert f(1) == 2"]')
        if any(len(t) > ceilings.max_code_chars for t in tests):
            raise RequestError(f"{where}.tests: a test over {ceilings.max_code_chars} characters")
        entry = data.get("entry_point") or judged_function(program, tests)
        if not isinstance(entry, str):
            raise RequestError(f"{where}.entry_point: expected the name of the function the tests call",
                               hint="the program defines none at top level that the tests call" if entry is None
                               else None)
        if entry in _BUILTIN_NAMES:  # the tests' `abs`, `len`... are Python's, whatever the program defines
            raise RequestError(f"{where}.entry_point: {entry!r} is a builtin the tests may call, not the program's",
                               hint="name the function under test")
        return JobSpec(program, "solution", tests=tuple(tests), setup=_text(data, "setup", where, ceilings, ""),
                       entry_point=entry, task_id=_text(data, "task_id", where, ceilings, "program"),
                       completion_id=completion_id, limits=limits)
    if "task" in data:
        _only(data, TASK_FIELDS, where)
        if ("completion" in data) == ("solution" in data):
            raise RequestError(f"{where}: give the task's \"completion\" or a whole \"solution\", one of them")
        kind = "completion" if "completion" in data else "solution"
        benchmark = data.get("benchmark")
        if benchmark is not None and not isinstance(benchmark, str):
            raise RequestError(f"{where}.benchmark: expected a benchmark name")
        return JobSpec(_text(data, kind, where, ceilings), kind, task=_text(data, "task", where, ceilings),
                       benchmark=benchmark, completion_id=completion_id, limits=limits)
    raise RequestError(f"{where}: expected \"task\" and \"completion\", or \"program\" and \"tests\"",
                       hint=f"fields given: {', '.join(sorted(data)) or 'none'}")


def _only(data: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise RequestError(f"{where}: unknown field {unknown[0]!r}", hint=f"expected {', '.join(sorted(allowed))}")


def _text(data: dict, key: str, where: str, ceilings: Ceilings, default: str | None = None) -> str:
    value = data.get(key, default)
    if not isinstance(value, str):
        raise RequestError(f"{where}.{key}: expected a string" + ("" if key in data else ", and it is missing"))
    if len(value) > ceilings.max_code_chars:
        raise RequestError(f"{where}.{key}: {len(value)} characters, at most {ceilings.max_code_chars}")
    return value


def _limits(data: Any, where: str, ceilings: Ceilings) -> dict:
    if not isinstance(data, dict):
        raise RequestError(f"{where}: expected an object such as {{\"timeout_s\": 1.0}}")
    _only(data, set(LIMIT_FIELDS), where)
    out = {}
    for key, value in data.items():
        kind, ceiling = LIMIT_FIELDS[key]
        if kind is bool:
            if not isinstance(value, bool):
                raise RequestError(f"{where}.{key}: expected true or false")
        elif isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                or value <= 0 or (kind is int and value != int(value)):
            raise RequestError(f"{where}.{key}: expected a positive {'whole ' if kind is int else ''}number")
        elif ceiling is not None and value > getattr(ceilings, ceiling):
            raise RequestError(f"{where}.{key} {value}: at most {getattr(ceilings, ceiling)} on this server")
        out[key] = kind(value)
    return out


def called_names(test: str) -> list[str]:
    """The plain names a test calls, in order (read with a regex when the test does not parse: judged as it is,
    an error, but its names still count)."""
    try:
        return [n.func.id for n in ast.walk(ast.parse(test)) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    except (SyntaxError, ValueError, RecursionError):
        return _CALLED.findall(test)


def judged_function(program: str, tests: list[str]) -> str | None:
    """The function judged when a request names none: the first that the tests call among the program's top-level
    functions, never one named like a builtin (a `def abs` would stand in for the tests' `abs`); the answer says
    which ("" when the program does not parse: the job reports its syntax error; None when none is called)."""
    try:
        tree = ast.parse(program)
    except (SyntaxError, ValueError, RecursionError):  # lone surrogates are a ValueError (UnicodeEncodeError)
        return ""
    defined = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))} - _BUILTIN_NAMES
    return next((name for test in tests for name in called_names(test) if name in defined), None)
