"""cgroup v1 memory: one cap for all of a job's processes, and OOM kills read from outside."""

from __future__ import annotations

import os

from execeval.sandbox.isolation.cgroup.groups import OomCounter, host_has_swap, sweep_exited, write

_CGROUP_MEMORY = "/sys/fs/cgroup/memory"


class MemoryCgroup(OomCounter):
    """A memory cgroup per fork server: every process of a job shares one `memory_mb` cap (RLIMIT_AS alone caps
    each process, so a job could multiply it by forking), and OOM kills are read from outside.

    Each job's child enters it right after fork (`enter`: one write on an fd opened here); the server stays out.
    Inside, a job that fills the cap made the server's own allocations fail, and the server died with it."""

    def __init__(self, worker_index: int, host_pid: int) -> None:
        """Call while the host's /proc is still mounted: stale groups are found by their server's host pid."""
        self.path = _worker_group(_CGROUP_MEMORY, worker_index, host_pid)
        self.procs_fd = os.open(os.path.join(self.path, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        self.limit_mb: int | None = None
        # memory+swap capped too where the kernel accounts swap (swapaccount=1): then the cap is the job's whole
        # memory and RLIMIT_AS can stay off (it breaks correct threaded programs: OpenBLAS, JVMs)
        self._memsw = os.path.join(self.path, "memory.memsw.limit_in_bytes")
        self.bounds_all_memory = os.path.exists(self._memsw) or not host_has_swap()
        self._oom_fd: int | None = None
        self._ooms = self.oom_kills()

    def _read(self, name: str) -> str:
        with open(os.path.join(self.path, name)) as f:
            return f.read()

    def set_limit(self, memory_mb: int) -> None:
        if self.limit_mb == memory_mb:
            return
        files = [os.path.join(self.path, "memory.limit_in_bytes")]
        if os.path.exists(self._memsw):  # the kernel wants memsw >= limit at every step: order by direction, from
            # the group's own limit the first time (a group left by an exited server of the same host pid keeps
            # its last limits: raising the limit above that memsw first fails with EINVAL)
            now = self.limit_mb if self.limit_mb is not None else int(self._read("memory.limit_in_bytes")) >> 20
            files = [self._memsw, *files] if memory_mb > now else [*files, self._memsw]
        for path in files:
            write(path, str(memory_mb << 20))
        self.limit_mb = memory_mb

    def enter(self) -> None:
        """In the job's child, right after fork: into the cap (its descendants are born there)."""
        os.write(self.procs_fd, b"0")

    def oom_kills(self) -> int:
        if self._oom_fd is None:  # kept open: a pread per job instead of an open/read/close
            self._oom_fd = os.open(os.path.join(self.path, "memory.oom_control"), os.O_RDONLY | os.O_CLOEXEC)
        for line in os.pread(self._oom_fd, 4096, 0).decode().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return int(self._read("memory.failcnt"))


_CGROUP_CPUACCT = "/sys/fs/cgroup/cpuacct"


class CpuCgroup:
    """A cgroup v1 cpuacct group per fork server: the CPU time of every process of a job, forked, exited or
    auto-reaped, read by the job's runner at each case boundary (one pread of `cpuacct.usage` on an fd opened
    here, before any job's confinement). The server joins it, so each child is born inside."""

    def __init__(self, worker_index: int, host_pid: int) -> None:
        """Call while the host's /proc is still mounted: stale groups are found by their server's host pid."""
        self.path = _worker_group(_CGROUP_CPUACCT, worker_index, host_pid)
        write(os.path.join(self.path, "cgroup.procs"), "0")
        self.usage_fd = os.open(os.path.join(self.path, "cpuacct.usage"), os.O_RDONLY | os.O_CLOEXEC)
        int(os.pread(self.usage_fd, 32, 0))  # readable, and a number


def _worker_group(controller: str, worker_index: int, host_pid: int) -> str:
    """This worker's group under CONTROLLER/execeval, made after removing the groups of servers that have exited
    (found by the host pid in their names, so /proc must still be the host's)."""
    parent = os.path.join(controller, "execeval")
    os.makedirs(parent, exist_ok=True)
    sweep_exited(parent, host_pid)
    path = os.path.join(parent, f"worker-{worker_index}-{host_pid}")
    os.makedirs(path, exist_ok=True)
    return path

