"""Checks every `Sandbox` implementation must pass (run by tests/test_sandbox_conformance.py for each backend).

Each check takes a sandbox and raises AssertionError with a reason. `checks_for(kinds)` is the suite for a backend
that runs those job kinds: the `Script` checks (exact output bytes, stdin, status for every way a process can end,
limits, a scrubbed environment, a private empty work dir, no network, the queue, the isolation report), the
`PythonTests` checks (per-case verdicts: passes, a failing assert, a wrong answer, an exception, a crash, a case
over its CPU budget), the `Command` checks (any argv, files in and out), and one that the backend refuses every
kind it did not declare: a kind is left out by saying so, never skipped silently.

Checks assert verdicts, not wall-clock speed: a loaded machine must not fail a conforming backend.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from execeval.errors import SandboxError
from execeval.sandbox.base import (Assert, Call, Command, ExecResult, Program, PythonTests, Sandbox, Script,
                                   Status)
from execeval.sandbox.limits import Limits

FAST = Limits(wall_s=5, cpu_s=5, memory_mb=512, output_bytes=64 * 1024)
Check = Callable[[Sandbox], None]


def check_ok_and_exact_output(sb: Sandbox) -> None:
    r = sb.run(Script("import sys; sys.stdout.buffer.write(b'a\\x00b\\n'); sys.stderr.write('e')"), FAST)
    assert r.status is Status.OK, r
    assert (r.stdout, r.stderr) == (b"a\x00b\n", b"e"), r


def check_stdin_bytes(sb: Sandbox) -> None:
    code = "import sys; a = sys.stdin.buffer.readline(); b = sys.stdin.buffer.readline(); print(len(a), len(b))"
    r = sb.run(Script(code, stdin=b"12 3\n45\n"), FAST)
    assert r.stdout == b"5 3\n", r


def check_exit_status_and_exception(sb: Sandbox) -> None:
    r = sb.run(Script("import sys; sys.exit(3)"), FAST)
    assert r.status is Status.FAILED and r.exit_code == 3, r
    r = sb.run(Script("raise KeyError('x')"), FAST)
    assert r.status is Status.FAILED and r.error_type == "KeyError", r


def check_wall_timeout(sb: Sandbox) -> None:
    code = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(60)"
    r = sb.run(Script(code), Limits(wall_s=0.5, cpu_s=5))
    assert r.status is Status.TIMEOUT, r
    assert r.wall_s < 30, f"killed at {r.wall_s:.1f} s wall: the 60 s sleep was not cut short"


def check_cpu_limit(sb: Sandbox) -> None:
    r = sb.run(Script("while True: pass"), Limits(wall_s=10, cpu_s=1))
    assert r.status is Status.CPU_LIMIT, r
    # a fractional budget holds as given, though RLIMIT_CPU counts whole seconds (stopped at its CPU time, or at
    # the same in wall time less what it waited for a CPU: either is over the budget); a run within it passes
    spin = "import time\nwhile time.process_time() < {}: pass\nprint('done')"
    r = sb.run(Script(spin.format(0.7)), Limits(wall_s=10, cpu_s=0.5))
    assert r.status in (Status.CPU_LIMIT, Status.TIMEOUT), r
    r = sb.run(Script(spin.format(0.1)), Limits(wall_s=10, cpu_s=0.5))
    assert r.status is Status.OK and r.stdout == b"done\n", r


def check_memory_limit(sb: Sandbox) -> None:
    r = sb.run(Script("x = bytearray(900 * 1024 * 1024)"), Limits(memory_mb=256))
    assert r.status is Status.MEMORY_LIMIT, r


def check_output_limit(sb: Sandbox) -> None:
    r = sb.run(Script("import sys\nwhile True: sys.stdout.write('x' * 65536)"), FAST)
    assert r.status is Status.OUTPUT_LIMIT and r.stdout_truncated and len(r.stdout) == FAST.output_bytes, r


def check_killed_by_signal(sb: Sandbox) -> None:
    r = sb.run(Script("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"), FAST)
    assert r.status is Status.KILLED and r.signal == 11, r


def check_scrubbed_environment(sb: Sandbox) -> None:
    r = sb.run(Script("import os, json; print(json.dumps(dict(os.environ)))"), FAST)
    env = json.loads(r.stdout)
    assert env["TZ"] == "UTC" and env["PYTHONHASHSEED"] == "0" and env["OMP_NUM_THREADS"] == "1", env
    assert env["HOME"] == env["TMPDIR"], env
    assert not {"USER", "SSH_AUTH_SOCK", "OPENAI_API_KEY", "PWD"} & env.keys(), env


def check_same_hash_seed_every_job(sb: Sandbox) -> None:
    runs = [sb.run(Script("print(list({'apple', 'pear', 'fig', 'kiwi'}), hash('x'))"), FAST) for _ in range(4)]
    assert all(r.status is Status.OK and b"apple" in r.stdout for r in runs), runs
    outs = {r.stdout for r in runs}
    assert len(outs) == 1, outs


def check_private_empty_workdir(sb: Sandbox) -> None:
    """Nothing in the work dir but the job's own script (which a backend may write there), nothing left over."""
    code = ("import os, sys\nprint(sorted(set(os.listdir('.')) - {os.path.basename(sys.argv[0])}))\n"
            "open('mine.txt', 'w').write('x')")
    first = sb.run(Script(code), FAST)
    second = sb.run(Script(code), FAST)
    assert first.status is second.status is Status.OK, (first, second)
    assert first.stdout == second.stdout == b"[]\n", (first, second)


