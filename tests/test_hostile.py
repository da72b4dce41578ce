"""Hostile code through the real sandbox: containment proved from outside it, and verdicts that can't be forged.

Every program here is real hostile code (tests/hostile_programs.py) run by a real `ForkServerSandbox`; nothing
is mocked. Containment is checked on the host, never by trusting the job's word: its processes are looked for
in the host's /proc by a marker in their name or argv (during the job, to show the watch sees them, and after
it), files by their path on the host, connections by a listener this test owns, memory and disk by reading the
job's processes from outside, the harness by running more jobs on the same fork servers afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from execeval.evaluation.verdict import ERROR, FAILED, KILLED, MEMORY_LIMIT, OUTPUT_LIMIT, TIMEOUT, verdict_of
from execeval.sandbox import Assert, Call, ForkServerSandbox, Limits, PythonTests, Script, Status
from execeval.sandbox.isolation.worker import job_uid_for
from execeval.values import encode

import hostile_programs as hp

REPO = Path(__file__).resolve().parent.parent
SECRET_NAME = "EXECEVAL_HOSTILE_SECRET"
QUICK = Limits(wall_s=10, cpu_s=5, memory_mb=1024)


# ---------------------------------------------------------------- fixtures and host-side witnesses
def xfail_leak(reason: str):
    """A real leak of the sandbox, reported to its owner: fails (XPASS) as soon as it is fixed."""
    return pytest.mark.xfail(strict=True, raises=AssertionError, reason=reason)


def new_marker() -> str:
    return "xh" + uuid.uuid4().hex[:12]  # fits PR_SET_NAME's 15 bytes


@pytest.fixture(scope="module")
def secret() -> str:
    """A secret in the harness's environment, set before any fork server starts."""
    value = "s3cr3t-" + uuid.uuid4().hex
    old = os.environ.get(SECRET_NAME)
    os.environ[SECRET_NAME] = value
    yield value
    if old is None:
        os.environ.pop(SECRET_NAME, None)
    else:
        os.environ[SECRET_NAME] = old


@pytest.fixture(scope="module")
def sandbox(secret):
    sb = ForkServerSandbox(workers=2)
    warm = [sb.submit(Script("print('warm')")) for _ in range(4)]  # both fork servers up before any test
    assert all(f.result().status is Status.OK for f in warm)
    yield sb
    sb.close()


def server_pids() -> set[int]:
    return hp.fork_servers_of(os.getpid())


def assert_harness_alive(sb: ForkServerSandbox, servers_before: set[int]) -> None:
    """Both fork servers still answer, and none was silently restarted (the pool retries a dead one)."""
    futures = [sb.submit(Script("print('still here')"), QUICK) for _ in range(4)]
    for f in futures:
        r = f.result(timeout=60)
        assert r.status is Status.OK and r.stdout == b"still here\n", r
    assert servers_before and servers_before <= server_pids(), "a fork server died and was replaced"


rss_kb = hp.rss_kb
Watch = hp.Watch


def assert_no_survivors(marker: str) -> None:
    survivors = hp.find_marked(marker)
    assert not survivors, f"processes of the job survived it: {survivors}"


@pytest.fixture(scope="module")
def host_scratch():
    """A directory on the host outside every private mount of the sandbox (not /tmp, /var/tmp, /dev/shm)."""
    for base in ("/srv", "/var/local", "/mnt", "/opt"):
        if os.path.isdir(base) and os.access(base, os.W_OK):
            path = tempfile.mkdtemp(prefix="execeval-hostile-", dir=base)
            os.chmod(path, 0o755)
            yield Path(path)
            shutil.rmtree(path, ignore_errors=True)
            return
    pytest.skip("no writable directory on the host outside /tmp")


def world_writable_dir(parent: Path, name: str) -> Path:
    d = parent / name
    d.mkdir()
    os.chmod(d, 0o1777)
    return d


def run(sb, program, limits=QUICK):
    return sb.run(program, limits)


CODE_FAULTS = (FAILED, ERROR, TIMEOUT, MEMORY_LIMIT, OUTPUT_LIMIT, KILLED)  # the candidate's failures, as judged


def assert_judged_failure(r, job: PythonTests, why: str = "") -> None:
    """The job's result is a verdict against the code, not a harness fault: "not all passed" alone is also what a
    sandbox error gives, which is retried and left out of the metrics (a forgery that ended there would not count)."""
    assert r.status is not Status.SANDBOX_ERROR, f"{why} a sandbox error, not a verdict: {r}"
    verdict = verdict_of(r, len(job.cases))
    assert not verdict.passed and verdict.status in CODE_FAULTS, f"{why} judged {verdict.status}: {r}"


# ---------------------------------------------------------------- processes: bombs, orphans, timeouts
@pytest.mark.slow
def test_fork_bomb_is_capped_and_leaves_nothing(sandbox):
    servers = server_pids()
    marker = new_marker()
    limits = Limits(wall_s=2, cpu_s=2, memory_mb=256, processes=16)
    with Watch(marker) as watch:
        r = run(sandbox, Script(hp.render(hp.FORK_BOMB, MARKER=marker)), limits)
    assert_no_survivors(marker)
    assert watch.seen, "the watch never saw the bomb: it proves nothing"
    assert watch.max_procs <= limits.processes + 1, f"{watch.max_procs} processes at once, limit {limits.processes}"
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT), r
    assert_harness_alive(sandbox, servers)


