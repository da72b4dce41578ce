"""Hostile programs, as data: what an LLM (or an adversary behind one) could hand the sandbox.

Each program is Python source with `@NAME@` placeholders that `render()` fills with `repr(value)`, so one
template serves the root run (tests/test_hostile.py) and the unprivileged run (tests/unprivileged_probe.py).
Containment programs name every process they make after a per-test marker (`prctl(PR_SET_NAME)`, and in argv
when they exec), so the host can look for survivors in its own /proc (`find_marked`).

Verdict-forgery programs solve a task whose right answer is known (`square(x) == x * x`, `double(x) == 2.0 * x`)
with the `@RET@` expression: `WRONG_*` for the forgery tests, `RIGHT_*` to check a trick doesn't break a correct
program. No module here imports execeval: the unprivileged probe runs it under Debian's /usr/bin/python3.
"""

from __future__ import annotations

import importlib.util

import os
import re
import socket
import threading
from dataclasses import dataclass

_PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


RAW = frozenset({"RET"})  # filled with the code itself (an expression), not its repr


def render(template: str, **values: object) -> str:
    """Fill `@NAME@` with `repr(values[name])` (`@RET@` with the expression itself, `@PRELUDE@` with the marking
    prelude); a missing name is an error."""
    values.setdefault("PRELUDE", None)

    def fill(m: re.Match) -> str:
        name = m.group(1)
        if name not in values:
            raise KeyError(f"template needs {name}")
        if name == "PRELUDE":
            return render(PRELUDE, MARKER=values["MARKER"])
        return str(values[name]) if name in RAW else repr(values[name])

    return _PLACEHOLDER.sub(fill, template)


# ---------------------------------------------------------------- host-side witnesses
def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return b""


def _status(pid: int | str) -> dict[str, str]:
    text = _read(f"/proc/{pid}/status").decode("latin-1")
    return {k: v.strip() for k, _, v in (line.partition(":") for line in text.splitlines())}


def find_marked(marker: str) -> dict[int, dict]:
    """Processes on this host (any namespace) whose name or argv carries `marker`: pid -> {threads, rss_kb, uid}."""
    needle = marker.encode()
    found: dict[int, dict] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        if needle not in _read(f"/proc/{entry}/comm") and needle not in _read(f"/proc/{entry}/cmdline"):
            continue
        fields = _status(entry)
        if not fields or fields.get("State", "").startswith(("Z", "X")):
            continue  # gone, or a zombie: holds no memory and runs no code
        found[int(entry)] = {
            "threads": int(fields.get("Threads", "1") or 1),
            "rss_kb": int(fields.get("VmRSS", "0 kB").split()[0]),
            # proportional anonymous memory: pages shared copy-on-write (with the fork server, between the job's
            # processes) count once in the sum, as the kernel charges them
            "anon_kb": _pss_anon_kb(entry),
            "uid": int(fields.get("Uid", "-1").split()[0]),
        }
    return found


def _alive(pid: int) -> bool:
    """Still running (not gone, not a zombie)."""
    return not _status(pid).get("State", "X").startswith(("Z", "X"))


def _pss_anon_kb(pid: int | str) -> int:
    for line in _read(f"/proc/{pid}/smaps_rollup").splitlines():
        if line.startswith(b"Pss_Anon:"):
            return int(line.split()[1])
    return 0


def rss_kb(pid: int | str = "self") -> int:
    return int(_status(pid).get("VmRSS", "0 kB").split()[0])


def peak_rss_kb(pid: int | str) -> int:
    return int(_status(pid).get("VmHWM", "0 kB").split()[0])


def fork_servers_of(parent: int) -> set[int]:
    """The fork server processes a harness process started, seen from the host (its children running the server)."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit() and b"execeval.sandbox.server.process" in _read(f"/proc/{entry}/cmdline"):
            if _status(entry).get("PPid") == str(parent):
                pids.add(int(entry))
    return pids


class Watch:
    """Polls the host's /proc for a marker's processes while a job runs, recording what it saw.

    `probe(pid)` is called for each process found on each pass (e.g. to look at its work dir from outside);
    its results, when it does not raise OSError, are kept in `probed`."""

    def __init__(self, marker: str, probe=None, interval: float = 0.01) -> None:
        self.marker, self.probe, self.interval = marker, probe, interval
        self.seen: set[int] = set()
        self.max_procs = self.max_threads = self.max_rss_kb = self.max_anon_kb = 0
        self.probed: list = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            found = find_marked(self.marker)
            self.seen.update(found)
            self.max_procs = max(self.max_procs, len(found))
            self.max_threads = max(self.max_threads, sum(p["threads"] for p in found.values()))
            if all(_alive(pid) for pid in found):  # else the pass added up memory that never coexisted: a
                # process read, then OOM-killed, and another that grew into the room it left, read after it
                self.max_rss_kb = max(self.max_rss_kb, sum(p["rss_kb"] for p in found.values()))
                self.max_anon_kb = max(self.max_anon_kb, sum(p["anon_kb"] for p in found.values()))
            if self.probe is not None:
                for pid in found:
                    try:
                        self.probed.append(self.probe(pid))
                    except OSError:
                        pass
            self._stop.wait(self.interval)

    def __enter__(self) -> "Watch":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def escaped(targets: list[str], suffixes: tuple[str, ...] = ("", ".d", ".lnk", ".fifo", ".sh")) -> list[str]:
    """Which of the paths a job tried to create exist on the host."""
    return [t + s for t in targets for s in suffixes if os.path.lexists(t + s)]


class Listener:
    """A TCP listener (v4 and, when the host has it, v6) and a UDP socket on loopback, counting what arrives."""

    def __init__(self) -> None:
        self.tcp = socket.create_server(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        try:
            self.tcp6 = socket.create_server(("::1", self.port), family=socket.AF_INET6)
        except OSError:
            self.tcp6 = None
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", 0))
        self.udp_port = self.udp.getsockname()[1]
        self.accepted = 0
        self.datagrams = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, args=(s,), daemon=True) for s in (self.tcp, self.tcp6)
                         if s is not None] + [threading.Thread(target=self._recv, daemon=True)]
        for s in (self.tcp, self.tcp6, self.udp):
            if s is not None:
                s.settimeout(0.05)
        for t in self._threads:
            t.start()

    def _accept(self, s) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = s.accept()
                self.accepted += 1
                conn.close()
            except OSError:
                pass

    def _recv(self) -> None:
        while not self._stop.is_set():
            try:
                self.udp.recv(1024)
                self.datagrams += 1
            except OSError:
                pass

    def close(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join()
        for s in (self.tcp, self.tcp6, self.udp):
            if s is not None:
                s.close()


# ---------------------------------------------------------------- containment programs (run as Script)
PRELUDE = """\
import ctypes as _ctypes
try:  # PR_SET_NAME: the host finds this process (and every child it forks) by its name
    _ctypes.CDLL(None).prctl(15, _ctypes.c_char_p(@MARKER@.encode()[:15]), 0, 0, 0)