def check_files_are_provided(sb: Sandbox) -> None:
    r = sb.run(Script("print(open('data/in.txt').read())", files={"data/in.txt": b"hello"}), FAST)
    assert r.stdout == b"hello\n", r


def check_no_network(sb: Sandbox) -> None:
    code = ("import socket\ntry:\n    socket.create_connection(('127.0.0.1', 9), timeout=1)\n    print('connected')\n"
            "except OSError as e:\n    print('blocked', type(e).__name__)")
    r = sb.run(Script(code), FAST)
    assert r.stdout.startswith(b"blocked"), r


def check_submit_resolves_every_future(sb: Sandbox) -> None:
    """Many jobs in flight at once (more than `capacity`), each result with its own job's output."""
    assert sb.capacity >= 1, sb.capacity
    futures = [sb.submit(Script(f"print({i} * 7)"), FAST) for i in range(4 * sb.capacity + 3)]
    outs = [f.result(timeout=60).stdout for f in futures]
    assert outs == [f"{i * 7}\n".encode() for i in range(len(futures))], outs


def check_priority_orders_the_queue(sb: Sandbox) -> None:
    """Lower priority runs first: with every worker busy, a job submitted last at the lowest priority starts in
    the next wave, ahead of the earlier ones (callers rely on this for longest-first and calibration-first)."""
    stamp = "import time\nprint(time.time())\ntime.sleep({})"
    blockers = [sb.submit(Script(stamp.format(0.4)), FAST, priority=0) for _ in range(sb.capacity)]
    late = [sb.submit(Script(stamp.format(0.2)), FAST, priority=10) for _ in range(2 * sb.capacity)]
    first = sb.submit(Script(stamp.format(0)), FAST, priority=-10)
    started = {id(f): float(f.result(timeout=60).stdout) for f in blockers + late + [first]}
    ahead = sum(started[id(f)] < started[id(first)] for f in late)
    assert ahead < sb.capacity, f"{ahead} of {len(late)} lower-priority jobs started before the first one"


def check_isolation_report(sb: Sandbox) -> None:
    """The report names each primitive once, says why one is missing, and its level follows from them (a run's
    summary and `execeval doctor` show the level; it must not claim more than the primitives do)."""
    report = sb.isolation()
    names = [p.name for p in report.primitives]
    assert names and all(n.strip() for n in names) and len(set(names)) == len(names), names
    inactive = [p for p in report.primitives if not p.active]
    assert report.missing == inactive, report
    assert report.level == ("partial" if inactive else "full"), report
    assert all(p.detail.strip() for p in inactive), f"a missing primitive without a reason: {inactive}"
    as_dict = report.as_dict()
    assert as_dict["level"] == report.level and list(as_dict["primitives"]) == names, as_dict


# ---------------------------------------------------------------- PythonTests: per-case verdicts
INC = "def f(x):\n    return x + 1\n"


def _statuses(r: ExecResult) -> list[str]:
    return [c.status.value for c in r.cases]


def check_tests_pass(sb: Sandbox) -> None:
    """Asserts (one through `setup`'s helper) and compared calls, all right: OK, completed, every case passed."""
    cases = (Assert("assert f(1) == 2"), Assert("check(f)"), Call("[41]", "42"))
    r = sb.run(PythonTests(INC, "f", cases, setup="def check(g):\n    assert g(0) == 1\n"), FAST)
    assert r.status is Status.OK and r.completed and r.all_cases_passed, r
    assert [c.index for c in r.cases] == [0, 1, 2] and r.cases[2].output == "42", r.cases


