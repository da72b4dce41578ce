"""Linux isolation primitives, each tried and reported: what `execeval doctor` prints and every run records.

The fork server calls `isolate_server()` once when it starts (namespaces, private mounts, a Landlock ruleset and
a seccomp filter made ready), then `confine_job()` in every job's child after fork (rlimits, uid drop,
capabilities cleared, Landlock and seccomp applied): per-job cost is a handful of syscalls. A primitive that is
missing is reported, never silently skipped. The primitives themselves live one per module: `linux` (syscall
wrappers, capabilities), `landlock`, `seccomp`, `cgroup/` (v2 or v1, picked by `detect`).
"""

from __future__ import annotations

import ctypes
import os
import resource
import stat
import sys

from execeval.sandbox.base import IsolationReport, Primitive
from execeval.sandbox.interpreter import inside_prefixes, prefixes
from execeval.sandbox.isolation.cgroup import CpuGroup, MemoryGroup, V2Cgroup, detect
from execeval.sandbox.isolation.cleanup import empty_tree, root_meta, open_mqueue_root, remove_mqueues, remove_sysv_objects
from execeval.sandbox.isolation.landlock import landlock_abi, landlock_ruleset, restrict_self
from execeval.sandbox.limits import Limits
from execeval.sandbox.isolation.linux import (CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS,
                                    MS_BIND, MS_NOATIME, MS_NODEV, MS_NOSUID, MS_PRIVATE, MS_RDONLY, MS_REC, MS_REMOUNT,
                                    PR_SET_NO_NEW_PRIVS, check, drop_capabilities, libc, mount, prctl, shield_from_oom,
                                    umount)
from execeval.sandbox.isolation.seccomp import DENIED_SYSCALLS, SERVER_NEEDS, SeccompFilter, seccomp_program

# Where the job's private, size-capped work dir is mounted (inside the server's own mount namespace).
JOB_ROOT = "/tmp"
JOB_DIR = "/tmp/job"
_ROOT_TIME_NS = 946_684_800 * 10**9  # the times every job finds on its work dir and tmp dirs: 2000-01-01
_MAX_INODES = 100_000  # files and dirs a job may create in its work dir
_JOB_RLIMITS = (resource.RLIMIT_CPU, resource.RLIMIT_AS, resource.RLIMIT_FSIZE, resource.RLIMIT_CORE,  # bound once:
                resource.RLIMIT_NOFILE, resource.RLIMIT_NPROC)  # a job's `module.name` reads miss the type cache (faults)
_setrlimit, _setgroups, _setresgid, _setresuid = resource.setrlimit, os.setgroups, os.setresgid, os.setresuid
# The private /tmp, /var/tmp and /dev/shm are the job's too (programs write '/tmp/x' and multiprocessing's
# semaphores live in /dev/shm): world-writable (sticky), capped, emptied after every job.
SHARED_TMP = (JOB_ROOT, "/var/tmp", "/dev/shm")
SHARED_TMP_MB = 64
JOB_UID_BASE = 0x1000_0000  # as root, each server's jobs run as a uid of their own: see `job_uid_for`
_FALLBACK_UID_BASE = 61000  # where only the usual 16-bit uid range is mapped


def job_uid_for(server_host_pid: int, worker_index: int = 0) -> int:
    """The uid a fork server's jobs run as: one per server (its host pid is unique while it lives), used by
    nothing else on the machine.

    Why unique: RLIMIT_NPROC counts a uid's processes machine-wide, so two servers sharing a uid would count
    each other's jobs (one run's fork bomb would make another's correct `os.fork()` fail)."""
    uid = JOB_UID_BASE + server_host_pid
    return uid if _uid_mapped(uid) else _FALLBACK_UID_BASE + worker_index


def _uid_mapped(uid: int) -> bool:
    try:
        with open("/proc/self/uid_map") as f:
            ranges = [tuple(map(int, line.split())) for line in f if line.strip()]
    except OSError:
        return False
    return any(inside <= uid < inside + count for inside, _, count in ranges)

_SYSTEM_READ_PATHS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")


