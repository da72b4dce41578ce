"""The HTTP face of the verifier: an ASGI app (Starlette) served by uvicorn.

    POST /v1/verify   one job or a batch (execeval/service/schema.py) -> {"results": [results.jsonl rows]}
    GET  /healthz     {"ok": true, "queue": ..., "capacity": ...}
    GET  /metrics     Prometheus text: queue depth, jobs/s, request latency, verdicts by status
    POST /run_code    SandboxFusion's protocol, for verl and its SDK (sandboxfusion.py; also /t/TOKEN/run_code)
    POST /submit      SandboxFusion's grading of a completion against provided tests (sandboxfusion_submit.py)

Admission is bounded in jobs, not requests: a request whose jobs do not fit in what is left of `max_queue` gets
429 with `Retry-After` (the queue's expected drain time) and costs nothing, so memory never grows with load. The
default queue is about a second of work (`QUEUE_PER_WORKER` jobs per worker), so an answer comes within about a
second or a 429 comes at once; a batch larger than the whole queue is let in when the queue is empty.
Bodies are capped (`max_body_bytes`, 413) and must arrive within `read_timeout_s` (408), as must a request's
headers (or the connection is closed); a body that is not a valid request gets 400 naming the field.
Binding anything but loopback needs a token: anyone who reaches the port can make it run code.

Per request the loop does the work itself when it is quick (engine.py says when) and waits for all of a request's
jobs with one wake-up: on a few cores the server's CPU per verdict is taken from the jobs, so it is kept small.
"""

from __future__ import annotations

import asyncio
import errno
import hmac
import ipaddress
import itertools
import json
import math
import signal
import socket
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import orjson

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.concurrency import run_in_threadpool

from execeval.errors import ExecevalError, UsageError
from execeval.service import sandboxfusion
from execeval.service.sandboxfusion_submit import SubmitService
from execeval.service.engine import Verifier
from execeval.service.schema import DEFAULT_PORT, VERIFY_PATH, Ceilings, RequestError, parse_request

if TYPE_CHECKING:
    import uvicorn

QUEUE_PER_WORKER = 32  # small jobs a worker finishes in about a second
INLINE_JOBS = 64  # larger batches are planned and judged in a thread: the loop keeps answering meanwhile
RATE_WINDOW_S = 10.0  # the drain rate behind Retry-After and the jobs/s gauge is measured over this long
LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
BACKLOG = 4096  # connections the kernel holds before the loop accepts them


@dataclass(frozen=True)
class ServiceSettings:
    token: str | None = None  # required as `Authorization: Bearer TOKEN` on /v1/verify and /metrics when set
    max_queue: int | None = None  # jobs admitted and not finished (more get 429); None: QUEUE_PER_WORKER each
    max_body_bytes: int = 16 << 20
    read_timeout_s: float = 10.0  # a request's headers, and then its body, must arrive within this long each
    ceilings: Ceilings = field(default_factory=Ceilings)


class Admission:
    """Jobs in flight, bounded; finishing times give the drain rate that `Retry-After` is computed from. Used from
    the event loop's thread only, so it needs no lock."""

    def __init__(self, limit: int) -> None:
        self.limit, self.depth = limit, 0
        self._finished: deque[tuple[float, int]] = deque(maxlen=512)
        self._rate = (-1.0, 0.0)  # (when, jobs/s): a burst of 429s computes the rate once, not once each

    def enter(self, n: int) -> bool:
        if self.depth + n > self.limit and self.depth:  # a batch over the whole limit waits for an empty queue
            return False
        self.depth += n
        return True

    def leave(self, n: int) -> None:
        self.depth -= n
        self._finished.append((time.monotonic(), n))

    def rate(self) -> float:
        """Jobs finished per second over the last `RATE_WINDOW_S` seconds (recomputed at most every 0.2 s)."""
        now = time.monotonic()
        if now - self._rate[0] < 0.2:
            return self._rate[1]
        recent = [(t, n) for t, n in self._finished if now - t <= RATE_WINDOW_S]
        span = max(now - recent[0][0], 1.0) if recent else 1.0
        self._rate = (now, sum(n for _, n in recent) / span)
        return self._rate[1]

    def retry_after(self) -> int:
        rate = self.rate()
        return max(1, min(60, math.ceil(self.depth / rate))) if rate else 1


