#!/usr/bin/env python3
"""Where a fork server's per-job CPU goes: the server's own CPU and page faults per job against its jobs', from
/proc, beside the bare-fork floor measured in the same run.

    python bench/fork_profile.py                 # 2000 small jobs (a function and two asserts; 10 samples
                                                 # per task, as real runs have), 2 servers
    python bench/fork_profile.py -n 500 --workers 1

Page faults are the steady figure on a shared machine (CPU time moves with the load; faults do not): after each
fork every page the server writes faults once (fork write-protected it), and so does every page the job writes.
The server's figures are its own user/sys/minflt; the jobs' are what it reaped (cutime/cstime/cminflt), read from
/proc/PID/stat of each server before and after the jobs, so start-up and warm-up are left out. No timing is
asserted.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bare_fork_floor, machine_line  # noqa: E402

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
    args = ap.parse_args(argv)
    from execeval.sandbox import ForkServerSandbox

    print(machine_line())
    floor_cpu, floor_faults = bare_fork_floor()
    with ForkServerSandbox(workers=args.workers) as sandbox:
        for f in [sandbox.submit(job(i)) for i in range(20 * args.workers)]:  # every server started and warm
            f.result()
        workers = [w for w in sandbox.pool._workers if w is not None]  # bench: reads the pool's servers
        pids = [server_pid(w.proc.pid) for w in workers]
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
    return 0 if passed == n else 1


if __name__ == "__main__":
    sys.exit(main())
