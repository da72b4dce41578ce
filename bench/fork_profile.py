#!/usr/bin/env python3
"""Where a fork server's per-job CPU goes: the server's own CPU and page faults per job against its jobs', from
/proc, beside the bare-fork floor measured in the same run.

    python bench/fork_profile.py                 # 2000 small jobs (a function and two asserts; 10 samples
                                                 # per task, as real runs have), 2 servers
    python bench/fork_profile.py -n 500 --workers 1
    python3.12 bench/fork_profile.py --by-function   # also where it goes, by Python function and kernel path

`--by-function` records the server and its jobs with Linux `perf` while they run (call stacks unwound with DWARF
data) and puts each sample under the innermost Python function on its stack (CPython 3.12's perf trampolines,
turned on in the server by `-X perf`) and, in the kernel, under fork, exit, page fault or the syscall.
It needs `perf`, the right to use it (root, or kernel.perf_event_paranoid <= 1) and Python 3.12 or later with
execeval's dependencies; it runs one server (each server is PID 1 of its own namespace and writes /tmp/perf-1.map).
A sample whose unwound stack holds no trampoline of that map counts as "(no Python frame known)": most of a
job's exit and fork return, and functions a job calls first (never the server), whose lines the job cannot write
(its sweep of open files closes its copy of the map file). Other busy Python processes on the machine would count
as jobs: run it on a quiet one.

Page faults are the steady figure on a shared machine (CPU time moves with the load; faults do not): after each
fork every page the server writes faults once (fork write-protected it), and so does every page the job writes.
The server's figures are its own user/sys/minflt; the jobs' are what it reaped (cutime/cstime/cminflt), read from
/proc/PID/stat of each server before and after the jobs, so start-up and warm-up are left out. No timing is
asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bare_fork_floor, machine_line  # noqa: E402
from _perfstacks import PerfMap, breakdown, parse_script

_TICK = os.sysconf("SC_CLK_TCK")


def server_pid(outer: int) -> int:
    """The server itself: the outer process's only child when the server runs in its own PID namespace."""
    try:
        with open(f"/proc/{outer}/task/{outer}/children") as f:
            children = f.read().split()
    except OSError:
        children = []
    return int(children[0]) if children else outer


def usage(pid: int) -> tuple[float, ...]:
    """(minflt, cminflt, utime, stime, cutime, cstime) of `pid`, times in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()  # fields[0] is stat field 3 (state)
    minflt, cminflt = int(fields[7]), int(fields[8])
    return (minflt, cminflt, *(int(fields[i]) / _TICK for i in (11, 12, 13, 14)))


def job(i: int, per_task: int = 10):  # type: ignore[no-untyped-def]
    """Sample i: task i // per_task's tests (two asserts), its own program (each differs, none is reused)."""
    from execeval.sandbox import Assert, PythonTests

    t = i // per_task
    return PythonTests(f"def add(x, y):\n    # sample {i}\n    return x + y + {t}\n", "add",
                       (Assert(f"assert add(1, 2) == {3 + t}"), Assert(f"assert add(-{t}, 0) == 0")))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="jobs (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="fork servers (default: %(default)s)")
    ap.add_argument("--by-function", action="store_true",
                    help="also record with perf where the CPU goes, by Python function and kernel path")
    ap.add_argument("--top", type=int, default=12, help="Python functions listed per side with --by-function")
    args = ap.parse_args(argv)
    if args.by_function:
        why = by_function_unavailable()
        if why:
            sys.exit(f"fork_profile: --by-function {why}")
        args.workers = 1
        start_servers_with_perf_maps()
        with contextlib.suppress(FileNotFoundError):
            os.unlink("/tmp/perf-1.map")  # an earlier server's: its addresses would name this one's trampolines
    from execeval.sandbox import ForkServerSandbox

    print(machine_line())
    floor_cpu, floor_faults = bare_fork_floor()
    with ForkServerSandbox(workers=args.workers) as sandbox:
        for f in [sandbox.submit(job(i)) for i in range(20 * args.workers)]:  # every server started and warm
            f.result()
        workers = [w for w in sandbox.pool._workers if w is not None]  # bench: reads the pool's servers
        pids = [server_pid(w.proc.pid) for w in workers]
        with recording(pids if args.by_function else []) as perf_data:
            before = [usage(p) for p in pids]
            results = [f.result() for f in [sandbox.submit(job(i)) for i in range(args.n)]]
            after = [usage(p) for p in pids]
    n = args.n
    d = [sum(a[k] - b[k] for a, b in zip(after, before)) / n for k in range(6)]
    passed = sum(r.all_cases_passed for r in results)
    print(f"{n} jobs on {len(pids)} servers, {passed} passed; per job:")
    print(f"  server (fork, supervision):  {d[0]:5.0f} page faults, CPU {1000 * (d[2] + d[3]):.2f} ms "
          f"(user {1000 * d[2]:.2f}, sys {1000 * d[3]:.2f})")
    print(f"  job (set-up, code, exit):    {d[1]:5.0f} page faults, CPU {1000 * (d[4] + d[5]):.2f} ms "
          f"(user {1000 * d[4]:.2f}, sys {1000 * d[5]:.2f}); its cases' own CPU "
          f"{1000 * sum(c.cpu_s for r in results for c in r.cases) / n:.3f} ms")
    print(f"  bare-fork floor:             {floor_faults:5.0f} page faults, CPU {1000 * floor_cpu:.2f} ms "
          f"(parent and child; python -I -S)")
    total = 1000 * (d[2] + d[3] + d[4] + d[5])
    print(f"  server + job: {total:.2f} ms = {total / (1000 * floor_cpu):.1f}x the floor "
          f"(CPU ticks are {1000 / _TICK:.0f} ms: use n >= 1000)")
    if args.by_function:
        outer = [w.proc.pid for w in workers]
        print_by_function(perf_data, set(pids), {os.getpid(), *outer},
                          [f"/tmp/perf-{p}.map" for p in {1, *pids, *outer}],
                          {"server": 1000 * (d[2] + d[3]), "job": 1000 * (d[4] + d[5])}, args.top)
    return 0 if passed == n else 1


