"""The /proc count of a job's process tree (python/proctree.py), as a job without a cgroup uses it, run here as
root too: each scenario in a fresh interpreter that becomes a subreaper as a job's process does, forks real
burners, and prints what `ProcessTree` read. The whole path through the sandbox runs as nobody in
tests/test_hostile_unprivileged.py (test_hostile_sandbox.py's class-3 cases)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from execeval.sandbox.isolation import seccomp
from execeval.sandbox.isolation.cgroup import Cgroups

REPO = Path(__file__).resolve().parent.parent
BURN_S = 0.3
TICK_S = 1 / os.sysconf("SC_CLK_TCK")  # /proc counts CPU time in ticks, truncated per process read

_PRELUDE = """\
import ctypes, json, os, signal, sys, time
from execeval.sandbox.python.proctree import ProcessTree, become_subreaper, children, sigchld_kept
from execeval.sandbox.python.treecpu import TAMPERED_S
def burn(s):
    t = time.process_time()
    while time.process_time() - t < s:
        pass
become_subreaper()
tree = ProcessTree()
before = tree.cpu(0.0)
"""
_KILL_ALL = "sys.stdout.flush()\nfor pid in children('self'):\n    os.kill(int(pid), signal.SIGKILL)\n"


def run(body: str) -> dict:
    script = _PRELUDE + body.replace("@S@", str(BURN_S)) + _KILL_ALL
    r = subprocess.run([sys.executable, "-c", script], capture_output=True,
                       text=True, timeout=60, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout.splitlines()[-1])


# a burner the tree must count in full, each in a shape that could hide it: {what: program}
ONE_BURNER = {
    "an orphan of a double fork, in its own session":
        "r, w = os.pipe()\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        burn(@S@)\n"
        "        os._exit(0)\n    os._exit(0)\nos.close(w)\nos.read(r, 1)\n",
    "a descendant still running, so far":
        "r, w = os.pipe()\nif os.fork() == 0:\n    if os.fork() == 0:\n        burn(@S@)\n"
        "        os.write(w, b'x')\n        burn(60)\n    os._exit(0)\nos.read(r, 1)\n",
    "a command name with spaces and parentheses":
        "r, w = os.pipe()\nif os.fork() == 0:\n    ctypes.CDLL(None).prctl(15, b'x) 1 2 (y', 0, 0, 0)\n"
        "    burn(@S@)\n    os.write(w, b'x')\n    time.sleep(60)\nos.read(r, 1)\n",
}
REPORT_USED = "print(json.dumps({'used': tree.cpu(0.0) - before}))\n"  # what the tree counted since `before`


@pytest.mark.parametrize("program", ONE_BURNER.values(), ids=ONE_BURNER.keys())
def test_a_burning_descendant_is_counted(program):
    out = run(program + REPORT_USED)
    assert out["used"] >= BURN_S * 0.9, out


def test_children_waited_for_and_zombies_are_counted_once():
    out = run("for _ in range(6):\n    pid = os.fork()\n    if pid == 0:\n        burn(@S@ / 6)\n        os._exit(0)\n"
              "    os.waitpid(pid, 0)\nr, w = os.pipe()\nfor _ in range(6):\n    if os.fork() == 0:\n"
              "        burn(@S@ / 6)\n        os._exit(0)\nos.close(w)\nos.read(r, 1)\n"
              + REPORT_USED)
    assert BURN_S * 2 - 12 * TICK_S <= out["used"] <= BURN_S * 2 + 0.2, out  # 12 children, each up to a tick short


def test_a_cleared_subreaper_flag_or_an_ignored_sigchld_is_tampering():
    out = run("libc = ctypes.CDLL(None)\nsignal.signal(signal.SIGCHLD, signal.SIG_IGN)\nignored = tree.cpu(0.0)\n"
              "signal.signal(signal.SIGCHLD, signal.SIG_DFL)\nrestored = tree.cpu(0.0)\n"
              "libc.prctl(36, 0, 0, 0, 0)\n"
              "print(json.dumps({'ignored': ignored, 'restored': restored, 'cleared': tree.cpu(0.0),"
              " 'tampered': -TAMPERED_S}))\n")
    assert out["ignored"] == out["cleared"] == out["tampered"], out
    assert out["restored"] > out["tampered"], out


def test_charge_gives_a_case_what_its_children_used():
    out = run("begun = tree.begin()\npid = os.fork()\nif pid == 0:\n    burn(@S@)\n    os._exit(0)\n"
              "os.waitpid(pid, 0)\nprint(json.dumps({'charged': tree.charge(0.0, begun, 0.05, time.process_time())}))\n")
    assert out["charged"] >= BURN_S * 0.9, out


@pytest.mark.skipif(seccomp._SECCOMP is None, reason="no seccomp binding (pyseccomp or python3-seccomp)")
def test_a_job_can_neither_clear_the_flag_nor_ignore_sigchld_under_its_filters():
    """The job filter (worker.py) denies PR_SET_CHILD_SUBREAPER, `sigchld_kept` setting SIGCHLD's action."""
    out = run("from execeval.sandbox.isolation.linux import PR_SET_NO_NEW_PRIVS, prctl\n"
              "from execeval.sandbox.isolation.seccomp import SeccompFilter, seccomp_program\n"
              "prctl(PR_SET_NO_NEW_PRIVS, 1)\n"
              "SeccompFilter(seccomp_program((), network_and_namespaces=False, for_jobs=True)).load()\n"
              "sigchld_kept().load()\nlibc = ctypes.CDLL(None, use_errno=True)\n"
              "cleared = libc.prctl(36, 0, 0, 0, 0), ctypes.get_errno()\n"
              "try:\n    signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n    ignored = 'set'\n"
              "except PermissionError:\n    ignored = 'refused'\n"
              "print(json.dumps({'cleared': cleared, 'ignored': ignored, 'kept': tree.cpu(0.0) > -TAMPERED_S}))\n")
    assert out["cleared"] == [-1, 1], out  # EPERM
    assert out["ignored"] == "refused" and out["kept"], out


def test_cgroups_without_cpu_say_the_process_tree_counts():
    found = Cgroups("none", notes=[("memory cgroup", False, "x"), ("cpu accounting", False, "y")],
                    enforcement={"child cpu": "not charged"})
    found.count_tree_from_proc()
    assert found.notes[1][:2] == ("cpu accounting", True) and "/proc" in found.notes[1][2], found.notes
    assert found.notes[0] == ("memory cgroup", False, "x")
    assert found.enforcement["child cpu"] == "charged: process tree (/proc)"


def test_doctor_says_what_counts_child_cpu_and_whether_the_oom_shield_took(sandbox):
    rows = dict(sandbox.isolation().enforcement)
    accounted = any(p.name == "cpu accounting" and p.active for p in sandbox.isolation().primitives)
    assert rows["child cpu"].startswith("charged: ") == accounted, rows
    shield = rows["server oom shield"]
    assert shield == "oom_score_adj -1000" or shield.startswith("none (oom_score_adj -1000 needs CAP_SYS_RESOURCE)")
    if os.geteuid() != 0:
        assert shield.startswith("none"), shield
