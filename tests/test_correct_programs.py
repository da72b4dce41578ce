"""Correct programs must pass under full isolation: the other half of the hostile suite.

Each program in `hostile_programs.CORRECT_PROGRAMS` does something a real solution does (temporary files, its
work dir, threads, a few worker processes, a subprocess of python3, deep recursion, numpy, locale and time) and
must pass through the real sandbox. tests/test_hostile_unprivileged.py runs the same list as an unprivileged
harness.
"""

from __future__ import annotations

import pytest

from execeval.sandbox import Assert, Call, ForkServerSandbox, Limits, PythonTests, Script, Status
from execeval.values import encode

import hostile_programs as hp

LIMITS = Limits(wall_s=20, cpu_s=10, memory_mb=2048)


@pytest.fixture(scope="module")
def sandbox():
    sb = ForkServerSandbox(workers=2)
    yield sb
    sb.close()


def correct_job(code: str, expected: object) -> PythonTests:
    return PythonTests(code, "f", (Call("[]", expected=encode(expected)),))


def test_the_issue_tempfile_program_passes(sandbox):
    r = sandbox.run(PythonTests(hp.TEMPFILE_ADD, "add", (Assert("assert add(1, 2) == 3"),
                                                         Assert("assert add(-5, 5) == 0"))), LIMITS)
    assert r.all_cases_passed, (r.status, r.cases, r.traceback_tail)


def test_correct_programs_pass(sandbox):
    """All at once, on both servers (one test, not 31: each job is ~10 ms, a pytest item costs more)."""
    futures = {name: sandbox.submit(correct_job(code, want), LIMITS)
               for name, (code, want) in hp.CORRECT_PROGRAMS.items()}
    failed = {name: (r.status.value, [(c.status.value, c.error_type, c.message) for c in r.cases],
                     r.traceback_tail[-300:], r.stderr[-300:])
              for name, f in futures.items() if not (r := f.result()).all_cases_passed}
    assert not failed, failed
    assert len(futures) >= 25


def test_a_wrong_answer_among_them_fails(sandbox):
    """The suite can fail: the same programs with a wrong expectation are reported as failing."""
    code, want = hp.CORRECT_PROGRAMS["threads"]
    r = sandbox.run(correct_job(code, [*want, 0]), LIMITS)
    assert r.status is Status.FAILED and not r.all_cases_passed


def test_what_a_job_leaves_in_tmp_is_gone_for_the_next():
    """/tmp, /var/tmp and /dev/shm are the job's to write, and emptied before the next job on the same server."""
    leave = ("import os\nfor d in ('/tmp', '/var/tmp', '/dev/shm'):\n    open(d + '/left', 'w').write('x')\n"
             "    os.mkdir(d + '/dir')\n")
    look = "import os\nprint([sorted(set(os.listdir(d)) - {'job'}) for d in ('/tmp', '/var/tmp', '/dev/shm')])\n"
    with ForkServerSandbox(workers=1) as sb:
        # what every job sees there before any job wrote: nothing, unless the interpreter or execeval itself lives
        # under /tmp (a checkout in a temp dir), whose directory is bound back read-only
        before = sb.run(Script(look), LIMITS)
        wrote = sb.run(Script(leave), LIMITS)
        assert wrote.status is Status.OK, wrote.stderr
        seen = sb.run(Script(look), LIMITS)
        assert b"'left'" not in before.stdout and seen.stdout == before.stdout, (before, seen)