def by_function_unavailable() -> str:
    """Why --by-function cannot run here ("" when it can)."""
    if sys.version_info < (3, 12):
        return (f"needs Python 3.12 or later for its perf trampolines (this is {sys.version.split()[0]}): run "
                "this script with python3.12")
    if shutil.which("perf") is None:
        return "needs Linux perf: apt-get install linux-perf"
    return ""


def start_servers_with_perf_maps() -> None:
    """Fork servers started from here on run `python -X perf`: the bench's own change to how the pool starts
    them, not an option of execeval's. (A job's fd sweep closes its copy of the map file; a file the job opens
    may then get that fd number and the lines of functions first called in the job. Fine for this profile's
    jobs, which open no file; wrong for an evaluation.)"""
    from execeval.sandbox import forkserver

    popen = subprocess.Popen

    def with_perf_maps(argv: list[str], **kwargs: object) -> subprocess.Popen:
        return popen([argv[0], "-X", "perf", *argv[1:]], **kwargs)  # type: ignore[call-overload]

    forkserver.subprocess = type(sys)("subprocess_with_perf_maps")
    forkserver.subprocess.__dict__.update(vars(subprocess), Popen=with_perf_maps)


@contextlib.contextmanager
def recording(pids: list[int]) -> Iterator[str]:
    """`perf record` of every CPU while the block runs (when `pids` are given); yields the data file's path.

    Every CPU, not `-p PIDS`: with `-p`, perf 6.18 here counted a job's set-up under the server and lost its exit."""
    if not pids:
        yield ""
        return
    data = os.path.join(tempfile.mkdtemp(prefix="fork-profile-"), "perf.data")
    perf = subprocess.Popen(["perf", "record", "-q", "-a", "--call-graph", "dwarf,16384", "-F", "999", "-o", data],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield data
    finally:
        perf.send_signal(signal.SIGINT)
        _, err = perf.communicate(timeout=120)
        if perf.returncode not in (0, -signal.SIGINT) or not os.path.exists(data):
            sys.exit(f"fork_profile: perf record failed ({perf.returncode}): {err.decode(errors='replace')[-500:]}"
                     " -- as non-root, kernel.perf_event_paranoid must be 1 or less")


def print_by_function(data: str, server_pids: set[int], others: set[int], maps: list[str],
                      ms_per_job: dict[str, float], top: int) -> None:
    """Each side's per-job CPU split by what it was doing and by Python function, from the perf data. Python
    processes but the servers and `others` (this script, the servers' outer processes) count as jobs: run it on a
    machine where no other Python program is busy."""
    script = subprocess.run(["perf", "script", "-i", data, "-F", "comm,pid,ip,sym"], capture_output=True,
                            text=True, errors="replace", check=False)
    perfmap = PerfMap(maps)
    samples = (s for s in parse_script(script.stdout.splitlines()) if s.pid not in others)
    parts = breakdown(samples, server_pids, perfmap)
    print(f"by function (perf, {len(perfmap)} Python functions in the servers' perf maps; shares of each side's "
          "samples, ms of its CPU per job):")
    for side, part in parts.items():
        if not part.samples:
            print(f"  {side}: no samples")
            continue
        share = {k: v / part.samples for k, v in part.functions.most_common(top)}
        doing = ", ".join(f"{k} {100 * v / part.samples:.0f}%" for k, v in part.doing.most_common(6))
        print(f"  {side} ({part.samples} samples, {ms_per_job[side]:.2f} ms a job): {doing}")
        for name, fraction in share.items():
            function, _, path = name.partition(":")
            where = f" ({os.path.basename(path)})" if path else ""
            print(f"    {100 * fraction:5.1f}%  {fraction * ms_per_job[side]:.3f} ms  {function}{where}")


if __name__ == "__main__":
    sys.exit(main())