def test_thread_bomb_is_capped(sandbox):
    servers = server_pids()
    marker = new_marker()
    limits = Limits(wall_s=5, cpu_s=3, memory_mb=512, processes=16)
    with Watch(marker) as watch:
        r = run(sandbox, Script(hp.render(hp.THREAD_BOMB, MARKER=marker)), limits)
    assert_no_survivors(marker)
    assert watch.seen
    assert watch.max_threads <= limits.processes + 1, f"{watch.max_threads} threads, limit {limits.processes}"
    assert r.stdout.startswith(b"threads "), r  # it hit the limit, it did not time out
    assert_harness_alive(sandbox, servers)


def test_memory_bomb_is_capped(sandbox):
    servers = server_pids()
    marker = new_marker()
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=256)
    harness_before = rss_kb()
    with Watch(marker) as watch:
        r = run(sandbox, Script(hp.render(hp.MEMORY_BOMB, MARKER=marker)), limits)
    assert_no_survivors(marker)
    assert watch.seen
    assert r.status is Status.MEMORY_LIMIT, r
    assert watch.max_rss_kb <= (limits.memory_mb + 16) * 1024, f"job RSS {watch.max_rss_kb} kB"
    assert rss_kb() - harness_before < 64 * 1024, "the harness grew with the job's memory"
    assert_harness_alive(sandbox, servers)


@pytest.mark.slow
def test_memory_split_over_processes_is_capped_for_the_job(sandbox):
    """The memory cgroup caps the job as a whole (RLIMIT_AS alone would allow processes x memory_mb)."""
    marker = new_marker()
    limits = Limits(wall_s=6, cpu_s=3, memory_mb=256, processes=16)
    program = hp.render(hp.SPLIT_MEMORY_BOMB, MARKER=marker, CHILDREN=4, EACH_MB=150)  # 600 MiB, kept small
    with Watch(marker) as watch:
        run(sandbox, Script(program), limits)
    assert_no_survivors(marker)
    assert watch.seen
    assert watch.max_anon_kb <= limits.memory_mb * 1024 * 1.1, \
        f"the job held {watch.max_anon_kb // 1024} MiB in all with memory_mb={limits.memory_mb}"


def _disk_usage(pid: int) -> tuple[int, int, int]:
    """(size, used bytes, device) of the job's work dir, read from the host through /proc/<pid>/cwd."""
    st = os.statvfs(f"/proc/{pid}/cwd")
    return st.f_blocks * st.f_frsize, (st.f_blocks - st.f_bfree) * st.f_frsize, os.stat(f"/proc/{pid}/cwd").st_dev


def _names_with(marker: str, *roots: str) -> list[str]:
    hits = []
    for root in roots:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = [d for d in dirnames if d != ".git" and not (dirpath == "/tmp" and d.startswith("systemd"))]
            hits += [os.path.join(dirpath, n) for n in filenames + dirnames if marker in n]
            if root == "/tmp" and dirpath.count(os.sep) >= 3:
                dirnames[:] = []
    return hits


def test_disk_flood_many_files_stops_at_disk_cap(sandbox):
    marker = new_marker()
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=512, disk_mb=32, file_size_mb=8)
    tmp_dev = os.stat("/tmp").st_dev
    with Watch(marker, probe=_disk_usage) as watch:
        r = run(sandbox, Script(hp.render(hp.DISK_MANY_FILES, MARKER=marker)), limits)
    assert_no_survivors(marker)
    assert watch.probed, "never saw the job's work dir from outside"
    assert max(used for _, used, _ in watch.probed) <= limits.disk_mb << 20, watch.probed[-1]
    assert all(size <= limits.disk_mb << 20 for size, _, _ in watch.probed)
    assert all(dev != tmp_dev for _, _, dev in watch.probed), "the work dir is the host's /tmp"
    words = r.stdout.split()
    assert words[:1] == [b"files"] and int(words[3]) <= limits.disk_mb << 20 and words[-1] == b"28", r  # ENOSPC
    assert not _names_with(marker, "/tmp", str(REPO)), "the job's files reached the host"


@pytest.mark.parametrize("xfsz", ["SIG_DFL", "SIG_IGN", None], ids=["SIGXFSZ-kills", "EFBIG", "as-left"])
def test_disk_flood_one_huge_file_stops_at_file_size_limit(sandbox, xfsz):
    marker = new_marker()
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=512, disk_mb=64, file_size_mb=8)
    big = f"{marker}-big"

    def size_of_big(pid: int) -> int:
        return os.stat(f"/proc/{pid}/cwd/{big}").st_size

    with Watch(marker, probe=size_of_big) as watch:
        r = run(sandbox, Script(hp.render(hp.DISK_HUGE_FILE, MARKER=marker, XFSZ=xfsz)), limits)
    assert_no_survivors(marker)
    assert max(watch.probed, default=0) <= limits.file_size_mb << 20
    stopped = f"stopped {limits.file_size_mb << 20} {limits.file_size_mb << 20} errno 27\n".encode()  # EFBIG
    killed = r.status is Status.KILLED and r.signal == signal.SIGXFSZ  # the kernel's verdict, not the job's
    if xfsz == "SIG_DFL":
        assert killed, r
    else:
        assert killed or r.stdout.startswith(stopped) and b"sparse stopped errno 27" in r.stdout, r
    if not killed:
        assert watch.probed, "never saw the file from outside"
    assert not _names_with(marker, "/tmp", str(REPO)), "the job's files reached the host"