class _Metrics:
    def __init__(self, admission: Admission, capacity: int) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        Gauge("execeval_queue_depth", "Jobs admitted and not finished", registry=r).set_function(
            lambda: admission.depth)
        Gauge("execeval_queue_limit", "Jobs that may be in flight", registry=r).set(admission.limit)
        Gauge("execeval_sandbox_capacity", "Jobs the sandbox runs at once", registry=r).set(capacity)
        Gauge("execeval_jobs_per_second", "Jobs finished per second over the last 10 s", registry=r).set_function(
            admission.rate)
        self.verdicts = Counter("execeval_verdicts", "Verdicts returned, by status", ["status"], registry=r)
        self.requests = Counter("execeval_requests", "Requests answered, by HTTP status", ["code"], registry=r)
        self.latency = Histogram("execeval_request_seconds", "Time from a verify request to its answer",
                                 buckets=(.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60), registry=r)
        self._children: dict[tuple[Counter, str], Counter] = {}  # `labels()` takes a lock and builds a tuple

    def count(self, counter: Counter, label: str) -> None:
        child = self._children.get((counter, label))
        if child is None:
            child = self._children[(counter, label)] = counter.labels(label)
        child.inc()


def create_app(verifier: Verifier, settings: ServiceSettings = ServiceSettings()) -> Starlette:
    """The app over `verifier` (which its creator closes, after the server has finished its requests)."""
    admission = Admission(settings.max_queue or QUEUE_PER_WORKER * max(1, verifier.sandbox.capacity))
    metrics = _Metrics(admission, verifier.sandbox.capacity)

    def answer(code: int, body: dict, headers: dict | None = None) -> Response:
        metrics.count(metrics.requests, str(code))
        return json_response(body, code, headers)

    def authorized(request: Request) -> bool:
        if settings.token is None:
            return True
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {settings.token}".encode())

    async def body_of(request: Request) -> bytes | Response:
        """The body, or the 408 or 413 answer: the one read every route's body goes through."""
        try:
            async with asyncio.timeout(settings.read_timeout_s):
                body = await _read_body(request, settings.max_body_bytes)
        except TimeoutError:  # a half-sent body would hold the connection (and a file descriptor) for ever
            return answer(408, {"error": f"the body did not arrive within {settings.read_timeout_s} s"},
                          {"Connection": "close"})
        if body is None:
            return answer(413, {"error": f"the body is over {settings.max_body_bytes} bytes",
                                "hint": "send less at once"})
        return body

    async def verify(request: Request) -> Response:
        started = time.monotonic()
        if not authorized(request):
            return answer(401, {"error": "missing or wrong token", "hint": "send Authorization: Bearer TOKEN"})
        body = await body_of(request)
        if isinstance(body, Response):
            return body
        try:
            specs = parse_request(body, settings.ceilings)
        except RequestError as e:
            return answer(400, {"error": str(e), "hint": e.hint})
        if not admission.enter(len(specs)):
            retry = admission.retry_after()
            return answer(429, {"error": "the queue is full", "retry_after_s": retry},
                          {"Retry-After": str(retry)})
        try:
            inline = len(specs) <= INLINE_JOBS
            batch = (verifier.start(specs, block=False) if inline else None) or await run_in_threadpool(verifier.start, specs)
            assert batch is not None  # blocking, start() always makes one
            if batch.pending:
                await _all_done(batch.pending)
            if inline and verifier.quick(batch):
                rows = verifier.finish(batch)
            else:
                rows = await run_in_threadpool(verifier.finish, batch)
        except ExecevalError as e:  # an unknown task, a sandbox that cannot start
            return answer(400 if isinstance(e, UsageError) else 503, {"error": str(e), "hint": e.hint})
        finally:
            admission.leave(len(specs))
        for row in rows:
            metrics.count(metrics.verdicts, row["status"])
        metrics.latency.observe(time.monotonic() - started)
        return answer(200, {"results": rows})

    async def healthz(request: Request) -> Response:
        capacity = verifier.sandbox.capacity  # 0: every worker is lost (a Ray cluster's nodes all gone)
        return json_response({"ok": capacity > 0, "queue": admission.depth, "max_queue": admission.limit,
                              "capacity": capacity, "benchmarks": sorted(verifier.tasksets)}, 200 if capacity else 503)

    async def prometheus(request: Request) -> Response:
        if not authorized(request):
            return answer(401, {"error": "missing or wrong token"})
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    runner = sandboxfusion.RunCodeService(verifier, settings, admission, metrics, body_of)
    return Starlette(routes=[Route(VERIFY_PATH, verify, methods=["POST"]), Route("/healthz", healthz),
                             Route("/metrics", prometheus),
                             *runner.routes(), *SubmitService(runner).routes()])  # POST /run_code, /submit


def json_response(body: dict, code: int = 200, headers: dict | None = None) -> Response:
    """orjson's encoding: the rows carry each program, and the standard library takes ~8x longer on them."""
    try:
        content = orjson.dumps(body)
    except TypeError:  # what orjson does not take: a completion_id over 64 bits, text with lone surrogates
        content = json.dumps(body, separators=(",", ":")).encode()  # \uXXXX escapes: any str, losslessly
    return Response(content, code, headers, media_type="application/json")


