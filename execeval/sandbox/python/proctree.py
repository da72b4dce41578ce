"""The CPU time of a job's other processes where no cgroup counts them (not root): the job's process tree, read
from /proc at each reading. What the job forked and waited for is in its own cutime/cstime; every descendant
still alive or a zombie is read from its /proc/PID/stat (its own time and what it reaped itself). The job's
process is a child subreaper (set before the candidate runs; seccomp.py denies changing it), so an orphan of a
double fork stays in the tree, and setsid()/setpgid() change nothing (parentage, not groups, is walked).

SIGCHLD ignored or SA_NOCLDWAIT has the kernel reap children without adding their time to anyone's: a Python
job can't set SIGCHLD's action (`sigchld_kept`). Where seccomp is missing, a cleared subreaper flag or an
ignored SIGCHLD at a reading makes the count `TAMPERED_S` (charged: more than any budget). Read only when it can change a verdict
(treecpu.py's gate), so the hot path pays nothing."""

from __future__ import annotations

import ctypes
import os
import signal

from execeval.sandbox.isolation.linux import PR_GET_CHILD_SUBREAPER, PR_SET_CHILD_SUBREAPER, libc, prctl
from execeval.sandbox.isolation.seccomp import SeccompFilter, seccomp_program
from execeval.sandbox.python.treecpu import TAMPERED_S, OtherProcesses

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
_SIGCHLD_BIT = 1 << (signal.SIGCHLD - 1)
_SA_NOCLDWAIT = 2
_SA_FLAGS_AT = 8 + 128  # glibc's struct sigaction on x86_64 and aarch64: handler, 1024-bit mask, then flags
_GONE = (FileNotFoundError, ProcessLookupError)  # the process ended (and was reaped) while the tree was walked


def become_subreaper() -> None:
    """Called in the job's process before its confinement: orphans of its descendants become its children."""
    prctl(PR_SET_CHILD_SUBREAPER, 1)


def sigchld_kept() -> SeccompFilter | None:
    """The filter a Python job loads on top of its confinement: SIGCHLD's action stays the default (setting it
    fails with EPERM), so no child is reaped unseen. Built once in the server; None without seccomp,
    where `ProcessTree` still refuses a count while SIGCHLD is ignored."""
    try:
        return SeccompFilter(seccomp_program((), network_and_namespaces=False, keep_sigchld=True))
    except Exception:  # noqa: BLE001 - libseccomp missing or unusable: the server's report says so already
        return None


class ProcessTree(OtherProcesses):
    """The job's descendants' CPU time, from /proc; for a split job the candidate's process's descendants too
    (the candidate's own time is measured by remote.py, this process's by the runner: neither is counted)."""

    __slots__ = ("action", "flag", "roots")

    def __init__(self, partner: int | None = None) -> None:
        super().__init__()
        self.roots = ("self",) if partner is None else ("self", str(partner))
        self.flag = ctypes.c_int(0)
        self.action = ctypes.create_string_buffer(256)  # a struct sigaction, read back

    def cpu(self, own: float) -> float:
        if libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(self.flag), 0, 0, 0) != 0 or self.flag.value != 1:
            return -TAMPERED_S
        if libc.sigaction(signal.SIGCHLD, None, self.action) != 0 or self._reaps_silently():
            return -TAMPERED_S
        ticks = 0
        for index, root in enumerate(self.roots):
            try:
                if index and int(_status(root, "SigIgn:"), 16) & _SIGCHLD_BIT:
                    return -TAMPERED_S
                ticks += tree_ticks(root)
            except _GONE:  # a split job's candidate exited: the job is ending
                continue
            except (OSError, ValueError, IndexError):
                return -TAMPERED_S
        return ticks * _TICK_S

    def _reaps_silently(self) -> bool:
        raw = self.action.raw
        handler = int.from_bytes(raw[:8], "little")
        return handler == int(signal.SIG_IGN) or bool(int.from_bytes(raw[_SA_FLAGS_AT:_SA_FLAGS_AT + 4], "little")
                                                        & _SA_NOCLDWAIT)


def tree_ticks(root: str) -> int:
    """Clock ticks `root`'s reaped children used, plus everything each living or zombie descendant used."""
    if root == "self":  # one syscall, not a file read: this is read at most cases' start
        times = os.times()
        ticks = round((times.children_user + times.children_system) / _TICK_S)
    else:
        fields = _stat(root)
        ticks = int(fields[13]) + int(fields[14])  # cutime, cstime
    pending, seen = children(root), {root}
    while pending:
        pid = pending.pop()
        if pid in seen:  # a pid reused while the walk ran
            continue
        seen.add(pid)
        try:
            fields = _stat(pid)
            pending.extend(children(pid))
        except _GONE:
            continue
        ticks += int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])  # utime, stime, c...
    return ticks


def children(pid: str) -> list[str]:
    """The pids of `pid`'s children, those of every thread of it."""
    found: list[str] = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            found.extend(_read(f"/proc/{pid}/task/{tid}/children").decode().split())
        except _GONE:
            continue
    return found


def _read(path: str) -> bytes:
    """A whole small /proc file (os-level: Python's io stack costs more than the read)."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = [os.read(fd, 4096)]
        while len(chunks[-1]) == 4096:
            chunks.append(os.read(fd, 4096))
        return b"".join(chunks)
    finally:
        os.close(fd)


def _stat(pid: str) -> list[bytes]:
    """/proc/PID/stat's fields after the command name (which may hold spaces and parentheses): state first."""
    text = _read(f"/proc/{pid}/stat")
    return text[text.rindex(b")") + 2:].split()


def _status(pid: str, key: str) -> str:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key):
                return line.split()[1]
    raise ValueError(f"no {key} in /proc/{pid}/status")
