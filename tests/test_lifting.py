"""Asserts whose arguments and expected values are trusted test expressions are lifted (compared by the fork
server, the candidate in a process without the token), with the verdict the in-process assert gives; anything
outside the allow-list or over the caps still runs split, with the same verdict."""

from __future__ import annotations

import ast
import time

import pytest

from execeval.sandbox.base import Assert, Limits, PythonTests
from execeval.sandbox.python.lifting.plan import lift_assert, lift_check, lift_job
from execeval.sandbox.python.lifting.trees import nodes, parsed
from execeval.sandbox.server.reportlines import judge_lifted
from execeval.sandbox.python.lifting.testexpr import Budget, Evaluator, Untrusted
from execeval.values import encode

LIMITS = Limits(wall_s=20, cpu_s=10, memory_mb=2048)
DEMO_14 = "assert find_first(list(range(0, 2_000_000, 2)), 1_999_998) == 999_999"  # the demo's big argument
FIND_FIRST = """
def find_first(arr, target):
    lo, hi = 0, len(arr)
    while lo < hi:
        mid = (lo + hi) // 2
        if arr[mid] < target:
            lo = mid + 1
        else:
            hi = mid
    return lo if lo < len(arr) and arr[lo] == target else -1
"""
FIND_FIRST_SMALL_ONLY = FIND_FIRST.replace("    lo, hi = 0, len(arr)", "    lo, hi = 0, min(len(arr), 1000)")


def _job(program: str, entry: str, *cases: str, setup: str = "") -> PythonTests:
    return PythonTests(program, entry, tuple(Assert(c) for c in cases), setup=setup)


def _verdicts(sandbox, job: PythonTests) -> list[str]:
    result = sandbox.run(job, LIMITS)
    return [c.status.value for c in result.cases]


# ---------------------------------------------------------------- what is lifted, what is not
def test_the_demos_big_argument_is_lifted_and_built_in_the_server():
    (part,) = lift_assert(DEMO_14, "find_first")
    assert part.args == (list(range(0, 2_000_000, 2)), 1_999_998) and part.expected == 999_999
    plan = lift_job(_job(FIND_FIRST, "find_first", DEMO_14))
    assert plan is not None and plan.origin == (0,) and plan.size == {0: 1} and plan.lifted == {0: part}
    assert type(plan.job.cases[0]).__name__ == "Call"  # the job calls; the server holds the arguments


@pytest.mark.parametrize("code, args, expected", [
    ("assert f(3 * 19 * 3) == [3, 3, 19]", (171,), [3, 3, 19]),
    ("assert f([[0] * 16 for _ in range(16)]) == 155117520", ([[0] * 16] * 16,), 155117520),
    ("assert f('abcde' + 'cade') == 5", ("abcdecade",), 5),
    ("assert f(sorted({3, 1, 2}), max(4, 5)) == (3 + 5 + 7, 3 * 5 * 7)", ([1, 2, 3], 5), (15, 105)),
    ("assert f(' '.join(map(str, range(3)))) == len('x' * 3)", ("0 1 2",), 3),
])
def test_trusted_expressions_are_lifted(code, args, expected):
    """Evaluated to the values the in-process assert would call with and compare to."""
    (part,) = lift_assert(code, "f")
    assert (part.args, part.expected, part.test, part.line) == (args, expected, None, code)
    assert type(part.expected) is type(expected)  # a tuple stays a tuple: (15, 105) != [15, 105] in Python


@pytest.mark.parametrize("code, args, holds, fails", [
    ("assert abs(f(1.33) - 0.33) < 1e-6", (1.33,), 0.33, 0.34),
    ("assert f([]) is None", ([],), None, 0),
])
def test_trusted_predicates_are_lifted(code, args, holds, fails):
    """A test that is not `== expected` is lifted as a predicate over the returned value, judged as the assert."""
    (part,) = lift_assert(code, "f")
    assert part.args == args and part.test is not None and part.line == code
    assert part.test.holds(holds) is True and part.test.holds(fails) is False


