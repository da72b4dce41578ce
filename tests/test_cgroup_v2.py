"""The cgroup v2 implementation (execeval/sandbox/isolation/cgroup/v2.py).

Two kinds of test:
- the file protocol against a fake tree in tmp_path (any machine): parsing memory.events, memory.peak,
  cpu.stat, what is written where, refusing when a controller is missing or not delegable;
- against a real cgroup2 hierarchy (root only; a mounted one is used, or one is mounted in tmp_path): a group
  made, a job's process moved in, its CPU read from cpu.stat (through treecpu's reader too), its whole tree
  (setsid or not) ended by cgroup.kill, the groups removed. A hybrid host's v2 hierarchy usually has no memory
  or pids controller (v1 holds them), so memory.max, memory.events and pids.max are only tested on fake trees
  there; the tests say so when they skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import warnings

import pytest

from execeval.sandbox.isolation.cgroup import detect
from execeval.sandbox.isolation.cgroup.v2 import V2Cgroup, controllers, keyed, single, unified_root
from execeval.sandbox.python.treecpu import CgroupCount

EVENTS = "low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n"
CPU_STAT = "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 0\n"


# ---------------------------------------------------------------- the file protocol
def test_keyed_files_parse():
    assert keyed(EVENTS, "oom_kill") == 1
    assert keyed(EVENTS.encode(), "max") == 12
    assert keyed(CPU_STAT, "usage_usec") == 1500
    assert keyed(EVENTS, "oom_group_kill") == 0
    assert keyed(EVENTS, "oom_kil") is None  # a whole key, never a prefix
    assert keyed("", "oom_kill") is None


def test_single_value_files_parse():
    assert single("1048576\n") == 1 << 20
    assert single(b"max\n") is None
    with pytest.raises(ValueError):
        single("lots")


def test_unified_root_only_when_sys_fs_cgroup_is_cgroup2(tmp_path):
    mounts = tmp_path / "mounts"
    mounts.write_text("cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid,nodev,noexec,relatime 0 0\n")
    assert unified_root(str(mounts)) == "/sys/fs/cgroup"
    mounts.write_text("tmpfs /sys/fs/cgroup tmpfs rw 0 0\ncgroup2 /sys/fs/cgroup/unified cgroup2 rw 0 0\n"
                      "cgroup /sys/fs/cgroup/memory cgroup rw,memory 0 0\n")  # hybrid: v1 keeps memory
    assert unified_root(str(mounts)) is None
    assert unified_root(str(tmp_path / "absent")) is None


def fake_tree(root, worker=0, pid=None, root_controllers="cpu memory pids io", leaf_controllers="memory pids"):
    """What the kernel would show: files exist in groups once made (a plain directory here)."""
    pid = pid or os.getpid()
    (root / "cgroup.controllers").write_text(root_controllers + "\n")
    (root / "cgroup.subtree_control").write_text("\n")
    parent = root / "execeval"
    group = parent / f"worker-{worker}-{pid}"
    for leaf in ("job", "server"):
        (group / leaf).mkdir(parents=True)
        (group / leaf / "cgroup.procs").write_text("")
    (parent / "cgroup.subtree_control").write_text("\n")
    (group / "cgroup.subtree_control").write_text("\n")
    job = group / "job"
    (job / "cgroup.controllers").write_text(leaf_controllers + "\n")
    for name, text in (("cpu.stat", CPU_STAT), ("memory.events", EVENTS), ("cgroup.kill", ""),
                       ("memory.swap.max", "max\n"), ("memory.max", "max\n"), ("pids.max", "max\n"),
                       ("memory.peak", "4096\n")):
        (job / name).write_text(text)
    return job


def test_fake_tree_writes_what_a_job_needs(tmp_path):
    job = fake_tree(tmp_path)
    group = V2Cgroup(0, os.getpid(), str(tmp_path))
    assert (group.memory, group.pids) == (True, True)
    assert (job / "memory.swap.max").read_text() == "0"
    assert (tmp_path / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (tmp_path / "execeval" / f"worker-0-{os.getpid()}" / "cgroup.subtree_control").read_text() == "+memory +pids"
    assert (job.parent / "server" / "cgroup.procs").read_text() == "0"  # the server in its own leaf
    group.set_limit(256)
    assert (job / "memory.max").read_text() == str(256 << 20)
    group.set_pids(64)
    assert (job / "pids.max").read_text() == "66"
    assert group.peak_bytes() == 4096
    group.enter()
    assert (job / "cgroup.procs").read_text() == "0"
    group.kill()
    assert (job / "cgroup.kill").read_text() == "1"


def test_fake_tree_oom_kills_are_counted_per_job(tmp_path):
    job = fake_tree(tmp_path)
    group = V2Cgroup(0, os.getpid(), str(tmp_path))
    assert not group.oom_killed_since_last()  # the count when it was made is the baseline
    (job / "memory.events").write_text(EVENTS.replace("oom_kill 1", "oom_kill 2"))
    assert group.oom_killed_since_last()
    assert not group.oom_killed_since_last()


def test_fake_tree_refuses_without_the_memory_controller(tmp_path):
    fake_tree(tmp_path, root_controllers="cpu io")
    with pytest.raises(OSError, match="no memory controller"):
        V2Cgroup(0, os.getpid(), str(tmp_path))


def test_fake_tree_refuses_when_memory_is_not_delegated_to_the_leaf(tmp_path):
    fake_tree(tmp_path, leaf_controllers="pids")
    with pytest.raises(OSError, match="not delegable"):
        V2Cgroup(0, os.getpid(), str(tmp_path))


def test_fake_tree_without_pids_still_serves_memory(tmp_path):
    job = fake_tree(tmp_path, root_controllers="memory", leaf_controllers="memory")
    group = V2Cgroup(0, os.getpid(), str(tmp_path))
    assert (group.memory, group.pids) == (True, False)
    group.set_pids(64)
    assert (job / "pids.max").read_text() == "max\n"  # untouched: RLIMIT_NPROC alone


def test_fake_tree_refuses_a_cpu_stat_without_usage(tmp_path):
    job = fake_tree(tmp_path)
    (job / "cpu.stat").write_text("nr_periods 0\n")
    with pytest.raises(OSError, match="usage_usec"):
        V2Cgroup(0, os.getpid(), str(tmp_path))


def test_detect_reports_v2_from_a_fake_tree(tmp_path):
    fake_tree(tmp_path)
    found = detect(0, os.getpid(), root=str(tmp_path))
    assert found.version == "v2" and found.memory is found.cpu is found.tree
    assert found.enforcement["memory"].startswith("cgroup v2 memory.max")
    assert found.enforcement["processes"].startswith("cgroup v2 pids.max")
    assert [n[:2] for n in found.notes] == [("memory cgroup", True), ("cpu accounting", True)]


def test_detect_without_memory_keeps_cpu_stat_and_kill_and_never_tries_v1(tmp_path):
    fake_tree(tmp_path, root_controllers="cpu io", leaf_controllers="")
    found = detect(0, os.getpid(), root=str(tmp_path))
    assert found.version == "v2" and found.memory is None and found.cpu is found.tree is not None
    assert found.enforcement["memory"] == "RLIMIT_AS per process"
    assert found.enforcement["child cpu"] == "charged: cgroup v2 cpu.stat usage_usec"
    assert [n[:2] for n in found.notes] == [("memory cgroup", False), ("cpu accounting", True)]
    assert "no memory controller" in found.notes[0][2]


def test_detect_on_an_unusable_v2_tree_says_none(tmp_path):
    job = fake_tree(tmp_path)
    (job / "cpu.stat").write_text("nr_periods 0\n")
    found = detect(0, os.getpid(), root=str(tmp_path))
    assert (found.version, found.memory, found.cpu, found.tree) == ("none", None, None, None)
    assert found.enforcement["memory"] == "RLIMIT_AS per process" and found.enforcement["child cpu"] == "not charged"
    assert not any(active for _, active, _ in found.notes)


def test_treecpu_reads_cpu_stat_in_microseconds(tmp_path):
    path = tmp_path / "cpu.stat"
    path.write_text(CPU_STAT)
    fd = os.open(path, os.O_RDONLY)
    try:
        others = CgroupCount(fd, (), v2=True)
        assert others.cpu(0.0) == pytest.approx(0.0015)
        path.write_text(CPU_STAT.replace("1500", "2501500"))  # same inode: the fd sees it
        assert others.cpu(0.5) == pytest.approx(2.0015)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- a real cgroup2 hierarchy
def real_v2_root(tmp_path) -> str:
    if os.geteuid() != 0:
        pytest.skip("a real cgroup v2 hierarchy needs root here (making groups, moving processes)")
    with open("/proc/self/mounts") as f:
        for line in f:
            fields = line.split()
            if fields[2] == "cgroup2" and os.access(fields[1], os.W_OK):
                return fields[1]
    target = tmp_path / "cg2"
    target.mkdir()
    if subprocess.run(["mount", "-t", "cgroup2", "none", str(target)], capture_output=True).returncode != 0:
        pytest.skip("no cgroup2 hierarchy mounted, and mounting one was refused")
    return str(target)


# The fork server's part, run in a process of its own so that this test's process never changes cgroup.
SERVER = r"""
import json, os, signal, sys, time
from execeval.sandbox.isolation.cgroup.v2 import V2Cgroup, keyed
from execeval.sandbox.python.treecpu import CgroupCount
root = sys.argv[1]
home = open("/proc/self/cgroup").read().split("0::", 1)[1].split()[0]
group = V2Cgroup(7, os.getpid(), root, need=())
out = {"memory": group.memory, "pids": group.pids, "before": keyed(os.pread(group.usage_fd, 4096, 0), "usage_usec")}
r, w = os.pipe()
job = os.fork()
if job == 0:
    group.enter()
    if os.fork() == 0:  # a grandchild that escapes the process group
        os.setsid()
        os.write(w, str(os.getpid()).encode() + b"\n")
        time.sleep(60)
        os._exit(0)
    end = time.process_time() + 0.3
    while time.process_time() < end:
        pass
    os.write(w, b"busy\n")
    time.sleep(60)
    os._exit(0)
