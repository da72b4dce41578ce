"""The sandbox extension point: what a job is, what running it returns, and the `Sandbox` protocol.

Small on purpose (read it in a minute): every backend implements `Sandbox.run`; every other part of execeval
talks only to this module's types.
"""

from __future__ import annotations

import enum
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

from execeval.sandbox.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:  # for annotations only: the fork server imports this module and never needs concurrent.futures
    from concurrent.futures import Future


# ---------------------------------------------------------------- programs: what a job runs
@dataclass(frozen=True)
class Script:
    """Python source run as `__main__` (`sys.argv` = ["script.py", *args]); its verdict is judged from its output,
    never its exit status alone."""

    code: str
    stdin: bytes = b""
    files: Mapping[str, bytes] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Command:
    """Any argv (a compiler, a built binary, another language's interpreter), run in the job's work dir.

    `collect` names files (glob patterns relative to the work dir, e.g. `a.out`, `*.class`) handed back in
    `ExecResult.files` when the command ends: how a build's artifacts leave the job. Only regular files are read
    (never through a symlink), each at most `Limits.file_size_mb`. A file of `files` named by `argv[0]` (`./a.out`) is made executable.
    """

    argv: tuple[str, ...]
    stdin: bytes = b""
    files: Mapping[str, bytes] = field(default_factory=dict)
    env: Mapping[str, str] = field(default_factory=dict)
    collect: tuple[str, ...] = ()


@dataclass(frozen=True)
class Assert:
    """A test case that is code: it passes when it runs to the end (e.g. `assert f(1) == 2`, `check(f)`)."""

    code: str


@dataclass(frozen=True)
class Call:
    """A test case that is an input: `entry_point(*args)`; its output is compared outside the job.

    `args_json` is the JSON list of arguments; `expected` is the encoded expected output (see `execeval.values`),
    which never enters the job's process.
    """

    args_json: str
    expected: str | None = None
    tagged: bool = False  # args_json is `execeval.values.encode` text (tuples, sets, complex survive)
    oracle: str = ""  # a named special comparison (`execeval.values.ORACLES`), as EvalPlus has for a few tasks

    def with_expected(self, expected: str | None) -> "Call":
        """This case with another expected output: `dataclasses.replace` at a third of its cost (HumanEval+ makes
        ~124k of these a run); every field is named here (tests/test_case_values.py checks none is dropped)."""
        return Call(self.args_json, expected, self.tagged, self.oracle)


TestCase = Assert | Call


@dataclass(frozen=True)
class PythonTests:
    """A candidate program and its tests, run in one pre-warmed Python process.

    program:   the candidate's whole module source
    setup:     test code run after it in the same namespace (helpers, imports, `def check`)
    cases:     the tests, in order; `case_cpu_s[i]` bounds case i's CPU time when given
    atol:      float tolerance for `Call` cases (EvalPlus semantics)
    stop_on_failure: stop at the first failing case (the default, as every harness does)
    batch_report: a reference run (trusted code): every passing case reported many to a line, in columns (as a
               sample's job does too past 32 cases), the modules its calls could patch not restored after each
               `Call` (~1.4 us a case), and its CPU timer kept armed across cases; never set for a sample's job
    """

    program: str
    entry_point: str
    cases: tuple[TestCase, ...]
    setup: str = ""
    atol: float = 0.0
    stop_on_failure: bool = True
    case_cpu_s: tuple[float, ...] | None = None
    batch_report: bool = False


Program = Script | Command | PythonTests


# ---------------------------------------------------------------- results
class Status(str, enum.Enum):
    """What happened to the process. Harness faults (`SANDBOX_ERROR`) never mix with the code's."""

    OK = "ok"
    FAILED = "failed"  # non-zero exit or an exception
    TIMEOUT = "timeout"  # wall clock
    CPU_LIMIT = "cpu_limit"
    MEMORY_LIMIT = "memory_limit"
    OUTPUT_LIMIT = "output_limit"
    KILLED = "killed"  # by a signal it did not ask for (segfault, abort, ...)
    SANDBOX_ERROR = "sandbox_error"


