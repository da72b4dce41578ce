"""The hostile suite's core, run by an unprivileged harness (uid 65534) with Debian's Python and python3-seccomp.

As non-root the sandbox can't give jobs a uid of their own nor a memory cgroup ("unprivileged uid" and "memory
cgroup" are missing: jobs keep the harness's uid, in a user namespace, capabilities cleared, and memory_mb caps
each process); everything else must still hold. The harness side
runs tests/unprivileged_probe.py under `setpriv`; this side prepares the host (a listener, files, a decoy
process of the same uid), reads the probe's one JSON line per check, and judges containment itself, from the
host (files on disk, connections counted here, processes in /proc).

The hostile modules (HOSTILE_MODULES: the sandbox's, the harness's, the service's, other languages') run as they
are, as nobody: Debian's pytest (python3-pytest) runs them over the staged copy, with execeval's other dependencies
from /opt/execeval-nobody (.ci/run installs them), and the test here reads its junit report. A case that can't hold
without root skips there with its reason and is named in UNPRIVILEGED_SKIPS, or is named in UNPRIVILEGED_DESELECTS
and not run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import ast
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import hostile_programs as hp

REPO = Path(__file__).resolve().parent.parent
PYTHON = "/usr/bin/python3"
NOBODY = 65534
SECRET_NAME = "EXECEVAL_HOSTILE_SECRET"
HOSTILE_MODULES = ("test_hostile_sandbox.py", "test_hostile_harness.py", "test_hostile_service.py", "test_hostile.py",
                   "test_hostile_languages.py", "test_hostile_asm.py")
# what the hostile modules import from their neighbours (fixtures, a served app, toolchain helpers)
STAGED_TESTS = ("unprivileged_probe.py", "hostile_programs.py", "conftest.py", "test_service.py", "test_languages.py",
                "test_asm.py", *HOSTILE_MODULES)
# execeval's runtime dependencies for Debian's python3, where Debian's own are missing or too old (.ci/run installs
# them); on PYTHONPATH after the staged checkout, so Debian's python3-seccomp still serves the sandbox
NOBODY_DEPS = Path("/opt/execeval-nobody")
# what skips as nobody, and why: {test name's start: the reason the inner run must give}
UNPRIVILEGED_SKIPS = {  # what may still skip without root
    "test_a_fork_bomb_in_one_sandbox_leaves_anothers_fork_working": "per user namespace only from Linux 5.14",
    "test_end_token_is_not_in_proc_environ": "under qemu-user",  # aarch64, riscv64: as root too (docs/languages.md)
}
# what can't hold by design as nobody but would fail rather than skip there: {module::test: why}, not run
UNPRIVILEGED_DESELECTS = {
    "test_hostile.py::test_memory_split_over_processes_is_capped_for_the_job":
        "no memory cgroup without root: memory_mb caps each process (RLIMIT_AS), not the job's processes together",
}
# the inner run's host scratch (tests/test_hostile.py's host_scratch: the first of /srv, /var/local, /mnt, /opt
# writable): a world-writable directory bound here in a mount namespace of the inner run's own
SCRATCH_MOUNT = "/var/local"

pytestmark = pytest.mark.slow


def _skip_reason() -> str | None:
    if os.geteuid() != 0:
        return "needs root to start the probe as nobody (setpriv)"
    if shutil.which("setpriv") is None:
        return "setpriv not found (util-linux)"
    if not os.access(PYTHON, os.X_OK):
        return f"{PYTHON} not found: Debian's python3 runs the unprivileged harness"
    r = subprocess.run([PYTHON, "-c", "import sys; print(sys.version_info >= (3, 11))"], capture_output=True)
    if r.stdout.strip() != b"True":
        return f"{PYTHON} is older than 3.11"
    if subprocess.run([PYTHON, "-c", "import seccomp"], capture_output=True).returncode != 0:
        return "python3-seccomp is not installed (apt-get install -y python3-seccomp)"
    return None


def _stage_checkout(scratch: Path) -> Path:
    """A world-readable copy of the package and the probe, owned by nobody as a user's own clone is (what the
    hostile modules' controls write into unsandboxed): the checkout itself may sit under a directory nobody
    cannot enter (a CI clone in a 0700 temp dir), and the unprivileged path must run there too."""
    checkout = scratch / "checkout"
    shutil.copytree(REPO / "execeval", checkout / "execeval", ignore=shutil.ignore_patterns("__pycache__"))
    (checkout / "tests").mkdir()
    shutil.copy(REPO / "pyproject.toml", checkout / "pyproject.toml")
    for name in STAGED_TESTS:
        shutil.copy(REPO / "tests" / name, checkout / "tests" / name)
    for root, _dirs, files in os.walk(checkout):
        os.chmod(root, 0o755)
        os.chown(root, NOBODY, NOBODY)
        for f in files:
            os.chmod(os.path.join(root, f), 0o644)
            os.chown(os.path.join(root, f), NOBODY, NOBODY)
    r = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", PYTHON, "-c",
                        f"import sys; sys.path.insert(0, {str(checkout)!r}); import execeval.sandbox"],
                       capture_output=True, cwd="/")
    if r.returncode != 0:
        pytest.skip(f"nobody can't import execeval from {checkout}: {r.stderr.decode()[-300:]}")
    return checkout


def _scratch_dir() -> Path:
    for base in ("/srv", "/var/local", "/mnt", "/opt"):
        if os.path.isdir(base) and os.access(base, os.W_OK):
            path = Path(tempfile.mkdtemp(prefix="execeval-unpriv-", dir=base))
            os.chmod(path, 0o755)
            return path
    pytest.skip("no writable directory on the host outside /tmp")


def _open_dir(parent: Path, name: str) -> Path:
    d = parent / name
    d.mkdir()
    os.chmod(d, 0o1777)
    return d


@pytest.fixture(scope="module")
def probe():
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    scratch = _scratch_dir()
    checkout = _stage_checkout(scratch)  # the repo as nobody can see it: what the job must still not read
    probe_path = checkout / "tests" / "unprivileged_probe.py"
    listener = hp.Listener()
    decoy = subprocess.Popen(["sleep", "120"], user=NOBODY, group=NOBODY, start_new_session=True)
    secret = "s3cr3t-" + uuid.uuid4().hex
    run_tag = uuid.uuid4().hex[:8]
    try:
        open_dir = _open_dir(scratch, "open-1777")
        control_dir = _open_dir(scratch, "control-1777")
        markers = {name: "xu" + uuid.uuid4().hex[:12] for name in ("fork_bomb", "orphan", "sleeper", "write")}
        w = markers["write"]
        write_targets = [str(open_dir / w), f"/tmp/{w}", f"/var/tmp/{w}", f"/dev/shm/{w}", str(REPO / w)]
        control_targets = [str(control_dir / w), f"/tmp/{w}-control"]
        orphan_targets = [str(open_dir / markers["orphan"]), f"/tmp/{markers['orphan']}"]
        run_dir = scratch / "run-dir"  # a harness run directory: world-readable, outside /tmp
        run_dir.mkdir()
        os.chmod(run_dir, 0o755)
        (run_dir / "results.jsonl").write_text(run_secret := f"run-dir-{run_tag}-" + uuid.uuid4().hex)
        os.chmod(run_dir / "results.jsonl", 0o644)
        private = scratch / "private"
        private.mkdir()
        os.chmod(private, 0o700)
        (private / "key").write_text(root_secret := f"root-only-{run_tag}-" + uuid.uuid4().hex)
        os.chmod(private / "key", 0o600)
        read_paths = [str(run_dir / "results.jsonl"), str(run_dir), str(private / "key"),
                      str(checkout / "pyproject.toml"), str(checkout / "execeval" / "sandbox" / "server" / "process.py"),
                      str(checkout)]
        cfg = {"markers": markers, "port": listener.port, "udp_port": listener.udp_port,
               "write_targets": write_targets, "control_targets": control_targets,
               "orphan_targets": orphan_targets, "read_paths": read_paths, "decoy_pids": [decoy.pid],
               "secret_name": SECRET_NAME}
        env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               SECRET_NAME: secret}
        start = time.monotonic()
        proc = subprocess.run(["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", PYTHON,
                               str(probe_path)], input=json.dumps(cfg).encode(), cwd="/", env=env, capture_output=True,
                              timeout=240)
        lines = [json.loads(line) for line in proc.stdout.decode().splitlines() if line.startswith("{")]
        time.sleep(0.3)  # anything still in flight to the listener
        out = {
            "cfg": cfg, "secret": secret, "run_secret": run_secret, "root_secret": root_secret,
            "lines": lines, "by_check": {}, "returncode": proc.returncode, "stderr": proc.stderr.decode()[-3000:],
            "elapsed": time.monotonic() - start, "accepted": listener.accepted, "datagrams": listener.datagrams,
            "decoy_alive": decoy.poll() is None,
            # the host, after the whole probe (well past the orphans' delay): anything written or still running?
            "written_after": hp.escaped(write_targets + orphan_targets),
            "survivors_after": {k: list(hp.find_marked(m)) for k, m in markers.items()},
        }
        for line in lines:
            out["by_check"].setdefault(line["check"], []).append(line)
        yield out
    finally:
        listener.close()
        decoy.kill()
        decoy.wait()
        for path in hp.escaped(control_targets) + hp.escaped(write_targets + orphan_targets):
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.lexists(path):
                os.unlink(path)
        shutil.rmtree(scratch, ignore_errors=True)


def one(probe: dict, check: str) -> dict:
    lines = probe["by_check"].get(check)
    assert lines, f"the probe reported no {check!r} (exit {probe['returncode']}): {probe['stderr']}"
    return lines[0]


def test_probe_ran_to_the_end_as_nobody(probe):
    assert probe["returncode"] == 0 and "done" in probe["by_check"], probe["stderr"]
    ident = one(probe, "identity")
    assert ident["uid"] == ident["euid"] == NOBODY and ident["gid"] == NOBODY, ident
    assert ident["secret_in_env"], "the secret was not in the harness's environment: the env check proves nothing"


def test_isolation_report_as_nobody(probe, capsys):
    iso = one(probe, "isolation")
    prims = iso["report"]["primitives"]
    with capsys.disabled():
        print(f"\nisolation report as uid {NOBODY} (level {iso['report']['level']}):")
        for name, p in prims.items():
            print(f"  {'active ' if p['active'] else 'MISSING'}  {name:18} {p['detail']}")
    assert iso["missing"] == ["memory cgroup", "unprivileged uid"], iso["missing"]  # cpu: the process tree
    assert iso["report"]["level"] == "partial"
    assert prims["user namespace"]["active"], "as non-root every namespace hangs on the user namespace"
    assert any("unprivileged uid" in w for w in iso["warnings"]), "the pool warns about partial isolation"


def test_fork_bomb_as_nobody(probe):
    line = one(probe, "fork_bomb")
    assert line["seen"], "the watch never saw the bomb"
    assert line["max_procs"] <= line["limit"] + 1, line
    assert line["status"] in ("timeout", "cpu_limit"), line
    assert not line["survivors"] and not probe["survivors_after"]["fork_bomb"]
    assert line["next_job_ok"] and line["servers_kept"], line


def test_setsid_orphan_as_nobody(probe):
    line = one(probe, "setsid_orphan")
    assert line["stdout"] == "orphans launched\n", line
    assert line["seen"] >= 2, "the watch never saw the orphans alive"
    assert not line["survivors_right_after"] and not line["survivors_later"], line
    assert not line["written"] and not probe["written_after"], probe["written_after"]
    assert not probe["survivors_after"]["orphan"]


def test_timeout_ignoring_signals_as_nobody(probe):
    line = one(probe, "timeout_ignoring_signals")
    assert line["status"] == "timeout" and line["seen"] >= 2, line
    assert line["wall_s"] < line["limit_wall_s"] + 0.5, line
    assert line["elapsed"] < line["limit_wall_s"] + 0.5 + 1.5, line
    assert not line["survivors"] and not probe["survivors_after"]["sleeper"]


def test_network_connect_as_nobody(probe):
    line = one(probe, "network_connect")
    attempts = json.loads(line["stdout"])
    assert attempts and all(v.startswith("blocked") for v in attempts.values()), attempts
    assert probe["accepted"] == 0 and probe["datagrams"] == 0, "a job reached the host's loopback"


def test_write_outside_as_nobody(probe):
    line = one(probe, "write_outside")
    assert line["status"] == "ok" and json.loads(line["stdout"]), line
    assert not line["written"] and not probe["written_after"], probe["written_after"]
    control = one(probe, "write_outside_control")
    assert len(control["written"]) == 8, f"control: unsandboxed, nobody writes there: {control}"


def test_read_outside_as_nobody(probe):
    line = one(probe, "read_outside")
    text = line["stdout"] + line["stderr"]
    assert probe["run_secret"] not in text and probe["root_secret"] not in text
    assert "[project]" not in text and "class Server" not in text, "read the repo"
    leaked = {p: v for p, v in json.loads(line["stdout"]).items() if not v.startswith("denied")}
    assert not leaked, leaked
    control = one(probe, "read_outside_control")["stdout"]
    assert probe["run_secret"] in control and "[project]" in control, "control: unsandboxed, nobody reads these"


def test_env_secret_as_nobody(probe):
    line = one(probe, "env_secret")
    assert line["status"] == "ok" and json.loads(line["stdout"])["environ"], line
    assert probe["secret"] not in line["stdout"] + line["stderr"]
    assert SECRET_NAME not in line["stdout"]


def test_kill_parent_group_all_as_nobody(probe):
    line = one(probe, "kill_parent_group_all")
    assert line["stdout"], line
    assert line["next_job_ok"] and line["servers_kept"], line
    assert probe["decoy_alive"], "the job killed a host process running as its own uid"
    assert one(probe, "harness_after_all")["next_job_ok"]


def test_verdict_forgery_as_nobody(probe):
    controls = probe["by_check"].get("forgery_control", [])
    assert len(controls) == 4 and all(c["wrong"] is False and c["right"] is True for c in controls), controls
    forgeries = probe["by_check"].get("forgery", [])
    assert len({f["trick"] for f in forgeries}) >= 5, forgeries
    passed = [f"{f['trick']} ({f['kind']})" for f in forgeries if f["passed"] is not False]
    assert not passed, f"wrong code passed: {passed}"


def test_token_thieves_as_nobody(probe):
    """Without a uid of their own jobs stay dumpable: /proc/self/mem is readable, so where the token is in the
    candidate's process (lifted asserts, Call cases) the thief finds it and its "passed" is refused; in a split
    job (`loop`) the candidate's process has none and the tests' process is not dumpable."""
    thefts = probe["by_check"].get("token_thief", [])
    assert len(thefts) == 4 * len(hp.TOKEN_THIEVES), thefts
    assert not [t for t in thefts if t["passed"] is not False], thefts
    for t in thefts:
        if t["kind"] == "loop" or t["way"].startswith("a sibling"):
            assert t["error_type"] in ("AssertionError", "WrongAnswer"), t  # found nothing to forge with
        else:
            assert t["error_type"] == "Tampered" and t["detail"] == "", t  # had the token, was refused


def test_correct_programs_as_nobody(probe):
    result = one(probe, "correct_programs")
    assert result["tempfile_add"] is True and result["count"] >= 25, result
    assert result["failed"] == {}, result["failed"]


def _junit_outcomes(path: Path) -> dict[str, tuple[str, str]]:
    """{module::test id: (passed | skipped | failed | error, message)} from a junit report."""
    outcomes = {}
    for case in ET.parse(path).iter("testcase"):
        name = f"{case.get('classname', '').rsplit('.', 1)[-1]}::{case.get('name')}"
        outcome, message = "passed", ""
        for kind in ("skipped", "failure", "error"):
            found = case.find(kind)
            if found is not None:
                outcome, message = {"failure": "failed"}.get(kind, kind), found.get("message", "")
        outcomes[name] = (outcome, message)
    return outcomes


def _seconds_per_module(path: Path) -> dict[str, float]:
    """{module: seconds its cases took} from a junit report: what the inner run adds to CI, module by module."""
    seconds: dict[str, float] = {}
    for case in ET.parse(path).iter("testcase"):
        module = case.get("classname", "").rsplit(".", 1)[-1]
        seconds[module] = seconds.get(module, 0.0) + float(case.get("time", 0))
    return seconds


def _function(name: str) -> str:
    """`module::test_x[param]` -> `test_x`."""
    return name.split("::", 1)[1].split("[", 1)[0]


def _test_functions(module: str) -> set[str]:
    tree = ast.parse((REPO / "tests" / module).read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


@pytest.mark.timeout(1200)
def test_hostile_suites_as_nobody(capsys):
    """The hostile modules (issue #24's classes 1-9, the languages', assembly's) under Debian's pytest as uid 65534:
    every case passes, skips for a reason in UNPRIVILEGED_SKIPS, or is in UNPRIVILEGED_DESELECTS; a run that
    skipped everything fails here."""
    reason = _skip_reason()
    if reason is None and subprocess.run([PYTHON, "-c", "import pytest"], capture_output=True).returncode != 0:
        reason = "python3-pytest is not installed (apt-get install -y python3-pytest)"
    if reason is None and not (NOBODY_DEPS / "starlette").is_dir():
        reason = (f"{NOBODY_DEPS} is missing: .ci/run installs execeval's dependencies for Debian's python3 there "
                  f"(pip install --target {NOBODY_DEPS} ...)")
    if reason:
        pytest.skip(reason)
    scratch = _scratch_dir()
    try:
        checkout = _stage_checkout(scratch)
        out = _open_dir(scratch, "inner-run")
        host_dir = _open_dir(scratch, "host-1777")
        deselect = [f"--deselect=tests/{name}" for name in UNPRIVILEGED_DESELECTS]  # node ids from the rootdir
        env = {"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
               "PYTHONPATH": f"{checkout}:{NOBODY_DEPS}"}
        bind_scratch = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                        f'mount --bind "$0" {SCRATCH_MOUNT} && exec "$@"', str(host_dir)]
        proc = subprocess.run([*bind_scratch, "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                               PYTHON, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-rA",
                               f"--junitxml={out / 'junit.xml'}", f"--basetemp={out / 'tmp'}", "--rootdir",
                               str(checkout), "-c", str(checkout / "pyproject.toml"), *deselect,
                               *(str(checkout / "tests" / m) for m in HOSTILE_MODULES)],
                              cwd="/", env=env, capture_output=True, timeout=1100)
        tail = proc.stdout.decode("utf-8", "replace")[-4000:] + proc.stderr.decode("utf-8", "replace")[-2000:]
        assert (out / "junit.xml").exists(), tail
        outcomes = _junit_outcomes(out / "junit.xml")
        seconds = _seconds_per_module(out / "junit.xml")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    skipped = {n: m for n, (o, m) in outcomes.items() if o == "skipped"}
    passed = [n for n, (o, _) in outcomes.items() if o == "passed"]
    with capsys.disabled():
        print(f"\nas uid {NOBODY} with {PYTHON} -m pytest: {len(passed)} passed, {len(skipped)} skipped")
        for module in HOSTILE_MODULES:
            print(f"  {module}: {sum(n.startswith(module[:-3] + '::') for n in passed)} passed, "
                  f"{seconds.get(module[:-3], 0):.0f} s")
        for name, message in skipped.items():
            print(f"  skipped {name}: {message}")
    broken = {n: m[:300] for n, (o, m) in outcomes.items() if o in ("failed", "error")}
    assert not broken and proc.returncode == 0, (broken, tail)
    unexplained = {n: m for n, m in skipped.items() if UNPRIVILEGED_SKIPS.get(_function(n), "\0") not in m}
    assert not unexplained, f"skipped as nobody for no reason stated in UNPRIVILEGED_SKIPS: {unexplained}"
    ran = {_function(n) for n in passed}  # every test function passed (at least one of its parameters), or is named
    deselected = {m: {d.split("::")[1] for d in UNPRIVILEGED_DESELECTS if d.startswith(m + "::")}
                  for m in HOSTILE_MODULES}
    not_run = {m: _test_functions(m) - ran - set(UNPRIVILEGED_SKIPS) - deselected[m] for m in HOSTILE_MODULES}
    assert not any(not_run.values()), f"never passed as nobody: {not_run}\n{tail}"