@pytest.mark.parametrize("fd,fork", [(1, False), (2, False), (1, True)], ids=["stdout", "stderr", "two-writers"])
def test_output_flood_is_cut_at_the_limit(sandbox, fd, fork):
    servers = server_pids()
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=512, output_bytes=1 << 20)
    harness_before = rss_kb()
    r = run(sandbox, Script(hp.render(hp.OUTPUT_FLOOD, FD=fd, FORK=fork)), limits)
    server_hwm = [hp.peak_rss_kb(pid) for pid in server_pids()]
    captured, truncated = (r.stdout, r.stdout_truncated) if fd == 1 else (r.stderr, r.stderr_truncated)
    assert r.status is Status.OUTPUT_LIMIT, r.status
    assert len(captured) == limits.output_bytes and truncated
    assert r.detail == f"{'stdout' if fd == 1 else 'stderr'} over its limit of 1 MiB", r.detail
    assert rss_kb() - harness_before < 32 * 1024, "the harness's memory grew with the flood"
    assert server_hwm and max(server_hwm) < 256 * 1024, f"fork server peak RSS {server_hwm} kB"
    assert_harness_alive(sandbox, servers)


def test_print_flood_larger_cap_is_exact(sandbox):
    limits = Limits(wall_s=10, cpu_s=5, memory_mb=512, output_bytes=8 << 20)
    harness_before = rss_kb()
    r = run(sandbox, Script(hp.PRINT_FLOOD), limits)
    assert r.status is Status.OUTPUT_LIMIT and len(r.stdout) == limits.output_bytes and r.stdout_truncated
    assert rss_kb() - harness_before < 64 * 1024


@pytest.mark.slow
def test_infinite_loop_is_stopped(sandbox):
    marker = new_marker()
    r = run(sandbox, Script(hp.render(hp.INFINITE_LOOP, MARKER=marker)), Limits(wall_s=10, cpu_s=1))
    assert r.status in (Status.CPU_LIMIT, Status.TIMEOUT), r
    assert_no_survivors(marker)
    job = PythonTests("def square(x):\n    while True:\n        pass\n", hp.SQUARE, (Call("[3]", encode(9)),))
    r = run(sandbox, job, Limits(wall_s=10, cpu_s=1))
    assert r.status in (Status.CPU_LIMIT, Status.TIMEOUT) and not r.all_cases_passed, r


def test_sleep_forever_ignoring_signals_is_gone_within_timeout(sandbox):
    marker = new_marker()
    wall = 1.0
    start = time.monotonic()
    with Watch(marker) as watch:
        r = run(sandbox, Script(hp.render(hp.SLEEP_FOREVER, MARKER=marker)), Limits(wall_s=wall, cpu_s=5))
    elapsed = time.monotonic() - start
    assert_no_survivors(marker)  # right when the result is back
    assert len(watch.seen) >= 2, "the watch never saw the sleeper and its setsid child"
    assert r.status is Status.TIMEOUT, r  # stopped by its wall limit: a sleeper not stopped never returns
    # generous on purpose (a loaded machine stretches wall time): it only catches a kill that waited on something
    # else (a grace period of its own, the next job), never how fast the kill was
    assert elapsed < wall + 30, elapsed


@pytest.mark.slow
@pytest.mark.parametrize("program", [hp.DEEP_RECURSION_PY, hp.DEEP_RECURSION_C], ids=["python", "through-C"])
def test_deep_recursion_is_contained(sandbox, program):
    servers = server_pids()
    r = run(sandbox, Script(program), Limits(wall_s=5, cpu_s=1, memory_mb=128))
    assert r.status in (Status.FAILED, Status.KILLED, Status.MEMORY_LIMIT, Status.CPU_LIMIT, Status.TIMEOUT), r
    job = PythonTests("import sys\nsys.setrecursionlimit(10 ** 9)\ndef square(x):\n    return square(x)\n",
                      hp.SQUARE, (Assert("assert square(3) == 9"),))
    assert not run(sandbox, job, Limits(wall_s=5, cpu_s=1, memory_mb=128)).all_cases_passed
    assert_harness_alive(sandbox, servers)


def test_segfault_via_ctypes(sandbox):
    servers = server_pids()
    r = run(sandbox, Script(hp.SEGFAULT))
    assert r.status is Status.KILLED and r.signal == signal.SIGSEGV and r.stdout == b"about to crash\n", r
    job = PythonTests("import ctypes\ndef square(x):\n    ctypes.string_at(0)\n", hp.SQUARE,
                      (Call("[3]", encode(9)),))
    r = run(sandbox, job)
    assert r.status is Status.KILLED and not r.all_cases_passed, r
    assert_harness_alive(sandbox, servers)


@pytest.mark.slow
def test_setsid_orphan_never_survives_nor_writes(sandbox, host_scratch, tmp_path):
    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, "orphan-1777")
    os.chmod(tmp_path, 0o777)
    targets = [str(open_dir / marker), str(tmp_path / marker), f"/tmp/{marker}", f"/dev/shm/{marker}",
               str(REPO / marker)]
    delay = 1.0
    with Watch(marker) as watch:
        r = run(sandbox, Script(hp.render(hp.SETSID_ORPHAN, MARKER=marker, TARGETS=targets, DELAY=delay)))
    assert_no_survivors(marker)
    assert r.stdout == b"orphans launched\n", r
    assert len(watch.seen) >= 2, f"the watch saw {len(watch.seen)} of the job's processes alive"
    time.sleep(delay + 1.0)  # past the moment the orphans would have written
    assert_no_survivors(marker)
    written = hp.escaped(targets)
    assert not written, f"an orphan wrote on the host: {written}"


