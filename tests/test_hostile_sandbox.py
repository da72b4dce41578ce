"""Issue #24, the sandbox's side: nothing a job leaves or does may change another job's verdict, hide its own, or
stop the harness. Real hostile code through a real `ForkServerSandbox` with one fork server, so that the job
after the hostile one runs on the same server and sees whatever was left."""

from __future__ import annotations

import json
import os

import pytest

from execeval.sandbox import Assert, Call, Command, ForkServerSandbox, Limits, PythonTests, Script, Status
from execeval.values import encode

import hostile_programs as hp

QUICK = Limits(wall_s=20, cpu_s=5, memory_mb=1024)


@pytest.fixture(scope="module")
def sandbox():
    sb = ForkServerSandbox(workers=1)
    assert sb.run(Script("print('warm')")).status is Status.OK
    yield sb
    sb.close()


def servers() -> set[int]:
    return hp.fork_servers_of(os.getpid())


def script_ok(sb, code: str, limits: Limits = QUICK):
    r = sb.run(Script(code), limits)
    assert r.status is Status.OK, r
    return json.loads(r.stdout.decode().strip().splitlines()[-1]) if r.stdout.strip() else None


LOOK = """\
import json, os
seen = {}
for d in ("/tmp", "/var/tmp", "/dev/shm", os.getcwd()):
    seen[d] = sorted(n for n in os.listdir(d) if d != "/tmp" or n != "job")
print(json.dumps(seen))
"""


def _kept_on_purpose() -> dict[str, set[str]]:
    """What the sandbox binds back into a private tmp dir: the interpreter's own dirs when they live there (a
    venv in /tmp), reachable for the job by design; anything else left behind is a job's."""
    from execeval.sandbox.isolation.worker import _interpreter_paths

    kept: dict[str, set[str]] = {}
    for path in _interpreter_paths():
        for d in ("/tmp", "/var/tmp", "/dev/shm"):
            if path.startswith(d + "/"):
                kept.setdefault(d, set()).add(path[len(d) + 1:].split("/")[0])
    return kept


def assert_all_empty(sb) -> None:
    seen = script_ok(sb, LOOK)
    kept = _kept_on_purpose()
    left = {d: [n for n in names if n not in kept.get(d, set())] for d, names in seen.items()}
    assert all(not names for names in left.values()), seen


# ---------------------------------------------------------------- 2. cleanup a job can't break
DEEP = """\
import os
base = {base!r}
os.chdir(base)
for i in range({depth}):
    os.mkdir({name!r})
    os.chdir({name!r})
    if i % 300 == 0:
        open("f", "w").close()
        os.symlink("/", "root")
        os.symlink(".", "loop")
os.chmod(".", 0)
os.chdir(base)
for i in range(300):
    os.mkdir(f"wide{{i}}")
os.chmod(os.path.join(base, "wide0"), 0)
print("made")
"""

_DEEP_CASES = {
    "/tmp 1500 deep": ("/tmp", 1500, "d"),
    "/var/tmp 3000 deep, long names past PATH_MAX": ("/var/tmp", 3000, "n" * 60),
    "/dev/shm 2000 deep": ("/dev/shm", 2000, "s"),
    "work dir 2000 deep": (".", 2000, "w"),
}


@pytest.mark.parametrize("where", list(_DEEP_CASES))
def test_deep_trees_left_behind_do_not_stop_the_server(sandbox, where):
    base, depth, name = _DEEP_CASES[where]
    before = servers()
    r = sandbox.run(Script(DEEP.format(base=base if base != "." else "/tmp/job", depth=depth, name=name)),
                    Limits(wall_s=30, cpu_s=10, memory_mb=1024, disk_mb=64))
    assert r.status is Status.OK and r.stdout == b"made\n", r
    assert_all_empty(sandbox)
    assert servers() == before, "the fork server died or was replaced"
    assert sandbox.pool.retired == 0, sandbox.pool.last_retirement
    right = sandbox.run(PythonTests("def square(x):\n    return x * x\n", hp.SQUARE,
                                    tuple(Assert(a) for a in hp.SQUARE_ASSERTS)), QUICK)
    assert right.all_cases_passed, right