except Exception:
    pass
"""

FORK_BOMB = """\
@PRELUDE@
import os, time
print("bombing", flush=True)
while True:
    try:
        os.fork()
    except OSError:
        time.sleep(0.02)
"""

THREAD_BOMB = """\
@PRELUDE@
import os, threading, time
started = 0
try:
    while True:
        threading.Thread(target=time.sleep, args=(3600,), daemon=True).start()
        started += 1
except BaseException as e:
    print("threads", started, type(e).__name__, flush=True)
time.sleep(0.5)  # let the host count them
os._exit(0)
"""

MEMORY_BOMB = """\
@PRELUDE@
import time
hold = []
try:
    while True:
        hold.append(b"x" * (8 << 20))  # touched pages: real memory, not just address space
except MemoryError:
    print("held MiB", 8 * len(hold), flush=True)
    time.sleep(0.3)
    raise
"""

# RLIMIT_AS is per process: several processes, each under the limit, together far over it.
SPLIT_MEMORY_BOMB = """\
@PRELUDE@
import os, time
for _ in range(@CHILDREN@):
    if os.fork() == 0:
        try:
            hold = b"x" * (@EACH_MB@ << 20)
        except MemoryError:
            os._exit(1)
        time.sleep(30)
        os._exit(0)
time.sleep(1.5)
print("parent done", flush=True)
"""

DISK_MANY_FILES = """\
@PRELUDE@
import os, time
chunk = b"x" * (1 << 20)
count = written = 0
try:
    while True:
        with open(f"{@MARKER@}-{count}", "wb") as f:
            f.write(chunk)
        count += 1
        written += len(chunk)
except OSError as e:
    print("files", count, "bytes", written, "errno", e.errno, flush=True)
time.sleep(0.3)
"""

DISK_HUGE_FILE = """\
@PRELUDE@
import os, signal, time
# SIG_DFL: the kernel kills us at the limit; SIG_IGN: the write fails with EFBIG; None: as the sandbox left it
if @XFSZ@ is not None:
    signal.signal(signal.SIGXFSZ, getattr(signal, @XFSZ@))
chunk = b"x" * (1 << 20)
fd = os.open(f"{@MARKER@}-big", os.O_WRONLY | os.O_CREAT, 0o644)
written = 0
try:
    while True:
        written += os.write(fd, chunk)
except OSError as e:
    print("stopped", written, os.fstat(fd).st_size, "errno", e.errno, flush=True)
sparse = os.open(f"{@MARKER@}-sparse", os.O_WRONLY | os.O_CREAT, 0o644)
try:
    os.lseek(sparse, 1 << 40, os.SEEK_SET)  # a 1 TiB sparse file: one byte, far out
    os.write(sparse, b"x")
    print("sparse written", os.fstat(sparse).st_size, flush=True)
except OSError as e:
    print("sparse stopped errno", e.errno, flush=True)
time.sleep(0.3)
"""

OUTPUT_FLOOD = """\
import os
if @FORK@:
    os.fork()  # two writers: the child keeps the pipe open after the parent is killed
chunk = b"y" * (1 << 20)
for _ in range(4096):  # 4 GiB
    os.write(@FD@, chunk)
"""

PRINT_FLOOD = """\
import sys
line = "z" * 1000
while True:
    print(line)
"""

INFINITE_LOOP = """\
@PRELUDE@
while True:
    pass
"""

SLEEP_FOREVER = """\
@PRELUDE@
import os, signal, time
for s in (signal.SIGTERM, signal.SIGALRM, signal.SIGINT, signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2,
          signal.SIGXCPU, signal.SIGPROF, signal.SIGVTALRM, signal.SIGQUIT, signal.SIGTSTP):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, set(signal.Signals) - {signal.SIGKILL, signal.SIGSTOP})
if os.fork() == 0:
    os.setsid()
print("sleeping", flush=True)
while True:
    try:
        time.sleep(3600)
    except BaseException:
        pass
"""

# Python frames live on the heap since 3.11: this one ends at the memory or CPU limit, or in RecursionError.
DEEP_RECURSION_PY = """\
import sys
sys.setrecursionlimit(10 ** 9)
def down(n):
    return down(n + 1) + 1
down(0)
"""

# Recursion through C (repr of a deeply nested list) with the guard lifted: the C stack overflows.
DEEP_RECURSION_C = """\
import sys
sys.setrecursionlimit(10 ** 9)
nested = []
for _ in range(300_000):
    nested = [nested]
print(len(repr(nested)))
"""

SEGFAULT = """\
import ctypes
print("about to crash", flush=True)
ctypes.string_at(0)
"""

# Double fork + setsid: a daemon that closes every fd the job gave it, waits, then writes to the host.
# A second one execs /bin/sh (marker in its argv) for the same purpose.
SETSID_ORPHAN = """\
@PRELUDE@
import os, time
targets = @TARGETS@
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 65536)
        time.sleep(@DELAY@)
        for path in targets:
            try:
                with open(path, "w") as f:
                    f.write("the orphan survived")
            except OSError:
                pass
        os._exit(0)
    if os.fork() == 0:
        os.closerange(0, 65536)
        script = 'sleep "$1"; shift; for p in "$@"; do echo survived > "$p.sh"; done'
        os.execv("/bin/sh", ["/bin/sh", "-c", script, @MARKER@, str(@DELAY@), *targets])
    os._exit(0)