class CaseStatus(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"  # wrong answer / assertion failed
    ERROR = "error"  # an exception
    TIMEOUT = "timeout"  # the case's own CPU budget
    NOT_RUN = "not_run"


@dataclass(frozen=True)
class CaseResult:
    index: int
    status: CaseStatus
    error_type: str | None = None
    message: str = ""  # short: the failing assert, or expected vs actual
    output: str | None = None  # encoded output of a `Call` case
    cpu_s: float = 0.0


_NOT_RUN: list[CaseResult] = []
_NOT_RUN_GROWING = threading.Lock()  # the pool's threads ask at once


def not_run(index: int) -> CaseResult:
    """Case `index` as not run: one shared (immutable) instance per index. Under stop-on-failure most of a failing
    HumanEval+ sample's ~750 cases are not run, and a frozen dataclass costs ~1.5 us to make."""
    if index < 0:
        return CaseResult(index, CaseStatus.NOT_RUN)
    if index >= len(_NOT_RUN):
        with _NOT_RUN_GROWING:
            _NOT_RUN.extend([CaseResult(i, CaseStatus.NOT_RUN) for i in range(len(_NOT_RUN), 2 * index + 64)])
    return _NOT_RUN[index]


@dataclass(frozen=True)
class ExecResult:
    status: Status
    exit_code: int | None = None
    signal: int | None = None
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_memory_mb: float = 0.0
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    error_type: str | None = None
    traceback_tail: str = ""
    cases: tuple[CaseResult, ...] = ()
    completed: bool = False  # the test runner reached its end and said so on its authenticated channel
    detail: str = ""  # why, in a few words (e.g. "result channel tampered with")
    files: Mapping[str, bytes] = field(default_factory=dict)  # what `Command.collect` asked for, when it exists

    @property
    def all_cases_passed(self) -> bool:
        return self.completed and bool(self.cases) and all(c.status is CaseStatus.PASSED for c in self.cases)


# ---------------------------------------------------------------- isolation report
@dataclass(frozen=True)
class Primitive:
    name: str
    active: bool
    detail: str = ""


@dataclass(frozen=True)
class IsolationReport:
    primitives: tuple[Primitive, ...]
    # how each limit is enforced on this host: ("cgroup", "v2 at /sys/fs/cgroup"), ("memory", "RLIMIT_AS per
    # process"), ("processes", ...), ("child cpu", ...), ("kill", ...)
    enforcement: tuple[tuple[str, str], ...] = ()

    @property
    def missing(self) -> list[Primitive]:
        return [p for p in self.primitives if not p.active]

    @property
    def level(self) -> str:
        """`full` when every primitive is active, `partial` otherwise (and the run says which are missing)."""
        return "full" if not self.missing else "partial"

    def as_dict(self) -> dict:
        found = {"level": self.level, "primitives": {p.name: {"active": p.active, "detail": p.detail}
                                                     for p in self.primitives}}
        return {**found, "enforcement": dict(self.enforcement)} if self.enforcement else found


# ---------------------------------------------------------------- the extension point
@runtime_checkable
class Sandbox(Protocol):
    """Runs programs under limits. Implementations: `forkserver.ForkServerSandbox`, `command.CommandSandbox`,
    `raycluster.RaySandbox`.

    Every caller (the executor, references, calibration, protocols, the service) goes through these methods only,
    so a backend that runs jobs elsewhere (`RaySandbox`: a Ray cluster) slots in behind them. `submit` queues a job and returns
    a future of its `ExecResult`; lower `priority` runs first (callers pass `-cost` for longest-first).
    `capacity` is how many jobs run at once: callers keep about that many in flight.
    """

    @property
    def capacity(self) -> int: ...

    def supports(self, program: Program) -> bool: ...

    def submit(self, program: Program, limits: Limits = DEFAULT_LIMITS, priority: float = 0.0
               ) -> Future[ExecResult]: ...

    def run(self, program: Program, limits: Limits = DEFAULT_LIMITS) -> ExecResult: ...

    def isolation(self) -> IsolationReport: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...  # `with open_sandbox() as sandbox:` closes it whatever happens

    def __exit__(self, *exc: object) -> None: ...