# ---------------------------------------------------------------- 4. no IPC object outlives its job
PLANT_IPC = """\
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
IPC_CREAT = 0o1000
made = {}
made["shm"] = libc.shmget(@KEY@, @SHM@, IPC_CREAT | 0o666)
libc.shmat.restype = ctypes.c_void_p
if made["shm"] >= 0:
    addr = libc.shmat(made["shm"], None, 0)
    ctypes.memset(addr, 0x39, @SHM@)  # every page touched: charged to the memory cgroup
made["msg"] = libc.msgget(0x5eed, IPC_CREAT | 0o666)
made["sem"] = libc.semget(0x5eed, 3, IPC_CREAT | 0o666)
made["unkeyed shm"] = libc.shmget(0, 4096, IPC_CREAT | 0o600)
rt = ctypes.CDLL("librt.so.1", use_errno=True)
made["mq"] = rt.mq_open(b"/execeval-plant", 0o100 | 0o2, 0o666, None)  # O_CREAT | O_RDWR
print(json.dumps(made))
"""

FIND_IPC = """\
import ctypes, json
libc = ctypes.CDLL(None, use_errno=True)
rt = ctypes.CDLL("librt.so.1", use_errno=True)
found = {"shm": libc.shmget(0x5eed, 0, 0), "msg": libc.msgget(0x5eed, 0), "sem": libc.semget(0x5eed, 0, 0),
         "mq": rt.mq_open(b"/execeval-plant", 0o2)}
for kind in ("shm", "msg", "sem"):
    with open(f"/proc/sysvipc/{kind}") as f:
        found[kind + " listed"] = len(f.read().splitlines()) - 1
print(json.dumps(found))
"""


def plant(shm_bytes: int, key: int = 0x5eed) -> str:
    return PLANT_IPC.replace("@SHM@", str(shm_bytes)).replace("@KEY@", hex(key))


def test_sysv_and_posix_ipc_objects_do_not_survive_the_job(sandbox):
    made = script_ok(sandbox, plant(1 << 20))
    # the plant itself worked, so the check below means something (a POSIX queue only where Landlock, which
    # confines path lookups in the mqueue fs too, is missing; it is removed there all the same)
    assert all(v >= 0 for k, v in made.items() if k != "mq"), made
    found = script_ok(sandbox, FIND_IPC)
    assert found == {"shm": -1, "msg": -1, "sem": -1, "mq": -1, "shm listed": 0, "msg listed": 0,
                     "sem listed": 0}, found


def test_a_planted_answer_in_shared_memory_does_not_reach_a_later_sample(sandbox):
    script_ok(sandbox, plant(4096))
    cheat = ("import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmat.restype = ctypes.c_void_p\n"
             "def square(x):\n    i = libc.shmget(0x5eed, 0, 0)\n"
             "    return int(chr(ctypes.string_at(libc.shmat(i, None, 0), 1)[0])) if i >= 0 else x * x + 1\n")
    r = sandbox.run(PythonTests(cheat, hp.SQUARE, (Call("[3]", encode(9)),)), QUICK)
    assert r.status is Status.FAILED and not r.all_cases_passed, r


def test_leftover_shared_memory_is_not_charged_to_the_next_job(sandbox):
    made = script_ok(sandbox, plant(300 << 20, key=0x5eee), Limits(wall_s=20, cpu_s=5, memory_mb=1024))
    assert made["shm"] >= 0, made
    r = sandbox.run(Script("b = bytearray(200 << 20)\nfor i in range(0, len(b), 4096):\n    b[i] = 1\nprint('ok')"),
                    Limits(wall_s=20, cpu_s=5, memory_mb=320))
    assert r.status is Status.OK and r.stdout == b"ok\n", r


# ---------------------------------------------------------------- 5. the work dir's root: no metadata survives
MARK_ROOTS = """\
import os
for d in (os.getcwd(), "/tmp", "/var/tmp", "/dev/shm"):
    for step in (lambda: os.setxattr(d, "user.note", b"answer=9"), lambda: os.utime(d, (12345, 67890)),
                 lambda: os.utime(d, None)):
        try:
            step()
        except OSError:
            pass
os.chmod(os.getcwd(), @MODE@)
print("marked")
"""

READ_ROOTS = """\
import json, os
seen = {}
for d in (os.getcwd(), "/tmp", "/var/tmp", "/dev/shm"):
    st = os.stat(d)
    seen[d] = [oct(st.st_mode & 0o7777), st.st_atime_ns, st.st_mtime_ns, [x for x in os.listxattr(d) if x.startswith("user.")]]
print(json.dumps(seen))
"""


