"""Checks every `Sandbox` implementation must pass (run by tests/test_sandbox_conformance.py for each backend).

Each check takes a sandbox and raises AssertionError with a reason. They use only `Script`, so any backend that
runs Python source can be held to the same contract: exact output bytes, stdin, status for every way a process
can end, limits, a scrubbed environment, a private empty work dir, no network.
"""

from __future__ import annotations

from collections.abc import Callable

from execeval.sandbox.base import Sandbox, Script, Status
from execeval.sandbox.limits import Limits

FAST = Limits(wall_s=5, cpu_s=5, memory_mb=512, output_bytes=64 * 1024)


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
    assert r.status is Status.TIMEOUT and r.wall_s < 1.0, r


def check_cpu_limit(sb: Sandbox) -> None:
    r = sb.run(Script("while True: pass"), Limits(wall_s=10, cpu_s=1))
    assert r.status is Status.CPU_LIMIT, r


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
    import json

    env = json.loads(r.stdout)
    assert env["TZ"] == "UTC" and env["PYTHONHASHSEED"] == "0" and env["OMP_NUM_THREADS"] == "1", env
    assert env["HOME"] == env["TMPDIR"], env
    assert not {"USER", "SSH_AUTH_SOCK", "OPENAI_API_KEY", "PWD"} & env.keys(), env


def check_same_hash_seed_every_job(sb: Sandbox) -> None:
    outs = {sb.run(Script("print(list({'apple', 'pear', 'fig', 'kiwi'}), hash('x'))"), FAST).stdout for _ in range(4)}
    assert len(outs) == 1, outs


def check_private_empty_workdir(sb: Sandbox) -> None:
    code = "import os\nprint(sorted(os.listdir('.')))\nopen('mine.txt', 'w').write('x')"
    first = sb.run(Script(code), FAST)
    second = sb.run(Script(code), FAST)
    assert first.status is Status.OK and second.stdout == first.stdout, (first, second)
    assert b"mine.txt" not in second.stdout, second


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
    report = sb.isolation()
    assert report.level in ("full", "partial") and report.primitives, report


CHECKS: tuple[Callable[[Sandbox], None], ...] = (
    check_ok_and_exact_output, check_stdin_bytes, check_exit_status_and_exception, check_wall_timeout,
    check_cpu_limit, check_memory_limit, check_output_limit, check_killed_by_signal, check_scrubbed_environment,
    check_same_hash_seed_every_job,
    check_private_empty_workdir, check_files_are_provided, check_no_network, check_submit_resolves_every_future,
    check_priority_orders_the_queue, check_isolation_report,
)
