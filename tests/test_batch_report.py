"""A reference run reports its passing cases many to a line, in columns (`PythonTests.batch_report`): the results
must be the ones a line per case gives, and a batch line of the wrong shape is tampering."""

import pytest

from execeval.sandbox import ForkServerSandbox
from execeval.sandbox.base import Assert, Call, CaseStatus, PythonTests
from execeval.sandbox.grading import grade_batch
from execeval.sandbox.server.reportlines import ResultLines

PROGRAM = "def f(x):\n    if x == 3:\n        raise ValueError('no')\n    return [x] * x\n"
CASES = (*(Call(f"[{i}]") for i in range(6)), Assert("assert f(1) == [1]"), Assert("assert f(2) == [3]"),
         Call("[0]", expected="[]"), Call("[2]", expected="[2]"))


def _results(sandbox, batch: bool, cases=CASES) -> list[tuple]:
    job = PythonTests(PROGRAM, "f", cases, stop_on_failure=False, case_cpu_s=(60.0,) * len(cases),
                      batch_report=batch)
    result = sandbox.run(job)
    return [(c.index, c.status, c.output, c.error_type, c.message) for c in result.cases]


def test_batched_results_are_the_line_per_case_results():
    with ForkServerSandbox(workers=1) as sandbox:
        assert _results(sandbox, True) == _results(sandbox, False)
        lines = _results(sandbox, True)
    assert [r[1] for r in lines] == [CaseStatus.PASSED] * 3 + [CaseStatus.ERROR] + [CaseStatus.PASSED] * 3 + [
        CaseStatus.FAILED, CaseStatus.PASSED, CaseStatus.FAILED]
    assert lines[5][2] == "[5,5,5,5,5]"


def test_many_cases_cross_in_few_lines_with_every_output():
    cases = tuple(Call(f"[{i % 7}]") for i in range(3000))
    with ForkServerSandbox(workers=1) as sandbox:
        assert _results(sandbox, True, cases) == _results(sandbox, False, cases)


@pytest.mark.parametrize("columns", [[[0], ["returned"], [0.1]], [[0, 1], ["returned"], [0.1], ["1"]],
                                     "x", [[0], ["returned"], [0.1], "1"]])
def test_a_batch_line_of_the_wrong_shape_is_tampering(columns):
    import json

    lines = ResultLines("tok")
    assert lines.feed(b"tok " + json.dumps({"k": columns}).encode() + b"\n") == []
    assert lines.tampered


def test_batch_values_of_the_wrong_type_are_the_cases_errors():
    job = PythonTests(PROGRAM, "f", (Call("[1]"), Call("[2]"), Call("[3]")), case_cpu_s=(1.0,) * 3)
    graded = grade_batch([[0, 1, 7], ["returned", "returned", "returned"], [0.1, "0.1", 0.1], ["[1]", "[2]", "x"]],
                         None, job)
    assert [c.status for c in graded] == [CaseStatus.PASSED, CaseStatus.ERROR, CaseStatus.ERROR]
    over = grade_batch([[0], ["returned"], [2.5], ["[1]"]], None, job)  # over its budget: the timer was off
    assert over[0].status is CaseStatus.TIMEOUT


def test_a_batch_with_expectations_grades_each_case_as_its_own_line_would():
    """grade_batch's quick pass (output text equal to the expectation's) and its fallback agree with grade_case on
    every kind of case: equal text, equal value in other text, a wrong value, an oracle, none expected, over budget,
    a wrong type."""
    from execeval.sandbox.grading import Expected, grade_case

    cases = (Call("[1]"), Call("[2]"), Call("[3]"), Call("[4]", oracle="exact"), Call("[5]"), Call("[6]"),
             Call("[7]"))
    job = PythonTests(PROGRAM, "f", cases, case_cpu_s=(1.0,) * len(cases), atol=1e-6)
    expected = [Expected("1"), Expected("2.0"), Expected("3"), Expected("4.0"), None, Expected("6"), Expected("7")]
    columns = [[0, 1, 2, 3, 4, 5, 6], ["returned"] * 7, [0.1, 0.1, 0.1, 0.1, 0.1, 2.5, "0.1"],
               ["1", "2", "4", "4.0", "[5]", "6", "7"]]
    graded = grade_batch(columns, expected, job)
    one_by_one = [grade_case({"i": i, "s": s, "c": c, "o": o}, expected, job) for i, s, c, o in zip(*columns)]
    assert graded == one_by_one
    assert [c.status for c in graded] == [CaseStatus.PASSED, CaseStatus.PASSED, CaseStatus.FAILED,
                                          CaseStatus.PASSED, CaseStatus.PASSED, CaseStatus.TIMEOUT, CaseStatus.ERROR]


BURNER = ("import time\n"
          "def f(x):\n"
          "    if x < 0:\n"
          "        while True:\n"
          "            pass\n"
          "    end = time.thread_time() + x\n"
          "    while time.thread_time() < end:\n"
          "        pass\n"
          "    return x\n")


def test_each_reference_case_keeps_its_own_cpu_limit():
    """A reference's timer stays armed across its cases (casetimer.py): cases that together use many times one
    case's limit all pass, the one that never ends times out (the rest are not run, as for any job), and a
    sample's job after it in the same server still times out."""
    cases = (*(Call("[0.03]") for _ in range(12)), Call("[0]"), Call("[-1]"), Call("[0]"))
    job = PythonTests(BURNER, "f", cases, stop_on_failure=False, case_cpu_s=(0.1,) * len(cases), batch_report=True)
    with ForkServerSandbox(workers=1) as sandbox:
        statuses = [c.status for c in sandbox.run(job).cases]
        sample = sandbox.run(PythonTests(BURNER, "f", (Call("[0.01]"), Call("[-1]")), case_cpu_s=(0.1, 0.1)))
    assert statuses == [CaseStatus.PASSED] * 13 + [CaseStatus.TIMEOUT, CaseStatus.NOT_RUN]
    assert [c.status for c in sample.cases] == [CaseStatus.PASSED, CaseStatus.TIMEOUT]