@pytest.mark.parametrize("mode", ("0o500", "0o000", "0o777", "0o700"))
def test_the_work_dir_root_carries_nothing_to_the_next_job(sandbox, mode):
    fresh = script_ok(sandbox, READ_ROOTS)
    r = sandbox.run(Script(MARK_ROOTS.replace("@MODE@", mode)), QUICK)
    assert r.status is Status.OK and r.stdout == b"marked\n", r
    after = script_ok(sandbox, READ_ROOTS)
    assert after == fresh, (fresh, after)
    workdir = after[next(iter(after))]
    assert workdir[0] == "0o700" and workdir[3] == [], after
    # and a correct sample that writes in its work dir still passes after a chmod 0500 of it
    right = sandbox.run(PythonTests("def square(x):\n    open('scratch', 'w').write(str(x))\n    return x * x\n",
                                    hp.SQUARE, tuple(Assert(a) for a in hp.SQUARE_ASSERTS)), QUICK)
    assert right.all_cases_passed, right


# ---------------------------------------------------------------- 3. CPU spent in a child process is the case's
_BURNER = """\
import os, signal, subprocess, sys, time
def _burn(s):
    t = time.process_time()
    while time.process_time() - t < s:
        pass
"""
CHILD_BURNS = {
    "fork, waitpid": "    pid = os.fork()\n    if pid == 0:\n        _burn(@S@)\n        os._exit(0)\n"
                     "    os.waitpid(pid, 0)\n",
    "fork, wait on a pipe, never reaped": "    r, w = os.pipe()\n    if os.fork() == 0:\n        _burn(@S@)\n"
                                          "        os._exit(0)\n    os.close(w)\n    os.read(r, 1)\n",
    "SIGCHLD ignored (auto-reaped)": "    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n    r, w = os.pipe()\n"
                                     "    if os.fork() == 0:\n        _burn(@S@)\n        os._exit(0)\n"
                                     "    os.close(w)\n    os.read(r, 1)\n",
    "double fork (orphan)": "    r, w = os.pipe()\n    if os.fork() == 0:\n        if os.fork() == 0:\n"
                            "            _burn(@S@)\n            os._exit(0)\n        os._exit(0)\n"
                            "    os.close(w)\n    os.read(r, 1)\n",
    "subprocess": "    subprocess.run([sys.executable, '-c', 'import time\\nt = time.process_time()\\n"
                  "while time.process_time() - t < @S@: pass'])\n",
    # without a cgroup the job's process tree is what counts (python/proctree.py): ways to leave it or hide in it
    "double fork after setsid (orphan in its own session)": "    r, w = os.pipe()\n    if os.fork() == 0:\n"
                                                            "        os.setsid()\n        if os.fork() == 0:\n"
                                                            "            _burn(@S@)\n            os._exit(0)\n"
                                                            "        os._exit(0)\n    os.close(w)\n    os.read(r, 1)\n",
    "setpgid child": "    pid = os.fork()\n    if pid == 0:\n        os.setpgid(0, 0)\n        _burn(@S@)\n"
                     "        os._exit(0)\n    os.waitpid(pid, 0)\n",
    "grandchild still burning as the case ends": "    r, w = os.pipe()\n    if os.fork() == 0:\n"
                                                  "        if os.fork() == 0:\n            _burn(@S@)\n"
                                                  "            os.write(w, b'x')\n            _burn(60)\n"
                                                  "        os._exit(0)\n    os.read(r, 1)\n",
    "subreaper flag cleared, then a double fork": "    import ctypes\n    ctypes.CDLL(None).prctl(36, 0, 0, 0, 0)\n"
                                                  "    r, w = os.pipe()\n    if os.fork() == 0:\n"
                                                  "        if os.fork() == 0:\n            _burn(@S@)\n"
                                                  "            os._exit(0)\n        os._exit(0)\n"
                                                  "    os.close(w)\n    os.read(r, 1)\n",
    "SIGCHLD ignored, then restored": "    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n    r, w = os.pipe()\n"
                                      "    if os.fork() == 0:\n        _burn(@S@)\n        os._exit(0)\n"
                                      "    os.close(w)\n    os.read(r, 1)\n    time.sleep(0.05)\n"
                                      "    signal.signal(signal.SIGCHLD, signal.SIG_DFL)\n",
    "many short-lived children": "    for _ in range(30):\n        pid = os.fork()\n        if pid == 0:\n"
                                 "            _burn(@S@ / 30)\n            os._exit(0)\n        os.waitpid(pid, 0)\n",
    "many short-lived children, left as zombies": "    r, w = os.pipe()\n    for _ in range(12):\n"
                                                  "        if os.fork() == 0:\n            _burn(@S@ / 12)\n"
                                                  "            os._exit(0)\n    os.close(w)\n    os.read(r, 1)\n",
    "forked from a thread": "    import threading\n    def spawn():\n        pid = os.fork()\n"
                            "        if pid == 0:\n            _burn(@S@)\n            os._exit(0)\n"
                            "        os.waitpid(pid, 0)\n    t = threading.Thread(target=spawn)\n"
                            "    t.start()\n    t.join()\n",
}
BUDGET, BURN_S = 0.13, 0.6