# ---------------------------------------------------------------- network
Listener = hp.Listener


def test_network_connect_to_host_listener_is_blocked(sandbox):
    listener = Listener()
    try:
        control = socket.create_connection(("127.0.0.1", listener.port), timeout=2)  # the listener does count
        control.close()
        deadline = time.monotonic() + 5
        while listener.accepted < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert listener.accepted == 1, "the listener counts nothing: this test would prove nothing"
        r = run(sandbox, Script(hp.render(hp.NETWORK_CONNECT, PORT=listener.port, UDP_PORT=listener.udp_port)))
        time.sleep(0.3)
        assert listener.accepted == 1 and listener.datagrams == 0, f"the job reached the host: {r.stdout!r}"
        attempts = json.loads(r.stdout)
        assert attempts and all(v.startswith("blocked") for v in attempts.values()), attempts
    finally:
        listener.close()


def test_unix_socket_on_host_is_unreachable(sandbox, host_scratch):
    sock_dir = host_scratch / "sock"
    sock_dir.mkdir()
    os.chmod(sock_dir, 0o755)
    path = str(sock_dir / "service.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o777)  # like /run/dbus/system_bus_socket: any local user may connect
    server.listen(8)
    abstract = "\0execeval-hostile-" + new_marker()
    server2 = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server2.bind(abstract)
    server2.listen(8)
    accepted = []

    def accept(s):
        s.settimeout(0.05)
        end = time.monotonic() + 15
        while time.monotonic() < end and not stop.is_set():
            try:
                accepted.append(s.accept()[0])
            except OSError:
                pass

    stop = threading.Event()
    threads = [threading.Thread(target=accept, args=(s,), daemon=True) for s in (server, server2)]
    for t in threads:
        t.start()
    try:
        r = run(sandbox, Script(hp.render(hp.UNIX_SOCKET_CONNECT, PATH=path, ABSTRACT=abstract)))
        time.sleep(0.3)
        assert not accepted, f"the job connected to a host unix socket: {r.stdout!r}"
    finally:
        stop.set()
        for t in threads:
            t.join()
        for s in (server, server2, *accepted):
            s.close()


# ---------------------------------------------------------------- secrets and files
def test_environment_secret_is_absent(sandbox, secret):
    r = run(sandbox, Script(hp.render(hp.ENV_SECRET, HARNESS_PID=os.getpid())))
    assert r.status is Status.OK, r
    seen = json.loads(r.stdout)
    assert seen["environ"], "the job printed no environment: the check proves nothing"
    assert secret not in r.stdout.decode() + r.stderr.decode()
    assert SECRET_NAME not in r.stdout.decode()


@pytest.fixture(scope="module")
def secret_files(host_scratch):
    """Files the job must not read: root-only (700 dir, 600 file), and world-readable ones outside its view."""
    content = {}
    private = host_scratch / "private"
    private.mkdir()
    os.chmod(private, 0o700)
    (private / "key").write_text(c := "root-only-" + uuid.uuid4().hex)
    os.chmod(private / "key", 0o600)
    content[str(private / "key")] = c
    run_dir = host_scratch / "run-dir"  # like a harness run directory: world-readable, outside /tmp
    run_dir.mkdir()
    os.chmod(run_dir, 0o755)
    (run_dir / "results.jsonl").write_text(c := "run-dir-" + uuid.uuid4().hex)
    os.chmod(run_dir / "results.jsonl", 0o644)
    content[str(run_dir / "results.jsonl")] = c
    yield content, private, run_dir


def test_reading_outside_files_is_denied(sandbox, secret_files, tmp_path):
    content, private, run_dir = secret_files
    (tmp_path / "note").write_text(tmp_secret := "tmp-path-" + uuid.uuid4().hex)
    os.chmod(tmp_path, 0o755)
    os.chmod(tmp_path / "note", 0o644)
    repo_files = [REPO / "pyproject.toml", REPO / "execeval" / "sandbox" / "server" / "process.py"]
    harness_dirs = [os.getcwd(), os.path.expanduser("~"), os.path.expanduser("~/.cache"),
                    os.environ.get("EXECEVAL_CACHE_DIR", "/nonexistent")]  # the harness's cwd, home, caches
    paths = [*content, str(private), str(run_dir), str(tmp_path / "note"), str(tmp_path), "/etc/shadow",
             *map(str, repo_files), str(REPO), *harness_dirs, f"/proc/{os.getpid()}/cwd/pyproject.toml",
             f"/proc/{os.getpid()}/environ", f"/proc/{os.getpid()}/root/etc/shadow"]
    r = run(sandbox, Script(hp.render(hp.READ_OUTSIDE, PATHS=paths)))
    seen = json.loads(r.stdout)
    text = r.stdout.decode() + r.stderr.decode()
    for path, value in content.items():
        assert value not in text, f"read {path}"
    assert tmp_secret not in text
    assert repo_files[0].read_text()[:200] not in text and "class Server" not in text, "read the repo"
    leaked = {p: v for p, v in seen.items() if not v.startswith("denied") and p != "/nonexistent"
              and not _only_the_way_to_the_interpreter(p, v)}
    assert not leaked, f"the job read or listed outside its work dir: {leaked}"
    assert seen["/etc/shadow"].startswith("denied")


def _only_the_way_to_the_interpreter(path: str, seen: str) -> bool:
    """A listing that shows nothing but the way to the interpreter's own dirs (a venv inside the checkout:
    the sandbox covers the checkout and binds back only `.venv`, which the job's sys.executable names anyway)."""
    from execeval.sandbox.isolation.worker import _interpreter_paths

    if not seen.startswith("listed: "):
        return False
    ways = {Path(p).relative_to(path).parts[0] for p in _interpreter_paths() if Path(p).is_relative_to(path)
            and Path(p) != Path(path)}
    return set(seen.removeprefix("listed: ").split()) <= ways


def test_writing_outside_the_work_dir_leaves_no_trace(sandbox, host_scratch, tmp_path):
    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, "open-1777")
    open_tmp = world_writable_dir(tmp_path, "open-1777")
    os.chmod(tmp_path, 0o777)
    targets = [str(REPO / marker), str(REPO / "tests" / marker), str(tmp_path / marker), str(open_tmp / marker),
               f"/tmp/{marker}", f"/var/tmp/{marker}", f"/dev/shm/{marker}", str(open_dir / marker),
               f"/proc/{os.getpid()}/cwd/{marker}"]
    r = run(sandbox, Script(hp.render(hp.WRITE_OUTSIDE, TARGETS=targets)))
    assert r.status is Status.OK and json.loads(r.stdout), r
    escaped = hp.escaped(targets)
    assert not escaped, f"the job wrote on the host: {escaped}"
    assert not _names_with(marker, "/tmp", str(REPO), str(host_scratch), "/var/tmp", "/dev/shm")