os.wait()
print("orphans launched", flush=True)
time.sleep(0.6)  # long enough for the host to see them alive
"""

NETWORK_CONNECT = """\
import ctypes, json, os, socket, struct, subprocess
port, udp_port = @PORT@, @UDP_PORT@
results = {}
def attempt(name, fn):
    try:
        fn()
        results[name] = "connected"
    except BaseException as e:
        results[name] = f"blocked: {type(e).__name__}: {e}"
def tcp4():
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(b"hello from the job")
def tcp_localhost():
    socket.create_connection(("localhost", port), timeout=2)
def tcp6():
    socket.create_connection(("::1", port), timeout=2)
def udp():
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"hello", ("127.0.0.1", udp_port))
def raw_syscall():  # socket(2) and connect(2) through libc, past Python's socket module
    libc = ctypes.CDLL(None, use_errno=True)
    fd = libc.socket(2, 1, 0)
    if fd < 0:
        raise OSError(ctypes.get_errno(), "socket()")
    addr = struct.pack("!HH4s8x", 2, port, bytes([127, 0, 0, 1]))
    addr = struct.pack("=H", 2) + addr[2:]
    if libc.connect(fd, addr, len(addr)) != 0:
        raise OSError(ctypes.get_errno(), "connect()")
def bash_dev_tcp():
    r = subprocess.run(["/bin/bash", "-c", f"echo hi > /dev/tcp/127.0.0.1/{port}"], capture_output=True, timeout=5)
    if r.returncode != 0:
        raise OSError(r.returncode, r.stderr.decode(errors="replace").strip()[-200:])
for name, fn in [("tcp4", tcp4), ("tcp_localhost", tcp_localhost), ("tcp6", tcp6), ("udp", udp),
                 ("raw_syscall", raw_syscall), ("bash_dev_tcp", bash_dev_tcp)]:
    attempt(name, fn)
print(json.dumps(results))
"""

UNIX_SOCKET_CONNECT = """\
import json, socket
results = {}
for name, addr in (("path", @PATH@), ("abstract", @ABSTRACT@)):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(addr)
        s.sendall(b"hello from the job")
        results[name] = "connected"
    except OSError as e:
        results[name] = f"blocked: {e}"
print(json.dumps(results))
"""

ENV_SECRET = """\
import json, os
out = {"environ": dict(os.environ)}
paths = ["/proc/self/environ", "/proc/1/environ", "/proc/1/cmdline", f"/proc/{os.getppid()}/environ",
         f"/proc/{@HARNESS_PID@}/environ", f"/proc/{@HARNESS_PID@}/cmdline"]
paths += [f"/proc/{p}/environ" for p in os.listdir("/proc") if p.isdigit()]
for path in paths:
    try:
        with open(path, "rb") as f:
            out[path] = f.read().decode("latin-1")
    except OSError as e:
        out[path] = f"denied: {e}"
print(json.dumps(out))
"""

READ_OUTSIDE = """\
import json, os
out = {}
for path in @PATHS@:
    try:
        if os.path.isdir(path):
            out[path] = "listed: " + " ".join(sorted(os.listdir(path)))
        else:
            with open(path, "rb") as f:
                out[path] = "read: " + f.read(4096).decode("latin-1")
    except OSError as e:
        out[path] = f"denied: {type(e).__name__}"
print(json.dumps(out))
"""

WRITE_OUTSIDE = """\
import json, os
out = {}
for path in @TARGETS@:
    attempts = []
    for what, fn in (("file", lambda: open(path, "w").write("escaped")),
                     ("mkdir", lambda: os.mkdir(path + ".d")),
                     ("symlink", lambda: os.symlink("/etc/passwd", path + ".lnk")),
                     ("mkfifo", lambda: os.mkfifo(path + ".fifo"))):
        try:
            fn()
            attempts.append(what + " written")
        except OSError as e:
            attempts.append(f"{what} denied: {type(e).__name__}")
    out[path] = attempts
print(json.dumps(out))
"""

# Signals at everything the job might reach. The harness's pid, a decoy's pid and group (a plain host process,
# some running as the job's own uid) and the fork server's outer process are host pids the job was told.
KILLERS = """\
import json, os, signal
out = {}
def attempt(name, fn):
    try:
        fn()
        out[name] = "sent"
    except OSError as e:
        out[name] = f"denied: {type(e).__name__}"
attempt("kill(-1, SIGKILL)", lambda: os.kill(-1, signal.SIGKILL))
attempt("kill(getppid(), SIGKILL)", lambda: os.kill(os.getppid(), signal.SIGKILL))
attempt("kill(getppid(), SIGSTOP)", lambda: os.kill(os.getppid(), signal.SIGSTOP))
attempt("kill(getppid(), SIGTERM)", lambda: os.kill(os.getppid(), signal.SIGTERM))
attempt("kill(1, SIGKILL)", lambda: os.kill(1, signal.SIGKILL))
for pid in @HOST_PIDS@:
    attempt(f"kill({pid}, SIGKILL)", lambda pid=pid: os.kill(pid, signal.SIGKILL))
    attempt(f"killpg({pid}, SIGKILL)", lambda pid=pid: os.killpg(pid, signal.SIGKILL))
print(json.dumps(out), flush=True)
os.killpg(0, signal.SIGKILL)  # the job's own process group, last: this ends the job
"""

PTRACE = """\
import ctypes, json, os, time
libc = ctypes.CDLL(None, use_errno=True)
out = {}
child = os.fork()
if child == 0:
    time.sleep(10)
    os._exit(0)
for name, pid in (("parent", os.getppid()), ("pid 1", 1), ("harness", @HARNESS_PID@), ("own child", child)):
    ret = libc.ptrace(16, pid, 0, 0)  # PTRACE_ATTACH
    out[f"ptrace attach {name}"] = [ret, os.strerror(ctypes.get_errno())]
    ret = libc.ptrace(0x4206, pid, 0, 0)  # PTRACE_SEIZE
    out[f"ptrace seize {name}"] = [ret, os.strerror(ctypes.get_errno())]