def burn_job(how: str, kind: str, seconds: float) -> PythonTests:
    code = _BURNER + "def square(x):\n" + CHILD_BURNS[how].replace("@S@", str(seconds)) + "    return x * x\n"
    if kind == "call":
        cases: tuple = (Call("[3]", encode(9)),)
    elif kind == "assert":  # lifted
        cases = (Assert("assert square(3) == 9"),)
    else:  # split: tests and candidate in two processes
        cases = (Assert("for x in (3,):\n    assert square(x) == 9\n"),)
    return PythonTests(code, hp.SQUARE, cases, case_cpu_s=(BUDGET,))


def _cpu_accounted(sb) -> bool:
    return any(p.name == "cpu accounting" and p.active for p in sb.isolation().primitives)


@pytest.mark.parametrize("kind", ("call", "assert", "loop"))
@pytest.mark.parametrize("how", list(CHILD_BURNS))
def test_cpu_burned_in_a_child_process_is_charged_to_the_case(sandbox, how, kind):
    if not _cpu_accounted(sandbox):
        pytest.skip("no cpuacct cgroup here: a case's CPU counts its own process only")
    r = sandbox.run(burn_job(how, kind, BURN_S), Limits(wall_s=10, cpu_s=5))
    assert not r.all_cases_passed and r.status is not Status.SANDBOX_ERROR, r
    # counted from /proc (no cgroup), a Python job may not make SIGCHLD ignored: its children would vanish unseen
    refused = how.startswith("SIGCHLD") and bool(r.cases) and r.cases[0].error_type == "PermissionError"
    assert refused or r.cases[0].status.name == "TIMEOUT" or r.status is Status.TIMEOUT, r


@pytest.mark.parametrize("kind", ("call", "assert", "loop"))
def test_a_child_process_within_budget_still_passes(sandbox, kind):
    r = sandbox.run(burn_job("fork, waitpid", kind, 0.01), Limits(wall_s=10, cpu_s=5))
    assert r.all_cases_passed, r


# ---------------------------------------------------------------- 1. a candidate's value can't make the judge raise
VALUE_TRICKS = {
    "a huge int where a float is expected": "def square(x):\n    return 10 ** 400\n",
    "a huge negative int": "def square(x):\n    return -(10 ** 5000)\n",
    "deeply nested lists": "def square(x):\n    v = []\n    for _ in range(100000):\n        v = [v]\n    return v\n",
    "NaN": "def square(x):\n    return float('nan')\n",
    "patch the C encoder to emit a malformed complex": (
        "import json.encoder as _e\n_real = _e.c_make_encoder\n"
        "def _fake(*a, **k):\n    return lambda o, level: ['{\"__c\": []}']\n"
        "def square(x):\n    _e.c_make_encoder = _fake\n    return [9.5, {1: 2}]\n"),
    "patch the C encoder to emit bad tags": (
        "import json.encoder as _e\n"
        "def _fake(*a, **k):\n    return lambda o, level: ['{\"__d\": [[1]], \"__t\": 5}']\n"
        "def square(x):\n    _e.c_make_encoder = _fake\n    return [9.5, {1: 2}]\n"),
    "patch json.dumps to emit garbage": (
        "import json\ndef square(x):\n    json.dumps = lambda *a, **k: '{\"__c\": [[[]]]}'\n"
        "    json.encoder.c_make_encoder = None\n    return [9.5, {1: 2}]\n"),
    "write garbage to the call pipe": (
        "import os\ndef square(x):\n    for fd in (735, 736):\n        try:\n"
        "            os.write(fd, b'{\"s\":\"ok\",\"o\":\"{\\\\\"__c\\\\\": []}\",\"d\":\"x\"}\\n' * 3 + b'\\x00garbage\\n')\n"
        "        except OSError:\n            pass\n    return 9.5\n"),
    "write a huge length to the call pipe": (
        "import os\ndef square(x):\n    try:\n        os.write(736, b'99999999999999999999999 ' * 10 + b'\\n')\n"
        "    except OSError:\n        pass\n    return 9.5\n"),
}
FLOAT_KINDS = ("call", "assert", "close", "loop")