# ---------------------------------------------------------------- the harness itself
def test_killing_parent_group_and_everyone_leaves_harness_working(sandbox):
    servers = server_pids()
    decoys = [subprocess.Popen(["sleep", "60"], start_new_session=True)]
    if os.geteuid() == 0:
        for uid in {job_uid_for(pid) for pid in servers}:  # host processes with the uid the jobs run as
            decoys.append(subprocess.Popen(["sleep", "60"], user=uid, group=uid, start_new_session=True))
    try:
        host_pids = [os.getpid(), os.getpgrp(), *servers, *(d.pid for d in decoys)]
        r = run(sandbox, Script(hp.render(hp.KILLERS, HOST_PIDS=host_pids)))
        assert r.stdout, r
        time.sleep(0.2)
        assert all(d.poll() is None for d in decoys), "the job killed a host process"
        assert_harness_alive(sandbox, servers)
    finally:
        for d in decoys:
            d.kill()
            d.wait()


@pytest.mark.skipif(os.geteuid() != 0 and tuple(map(int, os.uname().release.split(".")[:2])) < (5, 14),
                    reason="without root, RLIMIT_NPROC is counted per user namespace only from Linux 5.14")
def test_a_fork_bomb_in_one_sandbox_leaves_anothers_fork_working():
    """RLIMIT_NPROC counts a uid's processes machine-wide: with a shared job uid, one run's fork bomb made another
    run's correct `os.fork()` fail (EAGAIN). Each server's jobs now have a uid of their own; without root, where all
    jobs share the caller's uid, each server's user namespace counts its own (Linux 5.14+ counts RLIMIT_NPROC per
    user namespace)."""
    marker = new_marker()
    with ForkServerSandbox(workers=1) as bomber, ForkServerSandbox(workers=1) as victim:
        bomb = bomber.submit(Script(hp.render(hp.FORK_BOMB, MARKER=marker)), Limits(wall_s=3, cpu_s=3, processes=48))
        with Watch(marker) as watch:
            while watch.max_procs < 20 and not bomb.done():
                time.sleep(0.02)
            r = victim.run(Script("import os\npid = os.fork()\nif pid == 0:\n    os._exit(0)\n"
                                  "os.waitpid(pid, 0)\nprint('forked')\n"), QUICK.with_(processes=16))
        bomb.result(timeout=30)
    assert watch.max_procs >= 20, "the bomb never filled its process limit: the test proves nothing"
    assert r.status is Status.OK and r.stdout == b"forked\n", r
    assert_no_survivors(marker)


def test_ptrace_and_reading_harness_memory_are_denied(sandbox, secret):
    servers = server_pids()
    r = run(sandbox, Script(hp.render(hp.PTRACE, HARNESS_PID=os.getpid())))
    out = json.loads(r.stdout)
    for name, value in out.items():
        if name.startswith(("ptrace", "process_vm")):
            assert value[0] == -1, f"{name} succeeded: {value}"
        elif "/mem" in name or str(os.getpid()) in name:
            assert value.startswith("denied"), f"{name}: {value[:80]}"
    assert secret not in r.stdout.decode()
    assert_harness_alive(sandbox, servers)


def test_report_channel_flood_is_contained(sandbox):
    servers = server_pids()
    job = PythonTests(hp.CHANNEL_FLOOD, hp.SQUARE, (Assert("assert square(3) == 9"),))
    r = run(sandbox, job, Limits(wall_s=2, cpu_s=2))
    assert not r.all_cases_passed and r.status is not Status.OK, r
    hwm = [hp.peak_rss_kb(pid) for pid in server_pids()]
    assert hwm and max(hwm) < 512 * 1024, f"fork server peak RSS {hwm} kB"
    assert_harness_alive(sandbox, servers)


