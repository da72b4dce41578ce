"""The verification service on a real loopback port: verdicts in results.jsonl's schema, 400 for malformed
requests, 413 for oversized ones, 429 with Retry-After when the queue is full (and the client waiting it out),
the token, metrics, and a SIGTERM that still answers the request in flight."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("prometheus_client")

import uvicorn  # noqa: E402

from execeval.errors import UsageError  # noqa: E402
from execeval.evaluation.pipeline import EvalConfig  # noqa: E402
from execeval.evaluation.programs import TimePolicy  # noqa: E402
from execeval.service.app import ServiceSettings, check_bind, listen, server_config  # noqa: E402
from execeval.service.client import AsyncVerifyClient, VerifyClient  # noqa: E402
from execeval.service.engine import Verifier  # noqa: E402
from execeval.service.schema import Ceilings, parse_request  # noqa: E402
from execeval.tasks import load_tasks  # noqa: E402

CONFIG = EvalConfig(policy=TimePolicy(speed=1.0))
RIGHT = "    return \" \".join(text.split())\n"  # demo/0
WRONG = "    return text\n"
SLOW = {"program": "import time\ndef f():\n    time.sleep(1.5)\n    return 1\n", "tests": ["assert f() == 1"],
        "limits": {"timeout_s": 5}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served(verifier: Verifier, settings: ServiceSettings = ServiceSettings()):
    """The app on a free loopback port, in a thread of this process; yields its URL (test_ray.py uses it too)."""
    port = _free_port()
    server = uvicorn.Server(server_config(verifier, settings, "127.0.0.1", port))  # as `execeval serve` runs it
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture(scope="module")
def verifier(sandbox, tmp_path_factory):
    with Verifier([load_tasks("demo")], tmp_path_factory.mktemp("service"), CONFIG, sandbox=sandbox) as v:
        yield v


@pytest.fixture(scope="module")
def url(verifier):
    with served(verifier) as u:
        yield u


def test_task_jobs_and_program_jobs_get_results_rows(url):
    with VerifyClient(url) as client:
        rows = client.verify([{"task": "demo/0", "completion": RIGHT}, {"task": "demo/0", "completion": WRONG},
                              {"program": "def f(x):\n    return x + 1\n", "tests": ["assert f(1) == 2",
                                                                                    "assert f(2) == 4"]}])
    assert [(r["task_id"], r["completion_id"], r["passed"], r["status"]) for r in rows] == [
        ("demo/0", 0, True, "passed"), ("demo/0", 1, False, "failed"), ("program", 2, False, "failed")]
    assert rows[2]["tests_passed"] == 1 and rows[2]["first_failure"].startswith("assert f(2) == 4"), rows[2]
    assert {"pass_ratio", "executable", "error_type", "wall_s", "program", "source"} <= rows[0].keys()


def test_the_same_sample_gets_the_verdict_evaluate_gives(url, verifier, sandbox, tmp_path):
    from execeval.evaluate import evaluate
    from execeval.samples import load_samples

    samples = tmp_path / "s.jsonl"
    samples.write_text("".join(json.dumps({"task_id": "demo/0", "completion": c}) + "\n" for c in (RIGHT, WRONG)))
    evaluate(samples, "demo", tmp_path / "run", CONFIG, sandbox=sandbox)
    want = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    jobs = [{"task": s.task_id, "completion": s.code, "completion_id": s.completion_id} for s in load_samples(samples)]
    got = VerifyClient(url).verify(jobs)
    keep = ("task_id", "completion_id", "passed", "status", "tests_passed", "tests_total", "first_failure", "program")
    assert [{k: r[k] for k in keep} for r in got] == [{k: r[k] for k in keep} for r in want]


@pytest.mark.parametrize("body, says", [
    (b"{not json", "not JSON"),
    (b"[1, 2]", "JSON list, not an object"),
    (b'{"task": "demo/0", "completon": "x"}', "unknown field 'completon'"),
    (b'{"task": "demo/0"}', "\"completion\" or a whole \"solution\""),
    (b'{"program": "def f(): pass", "tests": []}', "tests: expected a non-empty list"),
    (b'{"program": "x = 1", "tests": ["assert x == 1"]}', "entry_point"),
    (b'{"jobs": [{"task": "demo/0", "completion": "x"}], "limits": {"timeout_s": -1}}', "limits.timeout_s"),
    (b'{"jobs": [{"task": "demo/0", "completion": "x"}], "limits": {"memory_mb": 1e9}}', "at most"),
    (b'{"task": "nope/1", "completion": "x"}', "not in any served benchmark"),
])
def test_malformed_requests_get_400_with_what_is_wrong(url, body, says):
    r = httpx.post(url + "/v1/verify", content=body)
    assert r.status_code == 400 and says in r.json()["error"], r.text


def test_oversized_bodies_get_413_and_batches_over_the_ceiling_400(verifier):
    settings = ServiceSettings(max_queue=2, max_body_bytes=1000)
    with served(verifier, settings) as u:
        r = httpx.post(u + "/v1/verify", content=b" " * 2000)
        assert r.status_code == 413 and "over 1000 bytes" in r.json()["error"], r.text
        jobs = [{"task": "demo/0", "completion": WRONG}] * 3  # over the queue: in, since the queue is empty
        assert len(httpx.post(u + "/v1/verify", json={"jobs": jobs}).json()["results"]) == 3
    with served(verifier, replace(settings, max_body_bytes=1 << 20, ceilings=Ceilings(max_jobs=2))) as u:
        r = httpx.post(u + "/v1/verify", json={"jobs": jobs})
        assert r.status_code == 400 and "at most 2" in r.json()["error"], r.text


def test_a_full_queue_gets_429_with_retry_after_and_the_client_waits_it_out(verifier):
    with served(verifier, ServiceSettings(max_queue=1)) as u:
        first = threading.Thread(target=lambda: httpx.post(u + "/v1/verify", json=SLOW, timeout=60))
        first.start()
        deadline = time.monotonic() + 10
        while httpx.get(u + "/healthz").json()["queue"] == 0:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        r = httpx.post(u + "/v1/verify", json={"task": "demo/0", "completion": RIGHT})
        assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1, r.text
        rows = VerifyClient(u, max_wait_s=0.5).verify({"task": "demo/0", "completion": RIGHT})  # retried, then in
        assert rows[0]["passed"] is True
        first.join()
        metrics = httpx.get(u + "/metrics").text
    assert 'execeval_requests_total{code="429"}' in metrics and "execeval_queue_depth" in metrics, metrics


def test_async_client_runs_many_at_once(url):
    async def main() -> list[list[dict]]:
        async with AsyncVerifyClient(url) as client:
            return await asyncio.gather(*(client.verify({"task": "demo/0", "completion": RIGHT if i % 2 else
                                                         WRONG + f"    # {i}\n"}) for i in range(8)))

    rows = [r[0] for r in asyncio.run(main())]
    assert [r["passed"] for r in rows] == [bool(i % 2) for i in range(8)]


def test_a_token_guards_verify_and_binding_beyond_loopback_needs_one(verifier):
    with served(verifier, ServiceSettings(token="s3cret")) as u:
        assert httpx.post(u + "/v1/verify", json={"task": "demo/0", "completion": RIGHT}).status_code == 401
        health = httpx.get(u + "/healthz")
        assert health.status_code == 200 and health.json()["ok"] and health.json()["benchmarks"] == ["demo"]
        with pytest.raises(UsageError, match="401"):
            VerifyClient(u, token="wrong").verify({"task": "demo/0", "completion": RIGHT})
        assert VerifyClient(u, token="s3cret").verify({"task": "demo/0", "completion": RIGHT})[0]["passed"]
    with pytest.raises(UsageError, match="needs a token"):
        check_bind("0.0.0.0", None)
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "t")


def test_an_unreachable_service_is_one_clear_error():
    from execeval.errors import SandboxError

    with pytest.raises(SandboxError, match="cannot reach"):
        VerifyClient(f"http://127.0.0.1:{_free_port()}", attempts=2, max_wait_s=0.05).verify({"task": "x",
                                                                                               "completion": ""})



def test_an_unreachable_service_s_health_is_the_same_clear_error():
    import asyncio

    from execeval.errors import SandboxError
    from execeval.service.client import AsyncVerifyClient

    url = f"http://127.0.0.1:{_free_port()}"
    with pytest.raises(SandboxError, match="cannot reach the verification service"):
        VerifyClient(url).health()

    async def check() -> None:
        client = AsyncVerifyClient(url)
        try:
            await client.health()
        finally:
            await client.aclose()

    with pytest.raises(SandboxError, match="cannot reach the verification service"):
        asyncio.run(check())


def test_a_port_that_cannot_be_listened_on_is_one_line_before_any_work():
    """A port taken or out of range, or a host this machine lacks: one line with the fix, at once. A port over
    65535 used to print "serving" and never answer; a taken one gave uvicorn's log line after the warm-up."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"cannot listen on 127.0.0.1:{port}: Address already in use") as e:
            listen("127.0.0.1", port)
        assert "another --port" in e.value.hint
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path), "EXECEVAL_DATA_DIR": "/nonexistent"}
        done = subprocess.run([sys.executable, "-m", "execeval.cli", "serve", "--port", str(port), "--tasks",
                               "humaneval"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, done.stderr  # before loading the tasks: their data is not even there
    assert done.stderr.splitlines() == [f"error: cannot listen on 127.0.0.1:{port}: Address already in use — "
                                        "stop what holds that port, or pass another --port (0: any free one)"]
    with pytest.raises(UsageError, match="--port 99999: a port is 0-65535"):
        listen("127.0.0.1", 99999)
    with pytest.raises(UsageError, match="cannot listen on 192.0.2.1:0") as e:  # TEST-NET-1: no machine's own
        listen("192.0.2.1", 0)
    assert "--host" in e.value.hint
    with listen("127.0.0.1", 0) as free:
        assert free.getsockname()[1] > 0


@pytest.mark.slow
def test_sigterm_finishes_the_accepted_job_first(tmp_path):
    """`execeval serve` as users start it: SIGTERM while a job runs still answers that job, then exits 0."""
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-m", "execeval.cli", "serve", "--port", str(port), "-j", "1",
                             "--machine-speed", "1", "--state-dir", str(tmp_path)], env=env,
                            stderr=subprocess.PIPE, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                httpx.get(url + "/healthz")
                break
            except httpx.TransportError:
                assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read()
                time.sleep(0.1)
        result: dict = {}
        t = threading.Thread(target=lambda: result.update(r=httpx.post(url + "/v1/verify", json=SLOW, timeout=60)))
        t.start()
        while httpx.get(url + "/healthz").json()["queue"] == 0:
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        t.join(timeout=60)
        assert proc.wait(timeout=30) == 0
        assert result["r"].status_code == 200 and result["r"].json()["results"][0]["passed"] is True, result
    finally:
        if proc.poll() is None:
            proc.kill()


def test_limits_from_the_request_reach_the_job(verifier):
    """0.6 s of CPU passes under a 2 s floor and times out under 0.3 s."""
    burn = {"program": "import time\ndef f():\n    while time.process_time() < 0.6:\n        pass\n    return 1\n",
            "tests": ["assert f() == 1"]}
    rows = verifier.verify(parse_request(json.dumps({"jobs": [{**burn, "limits": {"timeout_s": 2}},
                                                              {**burn, "limits": {"timeout_s": 0.3}}]}).encode()))
    assert [r["status"] for r in rows] == ["passed", "timeout"], rows


def test_only_a_batch_with_a_timeout_to_re_run_leaves_the_event_loop(verifier):
    """`start(block=False)` and `quick` decide what the loop does itself; a wall-clock timeout's re-run is waited
    for in a thread, and still ends as a timeout."""
    sleeper = {"program": "import time\ndef f():\n    time.sleep(60)\n", "tests": ["assert f() is None"],
               "limits": {"timeout_s": 0.25}}
    right = {"task": "demo/0", "completion": RIGHT + "    # quick\n"}
    verifier.verify(parse_request(json.dumps(right).encode()))  # the plan and the speed are known from now on
    batches = [verifier.start(parse_request(json.dumps(body).encode()), block=False) for body in (right, sleeper)]
    assert all(b is not None for b in batches)
    for batch in batches:
        for future in batch.pending:
            future.result()
    assert [verifier.quick(b) for b in batches] == [True, False]
    assert [verifier.finish(b)[0]["status"] for b in batches] == ["passed", "timeout"]


def test_a_job_that_needs_a_reference_first_is_not_started_on_the_loop(sandbox, tmp_path):
    with Verifier([load_tasks("demo")], tmp_path, CONFIG, sandbox=sandbox) as fresh:
        specs = parse_request(json.dumps({"task": "demo/1", "completion": RIGHT}).encode())
        assert fresh.start(specs, block=False) is None  # the reference is not known: the caller uses a thread
        assert len(fresh.verify(specs)) == 1
        assert fresh.start(specs, block=False) is not None
