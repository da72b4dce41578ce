"""Every sandbox backend passes the same conformance checks, for the job kinds it declares.

The fake runs the suite too: each check is run against a recording of the fork servers, then against a
`FakeSandbox` that replays what they answered, so the fake stands in for a conforming backend (results through
futures, capacity, kinds, isolation report) and the checks are shown to depend on results only.
"""

import collections
from concurrent.futures import Future

import pytest

from execeval.sandbox import Command, CommandSandbox, FakeSandbox, ForkServerSandbox, PythonTests, Script
from execeval.sandbox.conformance import KINDS, checks_for

# backend -> (factory, the job kinds it declares)
BACKENDS = {"forkserver": (ForkServerSandbox, (Script, PythonTests, Command)),
            "command": (CommandSandbox, (Script, Command))}
CASES = [(name, check) for name, (_, kinds) in sorted(BACKENDS.items()) for check in checks_for(kinds)]


@pytest.fixture(scope="module")
def sandboxes():
    opened: dict = {}
    yield lambda name: opened.get(name) or opened.setdefault(name, BACKENDS[name][0](workers=2))
    for sb in opened.values():
        sb.close()


@pytest.mark.parametrize("backend,check", CASES, ids=[f"{n}-{c.__name__}" for n, c in CASES])
def test_conformance(sandboxes, backend, check):
    check(sandboxes(backend))


class _Recording:
    """A real sandbox that keeps each job's future under the job's text, in the order the jobs were sent."""

    def __init__(self, inner) -> None:
        self.inner, self.capacity = inner, inner.capacity
        self.answers: dict[str, collections.deque[Future]] = collections.defaultdict(collections.deque)

    def supports(self, program) -> bool:
        return self.inner.supports(program)

    def submit(self, program, limits, priority=0.0):
        future = self.inner.submit(program, limits, priority)
        self.answers[repr((program, limits))].append(future)
        return future

    def run(self, program, limits):
        return self.submit(program, limits).result()

    def isolation(self):
        return self.inner.isolation()


def replaying(recording: _Recording):
    """A conforming handler: each job gets what the real backend answered the same job, in turn."""

    def handler(program, limits):
        queue = recording.answers.get(repr((program, limits)))
        assert queue, f"a job the real backend was not sent: {program!r}"
        return queue.popleft().result(timeout=60)

    return handler


ALL = checks_for(KINDS)


@pytest.mark.parametrize("check", ALL, ids=[c.__name__ for c in ALL])
def test_a_fake_with_a_conforming_handler_conforms(sandboxes, check):
    real = sandboxes("forkserver")
    recording = _Recording(real)
    check(recording)
    with FakeSandbox(replaying(recording), capacity=real.capacity, kinds=KINDS,
                     isolation=real.isolation()) as fake:
        check(fake)
    assert not any(recording.answers.values()), "the fake was sent fewer jobs than the real backend"


def test_a_backend_that_runs_a_kind_it_did_not_declare_fails_the_suite():
    """Declaring fewer kinds is not a way to skip their checks: the sandbox must then refuse them."""
    from execeval.sandbox import ExecResult, Status
    from execeval.sandbox.conformance import supports_exactly

    everything = FakeSandbox(lambda program, limits: ExecResult(Status.OK))
    with pytest.raises(AssertionError, match="supports"):
        supports_exactly((Script,))(everything)
    supports_exactly((Script,))(FakeSandbox(everything.handler, kinds=(Script,)))
    with pytest.raises(ValueError):
        checks_for((PythonTests,))


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


@pytest.mark.parametrize("check", ALL, ids=[c.__name__ for c in ALL])
def test_every_check_fails_a_sandbox_that_says_ok_to_everything(check):
    """No check passes by default: a fake that answers every job OK (empty output, every case missing), reports
    a primitive missing without a reason, and takes kinds it was not declared for, fails each of them."""
    from execeval.sandbox import ExecResult, IsolationReport, Primitive, Status

    vague = IsolationReport((Primitive("seccomp", False, ""), Primitive("seccomp", True, "filters")))
    liar = FakeSandbox(lambda program, limits: ExecResult(Status.OK, completed=True), capacity=2,
                       isolation=vague, kinds=(Script,) if check is ALL[-1] else KINDS)
    with pytest.raises((AssertionError, ValueError)):
        check(liar)