out["ptrace traceme"] = [libc.ptrace(0, 0, 0, 0), os.strerror(ctypes.get_errno())]
class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local, remote = IOVec(ctypes.cast(buf, ctypes.c_void_p), 64), IOVec(0x400000, 64)
ret = libc.process_vm_readv(1, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0)
out["process_vm_readv pid 1"] = [ret, os.strerror(ctypes.get_errno())]
for path in ("/proc/1/mem", f"/proc/{os.getppid()}/mem", f"/proc/{@HARNESS_PID@}/mem",
             f"/proc/{@HARNESS_PID@}/environ", "/proc/1/environ"):
    try:
        with open(path, "rb") as f:
            out[path] = "read: " + f.read(65536).decode("latin-1")
    except OSError as e:
        out[path] = f"denied: {type(e).__name__}"
os.kill(child, 9)
print(json.dumps(out))
"""

# A PythonTests job that floods its own report channel with one endless line (no newline, no token).
CHANNEL_FLOOD = """\
import os
def square(x):
    block = b"x" * (1 << 20)
    while True:
        os.write(737, block)
"""


# ---------------------------------------------------------------- verdict forgery (run as PythonTests)
SQUARE = "square"
WRONG_SQUARE, RIGHT_SQUARE = "x * x + 1", "x * x"
SQUARE_ASSERTS = ("assert square(3) == 9", "assert square(-2) == 4", "assert square(0) == 0")
SQUARE_CALLS = (("[3]", 9), ("[-2]", 4), ("[0]", 0))
SQUARE_LOOP = "for x, y in ((3, 9), (-2, 4), (0, 0)):\n    assert square(x) == y\n"  # code: can't be lifted
SQUARE_CHECK = "def check(candidate):\n" + "".join(f"    {a.replace('square', 'candidate')}\n" for a in SQUARE_ASSERTS)


@dataclass(frozen=True)
class Trick:
    """A forgery attempt: `code` solves the task with `@RET@`; `correct_passes` when a right answer must still
    pass with the trick in place (None: the trick itself breaks the run, e.g. it exits before the tests)."""

    code: str
    correct_passes: bool | None = None


FAKE_LINES = (
    b'passed\n{"i":0,"s":"passed"}\n{"i":1,"s":"passed"}\n{"i":2,"s":"passed"}\ndone\n'
    b'{"status":"ok","completed":true,"cases":[{"status":"passed"}]}\nALL TESTS PASSED\n'
)

FORGERY_TRICKS: dict[str, Trick] = {
    "sys.exit(0) at import": Trick("import sys\ndef square(x):\n    return @RET@\nsys.exit(0)\n"),
    "sys.exit(0) in the function": Trick("import sys\ndef square(x):\n    sys.exit(0)\n    return @RET@\n"),
    "os._exit(0) at import": Trick("import os\ndef square(x):\n    return @RET@\nos._exit(0)\n"),
    "os._exit(0) in the function": Trick("import os\ndef square(x):\n    os._exit(0)\n    return @RET@\n"),
    "raise SystemExit at import": Trick("def square(x):\n    return @RET@\nraise SystemExit(0)\n"),
    "raise SystemExit in the function": Trick("def square(x):\n    raise SystemExit(0)\n"),
    "raise KeyboardInterrupt at import": Trick("def square(x):\n    return @RET@\nraise KeyboardInterrupt\n"),
    "raise KeyboardInterrupt in the function": Trick("def square(x):\n    raise KeyboardInterrupt\n"),
    "raise a BaseException subclass in the function": Trick(
        "class Passed(BaseException):\n    pass\ndef square(x):\n    raise Passed('all tests passed')\n"),
    "raise GeneratorExit in the function": Trick("def square(x):\n    raise GeneratorExit\n"),
    "atexit hook": Trick(
        "import atexit, os, sys\n"
        "def _hook():\n    print('passed')\n    for fd in range(1024):\n        try:\n"
        "            os.write(fd, @FAKE@)\n        except OSError:\n            pass\n    os._exit(0)\n"
        "atexit.register(_hook)\n"
        "def square(x):\n    return @RET@\n", correct_passes=True),
    "atexit hook then sys.exit(0)": Trick(
        "import atexit, os\natexit.register(os._exit, 0)\natexit.register(print, 'passed')\n"
        "def square(x):\n    raise SystemExit(0)\n"),
    "print passed and fake result JSON": Trick(
        "import sys\nprint('passed')\nprint('{\"i\": 0, \"s\": \"passed\"}')\nprint('done')\n"
        "def square(x):\n    sys.stdout.write(@FAKE@.decode())\n    sys.stderr.write(@FAKE@.decode())\n"
        "    sys.stdout.flush()\n    return @RET@\n", correct_passes=True),
    "fake lines to every fd at import": Trick(
        "import os\nfor fd in range(1024):\n    try:\n        os.write(fd, @FAKE@)\n    except OSError:\n"
        "        pass\ndef square(x):\n    return @RET@\n"),
    "fake lines to every fd in the function": Trick(
        "import os\ndef square(x):\n    for fd in range(1024):\n        try:\n            os.write(fd, @FAKE@)\n"
        "        except OSError:\n            pass\n    return @RET@\n"),
    "close every fd at import": Trick("import os\nos.closerange(0, 65536)\ndef square(x):\n    return @RET@\n"),
    "close every fd in the function": Trick(
        "import os\ndef square(x):\n    os.closerange(0, 65536)\n    return @RET@\n"),
    "dup2 over every fd in the function": Trick(
        "import os\ndef square(x):\n    r, w = os.pipe()\n    for fd in range(1024):\n        if fd not in (r, w):\n"
        "            try:\n                os.dup2(w, fd)\n            except OSError:\n                pass\n"
        "    return @RET@\n"),
    "kill(getppid(), SIGKILL)": Trick(
        "import os\ndef square(x):\n    try:\n        os.kill(os.getppid(), 9)\n    except OSError:\n        pass\n"
        "    return @RET@\n", correct_passes=True),
    "killpg(0, SIGKILL)": Trick("import os\ndef square(x):\n    os.killpg(0, 9)\n    return @RET@\n"),
    "kill(-1, SIGKILL)": Trick(
        "import os\ndef square(x):\n    try:\n        os.kill(-1, 9)\n    except OSError:\n        pass\n"
        "    return @RET@\n", correct_passes=True),
    "kill(-1, SIGKILL) at import": Trick(
        "import os\ntry:\n    os.kill(-1, 9)\nexcept OSError:\n    pass\ndef square(x):\n    return @RET@\n",
        correct_passes=True),
    "ignore SIGALRM/SIGPROF at import": Trick(
        "import signal\nfor s in (signal.SIGALRM, signal.SIGPROF, signal.SIGVTALRM, signal.SIGXCPU):\n"
        "    signal.signal(s, signal.SIG_IGN)\ndef square(x):\n    return @RET@\n", correct_passes=True),
    "catch BaseException around the answer": Trick(
        "def square(x):\n    try:\n        return @RET@\n    except BaseException:\n        return 9\n",
        correct_passes=True),
    "return an object whose __eq__ is always True": Trick(
        "class Anything:\n    def __eq__(self, other):\n        return True\n    __hash__ = object.__hash__\n"
        "def square(x):\n    return Anything() if (@RET@) != x * x else x * x\n"),
    "return an int subclass with __eq__ overridden": Trick(
        "class Int(int):\n    def __eq__(self, other):\n        return True\n    __hash__ = int.__hash__\n"
        "def square(x):\n    return Int(@RET@)\n"),
    "return an object with __eq__ as a staticmethod": Trick(
        "class Anything:\n    __eq__ = staticmethod(lambda other: True)\n    __hash__ = object.__hash__\n"
        "def square(x):\n    return Anything() if (@RET@) != x * x else x * x\n"),
    "return an object with __eq__ from functools.partial": Trick(
        "import functools, operator\n"
        "class Anything:\n    __eq__ = functools.partial(operator.is_not, None)\n    __hash__ = object.__hash__\n"
        "def square(x):\n    return Anything() if (@RET@) != x * x else x * x\n"),
    "return unittest.mock.ANY (a stdlib __eq__ that is always True)": Trick(
        "from unittest.mock import ANY\n"
        "def square(x):\n    return ANY if (@RET@) != x * x else x * x\n"),
    "patch json.dumps used by the runner (module not kept)": Trick(
        "import json as _json\n_real = _json.dumps\n"
        "def _dumps(obj, *a, **k):\n"
        "    if isinstance(obj, dict) and 'i' in obj and obj.get('s') != 'returned':\n"
        "        obj = {'i': obj['i'], 's': 'passed'}\n"
        "    return _real(obj, *a, **k)\n"
        "_json.dumps = _dumps\ndel _json\n"
        "def square(x):\n    return @RET@\n", correct_passes=True),
    "patch os.write used by the runner (module not kept)": Trick(
        "import os as _os\n_real = _os.write\n"
        "def _write(fd, data):\n    data = bytes(data)\n    lines = []\n"
        "    for line in data.split(b'\\n'):\n"
        "        head, sep, body = line.partition(b' ')\n"
        "        if sep and body.startswith(b'{\"i\":'):\n"
        "            line = head + b' ' + body.split(b',')[0] + b',\"s\":\"passed\"}'\n"
        "        lines.append(line)\n"
        "    _real(fd, b'\\n'.join(lines))\n"
        "    return len(data)\n"
        "_os.write = _write\ndel _os\n"
        "def square(x):\n    return @RET@\n", correct_passes=True),
}

# Deliberate in-process attack: find the per-job token in the runner's frames and write a complete, authentic-
# looking report ("passed" for every case, then "done") on the runner's own channel, then leave.
TOKEN_THIEF = """\
import os, re, sys
def square(x):
    token, fd = None, 737
    frame = sys._getframe(1)
    while frame is not None and token is None:
        for value in list(frame.f_locals.values()):
            prefix = getattr(value, "prefix", None)
            if isinstance(prefix, bytes) and prefix.endswith(b" "):
                token, fd = prefix[:-1].decode(), getattr(value, "fd", fd)
                break
            if isinstance(value, str) and re.fullmatch("[0-9a-f]{32}", value):
                token = value
                break
        frame = frame.f_back
    if token is None:
        return @RET@
    lines = [f'{token} {{"i":{i},"s":"passed"}}' for i in range(@CASES@)] + [f"{token} done"]
    os.write(fd, ("\\n".join(lines) + "\\n").encode())
    os._exit(0)