# ---------------------------------------------------------------- the server's one-time set-up
class ServerIsolation:
    """What a fork server set up, and the per-job confinement it applies in each child."""

    def __init__(self, worker_index: int) -> None:
        self.worker_index = worker_index
        self.real_root = os.geteuid() == 0
        self.host_pid = os.getpid()  # taken before the PID namespace: names this server's cgroup
        self.oom_shielded = self.real_root and shield_from_oom()  # the OOM killer picks a job, never the server
        self.primitives: list[Primitive] = []
        self.pid_namespace = False
        self.private_tmp = False
        self._tmp_kept: dict[str, set[str]] = {}  # private tmp dirs -> names that stay (the work dir, bound dirs)
        self._tmp_meta: dict[str, tuple] = {}  # their metadata once emptied (see `root_meta`)
        self.job_uid: int | None = None
        self.landlock_fd: int | None = None
        self.server_seccomp: SeccompFilter | None = None  # installed in the server once it serves
        self.seccomp: SeccompFilter | None = None  # what only jobs are denied, installed per job
        self.server_locked = False
        self.nproc_base = 0
        self._workdir_mb: int | None = None
        self._workdir_meta: tuple = ()  # the work dir's root as mounted: a job that changes it gets a new one
        self._workdir_xattrs: list[str] = []
        self.cgroup: MemoryGroup | None = None
        self.cpu_cgroup: CpuGroup | None = None  # the CPU time of a job's whole process tree, per case
        self.proc_tree = False  # no cgroup counts it: the job's process tree is read from /proc (python/proctree.py)
        self.tree_cgroup: V2Cgroup | None = None  # cgroup v2: the leaf each job enters (pids.max, cgroup.kill)
        self.enforcement: dict[str, str] = {}  # how each limit is enforced here (`execeval doctor`)
        self.private_ipc = False  # the server's own IPC namespace: emptied after every job (see `empty_ipc`)
        self._mqueue_fd: int | None = None
        self._mqueue_ctime = 0

    def note(self, name: str, active: bool, detail: str = "") -> None:
        self.primitives.append(Primitive(name, active, detail))

    def report(self) -> IsolationReport:
        return IsolationReport(tuple(self.primitives), tuple(self.enforcement.items()))

    # -- before the server forks itself into its PID namespace
    def enter_namespaces(self) -> None:
        if not self.real_root:
            uid, gid = os.getuid(), os.getgid()
            try:
                check(libc.unshare(CLONE_NEWUSER), "unshare(user)")
                with open("/proc/self/setgroups", "w") as f:
                    f.write("deny")
                with open("/proc/self/uid_map", "w") as f:
                    f.write(f"0 {uid} 1")
                with open("/proc/self/gid_map", "w") as f:
                    f.write(f"0 {gid} 1")
                self.note("user namespace", True, "unprivileged: namespaces made inside a user namespace")
            except OSError as e:
                self.note("user namespace", False, f"{e}; as non-root no other namespace can be made")
        for name, flag in (("network namespace", CLONE_NEWNET), ("mount namespace", CLONE_NEWNS),
                           ("ipc namespace", CLONE_NEWIPC), ("uts namespace", CLONE_NEWUTS),
                           ("pid namespace", CLONE_NEWPID)):
            ok = libc.unshare(flag) == 0
            detail = "" if ok else os.strerror(ctypes.get_errno())
            if flag == CLONE_NEWNET:
                detail = detail or "no interfaces up: no network at all"
            if flag == CLONE_NEWPID:
                self.pid_namespace = ok
                detail = detail or "every process of a job dies with the job, setsid() or not"
            self.note(name, ok, detail)
        if any(p.name == "mount namespace" and p.active for p in self.primitives):
            try:
                mount(None, "/", None, MS_REC | MS_PRIVATE)
            except OSError:
                pass

    # -- in the server, as PID 1 of its namespace
    def prepare(self, limits: Limits) -> None:
        mount_ns = any(p.name == "mount namespace" and p.active for p in self.primitives)
        found = detect(self.worker_index, self.host_pid)  # before /proc is ours: it sweeps groups of gone pids
        self.cgroup, self.cpu_cgroup, self.tree_cgroup = found.memory, found.cpu, found.tree
        private_proc = False
        if mount_ns and self.pid_namespace:
            try:
                mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV)
                private_proc = True
                self.note("private /proc", True, "only the job's own processes are visible")
            except OSError as e:
                self.note("private /proc", False, str(e))
        self.proc_tree = found.cpu is None and (private_proc or not landlock_abi())  # Landlock lets jobs read it
        if self.proc_tree:
            found.count_tree_from_proc()
        self.enforcement = {**found.enforcement, "server oom shield": "oom_score_adj -1000" if self.oom_shielded else
                            "none (oom_score_adj -1000 needs CAP_SYS_RESOURCE): the OOM killer may pick a server"}
        for name, active, detail in found.notes:
            self.note(name, active, detail)
        if any(p.name == "ipc namespace" and p.active for p in self.primitives):
            self.private_ipc = True
            try:
                self._mqueue_fd = open_mqueue_root()
                self._mqueue_ctime = os.stat(self._mqueue_fd).st_ctime_ns
            except OSError as e:
                self.note("private ipc", False, f"POSIX message queues not emptied between jobs: {e}")
        if mount_ns:
            try:
                for path in SHARED_TMP:
                    if os.path.isdir(path):
                        kept = _cover(path, [p for p in _interpreter_paths() if _is_below(p, path)], writable=True)
                        self._tmp_kept[path] = kept | ({os.path.basename(JOB_DIR)} if path == JOB_ROOT else set())
                self.private_tmp = True
                self.note("private tmp", True, f"empty private /tmp, /var/tmp, /dev/shm ({SHARED_TMP_MB} MB each, "
                          "emptied after every job); work dir a size-capped tmpfs")
            except OSError as e:
                self.note("private tmp", False, str(e))
        else:
            self.note("private tmp", False, "no mount namespace: work dirs live in the shared /tmp")
        if self.real_root:
            self.job_uid = job_uid_for(self.host_pid, self.worker_index)
            self.note("unprivileged uid", True, f"jobs run as uid {self.job_uid}, no capabilities")
            if mount_ns:
                self._expose_interpreter()
        else:
            self.note("unprivileged uid", False, "not root: jobs keep the caller's uid (capabilities cleared)")
            self.nproc_base = _count_own_processes()
        abi = landlock_abi()
        if abi:
            reads = [*_SYSTEM_READ_PATHS, *_interpreter_paths()]
            if private_proc:
                reads.append("/proc")
            writes = list(self._tmp_kept) if self.private_tmp else []
            try:
                self.landlock_fd = landlock_ruleset(abi, reads, writes, list(_DEVICES))
                self.note("landlock", True, f"ABI {abi}: reads only system and interpreter dirs, writes only the"
                          f" work dir and the private tmp dirs{', no TCP' if abi >= 4 else ''}{', signals scoped' if abi >= 6 else ''}")
            except OSError as e:
                self.note("landlock", False, str(e))
        else:
            self.note("landlock", False, "kernel without Landlock: file reads rely on the uid and mounts alone")
        try:
            server_denied = tuple(n for n in DENIED_SYSCALLS if n not in SERVER_NEEDS)
            self.server_seccomp = SeccompFilter(seccomp_program(server_denied, network_and_namespaces=True))
            self.seccomp = SeccompFilter(seccomp_program(SERVER_NEEDS, network_and_namespaces=False, for_jobs=True))
            self.note("seccomp", True, "sockets, ptrace, mount, new namespaces, io_uring denied")
        except Exception as e:  # noqa: BLE001 - libseccomp missing or unusable
            self.note("seccomp", False, f"{type(e).__name__}: {e}; pip install pyseccomp (needs libseccomp2)")
        memory = "" if self.cgroup is not None and self.cgroup.bounds_all_memory else "address space, "
        self.note("rlimits", True, f"cpu, {memory}processes, file size, open files, no core dumps")


    def _expose_interpreter(self) -> None:
        """Jobs run as an unprivileged uid; make the interpreter's directories reachable for it.

        A directory on the way that others may not traverse (e.g. /root holding ~/.pyenv and a venv) is covered
        with an empty tmpfs, and only the needed children are bound back, read-only: the rest stays hidden.
        """
        paths = _interpreter_paths()
        for _ in range(8):  # a hidden directory inside a bound-back one is found on the next pass
            hidden: dict[str, list[str]] = {}
            for path in paths:
                blocked = _first_untraversable(path)
                if blocked is not None:
                    hidden.setdefault(blocked, []).append(path)
            if not hidden:
                return
            for directory, keep in sorted(hidden.items(), key=lambda kv: len(kv[0])):
                try:
                    _cover(directory, keep)
                except OSError:
                    return

    # -- in each job's child, after fork
    def confine_job(self, limits: Limits, workdir: str) -> None:
        if self.cgroup is not None and self.oom_shielded:  # the server is shielded from the OOM killer; its jobs
            # must not be. Unshielded, a job keeps the server's value (a Ray worker's 1000), never a lower one
            try:  # os-level calls: Python's io stack costs a job ~0.2 ms of copy-on-write faults
                fd = os.open("/proc/self/oom_score_adj", os.O_WRONLY | os.O_CLOEXEC)
                os.write(fd, b"0")
                os.close(fd)
            except OSError:
                pass
        cpu = max(1, int(limits.cpu_s + 0.999))
        # a cgroup that caps the job's RAM and swap is the memory limit; RLIMIT_AS on top would count address
        # space merely reserved, which fails correct threaded programs (OpenBLAS, JVMs: SandboxFusion#45)
        mem = resource.RLIM_INFINITY if self.cgroup is not None and self.cgroup.bounds_all_memory \
            else limits.memory_mb * 1024 * 1024
        fsize, nproc = limits.file_size_mb * 1024 * 1024, limits.processes + self.nproc_base
        for res, val in zip(_JOB_RLIMITS, ((cpu, cpu + 1), (mem, mem), (fsize, fsize), (0, 0), (256, 256), (nproc,) * 2)):
            _setrlimit(res, val)
        if self.job_uid is not None:
            _setgroups([])
            _setresgid(self.job_uid, self.job_uid, self.job_uid)
            _setresuid(self.job_uid, self.job_uid, self.job_uid)
        else:
            drop_capabilities()
        if not self.server_locked:
            prctl(PR_SET_NO_NEW_PRIVS, 1)
        if self.landlock_fd is not None:
            restrict_self(self.landlock_fd)
            os.close(self.landlock_fd)
        if self.seccomp is not None:
            self.seccomp.load()

    def lock_server(self) -> None:
        """Once set up, the server takes on what every job gets anyway: no new privileges and the seccomp
        filter (but the mounts it still makes for work dirs). Jobs inherit both, so each job loads only a
        two-rule filter instead of ~60 (the kernel compiles a filter on every load: ~0.2 ms here)."""
        if self.server_seccomp is None:
            return
        try:
            prctl(PR_SET_NO_NEW_PRIVS, 1)
            self.server_seccomp.load()
        except OSError:  # then every job loads the whole filter itself, as it would without this step
            self.seccomp = SeccompFilter(seccomp_program(DENIED_SYSCALLS, network_and_namespaces=True))
            return
        self.server_locked = True

    def make_workdir(self, limits: Limits) -> str:
        """The job's empty work dir: a tmpfs capped at `disk_mb`, kept mounted while jobs leave it empty."""
        if self._workdir_mb == limits.disk_mb:
            return JOB_DIR
        self.remove_workdir(force=True)
        os.makedirs(JOB_DIR, exist_ok=True)
        owner = f",uid={self.job_uid},gid={self.job_uid}" if self.job_uid is not None else ""
        if self.private_tmp:
            mount("tmpfs", JOB_DIR, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOATIME,
                   f"size={limits.disk_mb}m,nr_inodes={_MAX_INODES},mode=0700{owner}")
            self._workdir_mb = limits.disk_mb
            os.utime(JOB_DIR, ns=(_ROOT_TIME_NS, _ROOT_TIME_NS))  # not the time the last job ended
            self._workdir_meta, self._workdir_xattrs = root_meta(os.stat(JOB_DIR)), os.listxattr(JOB_DIR)
        elif self.job_uid is not None:
            os.chown(JOB_DIR, self.job_uid, self.job_uid)
        return JOB_DIR

    def empty_shared_tmp(self) -> None:
        """What a job left in the private /tmp, /var/tmp, /dev/shm goes before the next job, and their roots get
        back their mode, owner, times and no `user.*` xattrs (a job owning them could pass data in those). One
        stat each when nothing was left: a directory's ctime moves with every entry made or removed and every
        change of its own metadata, and no job can set it (mode and times are compared too: a change in the same
        clock tick as the last check keeps the ctime)."""
        for path, kept in self._tmp_kept.items():
            meta = self._tmp_meta.get(path)
            if meta is not None and root_meta(os.stat(path)) == meta:
                continue
            empty_tree(path, kept)
            if meta is None:  # the first time: what the server made is what every job gets
                st = os.stat(path)
                meta = (stat.S_IMODE(st.st_mode), st.st_uid, st.st_gid, _ROOT_TIME_NS, _ROOT_TIME_NS, 0)
            mode, uid, gid, atime, mtime, _ = meta
            for name in os.listxattr(path):
                if name.startswith("user."):
                    os.removexattr(path, name)
            os.chown(path, uid, gid)
            os.chmod(path, mode)
            os.utime(path, ns=(atime, mtime))
            self._tmp_meta[path] = root_meta(os.stat(path))

    def empty_ipc(self) -> None:
        """No SysV IPC object or POSIX message queue a job made outlives it (a channel to the next job, and
        memory charged to it): three syscalls when there is none, one more for the POSIX queues."""
        if not self.private_ipc:
            return
        remove_sysv_objects()
        if self._mqueue_fd is not None and os.stat(self._mqueue_fd).st_ctime_ns != self._mqueue_ctime:
            remove_mqueues(self._mqueue_fd)
            self._mqueue_ctime = os.stat(self._mqueue_fd).st_ctime_ns

    def remove_workdir(self, force: bool = False) -> None:
        """Empty the work dir for the next job: drop the tmpfs when anything was left in it."""
        if self._workdir_mb is not None:  # kept only if the job changed nothing: no entry, mode, time or xattr
            if not force and root_meta(os.stat(JOB_DIR)) == self._workdir_meta \
                    and os.listxattr(JOB_DIR) == self._workdir_xattrs:
                with os.scandir(JOB_DIR) as entries:
                    if next(entries, None) is None:
                        return
            umount(JOB_DIR)
            self._workdir_mb = None
        elif not self.private_tmp and os.path.isdir(JOB_DIR):  # (the tmpfs's mount point stays, always empty)
            empty_tree(JOB_DIR)
            os.rmdir(JOB_DIR)


