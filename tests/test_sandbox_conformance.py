"""Every sandbox backend passes the same conformance checks."""

import pytest

from execeval.sandbox import CommandSandbox, ForkServerSandbox
from execeval.sandbox.conformance import CHECKS

BACKENDS = {"forkserver": ForkServerSandbox, "command": CommandSandbox}


@pytest.fixture(scope="module", params=sorted(BACKENDS))
def sandbox(request):
    sb = BACKENDS[request.param](workers=2)
    yield sb
    sb.close()


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_conformance(sandbox, check):
    check(sandbox)


def test_a_huge_wrong_answer_is_judged_not_hung():
    """A wrong int far over Python's 4300-digit str limit still gives a verdict (the message describes it)."""
    import json

    from execeval.sandbox import Call, CaseStatus, PythonTests
    from execeval.values import encode

    with ForkServerSandbox(workers=1) as sb:
        job = PythonTests("def f(n):\n    return 10 ** n + 1\n", "f", (Call(json.dumps([5000]), encode(10 ** 5000)),))
        result = sb.submit(job).result(timeout=60)
    assert result.cases[0].status is CaseStatus.FAILED and "bits" in result.cases[0].message, result.cases


def test_grading_refuses_a_status_that_does_not_fit_the_case_kind():
    """Second line of defence behind the authenticated channel: a Call passes only by a compared output, an Assert
    only by running to its end; a report of the other kind is tampering, whatever it claims."""
    from execeval.sandbox import Assert, Call, CaseStatus, PythonTests
    from execeval.sandbox.grading import grade_case

    program = PythonTests("def f(x):\n    return x\n", "f", (Assert("assert f(1) == 1"), Call("[1]")))
    assert grade_case({"i": 0, "s": "returned", "o": "1"}, [None, None], program).error_type == "Tampered"
    assert grade_case({"i": 1, "s": "passed"}, [None, None], program).error_type == "Tampered"
    assert grade_case({"i": 0, "s": "passed"}, [None, None], program).status is CaseStatus.PASSED
    assert grade_case({"i": 1, "s": "returned", "o": "1"}, [None, None], program).status is CaseStatus.PASSED