"""

# The same attack, finding the token other ways. Each collects what looks like this job's live token, forges a
# complete report with it on the channel and leaves; finding nothing, it returns the wrong answer.
_FORGE = """\
def _forge(tokens, fd=737):
    if not tokens:
        return False
    token = tokens[-1]
    lines = [f'{token} {{"i":{i},"s":"passed"}}' for i in range(@CASES@)] + [f"{token} done"]
    os.write(fd, ("\\n".join(lines) + "\\n").encode())
    os._exit(0)
"""
# live bytes objects of 33 bytes, a hex token and a space (the runner's line prefix): refcount, type, size, hash
_MEMORY_SCAN = _FORGE + """\
def _live_prefixes(read, pid="self"):
    head = struct.pack("<QQ", id(bytes), 33)
    found = []
    for line in open(f"/proc/{pid}/maps"):
        addr, perms = line.split()[:2]
        start, end = (int(x, 16) for x in addr.split("-"))
        if not perms.startswith("rw") or end - start > 1 << 28 or "[v" in line:
            continue
        try:
            data = read(start, end - start)
        except (OSError, ValueError, OverflowError):
            continue
        for m in re.finditer(re.escape(head) + rb"(.{8})([0-9a-f]{32}) \\x00", data, re.S):
            if m.start() >= 8 and 0 < struct.unpack_from("<Q", data, m.start() - 8)[0] < 1000:
                found.append(m.group(2).decode())
    return found
