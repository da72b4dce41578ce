"""What both cgroup versions do the same way: a file written whole, the groups of exited fork servers swept,
and OOM kills counted between jobs."""

from __future__ import annotations

import os


def write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def host_has_swap(meminfo: str = "/proc/meminfo") -> bool:
    """Whether this host can swap: a memory cap that does not count swap then bounds a job's RAM, not its memory."""
    try:
        with open(meminfo) as f:
            for line in f:
                if line.startswith("SwapTotal:"):
                    return int(line.split()[1]) > 0
    except (OSError, ValueError, IndexError):
        pass
    return True  # unknown: assume it can, so RLIMIT_AS stays on


def sweep_exited(parent: str, host_pid: int, leaves: tuple[str, ...] = ("",)) -> None:
    """Remove PARENT's `worker-<index>-<host pid>` groups whose server has exited (each of `leaves` inside it
    first, then the group). Only while /proc is the host's, where this server is `host_pid`: a /proc of another
    PID namespace shows no other server, and sweeping through it removed live servers' groups."""
    try:
        if os.readlink("/proc/self") != str(host_pid):
            return
    except OSError:
        return
    for name in os.listdir(parent):
        pid = name.rsplit("-", 1)[-1]
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
            for leaf in leaves:
                try:
                    os.rmdir(os.path.join(parent, name, leaf))
                except OSError:
                    pass


class OomCounter:
    """`oom_killed_since_last` over a group's running count of OOM kills (`oom_kills`, read once per job)."""

    _ooms: int

    def oom_kills(self) -> int:
        raise NotImplementedError

    def oom_killed_since_last(self) -> bool:
        """Whether the kernel killed a process here for memory since the last call (one read per job)."""
        count = self.oom_kills()
        killed, self._ooms = count > self._ooms, count
        return killed
