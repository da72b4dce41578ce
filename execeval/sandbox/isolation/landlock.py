"""Landlock (ABI 1..7) through raw syscalls: a ruleset made once in the server, applied in each job."""

from __future__ import annotations

import ctypes
import os
import stat

from execeval.sandbox.isolation.linux import check, libc

_NR_LANDLOCK_CREATE, _NR_LANDLOCK_ADD_RULE, _NR_LANDLOCK_RESTRICT = 444, 445, 446
_FS_EXECUTE, _FS_WRITE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_ABI1 = (1 << 13) - 1
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1, 2
_SCOPE_ABSTRACT_UNIX, _SCOPE_SIGNAL = 1, 2


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    ret = libc.syscall(_NR_LANDLOCK_CREATE, None, 0, 1)  # LANDLOCK_CREATE_RULESET_VERSION
    return ret if ret > 0 else 0


def landlock_ruleset(abi: int, read_paths: list[str], write_paths: list[str], devices: list[str]) -> int:
    """A ruleset fd: read/execute below `read_paths`, everything below `write_paths`, nothing else; no TCP."""
    fs_all = _FS_ALL_ABI1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0) \
        | (_FS_IOCTL_DEV if abi >= 5 else 0)
    attr = _RulesetAttr(fs_all, (_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
                        (_SCOPE_ABSTRACT_UNIX | _SCOPE_SIGNAL) if abi >= 6 else 0)
    size = 24 if abi >= 6 else (16 if abi >= 4 else 8)
    fd = check(libc.syscall(_NR_LANDLOCK_CREATE, ctypes.byref(attr), size, 0), "landlock_create_ruleset")
    read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
    dev = _FS_READ_FILE | _FS_WRITE | (_FS_TRUNCATE if abi >= 3 else 0)
    rules = [(p, read) for p in read_paths] + [(p, fs_all) for p in write_paths] + [(p, dev) for p in devices]
    for path, access in rules:
        try:
            pfd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if not stat.S_ISDIR(os.fstat(pfd).st_mode):
                access &= _FS_EXECUTE | _FS_WRITE | _FS_READ_FILE | _FS_TRUNCATE
            rule = _PathBeneath(access, pfd)
            check(libc.syscall(_NR_LANDLOCK_ADD_RULE, fd, 1, ctypes.byref(rule), 0), f"landlock rule {path}")
        finally:
            os.close(pfd)
    return fd


def restrict_self(ruleset_fd: int) -> None:
    """Apply the ruleset to this process (a job's child) and everything it starts."""
    check(libc.syscall(_NR_LANDLOCK_RESTRICT, ruleset_fd, 0), "landlock_restrict_self")
