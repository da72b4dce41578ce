"""Grading: a test case's reported outcome against its expected output, on the harness side, never in the job.

Pure functions (no processes, no I/O): the fork servers' harness side calls `grade_case` on each case result as
it streams back, so the first wrong answer can stop the job early; any other backend (a Ray worker) grades the
same way, in the process that holds the expectations.
"""

from __future__ import annotations

import json

from execeval.sandbox.base import Call, CaseResult, CaseStatus, PythonTests, not_run
from execeval.values import OPAQUE_TAG, decode, outputs_match, short_repr


class Expected:
    """An expected output, decoded only if a job's output is not byte-identical to it (and holds no opaque value:
    two objects of one type that is not plain data encode alike, and equal nothing)."""

    __slots__ = ("text", "plain", "_value")

    def __init__(self, text: str) -> None:
        self.text = text
        self.plain = OPAQUE_TAG not in text
        self._value: tuple[object] | None = None

    @property
    def value(self) -> object:
        if self._value is None:
            self._value = (decode(self.text),)
        return self._value[0]


def grade_reports(items: list[dict], expected: list | None, program: PythonTests) -> list[CaseResult]:
    """The cases of what the server passed on: case lines, and batch lines' columns (a long job's passing cases)."""
    graded: list[CaseResult] = []
    for raw in items:
        if "k" in raw:
            graded += grade_batch(raw["k"], expected, program)
        else:
            graded.append(grade_case(raw, expected, program))
    return graded


def grade_batch(columns: list[list], expected: list | None, program: PythonTests) -> list[CaseResult]:
    """A batch line's cases, each graded as its own line would be. A returned output within its budget that is
    its expectation's very text (or has none: a reference run) passes here, without building the line
    `grade_case` takes; any other goes through `grade_case`."""
    cases, budgets, passed = program.cases, program.case_cpu_s, CaseStatus.PASSED
    graded: list[CaseResult] = []
    n_cases, append = len(cases), graded.append
    for index, status, cpu, output in zip(*columns):
        if (status == "returned" and type(index) is int and 0 <= index < n_cases and type(case := cases[index]) is Call
                and type(output) is str and (type(cpu) is float or type(cpu) is int) and 0 <= cpu < 1e9
                and not (budgets and cpu > budgets[index])
                and (expected is None or (want := expected[index]) is None or output == want.text and want.plain and not case.oracle)):
            append(CaseResult(index, passed, None, "", output, float(cpu)))
        else:
            append(grade_case({"i": index, "s": status, "c": cpu, "o": output}, expected, program))
    return graded


def grade_case(raw: dict, expected: list | None, program: PythonTests) -> CaseResult:
    """Case `raw` (as the job reported it) graded against `expected[i]`, with its CPU budget enforced.

    Total: `raw` comes from the job's process, so it is data of any shape; a result that can't be read or a value
    that can't be compared is that case's error, never the harness's (a harness error is `sandbox_error`, which
    pass@k leaves out: a wrong sample that raised here would have raised the score)."""
    try:
        case = _judge_case(raw, expected, program)
    except Exception as e:  # noqa: BLE001 - see above
        index = raw.get("i") if isinstance(raw, dict) and type(raw.get("i")) is int else -1
        return CaseResult(index, CaseStatus.ERROR, "InvalidResult",  # type: ignore[arg-type]  # an int, checked
                          f"the case's result could not be judged: {type(e).__name__}: {short_repr(e)}")
    budget = program.case_cpu_s[case.index] if program.case_cpu_s and 0 <= case.index < len(program.cases) else 0
    if budget and case.status is CaseStatus.PASSED and case.cpu_s > budget:  # its timer was switched off
        return CaseResult(case.index, CaseStatus.TIMEOUT, "TimeoutError", f"case CPU time {case.cpu_s:.3g}s over "
                          f"its {budget:.3g}s budget", case.output, case.cpu_s)
    return case


def _judge_case(raw: dict, expected: list | None, program: PythonTests) -> CaseResult:
    index, status, output, message = raw.get("i", -1), raw.get("s"), raw.get("o"), raw.get("m", "")
    cpu, kind = raw.get("c", 0), raw.get("t")
    # Every field is the job's, so untrusted: a shape the runner never sends (a list for a type name, a string
    # for the CPU time, a 400-digit number) is the job's error, never an exception here. One type check each.
    if type(index) is not int or not 0 <= index < len(program.cases):
        return CaseResult(index if type(index) is int else -1, CaseStatus.ERROR, "Tampered", "case index out of range")
    if not ((type(cpu) is float or type(cpu) is int) and 0 <= cpu < 1e9):  # NaN, inf, 10**400 and "1" too
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "the case's CPU time is not a number")
    cpu = float(cpu)
    if type(status) is not str or (output is not None and type(output) is not str) or \
            (kind is not None and type(kind) is not str) or type(message) is not str:
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "a case result field of the wrong type", cpu_s=cpu)
    message = message[:1000]
    if status == "returned" and not isinstance(program.cases[index], Call):  # an Assert passes only by running
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "an Assert case reported a return value")
    if status == "returned":
        want = expected[index] if expected else None
        if want is None:
            return CaseResult(index, CaseStatus.PASSED, output=output, cpu_s=cpu)
        case = program.cases[index]
        oracle = case.oracle if isinstance(case, Call) else ""
        if output == want.text and want.plain and not oracle:  # same encoding: equal without decoding either side
            return CaseResult(index, CaseStatus.PASSED, output=output, cpu_s=cpu)
        got = decode(str(output))
        args = (decode(case.args_json) if case.tagged else json.loads(case.args_json)) if oracle else None  # type: ignore[union-attr]  # oracle implies a Call
        if outputs_match(got, want.value, program.atol, oracle, args):
            return CaseResult(index, CaseStatus.PASSED, output=output, cpu_s=cpu)
        return CaseResult(index, CaseStatus.FAILED, "WrongAnswer",
                          f"expected {short_repr(want.value)}, got {short_repr(got)}", output, cpu)
    if isinstance(program.cases[index], Call) and status == "passed":  # only a compared output passes a Call
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "a Call case reported 'passed' without an output")
    kinds = {"passed": CaseStatus.PASSED, "failed": CaseStatus.FAILED, "timeout": CaseStatus.TIMEOUT}
    return CaseResult(index, kinds.get(status, CaseStatus.ERROR), kind and kind[:200], message, cpu_s=cpu)


def settled_cases(program: PythonTests, graded: dict[int, CaseResult]) -> tuple[CaseResult, ...]:
    """The job's case results in order, case i at i: one that never reported is NOT_RUN, and under stop-on-failure
    so is every case after the first failure, whatever the job reported before the stop reached it: how many it got
    through depends on timing, and tests_passed must not. (A reference run has ~1000 cases a job: one pass.)"""
    found = map(graded.get, range(len(program.cases)))
    cases = tuple([c if c is not None else not_run(i) for i, c in enumerate(found)])
    if not program.stop_on_failure:
        return cases
    first = next((c.index for c in cases if c.status not in (CaseStatus.PASSED, CaseStatus.NOT_RUN)), None)
    if first is None:
        return cases
    return cases[:first + 1] + tuple(map(not_run, range(first + 1, len(cases))))
