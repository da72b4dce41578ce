"""Per-test CPU budgets as the fork server enforces them: each test gets its own, CPU time counts, wall time
is only a backstop that follows the test actually running."""

from __future__ import annotations

from execeval.sandbox import Assert, CaseStatus, Limits, PythonTests

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
    assert 0.2 <= r.cases[1].cpu_s < 0.6, r.cases[1]