@pytest.mark.parametrize("code, why", [
    ("assert f(list(range(10 ** 9))) == 1", "a huge range: over the size cap"),
    ("assert f(10 ** 10 ** 9) == 1", "an int over the cap"),
    ("assert f('x' * 2 ** 40) == 1", "a string over the cap"),
    ("assert f([i * j for i in range(3000) for j in range(3000)]) == 1", "over the step or time cap"),
    ("assert f(helper(3)) == 1", "a function outside the allow-list"),
    ("assert f((lambda x: x)(3)) == 1", "a lambda"),
    ("assert f(1) == float('nan')", "NaN is equal to nothing but itself"),
    ("assert f(1) == list(range(100_000))", "an expected value whose equal could arrive as a digest"),
    ("assert set(f(1)) == {1}", "the returned value consumed: a generator would pass in one process"),
    ("assert f(1)", "the truth of a returned value: an re.Match is true"),
    ("assert f(1) is True", "identity: numpy's True encodes as true"),
    ("assert f(1) == f(2)", "two calls"),
    ("for x in range(3):\n    assert f(x) == x", "a loop in an Assert case (the hostile tests' split shape)"),
])
def test_outside_the_allow_list_or_over_the_caps_is_not_lifted(code, why):
    started = time.process_time()
    assert lift_assert(code, "f") is None, why
    assert time.process_time() - started < 5  # the caps stop it, not the machine (a bound, not a timing)


def test_a_name_the_candidate_may_have_changed_is_read_only_as_a_whole_argument():
    setup = "def check(candidate):\n    xs = [3, 1, 2]\n    assert candidate(xs) == 3\n{}\n"
    assert lift_check("check(f)", setup.format("    assert candidate(xs) == 1"), "f") is not None  # same object
    for later in ("    assert candidate(sorted(xs)) == 1", "    assert candidate([1]) == len(xs)",
                  "    ys = xs[0]\n    assert candidate([ys]) == 1"):
        assert lift_check("check(f)", setup.format(later), "f") is None, later
    fresh = "def check(candidate):\n    assert candidate([1]) == 1\n    ys = list(range(3))\n    n = sum(ys)\n{}\n"
    assert lift_check("check(f)", fresh.format("    assert candidate(ys) == n"), "f") is not None  # not passed yet
    assert lift_check("check(f)", fresh.format("    assert candidate(ys) == sum(ys)"), "f") is None  # read after


def test_a_builtin_the_tests_rebind_is_not_lifted():
    job = _job("def f(x):\n    return x\n", "f", "assert f(sorted([3, 1])) == [1, 3]", setup="def sorted(x):\n    return x\n")
    assert lift_job(job) is None
    job = _job("def f(x):\n    return x\n", "f", "list = tuple", "assert f(list(range(2))) == [0, 1]")
    assert lift_job(job) is None
    check = "def check(candidate):\n    assert candidate(str(1)) == '1'\n    str = 'x'\n"
    assert lift_check("check(f)", check, "f") is None  # `str` is the check's local: unbound at the first use
    # the rebound names are worked out at the first case that reads a builtin, not skipped past the cases before it
    job = _job("def f(x):\n    return x\n", "f", "assert f(1) == 1", "assert f(sorted([3, 1])) == [1, 3]",
               setup="def sorted(x):\n    return x\n")
    assert lift_job(job) is None


def test_the_fast_walk_meets_every_node_ast_walk_does():
    tree = ast.parse(FIND_FIRST + "class C:\n    def m(self, *a, **k):\n        global g\n"
                     "        return [x for x in a if (y := x)], lambda z=1: z\n")
    assert sorted(map(id, nodes(tree.body))) == sorted(id(n) for stmt in tree.body for n in ast.walk(stmt))
    assert parsed("def (") is None and parsed("x = 1")[0].targets[0].id == "x"  # type: ignore[index]