os.close(w)
seen = b""
while seen.count(b"\n") < 2:
    seen += os.read(r, 100)
procs = open(os.path.join(group.job, "cgroup.procs")).read().split()
out["in_job"] = len(procs)
out["usage"] = keyed(os.pread(group.usage_fd, 4096, 0), "usage_usec")
out["treecpu"] = CgroupCount(group.usage_fd, (), v2=True).cpu(0.0)
group.kill()
os.waitpid(job, 0)
deadline = time.time() + 5
while open(os.path.join(group.job, "cgroup.events")).read().find("populated 0") < 0 and time.time() < deadline:
    time.sleep(0.01)
out["left"] = open(os.path.join(group.job, "cgroup.procs")).read().split()
with open(os.path.join(root, home.lstrip("/"), "cgroup.procs"), "w") as f:  # back where it was
    f.write("0")
for leaf in ("job", "server", ""):
    os.rmdir(os.path.join(group.path, leaf))
out["removed"] = not os.path.exists(group.path)
print(json.dumps(out))
"""


def test_real_v2_group_counts_cpu_kills_the_tree_and_is_removed(tmp_path):
    root = real_v2_root(tmp_path)
    if not os.path.exists(os.path.join(root, "cgroup.kill")) and not os.path.exists(os.path.join(root, "cgroup.procs")):
        pytest.skip(f"{root} is not a cgroup2 root")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(["python", "-c", SERVER, root], capture_output=True, text=True, timeout=60, env=env)
    if run.returncode != 0 and "Permission denied" in run.stderr:
        pytest.skip(f"cgroup v2 at {root} is not writable here: {run.stderr.strip().splitlines()[-1]}")
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["in_job"] == 2  # the job and its setsid() grandchild, not the server
    assert out["usage"] - out["before"] >= 250_000  # the job's 0.3 s of CPU, in microseconds
    assert out["treecpu"] >= 0.25
    assert out["left"] == []  # cgroup.kill ended both, setsid or not
    assert out["removed"]


OOM = r"""
import json, os, sys
from execeval.sandbox.isolation.cgroup.v2 import V2Cgroup
root = sys.argv[1]
home = open("/proc/self/cgroup").read().split("0::", 1)[1].split()[0]
group = V2Cgroup(8, os.getpid(), root)
group.set_limit(32)
job = os.fork()
if job == 0:
    group.enter()
    block = bytearray(256 << 20)
    os._exit(0)
