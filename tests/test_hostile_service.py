"""Issue #24's classes through the service: nothing a client sends may crash the service, hide a verdict or hold
it. A real service on 127.0.0.1 over a real sandbox; the hostile programs are tests/test_hostile_harness.py's.

8. malformed requests are 400s that say why; half-sent requests are dropped after the read timeout;
6, 7. a batch mixing exceptions of any shape and lone surrogates still answers its correct jobs;
9. a program's `def abs` never stands in for the tests' `abs`; a request naming no entry point is told which.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
import httpx
from execeval.service.app import ServiceSettings
from execeval.service.engine import Verifier
from execeval.service.schema import RequestError, parse_request
from execeval.tasks import load_tasks
from test_hostile_harness import CONFIG, REMOTE_TYPES, RIGHT, SHADOWS, SURROGATES, WRONG, _raising
from test_service import served

READ_TIMEOUT_S = 1.0


@pytest.fixture(scope="module")
def url(sandbox, tmp_path_factory):
    with Verifier([load_tasks("demo")], tmp_path_factory.mktemp("service"), CONFIG, sandbox=sandbox) as verifier:
        with served(verifier, ServiceSettings(read_timeout_s=READ_TIMEOUT_S)) as u:
            yield u


def _verify(url: str, body: bytes | dict) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(url + "/v1/verify", content=content, timeout=60)


def test_a_batch_with_hostile_jobs_still_answers_the_correct_ones(url):
    jobs = [{"task": "demo/0", "completion": RIGHT}]
    jobs += [{"task": "demo/0", "completion": _raising(a)} for a in REMOTE_TYPES]
    jobs += [{"task": "demo/0", "completion": c} for c in SURROGATES]
    jobs += [{"program": "def f(x):\n    raise ValueError('\\udc00')\n", "tests": ["assert f(1) == 1"]},
             {"program": "def f(x):\n    return x\n", "tests": ["assert f('\ud800') == '\ud800'"]},
             {"task": "demo/0", "completion": WRONG}]
    r = _verify(url, {"jobs": jobs})
    assert r.status_code == 200, r.text
    rows = r.json()["results"]
    assert [row["status"] for row in rows] == (["passed"] + ["error"] * len(REMOTE_TYPES)
                                               + ["error", "failed", "failed", "error", "error", "error", "error",
                                                  "error", "failed"]), rows
    assert rows[-2]["error_type"] == "UnicodeEncodeError" and rows[-2]["entry_point"] == "f", rows[-2]


@pytest.mark.parametrize("body, says", [
    (b"[" * 100_000 + b"]" * 100_000, "nests deeper"),
    (b'{"jobs": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nests deeper"),
    (b'{"task": "demo/0", "completion": "x", "completion_id": ' + b"9" * 5000 + b"}", "not JSON"),
    (b'{"jobs": [{"task": "demo/0", "completion": "x"}], "limits": {"timeout_s": ' + b"1" * 5000 + b"}}",
     "not JSON"),
    (b'{"task": "demo/0", "completion": "\xff\xfe"}', "not JSON"),
    (b'{"task": "demo/0", "completion": "x", "completion_id": 1e400}', "completion_id"),
    (b'{"task": "demo/0", "completion": "x", "limits": {"timeout_s": NaN}}', "timeout_s"),
    (b'{"program": "def abs(x):\\n    return 0\\n", "tests": ["assert abs(-1) == 1"]}', "entry_point"),
    (b'{"program": "def f(x):\\n    return 0\\n", "entry_point": "abs", "tests": ["assert f(1) == 0"]}',
     "builtin"),
], ids=["deep-array", "deep-jobs", "5000-digit-id", "5000-digit-limit", "not-utf8", "1e400-id", "nan-limit",
        "only-a-builtin-called", "builtin-entry-point"])
def test_malformed_requests_are_400s_that_say_why(url, body, says):
    r = _verify(url, body)
    assert r.status_code == 400 and says in r.json()["error"], r.text
    with pytest.raises(RequestError):
        parse_request(body)


def _closed_by_server(sock: socket.socket, deadline: float) -> bool:
    """Whether the server closed `sock` (EOF, after an answer if any) before `deadline`."""
    sock.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        while sock.recv(65536):
            pass
        return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("half", [
    b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Le",  # headers half-sent
    b"",  # nothing sent
    b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"task\": ",  # body half-sent
    b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"tas\r\n",
], ids=["headers", "nothing", "body", "chunked-body"])
def test_half_sent_requests_are_dropped_after_the_read_timeout(url, half):
    port = int(url.rsplit(":", 1)[1])
    socks = []
    for _ in range(50):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(half)
        socks.append(s)
    try:
        deadline = time.monotonic() + READ_TIMEOUT_S + 4.0
        still_open = [s for s in socks if not _closed_by_server(s, deadline)]
        assert not still_open, f"{len(still_open)} of 50 half-sent requests still open"
        assert _verify(url, {"task": "demo/0", "completion": RIGHT}).json()["results"][0]["passed"]
    finally:
        for s in socks:
            s.close()


def test_a_slow_but_whole_request_is_answered(url):
    """Only what never arrives is dropped: a request sent in pieces within the timeout is answered."""
    port = int(url.rsplit(":", 1)[1])
    body = json.dumps({"task": "demo/0", "completion": RIGHT}).encode()
    request = b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    with socket.create_connection(("127.0.0.1", port)) as s:
        for i in range(0, len(request), len(request) // 4 + 1):
            s.sendall(request[i:i + len(request) // 4 + 1])
            time.sleep(READ_TIMEOUT_S / 8)
        s.settimeout(30)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200") and b'"passed":true' in answer, answer


def _request(body: bytes) -> bytes:
    return b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body) + body


def _answer(sock: socket.socket) -> bytes:
    sock.settimeout(30)
    data = b""
    while b'"results"' not in data or not data.endswith(b"}"):
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    return data


def test_a_keep_alive_connection_waits_idle_but_not_for_a_half_sent_second_request(url):
    """After an answer, an idle connection is kept (uvicorn's keep-alive), a second request on it is answered
    after more than the read timeout; then half a third request's headers are dropped within it."""
    port = int(url.rsplit(":", 1)[1])
    body = json.dumps({"task": "demo/0", "completion": RIGHT}).encode()
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(_request(body))
        assert _answer(s).startswith(b"HTTP/1.1 200")
        time.sleep(READ_TIMEOUT_S * 1.5)
        s.sendall(_request(body))
        assert _answer(s).startswith(b"HTTP/1.1 200")
        s.sendall(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\n")
        assert _closed_by_server(s, time.monotonic() + READ_TIMEOUT_S + 4.0)


@pytest.mark.parametrize("shadow, test, right", SHADOWS, ids=["abs", "len", "sorted", "isinstance"])
@pytest.mark.parametrize("shape", ["lifted", "split"])
@pytest.mark.parametrize("named", [True, False], ids=["named", "unnamed"])
def test_a_program_cannot_shadow_the_builtins_its_tests_call(url, shadow, test, right, shape, named):
    if shape == "split":  # a test that is code, not one expression: run in its own process, not lifted
        test = "y = 0\n" + test
    rows = []
    for body in ("x", right):  # a wrong f, then a right one: the shadow changes neither verdict
        job: dict = {"program": f"def f(x):\n    return {body}\n" + shadow, "tests": [test]}
        if named:
            job["entry_point"] = "f"
        r = _verify(url, job)
        assert r.status_code == 200, r.text
        rows.append(r.json()["results"][0])
    assert [(row["passed"], row["entry_point"]) for row in rows] == [(False, "f"), (True, "f")], rows
    assert rows[0]["status"] in ("failed", "error"), rows[0]  # wrong, or the real builtin refused its value
