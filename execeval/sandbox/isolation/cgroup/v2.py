"""cgroup v2 (the unified hierarchy): one group per fork server, its jobs in a leaf of their own.

    <root>/execeval/worker-<index>-<host pid>/server   the fork server (never limited, never killed)
                                              /job      each job's processes: memory.max, memory.swap.max 0,
                                                        pids.max, memory.events (oom_kill), cpu.stat, cgroup.kill

v2 forbids processes in a group whose controllers are handed down, so the server can't share its jobs' group
as it does on v1: each job's child moves itself into `job` (one write on an fd opened here, before any
confinement), and every process it forks is born there. `cgroup.kill` then ends the job's whole tree, setsid()
or not, without touching the server. The file protocol is parsed by the small functions below (tested against
fake trees; tests/test_cgroup_v2.py).
"""

from __future__ import annotations

import os

from execeval.sandbox.isolation.cgroup.groups import OomCounter, host_has_swap, sweep_exited, write

MOUNTS = "/proc/self/mounts"


def unified_root(mounts: str = MOUNTS) -> str | None:
    """Where the cgroup2 hierarchy is mounted when it is the system's (`/sys/fs/cgroup` itself, as on current
    Debian, Ubuntu, Fedora and GitHub runners); None on v1 or hybrid hosts (a v2 tree beside v1 controllers)."""
    try:
        with open(mounts) as f:
            for line in f:
                fields = line.split()
                if len(fields) > 2 and fields[2] == "cgroup2" and fields[1] == "/sys/fs/cgroup":
                    return fields[1]
    except OSError:
        pass
    return None


def controllers(path: str) -> set[str]:
    """The controllers a group may hand down (`cgroup.controllers`)."""
    with open(os.path.join(path, "cgroup.controllers")) as f:
        return set(f.read().split())


def keyed(text: str | bytes, key: str) -> int | None:
    """One value of a flat keyed file (`memory.events`, `cpu.stat`): `key value` lines."""
    if isinstance(text, bytes):
        text = text.decode()
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if name == key:
            return int(value)
    return None


def single(text: str | bytes) -> int | None:
    """A single-value file (`memory.peak`, `memory.current`, `pids.max`): a number, or None for `max`."""
    value = text.decode() if isinstance(text, bytes) else text
    return None if value.strip() == "max" else int(value)


class V2Cgroup(OomCounter):
    """A cgroup v2 group per fork server (see the module doc). `memory` / `pids`: whether those controllers
    could be enabled for the job's leaf; cpu.stat and cgroup.kill exist in every v2 group."""

    version = "v2"

    def __init__(self, worker_index: int, host_pid: int, root: str, need: tuple[str, ...] = ("memory",)) -> None:
        """Call while the host's /proc is still mounted: stale groups are found by their server's host pid.
        Raises OSError when a controller in `need` can't be had here (so the caller falls back)."""
        available = controllers(root)
        missing = [c for c in need if c not in available]
        if missing:
            raise OSError(f"cgroup v2 at {root} has no {', '.join(missing)} controller")
        parent = os.path.join(root, "execeval")
        os.makedirs(parent, exist_ok=True)
        wanted: list[str] = [c for c in ("memory", "pids") if c in available]
        self._hand_down(root, parent, wanted)
        sweep_exited(parent, host_pid, ("job", "server", ""))
        self.path = os.path.join(parent, f"worker-{worker_index}-{host_pid}")
        self.job = os.path.join(self.path, "job")
        server = os.path.join(self.path, "server")
        os.makedirs(self.job, exist_ok=True)
        os.makedirs(server, exist_ok=True)
        write(os.path.join(server, "cgroup.procs"), "0")
        self._hand_down(None, self.path, wanted)
        have = controllers(self.job)
        self.memory, self.pids = "memory" in have, "pids" in have
        missing = [c for c in need if c not in have]
        if missing:
            raise OSError(f"cgroup v2: {', '.join(missing)} not delegable to {self.job}")
        swap_capped = self.memory and os.path.exists(os.path.join(self.job, "memory.swap.max"))
        if swap_capped:
            write(os.path.join(self.job, "memory.swap.max"), "0")
        # the cap is the job's whole memory (no swap to spill into): RLIMIT_AS can stay off (see worker.py)
        self.bounds_all_memory = self.memory and (swap_capped or not host_has_swap())
        self.limit_mb: int | None = None
        self.max_pids: int | None = None
        self.procs_fd = os.open(os.path.join(self.job, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        self.usage_fd = os.open(os.path.join(self.job, "cpu.stat"), os.O_RDONLY | os.O_CLOEXEC)
        self.kill_fd = os.open(os.path.join(self.job, "cgroup.kill"), os.O_WRONLY | os.O_CLOEXEC)
        if keyed(os.pread(self.usage_fd, 4096, 0), "usage_usec") is None:
            raise OSError(f"cgroup v2: no usage_usec in {self.job}/cpu.stat")
        self._events_fd = (os.open(os.path.join(self.job, "memory.events"), os.O_RDONLY | os.O_CLOEXEC)
                           if self.memory else None)
        self._ooms = self.oom_kills()

    @staticmethod
    def _hand_down(root: str | None, group: str, wanted: list[str]) -> None:
        """Enable `wanted` controllers in `group`'s children (and in `root`'s, for `group` itself)."""
        for where in (root, group):
            if where is None or not wanted:
                continue
            with open(os.path.join(where, "cgroup.subtree_control")) as f:
                enabled = set(f.read().split())
            todo = [c for c in wanted if c not in enabled]
            if todo:
                try:
                    write(os.path.join(where, "cgroup.subtree_control"), " ".join(f"+{c}" for c in todo))
                except OSError:
                    pass  # what did not take shows as a missing controller in the leaf

    def set_limit(self, memory_mb: int) -> None:
        if self.memory and self.limit_mb != memory_mb:
            write(os.path.join(self.job, "memory.max"), str(memory_mb << 20))
            self.limit_mb = memory_mb

    def set_pids(self, processes: int) -> None:
        """pids.max: a backstop over RLIMIT_NPROC (the job's runner and a split job's partner counted too)."""
        if self.pids and self.max_pids != processes:
            write(os.path.join(self.job, "pids.max"), str(processes + 2))
            self.max_pids = processes

    def enter(self) -> None:
        """In the job's child, right after fork: into the job's leaf (its descendants are born there)."""
        os.write(self.procs_fd, b"0")

    def kill(self) -> None:
        """SIGKILL every process in the job's leaf (cgroup.kill, Linux 5.14+)."""
        try:
            os.write(self.kill_fd, b"1")
        except OSError:
            pass

    def oom_kills(self) -> int:
        if self._events_fd is None:
            return 0
        return keyed(os.pread(self._events_fd, 4096, 0), "oom_kill") or 0

    def peak_bytes(self) -> int | None:
        """The job leaf's memory high-water mark since it was made (`memory.peak`, Linux 5.19+; a per-job reset
        needs 6.12+, not done here, so not a per-job figure), None where it is not kept. Not read per job."""
        try:
            with open(os.path.join(self.job, "memory.peak")) as f:
                return single(f.read())
        except OSError:
            return None
