"""RaySandbox on a real two-node Ray cluster on 127.0.0.1: the sandbox conformance suite, and no verdict lost
when a node's worker is killed mid-run.

The cluster is `ray start --block` subprocesses (a head and one more node), so tearing it down ends exactly the
processes it started; RAY_AUTH_MODE=disabled keeps it local and tokenless.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from execeval.sandbox import Script, Status
from execeval.sandbox.conformance import CHECKS, FAST

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    """One node, on ports of its own (another Ray on this machine keeps its defaults)."""
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    ports = [f"--dashboard-agent-listen-port={_free_port()}", f"--metrics-export-port={_free_port()}",
             f"--runtime-env-agent-port={_free_port()}"]
    if importlib.util.find_spec("grpc") is not None:  # Ray Client is installed (ray[default]), so it starts one
        ports.append(f"--ray-client-server-port={_free_port()}")
    return subprocess.Popen([ray_bin, "start", "--block", "--node-ip-address=127.0.0.1", "--num-cpus=1",
                             "--disable-usage-stats", *ports, *args],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    """`ray start --block` tears its node down on SIGTERM; kill what is left of its process group after that."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def ray_cluster():
    """The address of a running head plus one more node, both on 127.0.0.1."""
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    tmp = tempfile.mkdtemp(prefix="execeval-ray-")  # short: Ray's socket paths must fit in 107 bytes
    port = _free_port()
    address = f"127.0.0.1:{port}"
    head = _ray_start(["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={tmp}"], env)
    procs = [head, _ray_start([f"--address={address}"], env)]  # it waits for the head by itself
    try:
        _wait_for_nodes(address, 2, head)
        yield address
    finally:
        ray.shutdown()
        for proc in reversed(procs):
            _stop(proc)


def _wait_for_nodes(address: str, n: int, head: subprocess.Popen, timeout: float = 120) -> None:
    from execeval.sandbox.raycluster import connect

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if head.poll() is not None:
            pytest.fail(f"`ray start --head` exited with {head.returncode}")
        try:
            if not ray.is_initialized():
                connect(address)
            if sum(1 for x in ray.nodes() if x["Alive"]) >= n:
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    pytest.fail(f"the Ray cluster at {address} did not reach {n} nodes")


@pytest.fixture(scope="module")
def sandbox(ray_cluster):
    from execeval.sandbox.raycluster import RaySandbox

    sb = RaySandbox(ray_cluster, workers_per_node=2)
    yield sb
    sb.close()


def test_one_actor_per_node(sandbox):
    nodes = sandbox.nodes()
    assert len({n["node_id"] for n in nodes}) == 2 and sandbox.capacity == 4, nodes


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__ for c in CHECKS])
def test_conformance(sandbox, check):
    check(sandbox)


def test_killing_a_worker_mid_run_loses_no_verdict(sandbox):
    """SIGKILL one node's actor (and with it that node's harness) while its jobs run: every job still gets its
    own right answer, from the other node or the restarted actor."""
    jobs = [Script(f"import time; time.sleep(0.3); print({i})") for i in range(24)]
    futures = [sandbox.submit(job, FAST) for job in jobs]
    victim = sandbox.nodes()[1]
    deadline = time.monotonic() + 30
    while not any(n["busy"] for n in sandbox.nodes() if n["pid"] == victim["pid"]):  # it holds jobs
        assert time.monotonic() < deadline, sandbox.nodes()
        time.sleep(0.01)
    os.kill(victim["pid"], signal.SIGKILL)
    results = [f.result(timeout=180) for f in futures]
    assert sandbox.reruns > 0  # the kill did take jobs down with it
    assert [(r.status, r.stdout) for r in results] == [(Status.OK, f"{i}\n".encode()) for i in range(24)], [
        (r.status, r.detail) for r in results if r.status is not Status.OK]
    deadline = time.monotonic() + 60  # Ray restarts the actor on its node: both nodes serve again
    while not (len(sandbox.nodes()) == 2 and all(n["healthy"] for n in sandbox.nodes())):
        assert time.monotonic() < deadline, sandbox.nodes()
        time.sleep(0.2)
    assert sandbox.run(Script("print('again')"), FAST).stdout == b"again\n"


def test_demo_verdicts_are_the_same_locally_on_ray_and_through_the_service(ray_cluster, tmp_path):
    """The demo's 100 samples (right, wrong, crashing, hostile, timing out) through the local pool, the Ray
    executor (two nodes) and the service give the same verdict, test counts and first failure for each."""
    from dataclasses import replace

    from execeval.evaluate import evaluate
    from execeval.evaluation.pipeline import EvalConfig
    from execeval.runs.files import read_results
    from execeval.samples import load_samples
    from execeval.service.client import VerifyClient
    from execeval.service.engine import Verifier
    from execeval.tasks import load_tasks
    from test_service import served

    samples = os.path.join(os.path.dirname(__import__("execeval").__file__), "tasks", "demo", "samples.jsonl")
    config = EvalConfig(workers=2)  # the machine speed is measured once, then shared by all three (the cache)
    evaluate(samples, "demo", tmp_path / "local", config)
    evaluate(samples, "demo", tmp_path / "ray", replace(config, executor="ray", ray_address=ray_cluster))
    jobs = [{"task": s.task_id, "completion": s.code, "completion_id": s.completion_id} for s in load_samples(samples)]
    with Verifier([load_tasks("demo")], tmp_path / "service", config) as verifier, served(verifier) as url:
        via_service = VerifyClient(url).verify(jobs)

    keep = ("task_id", "completion_id", "passed", "status", "tests_passed", "tests_total", "error_type",
            "first_failure")

    def verdicts(rows: list[dict]) -> list[tuple]:
        return sorted(tuple(r[k] for k in keep) for r in rows)

    local = verdicts(read_results(tmp_path / "local"))
    assert len(local) == 100 and len({v[3] for v in local}) >= 4  # a real mix of verdicts, not all one kind
    assert verdicts(read_results(tmp_path / "ray")) == local
    assert verdicts(via_service) == local


def test_an_address_nothing_answers_at_fails_at_once_saying_so():
    """`ray.init` would retry a dead HOST:PORT for minutes; the harness says so before it tries."""
    from execeval.errors import SandboxError
    from execeval.sandbox.raycluster import connect

    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SandboxError, match=rf"cannot reach the Ray cluster at 127\.0\.0\.1:{port}: nothing answers"):
        connect(f"127.0.0.1:{port}")