# ---------------------------------------------------------------- verdict forgery
def square_job(code: str, kind: str, mode: str = "stop", **kw) -> PythonTests:
    setup = ""
    if kind == "assert":
        cases = tuple(Assert(c) for c in hp.SQUARE_ASSERTS)
    elif kind == "check":  # HumanEval's shape: one case, a check(candidate) defined by the setup
        setup, cases = hp.SQUARE_CHECK, (Assert(f"check({hp.SQUARE})"),)
    elif kind == "loop":  # a test that is code (not liftable): run in a process of its own
        cases = (Assert(hp.SQUARE_LOOP),)
    elif kind == "expr":  # lifted too: arguments and expected values are trusted expressions, not literals
        cases = tuple(Assert(c) for c in SQUARE_EXPRESSIONS)
    else:
        cases = tuple(Call(args, encode(value)) for args, value in hp.SQUARE_CALLS)
    return PythonTests(code, hp.SQUARE, cases, setup=setup, stop_on_failure=mode == "stop", **kw)


KINDS = ("assert", "check", "call", "loop")  # lifted asserts, a lifted check(), inputs, a split test
SQUARE_EXPRESSIONS = ("assert square(int('3')) == 3 ** 2", "assert square(-len([0, 0])) == sum([1, 3])",
                      "assert square(min(range(5))) == 0")
MODES = ("stop", "all")  # stop at the first failing case (the default), or run all cases
LEAKS: dict[str, set[str]] = {}  # trick name -> "kind/mode" where it still forges (none known)
LEAK_REASONS: dict[str, str] = {}


def _forgery_params():
    for name in hp.FORGERY_TRICKS:
        for kind in KINDS:
            for mode in MODES:
                leaks = f"{kind}/{mode}" in LEAKS.get(name, ())
                marks = [xfail_leak(LEAK_REASONS[name])] if leaks else []
                yield pytest.param(name, kind, mode, marks=marks, id=f"{name}-{kind}-{mode}")


@pytest.mark.parametrize("trick,kind,mode", list(_forgery_params()))
def test_forgery_wrong_code_never_passes(sandbox, trick, kind, mode):
    code = hp.render(hp.FORGERY_TRICKS[trick].code, RET=hp.WRONG_SQUARE, FAKE=hp.FAKE_LINES)
    job = square_job(code, kind, mode)
    r = run(sandbox, job)
    assert r.all_cases_passed is False, f"wrong code passed with {trick!r}: {r}"
    assert_judged_failure(r, job, f"{trick!r}:")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("trick", [n for n, t in hp.FORGERY_TRICKS.items() if t.correct_passes])
def test_forgery_tricks_do_not_break_correct_code(sandbox, trick, kind):
    code = hp.render(hp.FORGERY_TRICKS[trick].code, RET=hp.RIGHT_SQUARE, FAKE=hp.FAKE_LINES)
    r = run(sandbox, square_job(code, kind))
    assert r.all_cases_passed is True, r


def test_forgery_control_wrong_fails_right_passes(sandbox):
    """The task itself: without tricks the wrong answer fails and the right one passes, both case kinds."""
    for kind in KINDS:
        for mode in MODES:
            wrong = run(sandbox, square_job(f"def square(x):\n    return {hp.WRONG_SQUARE}\n", kind, mode))
            right = run(sandbox, square_job(f"def square(x):\n    return {hp.RIGHT_SQUARE}\n", kind, mode))
            assert wrong.all_cases_passed is False and right.all_cases_passed is True, (wrong, right)


@pytest.mark.parametrize("kind", ("assert", "call"))
@pytest.mark.parametrize("trick", list(hp.TIMER_LOOP_TRICKS))
def test_forgery_timer_tricks_then_looping_never_pass(sandbox, trick, kind):
    job = square_job(hp.TIMER_LOOP_TRICKS[trick], kind, case_cpu_s=(0.2,) * 3)
    limits = Limits(wall_s=6, cpu_s=1)
    start = time.monotonic()
    r = run(sandbox, job, limits)
    assert r.all_cases_passed is False, r
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT, Status.FAILED), r
    # the job's CPU limit held, whatever the tricks did to the timers: CPU time as the sandbox measured it, which
    # machine load does not stretch (RLIMIT_CPU counts whole seconds: a little over the limit is still stopped)
    assert r.cpu_s < limits.cpu_s + 0.5, r
    assert time.monotonic() - start < limits.wall_s + 60, "the job outlived its limits"  # generous: load


# Finds its report channel in the runner's frames, writes a line with the live token that is not a report, then
# waits: the server parses reports lazily (once the job is over, or a few ms on), and must still call it tampering.
TAMPER_THEN_WAIT = """\
import os, sys, time
def square(x):
    frame = sys._getframe(1)
    while frame is not None:
        for value in list(frame.f_locals.values()):
            prefix = getattr(value, "prefix", None)
            if isinstance(prefix, bytes) and prefix.endswith(b" "):
                os.write(getattr(value, "fd", 737), prefix + b"not a report\\n")
                time.sleep(60)
        frame = frame.f_back
    return x * x
"""


@pytest.mark.parametrize("kind", ("assert", "call"))
def test_a_tampered_report_then_waiting_is_tampering_not_a_timeout(sandbox, kind):
    r = run(sandbox, square_job(TAMPER_THEN_WAIT, kind, mode="all", case_cpu_s=(0.2,) * 3), Limits(wall_s=6, cpu_s=1))
    assert r.status is Status.FAILED and "tampered" in r.detail, r


SLOW_BUDGET = 0.1


