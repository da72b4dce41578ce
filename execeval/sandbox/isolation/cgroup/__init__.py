"""The job's cgroup, whichever this host has: `detect()` picks one, and worker.py and process.py use only the
small interface below.

- `v2.py`: the unified hierarchy, chosen when `/sys/fs/cgroup` is cgroup2 and the memory controller can be
  handed down: memory.max (+ swap 0), pids.max, memory.events' oom_kill, cpu.stat's usage_usec, cgroup.kill.
  Without a delegable memory controller there (e.g. some containers): cpu.stat and cgroup.kill alone.
- `v1.py`: the memory controller and cpuacct, each on its own (hosts with v1 or hybrid hierarchies).
- `groups.py`: what both versions do alike (sweeping exited servers' groups, counting OOM kills).
- neither: memory_mb caps each process (RLIMIT_AS), and a job's child processes' CPU time is counted from its
  process tree in /proc (`Cgroups.count_tree_from_proc`) where its jobs can read /proc, else not charged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from execeval.sandbox.isolation.cgroup.v1 import CpuCgroup, MemoryCgroup
from execeval.sandbox.isolation.cgroup.v2 import V2Cgroup, unified_root


class MemoryGroup(Protocol):
    """One memory cap for all of a job's processes, and its OOM kills read from outside."""

    # the cap holds RAM and swap alike, so per-process RLIMIT_AS is not needed on top (and is left off)
    bounds_all_memory: bool

    def set_limit(self, memory_mb: int) -> None: ...

    def enter(self) -> None: ...

    def oom_killed_since_last(self) -> bool: ...


class CpuGroup(Protocol):
    """The CPU time of every process of a job: `usage_fd` is read by the job's runner (python/treecpu.py)."""

    usage_fd: int


@dataclass
class Cgroups:
    """What `detect` set up: each None where the host refused it, `notes` saying what and why."""

    version: str = "none"
    memory: MemoryGroup | None = None
    cpu: CpuGroup | None = None
    tree: V2Cgroup | None = None  # v2 only: the leaf each job enters, with pids.max and cgroup.kill
    notes: list[tuple[str, bool, str]] = field(default_factory=list)
    enforcement: dict[str, str] = field(default_factory=dict)

    def count_tree_from_proc(self) -> None:
        """No cgroup counts a job's CPU here, and the job's process tree read from /proc does instead (the
        server found /proc readable by its jobs; python/proctree.py)."""
        self.notes = [(name, True, "a case's CPU time counts every process of the job (its process tree, read "
                       "from /proc)") if name == "cpu accounting" else (name, active, detail)
                      for name, active, detail in self.notes]
        self.enforcement["child cpu"] = "charged: process tree (/proc)"


def detect(worker_index: int, host_pid: int, root: str | None = None) -> Cgroups:
    """v2 where the host's hierarchy is unified (or `root` names a cgroup2 mount), v1 otherwise. Notes the
    same primitives ("memory cgroup", "cpu accounting") whichever it is, so reports compare across hosts."""
    root = root or unified_root()
    if root is not None:
        return _v2(worker_index, host_pid, root)
    found = Cgroups("v1")
    try:
        found.memory = MemoryCgroup(worker_index, host_pid)
        found.notes.append(("memory cgroup", True, "one memory cap for all of a job's processes; peak and OOM read outside"))
    except OSError as e:
        found.notes.append(("memory cgroup", False, f"{e.strerror or e}: memory_mb caps each process, not the job"))
    try:
        found.cpu = CpuCgroup(worker_index, host_pid)
        found.notes.append(("cpu accounting", True, "a case's CPU time counts every process of the job (cpuacct)"))
    except (OSError, ValueError) as e:
        found.notes.append(("cpu accounting", False, f"{getattr(e, 'strerror', None) or e}: a case's CPU time counts "
                            "the job's own process, not processes it forks"))
    if found.memory is None and found.cpu is None:
        found.version = "none"
    found.enforcement = _enforcement(
        "v1 (no unified cgroup2 hierarchy at /sys/fs/cgroup)" if found.version != "none"
        else "none (no unified cgroup2 hierarchy at /sys/fs/cgroup; no v1 either)",
        _memory_row("cgroup v1 memory controller, one cap per job", found.memory),
        "charged: cgroup v1 cpuacct.usage" if found.cpu else "not charged")
    return found


def _v2(worker_index: int, host_pid: int, root: str) -> Cgroups:
    """The unified hierarchy: the memory controller if it can be handed down, else cpu.stat and cgroup.kill
    alone (every v2 group has them), else nothing. Never v1 here: its paths would make v2 groups."""
    try:
        group = V2Cgroup(worker_index, host_pid, root)
        memory = True
    except (OSError, ValueError) as e:  # ValueError: a file that did not parse
        refused = _why(e, root)
        memory = False
        try:
            group = V2Cgroup(worker_index, host_pid, root, need=())
        except (OSError, ValueError) as e2:
            why = f"{refused}; {_why(e2, root)}"
            return Cgroups("none", notes=[
                ("memory cgroup", False, f"{why}: memory_mb caps each process, not the job"),
                ("cpu accounting", False, f"{why}: a case's CPU time counts the job's own process, not processes "
                 "it forks")], enforcement=_enforcement(f"none ({why})", _memory_row("", None), "not charged"))
    notes = [("memory cgroup", True, "one memory cap for all of a job's processes; OOM read outside (cgroup v2)")
             if memory else ("memory cgroup", False, f"{refused}: memory_mb caps each process, not the job"),
             ("cpu accounting", True, "a case's CPU time counts every process of the job (cgroup v2 cpu.stat)")]
    return Cgroups("v2", group if memory else None, group, group, notes, _enforcement(
        f"v2 at {root}" + ("" if memory else " (no memory controller)"),
        _memory_row("cgroup v2 memory.max, one cap per job", group if memory else None),
        "charged: cgroup v2 cpu.stat usage_usec",
        processes=("cgroup v2 pids.max and " if group.pids else "") + _NPROC,
        kill="cgroup v2 cgroup.kill and the PID namespace"))


_NPROC = "RLIMIT_NPROC (a uid per server)"


def _enforcement(cgroup: str, memory: str, child_cpu: str, processes: str = _NPROC,
                 kill: str = "the PID namespace (kill -1), else the process group") -> dict[str, str]:
    """doctor's "limits enforced with" rows, in the order it prints them."""
    return {"cgroup": cgroup, "memory": memory, "processes": processes, "child cpu": child_cpu, "kill": kill}


def _memory_row(cap: str, group: MemoryGroup | None) -> str:
    """doctor's "memory" row: the cap, and whether RLIMIT_AS is still needed beside it (swap not counted)."""
    if group is None:
        return "RLIMIT_AS per process"
    if group.bounds_all_memory:
        return f"{cap} (RAM and swap; no RLIMIT_AS, so reserved address space is free)"
    return f"{cap}, and RLIMIT_AS per process (this host swaps and the cap does not count swap)"


def _why(e: Exception, root: str) -> str:
    """A refusal, naming the hierarchy once (V2Cgroup's own messages name it already)."""
    strerror = getattr(e, "strerror", None)
    return f"cgroup v2 at {root}: {strerror}" if strerror else str(e)