def test_the_same_check_twice_gets_fresh_values_shared_between_its_calls():
    setup = "def check(candidate):\n    xs = [3, 1, 2]\n    assert candidate(xs) == 3\n    assert candidate(xs) == 1\n"
    plan = lift_job(PythonTests("", "f", (Assert("check(f)"), Assert("check(f)")), setup=setup))
    first, second = (plan.lifted[0].args[0], plan.lifted[1].args[0]), (plan.lifted[2].args[0], plan.lifted[3].args[0])
    assert first[0] is first[1] and second[0] is second[1] and first[0] is not second[0]


def test_caps_hold_for_any_expression():
    for source in ("list(range(10 ** 18))", "[0] * 10 ** 12", "2 << 10 ** 9", "'ab'.replace('a', 'a' * 10 ** 6) * 10 ** 6"):
        with pytest.raises(Untrusted):
            import ast
            Evaluator({}, Budget()).eval(ast.parse(source, mode="eval").body)


def test_a_predicate_judges_plain_values_as_the_assert_would():
    (part,) = lift_assert("assert abs(f(1.33) - 0.33) < 1e-6", "f")
    judge = lambda value: judge_lifted({"s": "returned", "o": encode(value), "c": 0.0}, part)["s"]  # noqa: E731
    assert [judge(v) for v in (0.33, 0.3300000001, 0.34, "x", None)] == ["passed", "passed", "failed", "error", "error"]
    assert judge_lifted({"s": "returned", "o": '{"__x":"fractions.Fraction"}', "c": 0.0}, part)["s"] == "failed"


# ---------------------------------------------------------------- the same verdicts, run for real
def test_demo_14_lifted_right_passes_and_a_mutant_failing_in_process_fails(sandbox):
    cases = ("assert find_first([1, 2, 2, 2, 5], 2) == 1", DEMO_14)
    assert _verdicts(sandbox, _job(FIND_FIRST, "find_first", *cases)) == ["passed", "passed"]
    assert _verdicts(sandbox, _job(FIND_FIRST_SMALL_ONLY, "find_first", *cases)) == ["passed", "failed"]


def test_over_the_cap_or_outside_the_allow_list_runs_split_with_the_same_verdict(sandbox):
    over = "assert find_first([1, 2, 3], 2 ** 70_000) == -1"  # an int over INT_BITS: split
    outside = "assert find_first([x for x in (lambda n: range(n))(5)], 9) == -1"
    no_check = FIND_FIRST.replace("return lo if lo < len(arr) and arr[lo] == target else -1", "return lo")
    for case in (over, outside):
        assert lift_job(_job(FIND_FIRST, "find_first", case)) is None
        assert _verdicts(sandbox, _job(FIND_FIRST, "find_first", case)) == ["passed"]
        assert _verdicts(sandbox, _job(no_check, "find_first", case)) == ["failed"]


def test_a_candidate_that_changes_its_argument_sees_it_changed_as_in_one_process(sandbox):
    setup = "def check(candidate):\n    xs = [3, 1, 2]\n    assert candidate(xs) == 3\n    assert candidate(xs) == 3\n"
    popper, reader = "def f(xs):\n    return xs.pop(0)\n", "def f(xs):\n    return xs[0]\n"
    assert lift_job(PythonTests(popper, "f", (Assert("check(f)"),), setup=setup)) is not None
    assert _verdicts(sandbox, PythonTests(popper, "f", (Assert("check(f)"),), setup=setup)) == ["failed"]
    assert _verdicts(sandbox, PythonTests(reader, "f", (Assert("check(f)"),), setup=setup)) == ["passed"]


def test_a_lifted_predicate_in_the_sandbox(sandbox):
    cases = ("assert abs(f(2.0) - 4.0) < 1e-9", "assert math.isclose(f(3), 9.0, rel_tol=0.001)", "assert f(0) is not None")
    job = lambda body: PythonTests(f"def f(x):\n    return {body}\n", "f", tuple(Assert(c) for c in cases),  # noqa: E731
                                   setup="import math", stop_on_failure=False)
    assert lift_job(job("x * x")) is not None
    assert _verdicts(sandbox, job("x * x")) == ["passed"] * 3
    assert _verdicts(sandbox, job("x * x + 1")) == ["failed", "failed", "passed"]
    assert _verdicts(sandbox, job("None"))[:2] == ["error", "error"]