_, status = os.waitpid(job, 0)
out = {"signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None, "oom": group.oom_killed_since_last(),
       "peak": group.peak_bytes()}
with open(os.path.join(root, home.lstrip("/"), "cgroup.procs"), "w") as f:
    f.write("0")
for leaf in ("job", "server", ""):
    os.rmdir(os.path.join(group.path, leaf))
print(json.dumps(out))
"""


def test_real_v2_memory_max_kills_and_is_counted(tmp_path):
    root = real_v2_root(tmp_path)
    if "memory" not in controllers(root):
        pytest.skip(f"cgroup v2 at {root} has no memory controller (on this host v1 holds it): memory.max, "
                    "memory.swap.max, memory.events and pids.max are tested on fake trees only")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [os.getcwd(), os.environ.get("PYTHONPATH")]))}
    run = subprocess.run(["python", "-c", OOM, root], capture_output=True, text=True, timeout=60, env=env)
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout)
    assert out["signal"] == 9 and out["oom"]


# ---------------------------------------------------------------- the whole sandbox on a real v2 leaf
# This host's fork servers pick v1 (hybrid); here one is started with detect() pointed at the real cgroup2
# hierarchy instead, so jobs enter its `job` leaf, the child-CPU charge reads cpu.stat and cgroup.kill ends each
# job. Memory stays RLIMIT_AS (no memory controller in that hierarchy here).
_V2_BOOT = ("import sys; sys.path.insert(0, sys.argv[1]); import execeval.sandbox.isolation.worker as w; "
            "from execeval.sandbox.isolation.cgroup import _v2; w.detect = lambda i, p: _v2(i, p, @ROOT@); "
            "from execeval.sandbox.server.process import main; main(int(sys.argv[2]), sys.argv[3])")


@pytest.fixture(scope="module")
def v2_sandbox(tmp_path_factory):
    from execeval.sandbox import ForkServerSandbox, Script, Status
    from execeval.sandbox import forkserver

    root = real_v2_root(tmp_path_factory.mktemp("cg"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(forkserver, "_BOOT", _V2_BOOT.replace("@ROOT@", repr(root)))
        with warnings.catch_warnings():  # partial: no memory cgroup in this hierarchy (said in the test's doc)
            warnings.simplefilter("ignore", RuntimeWarning)
            sb = ForkServerSandbox(workers=1)
            assert sb.run(Script("print('warm')")).status is Status.OK  # (the pool warns at its first job)
    yield sb, root
    sb.close()
    time.sleep(0.2)  # the server's exit, then its groups can go (a new server would remove them too)
    for name in os.listdir(os.path.join(root, "execeval")):
        if not os.path.exists(f"/proc/{name.rsplit('-', 1)[-1]}"):
            for leaf in ("job", "server", ""):
                try:
                    os.rmdir(os.path.join(root, "execeval", name, leaf))
                except OSError:
                    pass


def test_sandbox_on_v2_reports_it(v2_sandbox):
    sb, root = v2_sandbox
    report = sb.isolation()
    enforcement = dict(report.enforcement)
    assert enforcement["cgroup"].startswith(f"v2 at {root}"), enforcement
    assert enforcement["child cpu"] == "charged: cgroup v2 cpu.stat usage_usec"
    assert any(p.name == "cpu accounting" and p.active for p in report.primitives)


@pytest.mark.parametrize("kind", ("call", "assert", "loop"))
@pytest.mark.parametrize("how", ("fork, waitpid", "double fork (orphan)", "subprocess"))
def test_sandbox_on_v2_charges_cpu_burned_in_a_child(v2_sandbox, how, kind):
    from execeval.sandbox import Limits, Status
    from test_hostile_sandbox import BURN_S, burn_job

    r = v2_sandbox[0].run(burn_job(how, kind, BURN_S), Limits(wall_s=10, cpu_s=5))
    assert not r.all_cases_passed and r.status is not Status.SANDBOX_ERROR, r
    assert r.cases[0].status.name == "TIMEOUT" or r.status is Status.TIMEOUT, r
    within = v2_sandbox[0].run(burn_job(how, kind, 0.01), Limits(wall_s=10, cpu_s=5))
    assert within.all_cases_passed, within


def test_sandbox_on_v2_leaves_no_process_in_the_job_leaf(v2_sandbox):
    from execeval.sandbox import Script, Status

    sb, root = v2_sandbox
    daemon = ("import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(60)\n"
              "    os._exit(0)\nprint('left one')\n")
    r = sb.run(Script(daemon))
    assert r.status is Status.OK, r
    leaves = [os.path.join(root, "execeval", name, "job") for name in os.listdir(os.path.join(root, "execeval"))
              if os.path.exists(f"/proc/{name.rsplit('-', 1)[-1]}")]
    assert leaves
    for leaf in leaves:
        with open(os.path.join(leaf, "cgroup.procs")) as f:
            assert f.read().split() == []


def test_exited_servers_groups_are_swept_only_through_the_hosts_proc(tmp_path):
    """A group is stale when no process has its server's host pid; through a /proc of another PID namespace
    (mounted by a server before it swept, in one branch) every live server looked gone and lost its group."""
    from execeval.sandbox.isolation.cgroup.groups import sweep_exited

    dead = subprocess.Popen(["true"])
    dead.wait()
    live, gone = tmp_path / f"worker-0-{os.getpid()}", tmp_path / f"worker-1-{dead.pid}"
    live.mkdir()
    gone.mkdir()
    sweep_exited(str(tmp_path), host_pid=1)  # not this process's pid in this /proc: not the host's view, no sweep
    assert live.is_dir() and gone.is_dir()
    sweep_exited(str(tmp_path), host_pid=os.getpid())
    assert live.is_dir() and not gone.exists()