def check_tests_failing_assert(sb: Sandbox) -> None:
    """A failing assert is that case's FAILED (with the assert); the rest run unless the job stops at it."""
    cases = (Assert("assert f(1) == 2"), Assert("assert f(2) == 4"), Assert("assert f(3) == 4"))
    r = sb.run(PythonTests(INC, "f", cases, stop_on_failure=False), FAST)
    assert r.status is Status.FAILED and r.completed and not r.all_cases_passed, r
    assert _statuses(r) == ["passed", "failed", "passed"], r.cases
    assert r.cases[1].error_type == "AssertionError" and "f(2) == 4" in r.cases[1].message, r.cases[1]
    r = sb.run(PythonTests(INC, "f", cases), FAST)
    assert r.status is Status.FAILED and _statuses(r) == ["passed", "failed", "not_run"], r


def check_tests_wrong_answer(sb: Sandbox) -> None:
    """A `Call`'s output is compared outside the job: a wrong one is FAILED with what it returned."""
    cases = (Call("[1]", "2"), Call("[2]", "4"), Call("[3]", "4"))
    r = sb.run(PythonTests(INC, "f", cases, stop_on_failure=False), FAST)
    assert r.status is Status.FAILED and _statuses(r) == ["passed", "failed", "passed"], r
    assert r.cases[1].output == "3", r.cases[1]


def check_tests_exception_is_an_error(sb: Sandbox) -> None:
    r = sb.run(PythonTests(INC, "f", (Assert("f('a')"), Assert("assert f(3) == 4")), stop_on_failure=False), FAST)
    assert r.status is Status.FAILED and _statuses(r) == ["error", "passed"], r
    assert r.cases[0].error_type == r.error_type == "TypeError", r


def check_tests_crash(sb: Sandbox) -> None:
    """A case that kills the process: KILLED by its signal, not completed, and no later case counts as passed."""
    cases = (Assert("assert f(1) == 2"), Assert("os.kill(os.getpid(), signal.SIGSEGV)"), Assert("assert f(3) == 4"))
    r = sb.run(PythonTests(INC + "import os, signal\n", "f", cases, stop_on_failure=False), FAST)
    assert r.status is Status.KILLED and r.signal == 11 and not r.completed, r
    assert len(r.cases) == 3 and "passed" not in _statuses(r)[1:] and not r.all_cases_passed, r.cases


def check_tests_program_error(sb: Sandbox) -> None:
    """The program itself raises (before any test): FAILED with its exception, no case passed."""
    r = sb.run(PythonTests("raise ImportError('no such module')\n", "f", (Assert("assert f(1) == 2"),)), FAST)
    assert r.status is Status.FAILED and r.error_type == "ImportError" and not r.completed, r
    assert _statuses(r) == ["not_run"], r.cases


def check_tests_case_cpu_timeout(sb: Sandbox) -> None:
    """Case 1 spins past its own CPU budget: that case is TIMEOUT, the one before it passed, the job not OK."""
    spin = "def f(x):\n    if x == 2:\n        while True:\n            pass\n    return x + 1\n"
    cases = (Assert("assert f(1) == 2"), Assert("assert f(2) == 3"), Assert("assert f(3) == 4"))
    r = sb.run(PythonTests(spin, "f", cases, stop_on_failure=False, case_cpu_s=(2, 0.3, 2)), FAST)
    assert r.status is not Status.OK and not r.all_cases_passed, r
    assert _statuses(r)[:2] == ["passed", "timeout"] and r.cases[1].error_type == "TimeoutError", r.cases


# ---------------------------------------------------------------- Command: any argv
SH = "/bin/sh"


def check_command_status_stdin_and_output(sb: Sandbox) -> None:
    r = sb.run(Command((SH, "-c", "cat; echo err >&2; exit 4"), stdin=b"in\x00put"), FAST)
    assert r.status is Status.FAILED and r.exit_code == 4, r
    assert (r.stdout, r.stderr) == (b"in\x00put", b"err\n"), r
    r = sb.run(Command((SH, "-c", "kill -SEGV $$")), FAST)
    assert r.status is Status.KILLED and r.signal == 11, r


def check_command_files_in_and_out(sb: Sandbox) -> None:
    """`files` arrive (one named by argv[0] is executable); `collect` hands back only the matching files."""
    script = b"#!/bin/sh\nprintf \"$1\" > out.bin\nprintf no > keep.txt\ncat data/in.txt\n"
    r = sb.run(Command(("./build.sh", "built"), files={"build.sh": script, "data/in.txt": b"hello"},
                       collect=("*.bin",)), FAST)
    assert r.status is Status.OK and r.stdout == b"hello", r
    assert dict(r.files) == {"out.bin": b"built"}, r.files


