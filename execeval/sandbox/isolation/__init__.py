"""Linux isolation of the fork-server workers and their jobs: namespaces, an unprivileged uid, Landlock,
seccomp, rlimits, a memory cgroup and a private work dir.

- `worker.py`: `ServerIsolation`, what a worker sets up once and what each job gets (the composition).
- `linux.py`: the raw syscalls and constants (ctypes), `seccomp.py`, `landlock.py`, `cgroup.py`: one primitive each.

Each primitive that this machine refuses is noted in the job's `IsolationReport`, never silently skipped.
"""