@pytest.mark.parametrize("kind", ("assert", "call"))  # one call of the function per case
@pytest.mark.parametrize("trick", list(hp.SLOW_TRICKS))
def test_forgery_too_slow_answer_never_passes(sandbox, trick, kind):
    code = hp.render(hp.SLOW_TRICKS[trick], BURN_S=SLOW_BUDGET * hp.SLOW_FACTOR)
    job = square_job(code, kind, case_cpu_s=(SLOW_BUDGET,) * 3)
    job = PythonTests(job.program, job.entry_point, job.cases[:1], case_cpu_s=(SLOW_BUDGET,))
    r = run(sandbox, job, Limits(wall_s=10, cpu_s=5))
    assert r.all_cases_passed is False, f"a case used {r.cases[0].cpu_s:.2f}s of a {SLOW_BUDGET}s budget and passed"


PATCH_LEAKS: dict[str, str] = {}  # trick name -> why it still forges (none known)


def double_job(patch: hp.Patch, ret: str, kind: str) -> PythonTests:
    code = hp.render(patch.code, RET=ret)
    if kind == "assert":
        cases = tuple(Assert(c) for c in patch.cases)
    elif kind == "loop":  # the same checks as one test that is code
        cases = (Assert("\n".join(patch.cases)),)
    else:
        cases = (Call(hp.DOUBLE_CALL[0], encode(hp.DOUBLE_CALL[1])),)
    return PythonTests(code, hp.DOUBLE, cases, setup=patch.setup)


def _patch_params():
    for name in hp.PATCH_TRICKS:
        for kind in KINDS:
            marks = [xfail_leak(PATCH_LEAKS[name])] \
                if name in PATCH_LEAKS and kind == "assert" else []
            yield pytest.param(name, kind, marks=marks, id=f"{name}-{kind}")


@pytest.mark.parametrize("trick,kind", list(_patch_params()))
def test_forgery_patching_what_tests_use_never_passes(sandbox, trick, kind):
    patch = hp.PATCH_TRICKS[trick]
    job = double_job(patch, patch.wrong, kind)
    r = run(sandbox, job)
    assert r.all_cases_passed is False, f"wrong code passed by patching {trick}: {r.cases}"
    assert_judged_failure(r, job, f"patching {trick}:")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("trick", [n for n, p in hp.PATCH_TRICKS.items() if p.correct_passes])
def test_forgery_patching_does_not_break_correct_code(sandbox, trick, kind):
    patch = hp.PATCH_TRICKS[trick]
    r = run(sandbox, double_job(patch, hp.RIGHT_DOUBLE, kind))
    assert r.all_cases_passed is True, r


def test_patching_control_the_checks_catch_the_wrong_answer(sandbox):
    """Without a patch, each patch trick's wrong answer fails its checks (so a pass above would be a forgery)."""
    for name, patch in hp.PATCH_TRICKS.items():
        plain = hp.Patch("def double(x):\n    return @RET@\n", cases=patch.cases, setup=patch.setup or "import math")
        for kind in KINDS:
            r = run(sandbox, double_job(plain, patch.wrong, kind))
            assert r.all_cases_passed is False, (name, kind, r)