def check_command_environment(sb: Sandbox) -> None:
    """The job's `env` is added to a scrubbed environment; the work dir is its home."""
    r = sb.run(Command((SH, "-c", "echo \"$FOO|$USER|$OPENAI_API_KEY\"; test \"$HOME\" = \"$(pwd)\" && echo home"),
                       env={"FOO": "bar"}), FAST)
    assert r.status is Status.OK and r.stdout == b"bar||\nhome\n", r


def check_command_missing_program_is_the_jobs_failure(sb: Sandbox) -> None:
    """A command that cannot start is the job's failure (a wrong path), never a harness fault."""
    r = sb.run(Command(("/no/such/program",)), FAST)
    assert r.status is Status.FAILED, r


def check_command_limits(sb: Sandbox) -> None:
    r = sb.run(Command((SH, "-c", "while :; do :; done")), Limits(wall_s=10, cpu_s=1))
    assert r.status is Status.CPU_LIMIT, r
    r = sb.run(Command((SH, "-c", "exec sleep 60")), Limits(wall_s=0.5, cpu_s=5))
    assert r.status is Status.TIMEOUT and r.wall_s < 30, r
    r = sb.run(Command((SH, "-c", "while :; do printf %065536d 0; done")), FAST)
    assert r.status is Status.OUTPUT_LIMIT and r.stdout_truncated and len(r.stdout) == FAST.output_bytes, r


# ---------------------------------------------------------------- the suite
KINDS: tuple[type, ...] = (Script, PythonTests, Command)
SAMPLES: dict[type, Program] = {Script: Script("print(1)"), PythonTests: PythonTests(INC, "f", ()),
                                Command: Command((SH, "-c", "true"))}

SCRIPT_CHECKS: tuple[Check, ...] = (
    check_ok_and_exact_output, check_stdin_bytes, check_exit_status_and_exception, check_wall_timeout,
    check_cpu_limit, check_memory_limit, check_output_limit, check_killed_by_signal, check_scrubbed_environment,
    check_same_hash_seed_every_job,
    check_private_empty_workdir, check_files_are_provided, check_no_network, check_submit_resolves_every_future,
    check_priority_orders_the_queue, check_isolation_report,
)
PYTHON_TESTS_CHECKS: tuple[Check, ...] = (
    check_tests_pass, check_tests_failing_assert, check_tests_wrong_answer, check_tests_exception_is_an_error,
    check_tests_crash, check_tests_program_error, check_tests_case_cpu_timeout,
)
COMMAND_CHECKS: tuple[Check, ...] = (
    check_command_status_stdin_and_output, check_command_files_in_and_out, check_command_environment,
    check_command_missing_program_is_the_jobs_failure, check_command_limits,
)
BY_KIND: dict[type, tuple[Check, ...]] = {Script: SCRIPT_CHECKS, PythonTests: PYTHON_TESTS_CHECKS,
                                          Command: COMMAND_CHECKS}


def supports_exactly(kinds: Iterable[type]) -> Check:
    """A check that the sandbox takes every kind of `kinds` and refuses each other one with a SandboxError."""
    declared = tuple(kinds)

    def check_supports_only_declared_kinds(sb: Sandbox) -> None:
        for kind, job in SAMPLES.items():
            assert sb.supports(job) is (kind in declared), f"supports({kind.__name__}) is not {kind in declared}"
            if kind not in declared:
                try:
                    sb.submit(job, FAST)
                except SandboxError:
                    continue
                raise AssertionError(f"a {kind.__name__} was accepted although not declared")

    return check_supports_only_declared_kinds


def checks_for(kinds: Iterable[type] = KINDS) -> tuple[Check, ...]:
    """The suite for a backend that runs `kinds` (every backend runs `Script`s: the protocol checks use them)."""
    declared = tuple(kinds)
    unknown = [k for k in declared if k not in BY_KIND]
    if Script not in declared or unknown:
        raise ValueError(f"kinds {declared}: must include Script, and only {', '.join(k.__name__ for k in KINDS)}")
    return tuple(c for k in KINDS if k in declared for c in BY_KIND[k]) + (supports_exactly(declared),)


CHECKS: tuple[Check, ...] = checks_for(KINDS)  # a backend that runs every kind (the fork servers, Ray)
