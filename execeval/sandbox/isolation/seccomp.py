"""seccomp: filters built once with libseccomp (pyseccomp or Debian's python3-seccomp) and loaded as raw BPF."""

from __future__ import annotations

import ctypes
import errno
import os
import signal
import sys

from execeval.sandbox.isolation.linux import (CLONE_NEWUSER, PR_SET_CHILD_SUBREAPER, PR_SET_SECCOMP, SECCOMP_MODE_FILTER,
                                              check, libc)

DENIED_SYSCALLS = (
    "ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root", "chroot", "unshare",
    "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load",
    "kexec_file_load", "init_module", "finit_module", "delete_module", "reboot", "swapon", "swapoff",
    "io_uring_setup", "io_uring_enter", "io_uring_register", "open_by_handle_at", "name_to_handle_at",
    "fsopen", "fsmount", "fsconfig", "move_mount", "open_tree", "mount_setattr", "acct", "quotactl",
    "settimeofday", "clock_settime", "adjtimex", "sethostname", "setdomainname", "syslog", "lookup_dcookie",
    "vhangup", "personality",
)


# The sonames pyseccomp asks `ctypes.util.find_library` for, as this platform's dynamic loader finds them
_SONAMES = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}


def _import_pyseccomp():  # a module
    """pyseccomp, imported with a `ctypes.util` that names the two libraries it loads instead of asking
    `ldconfig`: the real `ctypes.util` imports subprocess and shutil (and with it bz2, lzma and zlib), whose
    extension modules and libraries would stay mapped in the fork server, and every fork copies each mapping.
    Where the loader does not know those names, the real `ctypes.util` is used after all."""
    import ctypes
    import types

    shim = types.ModuleType("ctypes.util")
    shim.find_library = _SONAMES.get  # type: ignore[attr-defined]  # a module attribute, as ctypes.util's
    if "ctypes.util" not in sys.modules:
        sys.modules["ctypes.util"] = vars(ctypes)["util"] = shim
    try:
        import pyseccomp
    except OSError:  # a soname above this loader does not know
        _forget_shim(ctypes, shim)
        sys.modules.pop("pyseccomp", None)
        import pyseccomp
    finally:
        _forget_shim(ctypes, shim)  # a job's `import ctypes.util` gets the real one
    return pyseccomp


def _forget_shim(package: object, shim: object) -> None:
    if sys.modules.get("ctypes.util") is shim:
        del sys.modules["ctypes.util"]
    if vars(package).get("util") is shim:
        del vars(package)["util"]


def _seccomp_binding():  # a module
    """pyseccomp (PyPI, ctypes over libseccomp2) or Debian's python3-seccomp: the same API. Imported when this
    module loads, before the server's mounts could hide an interpreter tree under /tmp."""
    try:
        return _import_pyseccomp()
    except ImportError:
        try:
            import seccomp

            return seccomp
        except ImportError:
            return None


_SECCOMP = _seccomp_binding()


# What the fork server itself still does after it starts serving (the work dir's tmpfs is mounted and dropped
# between jobs); every other denial is installed once in the server, and jobs inherit it.
SERVER_NEEDS = ("mount", "umount2")


def seccomp_program(denied: tuple[str, ...], *, network_and_namespaces: bool, for_jobs: bool = False,
                    keep_sigchld: bool = False) -> bytes:
    """A filter as raw BPF bytes, so it is loaded with one syscall instead of being recompiled. `for_jobs`: a
    job's process keeps the child-subreaper flag its server's child set (python/proctree.py counts the job's
    process tree through it: cleared, a double fork's orphan would leave the tree). `keep_sigchld`: setting
    SIGCHLD's action is refused (EPERM): ignored, or with SA_NOCLDWAIT, the kernel would reap children without
    adding their CPU time to any process's, so proctree.py could not count it. Refused, not faked: a faked
    success leaves the caller's "old action" unwritten, and CPython reads garbage there (OSError errno 0)."""
    sc = _SECCOMP
    if sc is None:
        raise ImportError("no seccomp binding")

    flt = sc.SyscallFilter(defaction=sc.ALLOW)
    for name in denied:
        try:
            flt.add_rule(sc.ERRNO(errno.EPERM), name)
        except Exception:  # noqa: BLE001 - a syscall this kernel or arch does not have
            continue
    if network_and_namespaces:
        # no sockets at all: network families are useless in the empty network namespace, and a pathname unix
        # socket on the host (a database, the system bus) is not governed by Landlock. socketpair() stays.
        flt.add_rule(sc.ERRNO(errno.EACCES), "socket")
        # new namespaces via clone/clone3 would escape the job's confinement
        flt.add_rule(sc.ERRNO(errno.EPERM), "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER))
        flt.add_rule(sc.ERRNO(errno.ENOSYS), "clone3")
    if keep_sigchld:  # reading the action (a NULL new one) stays allowed
        flt.add_rule(sc.ERRNO(errno.EPERM), "rt_sigaction", sc.Arg(0, sc.EQ, signal.SIGCHLD), sc.Arg(1, sc.NE, 0))
    if for_jobs:
        flt.add_rule(sc.ERRNO(errno.EPERM), "prctl", sc.Arg(0, sc.EQ, PR_SET_CHILD_SUBREAPER))
    # libseccomp writes to a file descriptor: a memfd, not tempfile (whose imports, shutil and with it bz2, lzma
    # and zlib, would stay mapped in the fork server and cost every fork their memory mappings)
    with open(os.memfd_create("seccomp-bpf", os.MFD_CLOEXEC), "w+b") as f:
        flt.export_bpf(f)
        f.seek(0)
        return f.read()


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


_NR_SECCOMP = {"x86_64": 317, "aarch64": 277}.get(os.uname().machine)
_SECCOMP_SET_MODE_FILTER, _SECCOMP_FILTER_FLAG_SPEC_ALLOW = 1, 1 << 2


class SeccompFilter:
    """A BPF program ready to install: its buffers are made once (in the server), so a job's load is one syscall
    and no allocation. SPEC_ALLOW keeps the kernel from switching on its store-bypass mitigation for the job,
    which costs milliseconds per job and guards only against reading one's own process memory."""

    def __init__(self, program: bytes) -> None:
        self._buffer = ctypes.create_string_buffer(program, len(program))
        self._prog = _SockFprog(len(program) // 8, ctypes.cast(self._buffer, ctypes.c_void_p))
        self._ref = ctypes.byref(self._prog)

    def load(self) -> None:
        if _NR_SECCOMP is not None and libc.syscall(_NR_SECCOMP, _SECCOMP_SET_MODE_FILTER,
                                                     _SECCOMP_FILTER_FLAG_SPEC_ALLOW, self._ref) == 0:
            return
        check(libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, self._ref, 0, 0), "seccomp")
