"""From what the sandbox saw (`ExecResult`) to what a user reads (`Verdict`): one status per sample.

Statuses never mix the harness's faults with the code's: `sandbox_error` is ours and is never counted as a
failure of the model (it is retried, then reported and left out of the metrics).
"""

from __future__ import annotations

from dataclasses import dataclass

from execeval.sandbox.base import CaseStatus, ExecResult, Status

PASSED, FAILED, ERROR, SYNTAX_ERROR, TIMEOUT = "passed", "failed", "error", "syntax_error", "timeout"
MEMORY_LIMIT, OUTPUT_LIMIT, KILLED, SANDBOX_ERROR = "memory_limit", "output_limit", "killed", "sandbox_error"
PASSED_UNDERTESTED = "passed_undertested"  # every test passed, but they cover less than --min-coverage of it


@dataclass(frozen=True)
class StatusInfo:
    """What a status means to a reader: its one-letter code (the report's grid), a label and a sentence."""

    code: str
    label: str
    meaning: str


# The one list of statuses (every view of them, the report's grid and legend, the terminal, reads it from here).
STATUS_INFO: dict[str, StatusInfo] = {
    PASSED: StatusInfo("p", "passed", "every test passed"),
    PASSED_UNDERTESTED: StatusInfo("g", "passed, undertested", "every test passed, but they cover less of it "
                                   "than --min-coverage (not counted as a pass)"),
    FAILED: StatusInfo("f", "failed", "ran, but a test's answer was wrong"),
    ERROR: StatusInfo("e", "error", "raised an exception or exited early"),
    SYNTAX_ERROR: StatusInfo("s", "syntax error", "did not compile"),
    TIMEOUT: StatusInfo("t", "timeout", "over its CPU or wall time limit"),
    MEMORY_LIMIT: StatusInfo("m", "memory limit", "over its memory limit"),
    OUTPUT_LIMIT: StatusInfo("o", "output limit", "wrote too much output"),
    KILLED: StatusInfo("k", "killed", "killed by a signal"),
    SANDBOX_ERROR: StatusInfo("x", "sandbox error", "the harness failed (not counted)"),
}
STATUSES = tuple(STATUS_INFO)
_SYNTAX = {"SyntaxError", "IndentationError", "TabError", "CompileError"}  # a program that never ran
WALL_TIMEOUT, CPU_TIMEOUT = "WallTimeLimit", "CPUTimeLimit"


@dataclass(frozen=True)
class Verdict:
    """The outcome of one program against one test suite.

    passed:        every base test passed
    plus_passed:   every base and plus test passed (None when the task has no plus tests)
    status:        one of STATUSES (the first thing that went wrong, or "passed")
    tests_passed / tests_total: for pass ratio (a lower bound unless every test was run: --all-tests)
    first_failure: the failing test's code or input, expected vs actual where known
    """

    passed: bool
    status: str
    plus_passed: bool | None = None
    tests_passed: int = 0
    tests_total: int = 0
    error_type: str | None = None
    first_failure: str = ""
    detail: str = ""
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_memory_mb: float = 0.0
    stdout_tail: str = ""
    stderr_tail: str = ""

    @property
    def executable(self) -> bool:
        """CodeScore's executability: the program ran to its answers (right or wrong) without an error."""
        return self.status in (PASSED, PASSED_UNDERTESTED, FAILED)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}  # flat: asdict deep-copies

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


_PROCESS_STATUS = {Status.TIMEOUT: TIMEOUT, Status.CPU_LIMIT: TIMEOUT, Status.MEMORY_LIMIT: MEMORY_LIMIT,
                   Status.OUTPUT_LIMIT: OUTPUT_LIMIT, Status.KILLED: KILLED, Status.SANDBOX_ERROR: SANDBOX_ERROR}
_CASE_STATUS = {CaseStatus.FAILED: FAILED, CaseStatus.ERROR: ERROR, CaseStatus.TIMEOUT: TIMEOUT}


_WHERE = {'  File "<candidate>", line ': "the program", '  File "<tests>", line ': "the tests' setup"}


def failed_before_tests(traceback_text: str) -> str:
    """What a program that failed before its tests ran (it did not compile, or raised while loading) reads as: its
    exception, and where in the program, from the job's traceback (the innermost frame in the program's or the
    setup's code): `AssertionError at line 23 of the program: assert f('cat') == 'catac'`. A model's own
    self-tests at the end of its program fail this way, with an empty message that alone says nothing."""
    lines = traceback_text.strip().splitlines()
    last = lines[-1] if lines else ""
    where = ""
    for i, line in enumerate(lines[:-1]):
        for prefix, what in _WHERE.items():
            if line.startswith(prefix):
                number = line[len(prefix):].split(",", 1)[0]
                source = lines[i + 1].strip() if lines[i + 1].startswith("    ") else ""
                where = f"line {number} of {what}" + (f": {source}" if source else "")
    if not where:
        return last[:500]
    head = last[:-1] if last.endswith(":") else f"{last},"
    return f"{head} at {where}"[:500]


def _tail(data: bytes, n: int = 1000) -> str:
    return data[-n:].decode("utf-8", "replace")


def verdict_of(result: ExecResult, n_base: int, case_labels: list[str] | None = None) -> Verdict:
    """Judge one run. `n_base` is how many of the cases are base tests (the rest are plus tests)."""
    cases = result.cases
    passed_flags = [c.status is CaseStatus.PASSED for c in cases]
    n_passed = sum(passed_flags)
    all_ok = result.completed and bool(cases) and all(passed_flags)
    # base tests run first: they passed when each reported a pass, whatever happened later in the plus tests
    base_ok = all_ok or (0 < n_base <= len(cases) and all(passed_flags[:n_base]))
    first_bad = next((c for c in cases if c.status not in (CaseStatus.PASSED, CaseStatus.NOT_RUN)), None)
    failure = ""
    if first_bad is not None:
        label = case_labels[first_bad.index] if case_labels else f"test {first_bad.index}"
        failure = f"{label}: {first_bad.message}" if first_bad.message else label
    if all_ok:
        status = PASSED
    elif result.status in _PROCESS_STATUS and not (first_bad is not None and result.detail.startswith("stopped")):
        status = _PROCESS_STATUS[result.status]
    elif result.error_type in _SYNTAX and not any(passed_flags):
        status = SYNTAX_ERROR
    elif first_bad is not None:
        status = _CASE_STATUS.get(first_bad.status, ERROR)
    else:
        status = ERROR  # loaded badly, or exited / was stopped before reporting every case
    error_type = None if status == PASSED else (first_bad.error_type if first_bad else result.error_type)
    if status == TIMEOUT:  # CPU-time limits do not depend on machine load; wall-clock ones may
        error_type = WALL_TIMEOUT if result.status is Status.TIMEOUT and (
            first_bad is None or first_bad.status is not CaseStatus.TIMEOUT) else CPU_TIMEOUT
    has_plus = len(cases) > n_base
    return Verdict(
        passed=bool(base_ok) if has_plus else all_ok,
        plus_passed=all_ok if has_plus else None,
        status=status,
        tests_passed=n_passed,
        tests_total=len(cases),
        error_type=error_type,
        first_failure=failure or failed_before_tests(result.traceback_tail),
        detail=result.detail,
        wall_s=round(result.wall_s, 4),
        cpu_s=round(result.cpu_s, 4),
        peak_memory_mb=round(result.peak_memory_mb, 1),
        stdout_tail=_tail(result.stdout),
        stderr_tail=_tail(result.stderr),
    )
