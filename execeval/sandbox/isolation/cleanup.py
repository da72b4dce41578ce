"""What a job leaves behind, removed by the fork server between jobs, in ways no job's leftovers can break.

Everything here runs in the server after every process of the job is gone (PID 1 of its namespace killed and
reaped them), so nothing races it; still, nothing here follows a symlink or recurses in Python: a job decides
the shape of what it leaves (a 1,500-deep directory made `shutil.rmtree` hit RecursionError and kill the server).
A failure raises `CleanupError`; the server then answers the job as judged and retires itself (see process.py).
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


class CleanupError(Exception):
    """What a job left could not be removed: the server that ran it must not run another job."""


def root_meta(st: os.stat_result) -> tuple:
    """What a directory's root says besides its entries: mode, owner, times (atime too: a job can set it)."""
    return (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, st.st_atime_ns, st.st_mtime_ns, st.st_ctime_ns)


def empty_tree(path: str, keep: frozenset[str] | set[str] = frozenset()) -> None:
    """Remove everything below `path` (but the top-level names in `keep`), depth first with an explicit stack.

    At most two directory fds are open at once (the next level is opened from the current one, the way back is
    `..`), and no path longer than one name is ever built, so neither the depth nor the names' length of what a
    job made can exhaust fds, PATH_MAX or Python's recursion limit."""
    fd = os.open(path, _DIR_FLAGS)
    pending: list[list[str]] = []  # per level below `path`: the subdirectories of that level still to remove
    try:
        while True:
            subdirs = []
            with os.scandir(fd) as entries:
                for entry in entries:
                    if not pending and entry.name in keep:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        subdirs.append(entry.name)
                    else:
                        os.unlink(entry.name, dir_fd=fd)
            pending.append(subdirs)
            while pending and not pending[-1]:  # this level is empty: go up, removing it
                pending.pop()
                if not pending:
                    return
                parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = parent
                os.rmdir(pending[-1].pop(), dir_fd=fd)
            try:
                child = os.open(pending[-1][-1], _DIR_FLAGS, dir_fd=fd)
            except PermissionError:  # `chmod 0` by a job of the server's own uid (no namespaces): undo it
                os.chmod(pending[-1][-1], stat.S_IRWXU, dir_fd=fd)
                child = os.open(pending[-1][-1], _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = child
    finally:
        os.close(fd)


# ---------------------------------------------------------------- System V IPC and POSIX message queues
# A fork server keeps one IPC namespace for all its jobs; what a job makes there (a shared-memory segment, a
# message queue, a semaphore set, a POSIX queue) would outlive it: a channel to a later job, and memory charged
# to it. After every job they are counted with three `*ctl(*_INFO)` calls (no file read when there are none)
# and, if any, removed. Only ever called in the server's own IPC namespace (never the host's).
_IPC_RMID, _MSG_INFO, _SEM_INFO, _SHM_INFO = 0, 12, 19, 14
_INFO = (ctypes.c_long * 16)()  # large enough for struct shm_info, msginfo and seminfo
_INTS = ctypes.cast(_INFO, ctypes.POINTER(ctypes.c_int))
_libc = ctypes.CDLL(None, use_errno=True)
_shmctl, _msgctl, _semctl = _libc.shmctl, _libc.msgctl, _libc.semctl


def sysv_objects_in_use() -> int:
    """How many SysV shared-memory segments, message queues and semaphore sets exist in this IPC namespace."""
    n = 0
    if _shmctl(0, _SHM_INFO, _INFO) >= 0:
        n += _INTS[0]  # shm_info.used_ids
    if _msgctl(0, _MSG_INFO, _INFO) >= 0:
        n += _INTS[0]  # msginfo.msgpool: the queues in use, for MSG_INFO
    if _semctl(0, 0, _SEM_INFO, _INFO) >= 0:
        n += _INTS[7]  # seminfo.semusz: the sets in use, for SEM_INFO
    return n


def remove_sysv_objects() -> None:
    """Remove every SysV IPC object of this namespace (none of them can be the server's: it makes none)."""
    if not sysv_objects_in_use():
        return
    for kind, rmid in (("shm", lambda i: _shmctl(i, _IPC_RMID, None)), ("msg", lambda i: _msgctl(i, _IPC_RMID, None)),
                       ("sem", lambda i: _semctl(i, 0, _IPC_RMID))):
        with open(f"/proc/sysvipc/{kind}", "rb") as f:
            ids = [int(line.split()[1]) for line in f.read().splitlines()[1:] if line.strip()]
        for ipc_id in ids:
            if rmid(ipc_id) < 0 and ctypes.get_errno() not in (errno.EINVAL, errno.EIDRM):
                raise CleanupError(f"{kind} {ipc_id}: {os.strerror(ctypes.get_errno())}")
    if left := sysv_objects_in_use():
        raise CleanupError(f"{left} SysV IPC objects left after removal")


_FSOPEN, _FSCONFIG, _FSMOUNT = 430, 431, 432  # the same numbers on every architecture (asm-generic, Linux 5.2)
_FSCONFIG_CMD_CREATE = 6


def open_mqueue_root() -> int:
    """A directory fd on this IPC namespace's POSIX message queues (an mqueue fs mounted nowhere, so no job sees
    it). Made once, before the server's seccomp filter denies fsopen; OSError where the kernel lacks it."""
    syscall = _libc.syscall
    fs = syscall(_FSOPEN, b"mqueue", 1)  # FSOPEN_CLOEXEC
    if fs < 0:
        raise OSError(ctypes.get_errno(), "fsopen(mqueue)")
    try:
        if syscall(_FSCONFIG, fs, _FSCONFIG_CMD_CREATE, None, None, 0) < 0:
            raise OSError(ctypes.get_errno(), "fsconfig(mqueue)")
        mnt = syscall(_FSMOUNT, fs, 1, 0)  # FSMOUNT_CLOEXEC
        if mnt < 0:
            raise OSError(ctypes.get_errno(), "fsmount(mqueue)")
    finally:
        os.close(fs)
    try:
        return os.open(".", _DIR_FLAGS, dir_fd=mnt)
    finally:
        os.close(mnt)


def remove_mqueues(root: int) -> None:
    """Unlink every POSIX message queue (`mq_unlink` is an unlink in the mqueue fs)."""
    with os.scandir(root) as entries:  # scandir dups the fd: the root stays open, read from its start each time
        names = [e.name for e in entries]
    for name in names:
        os.unlink(name, dir_fd=root)
