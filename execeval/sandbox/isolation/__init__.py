"""Linux isolation of the fork-server workers and their jobs: namespaces, an unprivileged uid, Landlock,
seccomp, rlimits, a cgroup (v2 or v1) and a private work dir.

- `worker.py`: `ServerIsolation`, what a worker sets up once and what each job gets (the composition).
- `linux.py`: the raw syscalls and constants (ctypes), `seccomp.py`, `landlock.py`: one primitive each.
- `cgroup/`: the job's cgroup: `detect()` picks `v2.py` (unified hierarchy) or `v1.py` (memory, cpuacct).

Each primitive that this machine refuses is noted in the job's `IsolationReport`, never silently skipped.
"""