# ---------------------------------------------------------------- the witnesses themselves
def _unsandboxed(code: str, cwd: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import sys

    return subprocess.run([sys.executable, "-I", "-c", code], cwd=cwd, env=env or {"PATH": "/usr/bin:/bin"},
                          capture_output=True, timeout=30)


def _remove(paths: list[str]) -> None:
    for p in paths:
        if os.path.isdir(p) and not os.path.islink(p):
            shutil.rmtree(p, ignore_errors=True)
        elif os.path.lexists(p):
            os.unlink(p)


def test_witnesses_catch_the_same_programs_run_without_sandbox(host_scratch, tmp_path, secret_files, secret):
    """Control: run unsandboxed, the hostile programs do leak, and the checks above do see it. So a sandbox that
    stopped containing them would fail those tests rather than pass them vacuously."""
    marker = new_marker()
    open_dir = world_writable_dir(host_scratch, f"control-{marker}")
    targets = [str(open_dir / marker), str(tmp_path / marker), str(REPO / marker), f"/tmp/{marker}"]
    created: list[str] = []
    try:
        _unsandboxed(hp.render(hp.WRITE_OUTSIDE, TARGETS=targets), str(tmp_path))
        created += hp.escaped(targets)
        assert len(created) == 4 * len(targets), created
        assert _names_with(marker, "/tmp", str(REPO))

        r = _unsandboxed(hp.render(hp.ENV_SECRET, HARNESS_PID=os.getpid()), str(tmp_path),
                         env={"PATH": "/usr/bin:/bin", SECRET_NAME: secret})
        assert secret in r.stdout.decode()

        content, private, run_dir = secret_files
        r = _unsandboxed(hp.render(hp.READ_OUTSIDE, PATHS=[*content, str(REPO / "pyproject.toml")]), str(tmp_path))
        assert all(v in r.stdout.decode() for v in content.values()) and "[project]" in r.stdout.decode()

        listener = Listener()
        try:
            _unsandboxed(hp.render(hp.NETWORK_CONNECT, PORT=listener.port, UDP_PORT=listener.udp_port), str(tmp_path))
            time.sleep(0.3)
            assert listener.accepted >= 2 and listener.datagrams >= 1
        finally:
            listener.close()

        orphan_targets = [str(open_dir / f"orphan-{marker}")]
        with Watch(marker) as watch:
            r = _unsandboxed(hp.render(hp.SETSID_ORPHAN, MARKER=marker, TARGETS=orphan_targets, DELAY=1.0),
                             str(tmp_path))
        survivors = hp.find_marked(marker)
        assert watch.seen and survivors, "an unsandboxed orphan outlives its parent"
        deadline = time.monotonic() + 10
        while len(hp.escaped(orphan_targets)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        created += hp.escaped(orphan_targets)
        assert len(hp.escaped(orphan_targets)) == 2, "both orphans wrote on the host"
    finally:
        for pid in hp.find_marked(marker):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        _remove(created + hp.escaped(targets))
        assert not _names_with(marker, str(REPO))


@pytest.mark.parametrize("kind", (*KINDS, "expr"))
@pytest.mark.parametrize("way", list(hp.TOKEN_THIEVES))
def test_token_thief_cannot_forge(sandbox, way, kind):
    """Code that finds the per-job token (in frames, through gc, in /proc/self/mem, by a ctypes scan) and writes
    an authentic report. Where the token is in the candidate's process at all (lifted asserts and `Call` cases:
    one process), a report can only say "returned": the thief's "passed" is refused, and that refusal (not a
    tampered channel) shows it really had the token. A test that is code (`loop`) runs in a process of its own
    and the candidate's holds no token: the thief finds none and its wrong answer fails."""
    code = hp.render(hp.TOKEN_THIEVES[way], RET=hp.WRONG_SQUARE, CASES=len(hp.SQUARE_ASSERTS))
    r = run(sandbox, square_job(code, kind))
    assert r.all_cases_passed is False, r
    if kind == "loop":
        assert r.cases[0].error_type == "AssertionError" and r.cases[0].message == (
            "line 2 of the test: assert square(x) == y"), r  # the assert of a many-line test, and its line
    elif way.startswith("a sibling"):  # nothing to read: not dumpable
        assert r.cases[0].error_type in ("AssertionError", "WrongAnswer"), r
    elif way == "/proc/self/mem" and r.cases[0].error_type != "Tampered":  # not readable for a job as root
        assert os.geteuid() == 0 and r.cases[0].error_type in ("AssertionError", "WrongAnswer"), r
    else:
        assert r.cases[0].error_type == "Tampered" and r.detail == "", r


def test_token_thief_expr_control_is_lifted_wrong_fails_right_passes(sandbox):
    """The lifted-expression kind above is lifted (so its thieves had the token to find), and judges plainly."""
    from execeval.sandbox.python.lifting.plan import lift_job

    assert lift_job(square_job("", "expr")) is not None
    for ret, passed in ((hp.WRONG_SQUARE, False), (hp.RIGHT_SQUARE, True)):
        assert run(sandbox, square_job(f"def square(x):\n    return {ret}\n", "expr")).all_cases_passed is passed


def test_token_thief_with_a_right_answer_still_passes_in_its_own_process(sandbox):
    """The split run of a test that is code does not break a correct program that looks around its memory."""
    code = hp.render(hp.TOKEN_THIEVES["gc"], RET=hp.RIGHT_SQUARE, CASES=len(hp.SQUARE_ASSERTS))
    assert run(sandbox, square_job(code, "loop")).all_cases_passed is True


# ---------------------------------------------------------------- other languages: the end marker's token
ENV_TOKEN_READERS = {  # tests that print the run's token from the environment, then leave before the real end
    "c": '#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n    const char *t = getenv("@ENV@");\n'
         '    printf("\\n%s\\n", t ? t : ""); fflush(stdout); exit(0);\n}\n',
    "cpp": '#include <cstdio>\n#include <cstdlib>\nint main() {\n    const char *t = std::getenv("@ENV@");\n'
           '    std::printf("\\n%s\\n", t ? t : ""); std::fflush(stdout); std::exit(0);\n}\n',
    "java": 'public class Main {\n    public static void main(String[] args) {\n'
            '        System.out.print("\\n" + System.getenv("@ENV@") + "\\n" + System.getenv().get("@ENV@") + "\\n");\n'
            '        System.out.flush(); System.exit(0);\n    }\n}\n',
    "javascript": 'process.stdout.write("\\n" + process.env.@ENV@ + "\\n"); process.exit(0);\n',
    "python": 'import os, sys\nprint()\nprint(os.environ.get("@ENV@", "")); print(os.getenv("@ENV@"))\n'
              'sys.stdout.flush(); os._exit(0)\n',
    "bash": 'printf "\\n%s\\n" "$@ENV@"; exit 0\n',
}


@pytest.mark.slow
def test_other_languages_tests_cannot_getenv_the_end_token(sandbox, tmp_path):
    """The token leaves the environment before the tests run: reading it and exiting early is an early exit,
    not a forged pass; the same tests without the early exit pass (so the token does reach the epilogue)."""
    from execeval.judges.endmarker import END_TOKEN_ENV
    from execeval.judges.program_tests import judge_test_program
    from execeval.languages import get_language
    from execeval.languages.build import BuildCache

    cache = BuildCache(tmp_path)
    for language, template in ENV_TOKEN_READERS.items():
        if not get_language(language).toolchain().available:
            continue
        tests = template.replace("@ENV@", END_TOKEN_ENV)
        forged = judge_test_program(language, "", tests, sandbox, limits=QUICK, cache=cache)
        assert forged.status is not Status.SANDBOX_ERROR and not forged.all_cases_passed, (language, forged)
        assert forged.cases[0].error_type == "EarlyExit", (language, forged.cases, forged.stdout[-300:])
        honest = tests.replace("exit(0);", ";").replace("os._exit(0)", "pass").replace("; exit 0", "")
        honest = honest.replace("System.;", "").replace("process.;", "").replace("std::;", "")
        result = judge_test_program(language, "", honest, sandbox, limits=QUICK, cache=cache)
        assert result.all_cases_passed, (language, result.cases, result.stderr[-500:], honest)