def float_job(code: str, kind: str) -> PythonTests:
    if kind == "call":
        cases: tuple = (Call("[3]", encode(9.0)),)
    elif kind == "assert":  # lifted: compared in the fork server
        cases = (Assert("assert square(3) == 9.0"),)
    elif kind == "close":  # lifted, a predicate over the value
        cases = (Assert("assert abs(square(3) - 9.0) < 1e-6"),)
    else:  # split
        cases = (Assert("for x in (3,):\n    assert square(x) == 9.0\n"),)
    return PythonTests(code, hp.SQUARE, cases)


@pytest.mark.parametrize("kind", FLOAT_KINDS)
@pytest.mark.parametrize("trick", list(VALUE_TRICKS))
def test_a_candidate_value_fails_its_case_never_the_harness(sandbox, trick, kind):
    before = servers()
    r = sandbox.run(float_job(VALUE_TRICKS[trick], kind), QUICK)
    assert r.status is not Status.SANDBOX_ERROR, r
    assert not r.all_cases_passed, r
    assert servers() == before, "the fork server died"


# ---------------------------------------------------------------- every hostile program: never a sandbox error
def _square_cases(kind: str) -> tuple:
    if kind == "assert":
        return tuple(Assert(c) for c in hp.SQUARE_ASSERTS)
    if kind == "call":
        return tuple(Call(args, encode(value)) for args, value in hp.SQUARE_CALLS)
    return (Assert(hp.SQUARE_LOOP),)


def every_hostile_job(scratch: str):
    """Every program of tests/hostile_programs.py (and of this file), as the jobs the hostile suites run them."""
    fills = dict(MARKER="xhall", CHILDREN=4, EACH_MB=200, XFSZ=True, FD=1, FORK=True, DELAY=0.2,
                 TARGETS=[os.path.join(scratch, "escaped")], PORT=9, UDP_PORT=9, ABSTRACT=True,
                 PATH=os.path.join(scratch, "sock"), HARNESS_PID=os.getpid(), PATHS=["/etc/shadow", "/root"],
                 HOST_PIDS=[os.getpid()], CASES=len(hp.SQUARE_ASSERTS), RET=hp.WRONG_SQUARE,
                 FAKE=hp.FAKE_LINES, BURN_S=0.5)
    for name, value in vars(hp).items():
        if name.isupper() and isinstance(value, str) and "\n" in value and name not in ("PRELUDE", "_BURN"):
            code = hp.render(value, **fills)
            yield name, Script(code)
            if "def square" in code:
                yield name + " (tests)", PythonTests(code, hp.SQUARE, _square_cases("assert"))
    tricks = {**{n: t.code for n, t in hp.FORGERY_TRICKS.items()}, **hp.TOKEN_THIEVES, **hp.TIMER_LOOP_TRICKS,
              **hp.SLOW_TRICKS}
    for name, template in tricks.items():
        code = hp.render(template, **fills) if "@" in template else template
        for kind in ("assert", "call", "loop"):
            yield f"{name} [{kind}]", PythonTests(code, hp.SQUARE, _square_cases(kind), case_cpu_s=(0.2,) * 3)
    for name, patch in hp.PATCH_TRICKS.items():
        code = hp.render(patch.code, RET=patch.wrong)
        yield name, PythonTests(code, hp.DOUBLE, tuple(Assert(c) for c in patch.cases), setup=patch.setup)
    for name, code in VALUE_TRICKS.items():
        for kind in FLOAT_KINDS:
            yield f"{name} [{kind}]", float_job(code, kind)
    for how in CHILD_BURNS:
        yield how, burn_job(how, "call", BURN_S)
    yield "deep tree", Script(DEEP.format(base="/tmp", depth=1500, name="d"))
    yield "mark roots", Script(MARK_ROOTS.replace("@MODE@", "0o500"))
    yield "plant ipc", Script(plant(300 << 20))
    yield "forged set-up failure", Script(FORGE)