def _is_below(path: str, directory: str) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(directory).rstrip("/") + "/")


def _first_untraversable(path: str) -> str | None:
    """The first directory on the way to `path` that others may not enter, if any."""
    current = "/"
    for part in os.path.abspath(path).strip("/").split("/")[:-1]:
        current = os.path.join(current, part)
        try:
            if not os.stat(current).st_mode & stat.S_IXOTH:
                return current
        except OSError:
            return None
    return None


def _cover(directory: str, keep: list[str], writable: bool = False) -> set[str]:
    """Mount an empty tmpfs over `directory`, then bind back (read-only) the children that `keep` lies in; their
    names are returned. `writable`: a sticky, world-writable tmpfs of SHARED_TMP_MB (a private /tmp)."""
    children = sorted({os.path.join(directory, os.path.relpath(p, directory).split(os.sep)[0]) for p in keep})
    fds = [(child, os.open(child, os.O_PATH | os.O_CLOEXEC)) for child in children if os.path.exists(child)]
    options = (f"size={SHARED_TMP_MB}m,nr_inodes={_MAX_INODES},mode=1777" if writable else "size=64k,mode=0755")
    try:
        mount("tmpfs", directory, "tmpfs", MS_NOSUID | MS_NODEV, options)
        for child, fd in fds:
            if os.path.isdir(f"/proc/self/fd/{fd}"):
                os.mkdir(child)
            else:
                open(child, "w").close()
            mount(f"/proc/self/fd/{fd}", child, None, MS_BIND | MS_REC)
            mount(None, child, None, MS_BIND | MS_REMOUNT | MS_RDONLY)
    finally:
        for _, fd in fds:
            os.close(fd)
    return {os.path.basename(child) for child, _ in fds}


def _interpreter_paths() -> list[str]:
    exe = os.path.realpath(sys.executable)
    paths = prefixes() | {os.path.dirname(exe), os.path.dirname(sys.executable)}
    # only sys.path entries inside the interpreter's own trees: a project checkout on sys.path stays hidden
    paths.update(p for p in sys.path if inside_prefixes(p))
    return sorted(p for p in paths if p and p != "/")


def _count_own_processes() -> int:
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1 + max(0, len(os.listdir(f"/proc/{entry}/task")) - 1)
            except OSError:
                continue
    return count