"""
TOKEN_THIEVES: dict[str, str] = {
    "frames": TOKEN_THIEF,
    "gc": "import gc, os, re\n" + _FORGE + """\
def square(x):
    tokens = []
    for obj in gc.get_objects():
        prefix = getattr(obj, "prefix", None) if not isinstance(obj, type) else None
        if isinstance(prefix, bytes) and re.fullmatch(rb"[0-9a-f]{32} ", prefix):
            tokens.append(prefix[:-1].decode())
        elif isinstance(obj, dict):
            tokens += [v for v in list(obj.values()) if isinstance(v, str) and re.fullmatch("[0-9a-f]{32}", v)]
    _forge(tokens)
    return @RET@
""",
    "/proc/self/mem": "import os, re, struct\n" + _MEMORY_SCAN + """\
def square(x):
    try:  # as root the job's uid change makes it non-dumpable: its /proc/self/mem is root's, mode 0600
        mem = open("/proc/self/mem", "rb", buffering=0)
    except OSError:
        return @RET@
    def read(start, size):
        mem.seek(start)
        return mem.read(size)
    _forge(_live_prefixes(read))
    return @RET@
""",
    "ctypes scan": "import ctypes, os, re, struct\n" + _MEMORY_SCAN + """\
def square(x):
    _forge(_live_prefixes(ctypes.string_at))
    return @RET@
""",
    # the tests' process of a split job is a sibling of the same uid: its memory and its report fd via /proc
    "a sibling's /proc/<pid>/mem and fd": "import os, re, struct\n" + _MEMORY_SCAN + """\
def square(x):
    for pid in [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]:
        try:
            mem = open(f"/proc/{pid}/mem", "rb", buffering=0)
            def read(start, size):
                mem.seek(start)
                return mem.read(size)
            tokens = _live_prefixes(read, pid)
            fd = os.open(f"/proc/{pid}/fd/737", os.O_WRONLY)
        except OSError:
            continue
        _forge(tokens, fd)
    return @RET@
""",
}

# Timer tricks: the function never ends; the per-case timer, CPU limit or wall clock must end it.
TIMER_LOOP_TRICKS: dict[str, str] = {
    "ignore SIGALRM/SIGPROF, disarm the timers, loop": (
        "import signal\n"
        "def square(x):\n"
        "    for s in (signal.SIGALRM, signal.SIGPROF, signal.SIGVTALRM):\n        signal.signal(s, signal.SIG_IGN)\n"
        "    for t in (signal.ITIMER_REAL, signal.ITIMER_PROF, signal.ITIMER_VIRTUAL):\n"
        "        signal.setitimer(t, 0)\n"
        "    while True:\n        pass\n"),
    "catch BaseException to swallow the case timer, loop": (
        "def square(x):\n    while True:\n        try:\n            while True:\n                pass\n"
        "        except BaseException:\n            pass\n"),
}

# A program that is too slow: right answer, but `SLOW_FACTOR` times its per-case CPU budget, made to look on
# time by disarming / ignoring / swallowing the timer.
SLOW_FACTOR = 4
_BURN = ("import time\ndef _burn(seconds):\n    start = time.process_time()\n"
         "    while time.process_time() - start < seconds:\n        pass\n")
SLOW_TRICKS: dict[str, str] = {
    "disarm the case timer (setitimer 0)": _BURN + (
        "import signal\ndef square(x):\n    signal.setitimer(signal.ITIMER_PROF, 0)\n    _burn(@BURN_S@)\n"
        "    return x * x\n"),
    "ignore SIGPROF in the function": _BURN + (
        "import signal\ndef square(x):\n    signal.signal(signal.SIGPROF, signal.SIG_IGN)\n    _burn(@BURN_S@)\n"
        "    return x * x\n"),
    "swallow the case timer and go on": _BURN + (
        "import time\ndef square(x):\n    start = time.process_time()\n"
        "    while time.process_time() - start < @BURN_S@:\n"
        "        try:\n            _burn(@BURN_S@)\n        except BaseException:\n            pass\n"
        "    return x * x\n"),
}

# Replacing what the tests use. Task: double(x) == 2.0 * x; the wrong answer makes the named check pass only if
# the patch reaches the test code. Each entry: program, setup, assert cases, expected-call (args, value).
DOUBLE = "double"
ABS_CASE = "assert abs(double(2) - 4.0) < 1e-6"
ISCLOSE_CASE = "assert math.isclose(double(2), 4.0)"


@dataclass(frozen=True)
class Patch:
    code: str
    cases: tuple[str, ...] = (ABS_CASE,)
    setup: str = "import math"
    wrong: str = "2.0 * x + 1.5"
    correct_passes: bool = True


PATCH_TRICKS: dict[str, Patch] = {
    "builtins.abs": Patch("import builtins\nbuiltins.abs = lambda v: 0\ndef double(x):\n    return @RET@\n"),
    "__builtins__['abs']": Patch("__builtins__['abs'] = lambda v: 0\ndef double(x):\n    return @RET@\n"),
    "builtins.abs inside the function": Patch(
        "import builtins\ndef double(x):\n    builtins.abs = lambda v: 0\n    __builtins__['abs'] = lambda v: 0\n"
        "    return @RET@\n"),
    "builtins.isinstance": Patch(
        "import builtins\nbuiltins.isinstance = lambda *a: True\n__builtins__['isinstance'] = lambda *a: True\n"
        "def double(x):\n    return @RET@\n", cases=("assert isinstance(double(2), float)",),
        wrong="str(2.0 * x)"),
    "__builtins__['len']": Patch(
        "__builtins__['len'] = lambda v: 3\nimport builtins\nbuiltins.len = lambda v: 3\n"
        "def double(x):\n    return @RET@\n", cases=("assert len(str(double(2))) == 3",),
        wrong="2.0 * x + 10.0"),
    "math.isclose": Patch(
        "import math\nmath.isclose = lambda *a, **k: True\ndef double(x):\n    return @RET@\n",
        cases=(ISCLOSE_CASE,)),
    "math.isclose inside the function": Patch(
        "import math\ndef double(x):\n    math.isclose = lambda *a, **k: True\n    return @RET@\n",
        cases=(ISCLOSE_CASE, ISCLOSE_CASE)),
    "sys.modules['math'] replaced": Patch(
        "import sys, types\n_fake = types.ModuleType('math')\n_fake.isclose = lambda *a, **k: True\n"
        "sys.modules['math'] = _fake\ndel _fake, sys, types\ndef double(x):\n    return @RET@\n",
        cases=(ISCLOSE_CASE,)),
    "math.isclose patched, module not kept, the test imports math": Patch(
        "__import__('math').isclose = lambda *a, **k: True\ndef double(x):\n    return @RET@\n",
        cases=("import math\nassert math.isclose(double(2), 4.0)",), setup=""),
    "a global named abs": Patch("def double(x):\n    return @RET@\ndef abs(v):\n    return 0\n"),
    "a global named isinstance": Patch(
        "isinstance = lambda *a: True\ndef double(x):\n    return @RET@\n",
        cases=("assert isinstance(double(2), float)",), wrong="str(2.0 * x)"),
    "float subclass overriding __sub__ and __abs__": Patch(
        "class F(float):\n    def __sub__(self, other):\n        return F(0.0)\n"
        "    def __abs__(self):\n        return 0.0\n"
        "def double(x):\n    return F(@RET@)\n",
        correct_passes=False),  # the guard refuses any such value, right or wrong
}
RIGHT_DOUBLE = "2.0 * x"
DOUBLE_CALL = ("[2]", 4.0)


# ---------------------------------------------------------------- correct programs (not hostile)
# Legitimate behaviour a real solution may have: each `f()` must return EXPECTED under full isolation, as root and
# unprivileged (tests/test_correct_programs.py, tests/unprivileged_probe.py). name -> (source of f, expected).
TEMPFILE_ADD = """\
def add(a, b):
    import tempfile, os
    with tempfile.NamedTemporaryFile('w+', delete=False) as f:
        f.write(str(a + b)); name = f.name
    v = int(open(name).read()); os.unlink(name)
    return v
