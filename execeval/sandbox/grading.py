"""Grading: a test case's reported outcome against its expected output, on the harness side, never in the job.

Pure functions (no processes, no I/O): the fork servers' harness side calls `grade_case` on each case result as
it streams back, so the first wrong answer can stop the job early; any other backend (a Ray worker) grades the
same way, in the process that holds the expectations.
"""

from __future__ import annotations

import json

from execeval.sandbox.base import Call, CaseResult, CaseStatus, PythonTests
from execeval.values import decode, outputs_match, short_repr


class Expected:
    """An expected output, decoded only if a job's output is not byte-identical to it."""

    __slots__ = ("text", "_value")

    def __init__(self, text: str) -> None:
        self.text = text
        self._value: tuple[object] | None = None

    @property
    def value(self) -> object:
        if self._value is None:
            self._value = (decode(self.text),)
        return self._value[0]


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


def _cpu_of(raw: dict) -> float:
    """The case's CPU seconds as reported: a number, finite and not negative (NaN would pass any budget)."""
    cpu = raw.get("c", 0)
    if type(cpu) not in (int, float) or not 0 <= cpu < float("inf"):
        raise ValueError(f"case CPU time {short_repr(cpu, 40)}")
    return float(cpu)


def _judge_case(raw: dict, expected: list | None, program: PythonTests) -> CaseResult:
    if type(raw.get("i", -1)) is not int:
        raise ValueError("case index not an int")
    index = raw.get("i", -1)
    _cpu_of(raw)
    status = raw.get("s")
    output = raw.get("o")
    message = str(raw.get("m", ""))[:1000]
    if not 0 <= index < len(program.cases):
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "case index out of range")
    if status == "returned" and not isinstance(program.cases[index], Call):  # an Assert passes only by running
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "an Assert case reported a return value")
    if status == "returned":
        want = expected[index] if expected else None
        if want is None:
            return CaseResult(index, CaseStatus.PASSED, output=output, cpu_s=_cpu_of(raw))
        case = program.cases[index]
        oracle = case.oracle if isinstance(case, Call) else ""
        if output == want.text and not oracle:  # same encoding: equal without decoding either side
            return CaseResult(index, CaseStatus.PASSED, output=output, cpu_s=_cpu_of(raw))
        got = decode(str(output))
        args = (decode(case.args_json) if case.tagged else json.loads(case.args_json)) if oracle else None
        if outputs_match(got, want.value, program.atol, oracle, args):
            return CaseResult(index, CaseStatus.PASSED, output=output, cpu_s=_cpu_of(raw))
        return CaseResult(index, CaseStatus.FAILED, "WrongAnswer",
                          f"expected {short_repr(want.value)}, got {short_repr(got)}", output,
                          _cpu_of(raw))
    if isinstance(program.cases[index], Call) and status == "passed":  # only a compared output passes a Call
        return CaseResult(index, CaseStatus.ERROR, "Tampered", "a Call case reported 'passed' without an output")
    kinds = {"passed": CaseStatus.PASSED, "failed": CaseStatus.FAILED, "timeout": CaseStatus.TIMEOUT}
    error_type = None if raw.get("t") is None else str(raw.get("t"))[:100]
    return CaseResult(index, kinds.get(status, CaseStatus.ERROR), error_type, message,  # type: ignore[arg-type]  # the status is a str in the raw result
                      cpu_s=_cpu_of(raw))
