"""Run hostile programs through the sandbox as an unprivileged user; print one JSON line per check.

Started by tests/test_hostile_unprivileged.py as
    setpriv --reuid=65534 --regid=65534 --clear-groups /usr/bin/python3 tests/unprivileged_probe.py < CONFIG_JSON
with Debian's interpreter (the pyenv one under /root is not readable by nobody) and Debian's python3-seccomp.
This script only observes and reports; the pytest side decides what counts as contained. CONFIG_JSON (on stdin,
so that no marker is in any process's argv but the job's own) carries what the pytest side prepared as root:
markers, a loopback port it listens on, paths to write and read, a decoy's pid.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import warnings

TESTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(TESTS)
sys.path.insert(0, REPO)
sys.path.insert(0, TESTS)

from execeval.sandbox import Assert, Call, ForkServerSandbox, Limits, PythonTests, Script  # noqa: E402
from execeval.values import encode  # noqa: E402

import hostile_programs as hp  # noqa: E402

QUICK = Limits(wall_s=10, cpu_s=5, memory_mb=1024)
FORGERIES = (
    "sys.exit(0) at import", "os._exit(0) in the function", "raise KeyboardInterrupt in the function",
    "fake lines to every fd in the function", "close every fd in the function", "killpg(0, SIGKILL)",
    "kill(-1, SIGKILL)", "print passed and fake result JSON", "return an object whose __eq__ is always True",
)
PATCHES = ("builtins.abs", "math.isclose")


def emit(check: str, **fields: object) -> None:
    print(json.dumps({"check": check, **fields}, default=str), flush=True)


def result_fields(r) -> dict:
    return {"status": r.status.value, "signal": r.signal, "exit_code": r.exit_code, "wall_s": r.wall_s,
            "stdout": r.stdout.decode("utf-8", "replace")[-20000:],
            "stderr": r.stderr.decode("utf-8", "replace")[-2000:], "detail": r.detail}


def alive(sb: ForkServerSandbox, servers: set[int]) -> dict:
    r = sb.run(Script("print('still here')"), QUICK)
    return {"next_job_ok": r.status.value == "ok" and r.stdout == b"still here\n",
            "servers_kept": bool(servers) and servers <= hp.fork_servers_of(os.getpid())}


def square_job(code: str, kind: str, **kw) -> PythonTests:
    if kind == "assert":
        cases = tuple(Assert(c) for c in hp.SQUARE_ASSERTS)
        return PythonTests(code, hp.SQUARE, cases, **kw)
    if kind == "check":
        return PythonTests(code, hp.SQUARE, (Assert(f"check({hp.SQUARE})"),), setup=hp.SQUARE_CHECK, **kw)
    if kind == "loop":  # a test that is code: the tests and the candidate in two processes
        return PythonTests(code, hp.SQUARE, (Assert(hp.SQUARE_LOOP),), **kw)
    return PythonTests(code, hp.SQUARE, tuple(Call(a, encode(v)) for a, v in hp.SQUARE_CALLS), **kw)


def main(cfg: dict) -> None:
    emit("identity", uid=os.getuid(), gid=os.getgid(), euid=os.geteuid(), python=sys.executable,
         secret_in_env=bool(os.environ.get(cfg["secret_name"])))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sb = ForkServerSandbox(workers=1)
        report = sb.isolation()  # the pool warns once its first server is up: at this query or the first job
    with sb:
        emit("isolation", report=report.as_dict(), missing=[p.name for p in report.missing],
             warnings=[str(w.message) for w in caught])
        sb.run(Script("print('warm')"), QUICK)
        servers = hp.fork_servers_of(os.getpid())

        # -- fork bomb
        marker = cfg["markers"]["fork_bomb"]
        limits = Limits(wall_s=2, cpu_s=2, memory_mb=256, processes=16)
        with hp.Watch(marker) as watch:
            r = sb.run(Script(hp.render(hp.FORK_BOMB, MARKER=marker)), limits)
        emit("fork_bomb", **result_fields(r), seen=len(watch.seen), max_procs=watch.max_procs,
             limit=limits.processes, survivors=list(hp.find_marked(marker)), **alive(sb, servers))

        # -- setsid orphan that writes on the host later
        marker = cfg["markers"]["orphan"]
        delay = 0.8
        with hp.Watch(marker) as watch:
            r = sb.run(Script(hp.render(hp.SETSID_ORPHAN, MARKER=marker, TARGETS=cfg["orphan_targets"],
                                        DELAY=delay)), QUICK)
        right_after = list(hp.find_marked(marker))
        time.sleep(delay + 0.8)
        emit("setsid_orphan", **result_fields(r), seen=len(watch.seen), survivors_right_after=right_after,
             survivors_later=list(hp.find_marked(marker)), written=hp.escaped(cfg["orphan_targets"]))

        # -- timeout, every catchable signal ignored or blocked
        marker = cfg["markers"]["sleeper"]
        start = time.monotonic()
        with hp.Watch(marker) as watch:
            r = sb.run(Script(hp.render(hp.SLEEP_FOREVER, MARKER=marker)), Limits(wall_s=1.0, cpu_s=5))
        emit("timeout_ignoring_signals", **result_fields(r), elapsed=time.monotonic() - start, limit_wall_s=1.0,
             seen=len(watch.seen), survivors=list(hp.find_marked(marker)))

        # -- network: the pytest side listens and counts
        r = sb.run(Script(hp.render(hp.NETWORK_CONNECT, PORT=cfg["port"], UDP_PORT=cfg["udp_port"])), QUICK)
        emit("network_connect", **result_fields(r))

        # -- writing outside the work dir; and the same program unsandboxed, as this user (the control)
        r = sb.run(Script(hp.render(hp.WRITE_OUTSIDE, TARGETS=cfg["write_targets"])), QUICK)
        emit("write_outside", **result_fields(r), written=hp.escaped(cfg["write_targets"]))
        code = hp.render(hp.WRITE_OUTSIDE, TARGETS=cfg["control_targets"])
        control = subprocess.run([sys.executable, "-I", "-c", code], cwd="/", capture_output=True, timeout=30,
                                 env={"PATH": "/usr/bin:/bin"})
        emit("write_outside_control", returncode=control.returncode, written=hp.escaped(cfg["control_targets"]))

        # -- reading outside: a world-readable run dir, a root-only file, the repo; and the control
        r = sb.run(Script(hp.render(hp.READ_OUTSIDE, PATHS=cfg["read_paths"])), QUICK)
        emit("read_outside", **result_fields(r))
        code = hp.render(hp.READ_OUTSIDE, PATHS=cfg["read_paths"])
        control = subprocess.run([sys.executable, "-I", "-c", code], cwd="/", capture_output=True, timeout=30,
                                 env={"PATH": "/usr/bin:/bin"})
        emit("read_outside_control", stdout=control.stdout.decode("utf-8", "replace"))

        # -- the harness's environment secret
        r = sb.run(Script(hp.render(hp.ENV_SECRET, HARNESS_PID=os.getpid())), QUICK)
        emit("env_secret", **result_fields(r))

        # -- signals at the parent, the group, everyone, and host pids (a decoy running as this very uid)
        host_pids = [os.getpid(), *servers, *cfg["decoy_pids"]]
        r = sb.run(Script(hp.render(hp.KILLERS, HOST_PIDS=host_pids)), QUICK)
        emit("kill_parent_group_all", **result_fields(r), **alive(sb, servers))

        # -- verdict forgery: wrong code with each trick, and the plain right and wrong answers as controls
        for kind in ("assert", "check", "call", "loop"):
            control = {"wrong": sb.run(square_job(f"def square(x):\n    return {hp.WRONG_SQUARE}\n", kind)),
                       "right": sb.run(square_job(f"def square(x):\n    return {hp.RIGHT_SQUARE}\n", kind))}
            emit("forgery_control", kind=kind, **{k: v.all_cases_passed for k, v in control.items()})
            for name in FORGERIES:
                code = hp.render(hp.FORGERY_TRICKS[name].code, RET=hp.WRONG_SQUARE, FAKE=hp.FAKE_LINES)
                r = sb.run(square_job(code, kind), QUICK)
                emit("forgery", trick=name, kind=kind, passed=r.all_cases_passed, status=r.status.value)
            for name, thief in hp.TOKEN_THIEVES.items():
                r = sb.run(square_job(hp.render(thief, RET=hp.WRONG_SQUARE, CASES=len(hp.SQUARE_ASSERTS)), kind),
                           QUICK)
                emit("token_thief", way=name, kind=kind, passed=r.all_cases_passed, status=r.status.value,
                     error_type=r.cases[0].error_type if r.cases else None, detail=r.detail)
            if kind not in ("check", "loop"):  # the timer tricks loop until a limit: about a second each
                for name, loop in hp.TIMER_LOOP_TRICKS.items():
                    r = sb.run(square_job(loop, kind, case_cpu_s=(0.2,) * len(hp.SQUARE_ASSERTS)),
                               Limits(wall_s=6, cpu_s=1))
                    emit("forgery", trick=name, kind=kind, passed=r.all_cases_passed, status=r.status.value)
        for name in PATCHES:
            patch = hp.PATCH_TRICKS[name]
            code = hp.render(patch.code, RET=patch.wrong)
            job = PythonTests(code, hp.DOUBLE, tuple(Assert(c) for c in patch.cases), setup=patch.setup)
            r = sb.run(job, QUICK)
            emit("forgery", trick=name, kind="assert", passed=r.all_cases_passed, status=r.status.value)
        # -- correct programs (tests/test_correct_programs.py) must pass here too
        futures = {name: sb.submit(PythonTests(code, "f", (Call("[]", expected=encode(want)),)),
                                   Limits(wall_s=20, cpu_s=10, memory_mb=2048))
                   for name, (code, want) in hp.CORRECT_PROGRAMS.items()}
        tempfile_add = sb.run(PythonTests(hp.TEMPFILE_ADD, "add", (Assert("assert add(1, 2) == 3"),)), QUICK)
        emit("correct_programs", count=len(futures), tempfile_add=tempfile_add.all_cases_passed,
             failed={name: [f.result().status.value, [(c.error_type, c.message[:200]) for c in f.result().cases]]
                     for name, f in futures.items() if not f.result().all_cases_passed})
        emit("harness_after_all", **alive(sb, servers))
    emit("done")


if __name__ == "__main__":
    main(json.load(sys.stdin))