"""

CORRECT_PROGRAMS: dict[str, tuple[str, object]] = {
    "NamedTemporaryFile, delete=False": (
        TEMPFILE_ADD + "def f():\n    return add(2, 3)\n", 5),
    "NamedTemporaryFile, deleted on close": (
        "import tempfile\ndef f():\n    with tempfile.NamedTemporaryFile() as t:\n        t.write(b'abc'); t.flush()\n"
        "        t.seek(0); return t.read().decode()\n", "abc"),
    "TemporaryFile": (
        "import tempfile\ndef f():\n    with tempfile.TemporaryFile('w+') as t:\n        t.write('x' * 10); t.seek(0)\n"
        "        return len(t.read())\n", 10),
    "mkdtemp, files inside, rmtree": (
        "import tempfile, os, shutil\ndef f():\n    d = tempfile.mkdtemp()\n"
        "    for i in range(3):\n        open(os.path.join(d, f'{i}.txt'), 'w').write(str(i))\n"
        "    n = sorted(os.listdir(d)); shutil.rmtree(d); return [n, os.path.exists(d)]\n",
        [["0.txt", "1.txt", "2.txt"], False]),
    "TemporaryDirectory": (
        "import tempfile, pathlib\ndef f():\n    with tempfile.TemporaryDirectory() as d:\n"
        "        p = pathlib.Path(d) / 'a' / 'b.txt'; p.parent.mkdir(); p.write_text('hi')\n"
        "        return p.read_text()\n", "hi"),
    "mkstemp": (
        "import tempfile, os\ndef f():\n    fd, path = tempfile.mkstemp(suffix='.dat')\n"
        "    os.write(fd, b'12'); os.close(fd); v = open(path).read(); os.remove(path); return v\n", "12"),
    "gettempdir is writable, TMPDIR": (
        "import tempfile, os\ndef f():\n    d = tempfile.gettempdir()\n"
        "    return [os.access(d, os.W_OK), d == os.environ.get('TMPDIR')]\n", [True, True]),
    "a file in os.getcwd()": (
        "import os\ndef f():\n    p = os.path.join(os.getcwd(), 'out.txt')\n    with open(p, 'w') as fh:\n"
        "        fh.write('ok')\n    return [open('out.txt').read(), os.path.isabs(os.getcwd())]\n", ["ok", True]),
    "HOME is writable (expanduser)": (
        "import os\ndef f():\n    p = os.path.expanduser('~/.cache/x')\n    os.makedirs(os.path.dirname(p))\n"
        "    open(p, 'w').write('1'); return open(p).read()\n", "1"),
    "shutil copy, move, make_archive": (
        "import shutil, os\ndef f():\n    open('a.txt', 'w').write('data')\n    shutil.copy('a.txt', 'b.txt')\n"
        "    shutil.move('b.txt', 'c.txt')\n    os.mkdir('z'); shutil.copy('c.txt', 'z/c.txt')\n"
        "    arc = shutil.make_archive('arch', 'zip', 'z')\n    return [open('c.txt').read(), os.path.exists(arc)]\n",
        ["data", True]),
    "threads": (
        "import threading\ndef f():\n    out = []\n    lock = threading.Lock()\n    def work(i):\n"
        "        with lock:\n            out.append(i * i)\n    ts = [threading.Thread(target=work, args=(i,)) for i in range(8)]\n"
        "    [t.start() for t in ts]; [t.join() for t in ts]\n    return sorted(out)\n", [i * i for i in range(8)]),
    "ThreadPoolExecutor": (
        "from concurrent.futures import ThreadPoolExecutor\ndef f():\n    with ThreadPoolExecutor(4) as ex:\n"
        "        return list(ex.map(lambda x: x + 1, range(5)))\n", [1, 2, 3, 4, 5]),
    "multiprocessing Pool of 3 (fork)": (
        "import multiprocessing as mp\ndef sq(x):\n    return x * x\ndef f():\n"
        "    with mp.get_context('fork').Pool(3) as p:\n        return p.map(sq, range(6))\n", [0, 1, 4, 9, 16, 25]),
    "multiprocessing Process and Queue": (
        "import multiprocessing as mp\ndef put(q):\n    q.put(42)\ndef f():\n    q = mp.Queue()\n"
        "    p = mp.Process(target=put, args=(q,)); p.start(); v = q.get(timeout=5); p.join()\n"
        "    return [v, p.exitcode]\n", [42, 0]),
    "ProcessPoolExecutor": (
        "from concurrent.futures import ProcessPoolExecutor\ndef double(x):\n    return 2 * x\ndef f():\n"
        "    with ProcessPoolExecutor(2) as ex:\n        return list(ex.map(double, [1, 2, 3]))\n", [2, 4, 6]),
    "subprocess of python3 itself": (
        "import subprocess, sys\ndef f():\n    r = subprocess.run([sys.executable, '-c', 'print(6 * 7)'],\n"
        "                       capture_output=True, text=True)\n    return [r.returncode, r.stdout.strip()]\n",
        [0, "42"]),
    "subprocess of /bin/sh with a pipe": (
        "import subprocess\ndef f():\n    return subprocess.check_output('echo hello | tr a-z A-Z', shell=True).decode()\n",
        "HELLO\n"),
    "deep recursion after setrecursionlimit": (
        "import sys\ndef depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\ndef f():\n"
        "    sys.setrecursionlimit(30000)\n    return depth(20000)\n", 20000),
    "lru_cache recursion": (
        "from functools import lru_cache\n@lru_cache(None)\ndef fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n"
        "def f():\n    return fib(300) % 1000007\n", None),
    "numpy": (
        "import numpy as np\ndef f():\n    a = np.arange(12).reshape(3, 4)\n    return int((a @ a.T).trace())\n", None),
    "locale functions": (
        "import locale\ndef f():\n    locale.setlocale(locale.LC_ALL, '')\n"
        "    return [locale.getpreferredencoding(False).lower().replace('-', ''), locale.str(1.5)]\n",
        ["utf8", "1.5"]),
    "time and datetime": (
        "import time, datetime\ndef f():\n    t0 = time.time(); time.sleep(0.01); m = time.monotonic()\n"
        "    d = datetime.datetime.fromtimestamp(0, datetime.timezone.utc)\n"
        "    return [time.time() >= t0, m > 0, d.year, time.strftime('%Y', time.gmtime(0)),\n"
        "            time.localtime().tm_year >= 2024, time.process_time() >= 0]\n",
        [True, True, 1970, "1970", True, True]),
    "random and secrets": (
        "import random, secrets, os\ndef f():\n    return [len(os.urandom(8)), len(secrets.token_hex(4)),\n"
        "            0 <= random.random() < 1, len(random.sample(range(10), 3))]\n", [8, 8, True, 3]),
    "hashlib, zlib, json round trip": (
        "import hashlib, zlib, json\ndef f():\n    s = json.dumps({'a': [1, 2]})\n"
        "    return [hashlib.sha256(s.encode()).hexdigest()[:8] == hashlib.sha256(s.encode()).hexdigest()[:8],\n"
        "            zlib.decompress(zlib.compress(s.encode())).decode() == s, json.loads(s)]\n",
        [True, True, {"a": [1, 2]}]),
    "sqlite3 in memory and on disk": (
        "import sqlite3\ndef f():\n    out = []\n    for path in (':memory:', 'db.sqlite'):\n"
        "        c = sqlite3.connect(path); c.execute('create table t(x)'); c.execute('insert into t values (3)')\n"
        "        out.append(c.execute('select sum(x) from t').fetchone()[0]); c.commit(); c.close()\n"
        "    return out\n", [3, 3]),
    "reading the standard library's files": (
        "import os, inspect, json\ndef f():\n    return [os.path.isfile(json.__file__), len(inspect.getsource(json.dumps)) > 0]\n",
        [True, True]),
    "stdin, stdout and stderr": (
        "import sys\ndef f():\n    print('to stdout'); print('to stderr', file=sys.stderr)\n"
        "    return sys.stdin.read()\n", ""),
    "signal alarm inside the job": (
        "import signal\ndef f():\n    def on(*a):\n        raise TimeoutError\n    signal.signal(signal.SIGALRM, on)\n"
        "    signal.setitimer(signal.ITIMER_REAL, 0.01)\n    try:\n        while True:\n            pass\n"
        "    except TimeoutError:\n        return 'caught'\n", "caught"),
    "os.fork and wait": (
        "import os\ndef f():\n    pid = os.fork()\n    if pid == 0:\n        os._exit(7)\n"
        "    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])\n", 7),
    "asyncio": (
        "import asyncio\nasync def twice(x):\n    await asyncio.sleep(0.001); return 2 * x\ndef f():\n"
        "    async def main():\n        return await asyncio.gather(*(twice(i) for i in range(3)))\n"
        "    return asyncio.run(main())\n", [0, 2, 4]),
    "a few MB of memory and a big file": (
        "import os\ndef f():\n    big = bytearray(50 << 20)\n    with open('big.bin', 'wb') as fh:\n"
        "        fh.write(bytes(20 << 20))\n    return [len(big), os.path.getsize('big.bin')]\n", [50 << 20, 20 << 20]),
}


def _expected_values() -> None:
    """Values that are easier computed than written out."""
    from functools import lru_cache

    @lru_cache(None)
    def fib(n: int) -> int:
        return n if n < 2 else fib(n - 1) + fib(n - 2)
    CORRECT_PROGRAMS["lru_cache recursion"] = (CORRECT_PROGRAMS["lru_cache recursion"][0], fib(300) % 1000007)
    a = [[4 * r + c for c in range(4)] for r in range(3)]
    CORRECT_PROGRAMS["numpy"] = (CORRECT_PROGRAMS["numpy"][0], sum(sum(x * x for x in row) for row in a))


_expected_values()
if importlib.util.find_spec("numpy") is None:  # numpy "when installed" (Debian's python3 has none)
    del CORRECT_PROGRAMS["numpy"]