def _all_done(futures: list[Future]) -> asyncio.Future:
    """A loop future done when every sandbox future is: one wake-up of the loop per request, not one per job."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()
    left = itertools.count(len(futures) - 1, -1)  # next() is atomic: the pool's threads may finish jobs at once

    def one_done(_: Future) -> None:
        if next(left) == 0:
            loop.call_soon_threadsafe(_resolve, done)

    for future in futures:
        future.add_done_callback(one_done)
    return done


def _resolve(done: asyncio.Future) -> None:
    if not done.done():  # cancelled: the server is stopping
        done.set_result(None)


async def _read_body(request: Request, limit: int) -> bytes | None:
    """The body, or None as soon as it is known to be over `limit` bytes (never read whole)."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def check_bind(host: str, token: str | None) -> None:
    """Loopback is the default; anything else serves whoever reaches it, so it needs a token."""
    if token:
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host in LOOPBACK_NAMES
    if not loopback:
        raise UsageError(f"--host {host}: binding beyond loopback needs a token (anyone reaching the port could "
                         "run code here)", hint="set --token, or EXECEVAL_SERVICE_TOKEN")


def listen(host: str, port: int) -> socket.socket:
    """The service's listening socket, bound before any work: a port taken, out of range or on an address this
    machine lacks is then a one-line error at once, not uvicorn's log line after the warm-up (or, for a port over
    65535, a server that says it serves and never answers)."""
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port}: a port is 0-65535", hint=f"pass --port {DEFAULT_PORT} (the default), "
                         "or 0 for any free one")
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds: a restart needs no wait
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as e:
        sock.close()
        hint = {errno.EADDRINUSE: "stop what holds that port, or pass another --port (0: any free one)",
                errno.EACCES: "ports under 1024 need root: pass a --port over 1023"}.get(
                    e.errno, "pass an address of this machine to --host (127.0.0.1 by default)")  # type: ignore[arg-type]  # errno is set on bind's errors
        raise UsageError(f"cannot listen on {host}:{port}: {e.strerror or e}", hint=hint) from None
    return sock


def serve(verifier: Verifier, settings: ServiceSettings = ServiceSettings(), host: str = "127.0.0.1",
          port: int = DEFAULT_PORT, *, log_level: str = "warning", sock: socket.socket | None = None) -> None:
    """Serve until SIGINT/SIGTERM; requests already accepted are answered before it returns (uvicorn waits for
    them), then the caller closes the verifier. `sock`: already listening (`listen`), else bound here."""
    import uvicorn

    check_bind(host, settings.token)
    sock = sock or listen(host, port)
    config = server_config(verifier, settings, host, sock.getsockname()[1], log_level=log_level)
    if threading.current_thread() is not threading.main_thread():  # no signals here: the caller stops it
        uvicorn.Server(config).run(sockets=[sock])
        return
    # uvicorn re-raises SIGTERM / SIGINT once it has shut down gracefully; for a server either is a normal stop,
    # so make it a clean exit: the caller's clean-up (closing the verifier, removing its temporary store) runs
    previous = {sig: signal.signal(sig, _exit_cleanly) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def server_config(verifier: Verifier, settings: ServiceSettings, host: str, port: int, **options: object) -> "uvicorn.Config":
    """uvicorn's configuration of the app: connections whose request headers do not arrive within the read
    timeout are closed (uvicorn has no such bound: a slow client could hold every file descriptor)."""
    import uvicorn

    options = {"log_level": "warning", "lifespan": "off", "backlog": BACKLOG, "timeout_keep_alive": 30,
               "access_log": False, **options}
    return uvicorn.Config(create_app(verifier, settings), host=host, port=port,
                          http=_headers_deadline(settings.read_timeout_s), **options)  # type: ignore[arg-type]  # uvicorn's option types, passed through


def _headers_deadline(timeout_s: float) -> type:
    """uvicorn's HTTP protocol, closing a connection on which a request's headers did not arrive within `timeout_s`
    of its opening or of the first bytes after its last response (idle keep-alive connections are uvicorn's
    `timeout_keep_alive`; the body's own deadline is in `verify`)."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class Protocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]  # AutoHTTPProtocol is chosen at import
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._armed_for = None  # the request (cycle) after which the timer was last armed
            self.loop.call_later(timeout_s, self._late, None)

        def data_received(self, data: bytes) -> None:
            cycle = self.cycle  # a new request's first bytes after an answered one: its headers are timed
            if cycle is not None and cycle.response_complete and self._armed_for is not cycle:
                self._armed_for = cycle
                self.loop.call_later(timeout_s, self._late, cycle)
            super().data_received(data)

        def _late(self, cycle: object) -> None:
            if self.cycle is cycle and not self.transport.is_closing():  # no request began since it was armed
                self.transport.close()

    return Protocol


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)

