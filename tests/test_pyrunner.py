"""What the fork server's Python runner does per job: per-test CPU budgets (each test its own, CPU time counts,
wall time only a backstop that follows the test actually running) and the report of a program that fails."""

from __future__ import annotations

from execeval.sandbox import Assert, CaseStatus, Limits, PythonTests, Status

SPIN = ("import time\n\ndef spin(s):\n    end = time.process_time() + s\n"
        "    while time.process_time() < end:\n        pass\n    return True\n")


def test_a_long_test_after_quick_ones_gets_its_own_wall_clock_bound(sandbox):
    """Results of quick tests are sent in batches; the harness must not keep timing the long test against the
    budget of the first quick one it has not heard about (Mbpp/599's canonical solution timed out that way)."""
    cases = (Assert("assert spin(0)"), Assert("assert spin(0)"), Assert("assert spin(0)"), Assert("assert spin(2.0)"))
    job = PythonTests(SPIN, "spin", cases, case_cpu_s=(0.05, 0.05, 0.05, 4.0))
    r = sandbox.run(job, Limits(wall_s=30, cpu_s=30))
    assert [c.status for c in r.cases] == [CaseStatus.PASSED] * 4, r


def test_a_test_over_its_cpu_budget_times_out_and_stops_the_program(sandbox):
    """Even with every test asked for: each further test would burn its whole budget too."""
    cases = (Assert("assert spin(0)"), Assert("assert spin(0.6)"), Assert("assert spin(0)"))
    job = PythonTests(SPIN, "spin", cases, case_cpu_s=(0.2, 0.2, 0.2), stop_on_failure=False)
    r = sandbox.run(job, Limits(wall_s=30, cpu_s=30))
    assert [c.status for c in r.cases] == [CaseStatus.PASSED, CaseStatus.TIMEOUT, CaseStatus.NOT_RUN], r
    # the timer counts in scheduler ticks, the reported CPU time in nanoseconds: they differ by a tick or two
    assert 0.15 <= r.cases[1].cpu_s < 0.6, r.cases[1]


def test_a_program_that_fails_to_load_is_reported_with_its_lines(sandbox):
    """Built by hand (traceback.format_exception cost each failing job ~0.6 ms), in Python's layout."""
    programs = {
        "def f(x):\n    return x +\n": ['  File "<candidate>", line 2', "    return x +", "SyntaxError: invalid syntax"],
        "def g():\n    return 1 / 0\n\nX = g()\n": ['  File "<candidate>", line 4, in <module>', "    X = g()",
                                                     '  File "<candidate>", line 2, in g', "    return 1 / 0",
                                                     "ZeroDivisionError: division by zero"],
        "def r(n):\n    return r(n + 1)\n\nr(0)\n": ["outer frames left out", "RecursionError: maximum recursion"],
    }
    for program, expected in programs.items():
        r = sandbox.run(PythonTests(program, "f", (Assert("assert f(1) == 2"),)))
        assert r.status is Status.FAILED and r.cases[0].status is CaseStatus.NOT_RUN, r
        assert r.traceback_tail.startswith("Traceback (most recent call last):"), r.traceback_tail
        assert all(line in r.traceback_tail for line in expected), r.traceback_tail
        assert "pyrunner" not in r.traceback_tail  # the runner's own frames are not the program's