@pytest.mark.slow
def test_no_hostile_program_ever_causes_a_sandbox_error(sandbox, tmp_path):
    """A sandbox error is the harness's fault: retried, then left out of pass@k. No candidate may cause one."""
    limits = Limits(wall_s=5, cpu_s=2, memory_mb=512, disk_mb=64, output_bytes=1 << 20)
    jobs = list(every_hostile_job(str(tmp_path)))
    assert len(jobs) > 150
    futures = [(name, sandbox.submit(job, limits)) for name, job in jobs]
    errors = {name: f.result(timeout=600).detail for name, f in futures
              if f.result(timeout=600).status is Status.SANDBOX_ERROR}
    assert not errors, errors
    assert sandbox.pool.retired == 0, sandbox.pool.last_retirement
    assert_all_empty(sandbox)


FORGE = "import os, sys\nsys.stderr.write('execeval sandbox setup failed: OSError()\\n'); sys.stderr.flush(); os._exit(112)\n"


@pytest.mark.parametrize("kind", ["script", "function", "split", "command"])
def test_a_job_cannot_claim_its_sandbox_failed_to_set_up(sandbox, kind):
    """A set-up failure is ours (retried, then left out of the scores), so a failing sample that says it had one,
    with the harness's own words and exit code, would leave the denominator. It is judged as the failure it is."""
    job = {"script": Script(FORGE),
           "function": PythonTests(FORGE + "def f(x): return x", "f", (Call("[1]"),)),
           "split": PythonTests(FORGE + "def f(x): return x", "f", (Assert("r = f(1)\nassert r == 1"),)),
           "command": Command(("/bin/sh", "-c", "echo 'execeval sandbox setup failed: x' >&2; exit 112"))}[kind]
    r = sandbox.run(job, QUICK)
    assert r.status is Status.FAILED and (r.exit_code == 112 or kind == "split"), r  # split: the tests' process ends


def test_a_real_set_up_failure_is_still_a_sandbox_error(sandbox):
    """The other side: when the child's set-up does fail (here: a CPU limit setrlimit refuses), it is ours."""
    r = sandbox.run(Script("print(1)"), QUICK.with_(cpu_s=1e30))
    assert r.status is Status.SANDBOX_ERROR and "setup failed" in r.detail, r
    assert sandbox.run(Script("print(1)"), QUICK).status is Status.OK  # and the next job is served as usual


# ---------------------------------------------------------------- the pieces, without a fork server
def test_empty_tree_removes_what_rmtree_cannot(tmp_path):
    from execeval.sandbox.isolation.cleanup import empty_tree

    (tmp_path / "keep" / "inside").mkdir(parents=True)
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(2500):  # deeper than the recursion limit, longer than PATH_MAX
            os.mkdir("x" * 100, dir_fd=fd)
            sub = os.open("x" * 100, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = sub
        os.symlink("/", "root", dir_fd=fd)
        os.mkfifo("fifo", dir_fd=fd)
    finally:
        os.close(fd)
    for i in range(500):
        (tmp_path / f"wide{i}").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "keep")
    empty_tree(str(tmp_path), {"keep"})
    assert sorted(os.listdir(tmp_path)) == ["keep"] and os.listdir(tmp_path / "keep") == ["inside"]


def test_a_server_that_cannot_clean_up_is_retired_and_counted(monkeypatch):
    """The job's verdict stands; the server that ran it is closed, counted, and a fresh one takes the next job."""
    from execeval.sandbox import forkserver
    from execeval.sandbox.base import ExecResult

    started, closed = [], []

    class FakeWorker:
        def __init__(self, index, env_extra):
            self.isolation = forkserver.IsolationReport(())
            self.retired = ""
            started.append(self)

        def run(self, job_id, program, limits):
            self.retired = "cleanup after job 1: CleanupError: left" if len(started) == 1 else ""
            return ExecResult(Status.FAILED)

        def close(self):
            closed.append(self)

    monkeypatch.setattr(forkserver, "_Worker", FakeWorker)
    pool = forkserver.WorkerPool(1)
    try:
        first = pool.submit(Script("1")).result(timeout=10)
        second = pool.submit(Script("2")).result(timeout=10)
    finally:
        pool.close()
    assert first.status is Status.FAILED and second.status is Status.FAILED  # the verdicts, not sandbox errors
    assert pool.retired == 1 and "CleanupError" in pool.last_retirement
    assert len(started) == 2 and closed[0] is started[0]