def test_a_candidate_whose_own_assert_fails_fails_the_lifted_case_as_it_would_in_process(sandbox):
    """A candidate's own `assert` failing inside a lifted call fails the case (AssertionError, the test's line),
    as it does when the test runs in the job; it was called tampering (status error, type Tampered): a false
    alarm on 6 of the 984 real HumanEval samples."""
    program = "def f(xs):\n    assert len(xs) == 2\n    return sum(xs)\n"
    seen = []
    for test in ("assert candidate([1, 2, 3]) == 6",  # lifted: the server compares
                 "assert candidate([x for x in (lambda n: range(1, n))(4)]) == 6"):  # not liftable: in the job
        job = PythonTests(program, "f", (Assert("check(f)"),), setup=f"def check(candidate):\n    {test}\n")
        (case,) = sandbox.run(job, LIMITS).cases
        seen.append((lift_job(job) is not None, case.status.value, case.error_type, case.message))
    assert seen == [(lifted, "failed", "AssertionError", f"line 2 of the test: {test}") for lifted, test in (
        (True, "assert candidate([1, 2, 3]) == 6"),
        (False, "assert candidate([x for x in (lambda n: range(1, n))(4)]) == 6"))]


_SPIN_ON_2 = "def f(x):\n    while x == 2:\n        pass\n    return x + 1\n"  # right for 1, never returns for 2


def test_a_wrong_lifted_value_stops_the_job_before_a_long_case_uses_its_budget(sandbox):
    """The job can't see that a lifted value was wrong; a case that runs on sends the lines held back (casetimer's
    nudge), so the server stops the job at the failure instead of after the next case's whole budget (20 s)."""
    setup = "def check(candidate):\n    assert candidate(1) == 3\n    assert candidate(2) == 3\n"
    job = PythonTests(_SPIN_ON_2, "f", (Assert("check(f)"),), setup=setup, case_cpu_s=(20.0,))
    assert lift_job(job) is not None
    result = sandbox.run(job, Limits(cpu_s=30, wall_s=60))
    assert [(c.status.value, c.message) for c in result.cases] == [("failed", "line 2 of the test: assert candidate(1) == 3")]
    assert not result.completed  # stopped: it never reached the second assert's end nor its closing line


def test_after_its_nudge_a_long_case_still_stops_at_its_own_limit(sandbox):
    setup = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(2) == 3\n"
    job = PythonTests(_SPIN_ON_2, "f", (Assert("check(f)"),), setup=setup, case_cpu_s=(0.3,))
    result = sandbox.run(job, Limits(cpu_s=30, wall_s=60))
    assert [c.status.value for c in result.cases] == ["timeout"]


# ---------------------------------------------------------------- what still runs split: cheaper, the same
def test_split_arguments_cross_as_marshal_only_when_exactly_plain():
    from fractions import Fraction

    from execeval.sandbox.python.split.callwire import marshalled
    from execeval.sandbox.python.split.handles import handles_out as _handles_out

    data, markers = marshalled([list(range(5)), {"a": (1, 2.5)}, {3}], _handles_out)
    assert not markers and data
    assert marshalled([[int, 1]], _handles_out)[1] is True  # a builtin type crosses as its marker
    for odd in (Fraction(1, 2), bytearray(b"x"), [True, Fraction(1, 3)], type("B", (int,), {})(3)):
        assert marshalled([odd], _handles_out) is None  # encode's text then: opaque, as before


def test_a_split_test_with_a_big_argument_changed_in_place(sandbox):
    case = "for n in (3000, 0):\n    xs = [3, 1, 2] * n\n    sort_it(xs)\n    assert xs == sorted([3, 1, 2] * n)"
    for body, verdict in (("xs.sort()", "passed"), ("xs.reverse()", "failed"), ("xs[:] = sorted(xs)", "passed")):
        job = _job(f"def sort_it(xs):\n    {body}\n", "sort_it", case)
        assert lift_job(job) is None and _verdicts(sandbox, job) == [verdict], body
