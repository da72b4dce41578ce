"""A real HTTP server speaking the OpenAI wire format on 127.0.0.1, with faults injected per test.

Stdlib only (`ThreadingHTTPServer` in a thread, HTTP/1.1 keep-alive, a random free port). It serves
`GET /v1/models`, `POST /v1/completions` and `POST /v1/chat/completions`, records every request (so tests assert
exact request counts) and answers instantly unless told otherwise:

    server.faults.append(Fault(status=429, retry_after="7"))   # the next generation request gets a 429
    server.always = Fault(hang=5)                               # every one hangs (until the server stops)
    server.honour_n = False                                     # one choice per request, whatever `n` says
    server.reply = lambda prompt: "..."                         # what the model writes (default: unique text)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

__all__ = ["Fault", "Recorded", "OpenAITestServer", "openai_server"]


@dataclass
class Fault:
    """What to do to one generation request instead of answering it normally.

    status: answer with this HTTP status and an OpenAI-style error body (200: answer normally, after `hang`)
    body:   answer 200 with exactly this body (e.g. malformed JSON)
    hang:   seconds to wait before answering (cut short when the server stops)
    drop:   close the connection without answering
    """

    status: int = 200
    retry_after: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    hang: float = 0.0
    drop: bool = False
    message: str = "injected fault"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] | None


class OpenAITestServer:
    """The server; use as a context manager (or the `openai_server` fixture). `url` ends in /v1."""

    def __init__(self, models: tuple[str, ...] = ("tiny", "small")) -> None:
        self.models = list(models)
        self.reply: Callable[[str], str] | None = None
        self.honour_n = True
        self.honour_stop = True
        self.max_n: int | None = None
        self.finish_reason = "stop"
        self.serve_models = True
        self.faults: deque[Fault] = deque()
        self.always: Fault | None = None
        self.delay = 0.0
        self.gates: dict[str, threading.Event] = {}  # prompt -> answer only once set
        self.requests: list[Recorded] = []
        self.completion_tokens = 0  # total reported in usage, to check client-side sums
        self.inflight = self.max_inflight = 0
        self._counter = itertools.count()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    @property
    def url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/v1"

    def start(self) -> OpenAITestServer:
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.app = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for gate in self.gates.values():
            gate.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> OpenAITestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------------ inspection
    def count(self, path: str | None = None) -> int:
        """Requests received (to `path`, e.g. "/v1/completions", when given)."""
        with self._lock:
            return sum(1 for r in self.requests if path is None or r.path == path)

    def generation_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.method == "POST"]

    # ------------------------------------------------------------------ answering
    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self.faults.popleft() if self.faults else self.always

    def _answer(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        chat = path.endswith("/chat/completions")
        if body.get("model") not in self.models:
            return 404, {"error": {"message": f"The model `{body.get('model')}` does not exist.",
                                   "type": "invalid_request_error", "code": "model_not_found"}}
        prompt = body["messages"][-1]["content"] if chat else body.get("prompt", "")
        if prompt in self.gates:
            self.gates[prompt].wait(5)
        asked = int(body.get("n", 1))
        k = asked if self.honour_n else 1
        k = min(k, self.max_n) if self.max_n else k
        stops = body.get("stop") or []
        choices, tokens = [], 0
        for i in range(k):
            text = self.reply(prompt) if self.reply else f"sample {next(self._counter)} for {prompt[:20]!r}"
            finish = self.finish_reason
            cuts = [text.find(s) for s in stops if self.honour_stop and s in text]
            if cuts:
                text, finish = text[: min(cuts)], "stop"
            tokens += len(text.split())
            content = {"message": {"role": "assistant", "content": text}} if chat else {"text": text}
            choices.append({"index": i, **content, "finish_reason": finish, "logprobs": None})
        with self._lock:
            self.completion_tokens += tokens
        p_tokens = len(str(prompt).split())
        return 200, {"id": f"cmpl-{next(self._counter)}", "object": "chat.completion" if chat else "text_completion",
                     "created": int(time.time()), "model": body["model"], "choices": choices,
                     "usage": {"prompt_tokens": p_tokens, "completion_tokens": tokens,
                               "total_tokens": p_tokens + tokens}}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many clients connect at once in the throughput measurement

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that time out and hang up are expected here


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stalls

    @property
    def app(self) -> OpenAITestServer:
        return self.server.app  # type: ignore[attr-defined,no-any-return]

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, status: int, payload: dict[str, Any] | str, headers: dict[str, str] | None = None) -> None:
        data = (payload if isinstance(payload, str) else json.dumps(payload)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _record(self, body: dict[str, Any] | None) -> None:
        with self.app._lock:
            self.app.requests.append(Recorded(self.command, self.path, dict(self.headers), body))

    def do_GET(self) -> None:
        self._record(None)
        if self.path == "/v1/models" and self.app.serve_models:
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.app.models]})
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        self._record(body)
        if self.path not in ("/v1/completions", "/v1/chat/completions"):
            return self._send(404, {"error": {"message": f"no route {self.path}"}})
        if not isinstance(body, dict):
            return self._send(400, {"error": {"message": "body is not JSON"}})
        app = self.app
        with app._lock:
            app.inflight += 1
            app.max_inflight = max(app.max_inflight, app.inflight)
        try:
            fault = app._next_fault()
            if app.delay:
                time.sleep(app.delay)
            if fault is not None and fault.hang:
                app._stopping.wait(fault.hang)
            if fault is not None and fault.drop:
                self.close_connection = True
                return None
            if fault is not None and fault.status != 200:
                headers = dict(fault.headers)
                if fault.retry_after is not None:
                    headers["Retry-After"] = fault.retry_after
                return self._send(fault.status, {"error": {"message": fault.message, "type": "server_error"}},
                                  headers)
            if fault is not None and fault.body is not None:
                return self._send(200, fault.body)
            status, payload = app._answer(self.path, body)
            self._send(status, payload)
        finally:
            with app._lock:
                app.inflight -= 1
        return None


@pytest.fixture
def openai_server() -> Iterator[OpenAITestServer]:
    """A started server, stopped after the test."""
    with OpenAITestServer() as server:
        yield server
