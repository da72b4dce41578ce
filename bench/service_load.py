#!/usr/bin/env python3
"""The verification service under load, against `execeval evaluate` on the same jobs, in one run.

Baseline: N distinct small jobs (each demo task's reference solution with a distinct comment, so every one is
executed, none answered from a store) through `evaluate` with a warm local pool: verdicts/s. Then `execeval serve`
with the same worker count, in its own process, driven over loopback by an open-loop HTTP client (one job per
request unless --batch): requests at a fixed rate for each stage, the rates increasing (fractions of the
baseline's verdicts/s unless --rates gives them), new distinct jobs throughout. Each stage prints the rate
offered, verdicts/s sustained, p50/p99 latency of answered requests, 429s (the queue said no, with Retry-After:
not errors), errors (anything else), and CPU per verdict of the server process, of this client and of the
sandbox (fork servers and the jobs they ran). Bounded: each stage stops sending after its seconds and waits at
most --drain-s for answers; nothing is retried, so 429s are counted, not hidden.

On 2 cores the server, the client and the jobs share the CPU, so every millisecond of harness CPU per verdict is
taken from the jobs: the last line turns the CPU per verdict of both into the share of evaluate's rate that a
machine running nothing else would give (CPU time hardly depends on how busy the machine is; wall-clock rates do).
The client is lean on purpose (asyncio, keep-alive connections, httptools' C parser): a heavy client would
measure itself.

    python bench/service_load.py                   # 60 s of load: six stages of 10 s
    python bench/service_load.py --seconds 15      # a quick look
    python bench/service_load.py --rates 50 100 200 --batch 8
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Stopwatch, machine_line, ratio, table  # noqa: E402

import httptools  # noqa: E402  (the service extra brings it: uvicorn's fast parser)

from execeval.evaluate import EvalConfig, evaluate  # noqa: E402
from execeval.evaluation.programs import TimePolicy  # noqa: E402
from execeval.sandbox import ForkServerSandbox  # noqa: E402
from execeval.service.schema import VERIFY_PATH  # noqa: E402
from execeval.tasks import load_tasks  # noqa: E402

FRACTIONS = (0.25, 0.5, 0.8, 1.0, 1.5, 3.0)  # of the baseline's verdicts/s, when --rates is not given
SMALL_JOB_S = 0.1  # a task whose reference-like job takes longer here (or fails) is left out of the load
CLOCK_TICK = os.sysconf("SC_CLK_TCK")


class Jobs:
    """Distinct, correct, small demo jobs, forever: job i is task i mod 20 with a comment naming i."""

    def __init__(self) -> None:
        tasks = load_tasks("demo").tasks
        self._bodies = [(t.task_id, t.reference[len(t.prompt):]) for t in tasks]
        self._next = itertools.count()

    def keep(self, task_ids: set[str]) -> None:
        """Only these tasks from now on (those whose jobs are small and pass: what a training loop sends most)."""
        self._bodies = [b for b in self._bodies if b[0] in task_ids]

    def take(self, n: int) -> list[dict]:
        out = []
        for _ in range(n):
            i = next(self._next)
            task_id, body = self._bodies[i % len(self._bodies)]
            out.append({"task": task_id, "completion": f"{body}    # load {os.getpid()} {i}\n",
                        "completion_id": i})
        return out


# ---------------------------------------------------------------- CPU time, whatever the machine's load
def cpu_s(pid: int | str = "self", reaped: bool = False) -> float:
    """CPU seconds of a process (all its threads), and with `reaped` of the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(f) for f in fields[11:15 if reaped else 13])
    return ticks / CLOCK_TICK


def sandbox_cpu_s(pid: int | str = "self") -> float:
    """CPU seconds of a process's descendants (the fork servers, the jobs running) and of what they reaped (the
    jobs that ended)."""
    total = 0.0
    try:
        kids = [int(k) for t in Path(f"/proc/{pid}/task").iterdir() for k in (t / "children").read_text().split()]
    except (FileNotFoundError, ProcessLookupError):  # it ended while being read: its parent has counted it
        return 0.0
    for kid in kids:
        try:
            total += cpu_s(kid, reaped=True) + sandbox_cpu_s(kid)
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


class CpuMeter:
    """CPU per verdict of the harness process, this client and the sandbox, between `start` and `ms`."""

    def __init__(self, harness: int | str) -> None:
        self.harness = harness

    def _now(self) -> tuple[float, float, float]:
        return cpu_s(self.harness), cpu_s(), sandbox_cpu_s(self.harness)

    def start(self) -> None:
        self._t0 = self._now()

    def ms(self, verdicts: int) -> tuple[float, float, float]:
        """(harness, client, sandbox) ms per verdict; for evaluate the harness is the client (0 is reported)."""
        harness, client, box = (1000 * (b - a) / max(1, verdicts) for a, b in zip(self._t0, self._now()))
        return harness, (client if self.harness != "self" else 0.0), box


def baseline(jobs: Jobs, n: int, workers: int, config: EvalConfig) -> tuple[float, tuple[float, float, float]]:
    """verdicts/s of `evaluate` on n jobs and its CPU ms per verdict, with its pool started and references cached
    beforehand; a warm-up run picks the tasks both measurements use (`SMALL_JOB_S`)."""
    with tempfile.TemporaryDirectory() as tmp, ForkServerSandbox(workers) as sandbox:
        warm, timed = Path(tmp, "warm.jsonl"), Path(tmp, "timed.jsonl")
        warm.write_text("".join(json.dumps({"task_id": j["task"], "completion": j["completion"]}) + "\n"
                                for j in jobs.take(40)))
        evaluate(warm, "demo", Path(tmp, "w"), config, sandbox=sandbox)  # references, speed: into the caches
        rows = [json.loads(line) for line in Path(tmp, "w", "results.jsonl").read_text().splitlines()]
        slow = {r["task_id"] for r in rows if not r["passed"] or r["wall_s"] > SMALL_JOB_S}
        jobs.keep({r["task_id"] for r in rows} - slow)
        timed.write_text("".join(json.dumps({"task_id": j["task"], "completion": j["completion"]}) + "\n"
                                 for j in jobs.take(n)))
        meter = CpuMeter("self")
        meter.start()
        with Stopwatch() as t:
            summary = evaluate(timed, "demo", Path(tmp, "t"), config, sandbox=sandbox)
        cpu = meter.ms(n)
    assert summary["jobs"]["executed"] == n, summary["jobs"]
    return n / t.s, cpu


# ---------------------------------------------------------------- a lean HTTP/1.1 client
class _Connection(asyncio.Protocol):
    """One keep-alive connection, one request at a time; the response is parsed by httptools (C)."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.reply: asyncio.Future | None = None
        self.body: list[bytes] = []
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as e:
            self._fail(e)
            self.transport.close()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        body, self.body = b"".join(self.body), []
        self.closed = self.closed or not self.parser.should_keep_alive()
        if self.reply is not None and not self.reply.done():
            self.reply.set_result((self.parser.get_status_code(), body))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(exc or ConnectionResetError("the server closed the connection"))

    def _fail(self, exc: Exception) -> None:
        if self.reply is not None and not self.reply.done():
            self.reply.set_exception(exc)

    def send(self, data: bytes) -> asyncio.Future:
        self.reply = asyncio.get_running_loop().create_future()
        self.transport.write(data)  # type: ignore[attr-defined]
        return self.reply


class LeanClient:
    """POSTs JSON over a pool of keep-alive connections (a new one whenever all are busy)."""

    def __init__(self, url: str) -> None:
        self.host, port = url.removeprefix("http://").split(":")
        self.port = int(port)
        self._idle: list[_Connection] = []

    async def post(self, path: str, body: dict) -> tuple[int, bytes]:
        data = json.dumps(body).encode()
        head = (f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(data)}\r\n\r\n").encode()
        conn = self._idle.pop() if self._idle else None
        if conn is None or conn.closed:
            _, conn = await asyncio.get_running_loop().create_connection(_Connection, self.host, self.port)
        answer = await conn.send(head + data)
        if not conn.closed:
            self._idle.append(conn)
        return answer

    def close(self) -> None:
        for conn in self._idle:
            conn.transport.close()


# ---------------------------------------------------------------- the service under load
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_service(workers: int, max_queue: int | None, speed: float, state_dir: str) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    queue = ["--max-queue", str(max_queue)] if max_queue else []
    proc = subprocess.Popen([sys.executable, "-m", "execeval.cli", "serve", "--port", str(port), "-j", str(workers),
                             *queue, "--machine-speed", str(speed), "--state-dir", state_dir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, f"http://127.0.0.1:{port}"
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            sys.exit(f"bench: `execeval serve` did not start: {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        time.sleep(0.2)


async def stage(client: LeanClient, jobs: Jobs, rate: float, seconds: float, batch: int, drain_s: float) -> dict:
    """Offer `rate` requests/s for `seconds` (open loop: a slow answer does not slow the sender)."""
    latencies: list[float] = []
    counts = {"ok": 0, "verdicts": 0, "429": 0, "errors": 0}
    first_error: list[str] = []

    async def one(body: dict) -> None:
        t0 = time.perf_counter()
        try:
            status, data = await client.post(VERIFY_PATH, body)
        except (OSError, httptools.HttpParserError) as e:
            counts["errors"] += 1
            first_error.append(f"{type(e).__name__} {e}")
            return
        if status == 200:
            latencies.append(time.perf_counter() - t0)
            counts["ok"] += 1
            counts["verdicts"] += len(json.loads(data)["results"])
        elif status == 429:
            counts["429"] += 1
        else:
            counts["errors"] += 1
            first_error.append(f"HTTP {status} {data[:200]!r}")

    tasks: list[asyncio.Task] = []
    start = time.perf_counter()
    for k in itertools.count():
        due = start + k / rate
        if due - start >= seconds:
            break
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one({"jobs": jobs.take(batch)})))
    sent_s = time.perf_counter() - start
    done, pending = await asyncio.wait(tasks, timeout=drain_s) if tasks else (set(), set())
    for t in pending:
        t.cancel()
    counts["errors"] += len(pending)
    elapsed = time.perf_counter() - start
    lat = sorted(latencies)
    return {"offered": len(tasks) * batch / sent_s, "sustained": counts["verdicts"] / elapsed,
            "p50": statistics.median(lat) if lat else float("nan"),
            "p99": lat[min(len(lat) - 1, int(0.99 * len(lat)))] if lat else float("nan"), **counts,
            "first_error": first_error[0] if first_error else ""}


async def drive(url: str, pid: int, jobs: Jobs, rates: list[float], seconds: float, batch: int,
                drain_s: float) -> list[dict]:
    client = LeanClient(url)
    try:
        await client.post(VERIFY_PATH, {"jobs": jobs.take(batch)})  # warm: first plans, a connection
        results = []
        meter = CpuMeter(pid)
        for rate in rates:
            meter.start()
            result = await stage(client, jobs, rate / batch, seconds, batch, drain_s)
            result["cpu_ms"] = meter.ms(result["verdicts"])
            results.append(result)
        return results
    finally:
        client.close()


def run_loop(coro):  # type: ignore[no-untyped-def]
    """uvloop when installed (the service extra brings it): the client's own loop costs CPU too."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coro)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0, help="total seconds of load, split over the stages")
    ap.add_argument("--rates", type=float, nargs="+", help="verdicts/s offered at each stage [default: "
                    f"{', '.join(map(str, FRACTIONS))} x the baseline]")
    ap.add_argument("--batch", type=int, default=1, help="jobs per request")
    ap.add_argument("--workers", "-j", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--baseline-jobs", type=int, default=1000, help="jobs for the evaluate baseline")
    ap.add_argument("--max-queue", type=int, help="the service's --max-queue [default: its own]")
    ap.add_argument("--drain-s", type=float, default=30.0, help="longest wait for answers after a stage")
    ap.add_argument("--machine-speed", type=float, default=1.0, help="given to both, so neither measures it")
    args = ap.parse_args()
    print(machine_line())
    jobs = Jobs()
    config = EvalConfig(workers=args.workers, k=(1,), policy=TimePolicy(speed=args.machine_speed))
    base, (base_cpu, _, base_box) = baseline(jobs, args.baseline_jobs, args.workers, config)
    print(f"baseline: execeval evaluate, {args.baseline_jobs} distinct jobs, {args.workers} workers: "
          f"{base:.1f} verdicts/s; CPU per verdict: harness {base_cpu:.2f} ms, sandbox {base_box:.2f} ms")
    rates = args.rates or [round(f * base, 1) for f in FRACTIONS]
    with tempfile.TemporaryDirectory() as state:
        proc, url = start_service(args.workers, args.max_queue, args.machine_speed, state)
        try:
            results = run_loop(drive(url, proc.pid, jobs, rates, args.seconds / len(rates), args.batch, args.drain_s))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    report(results, base, base_cpu + base_box, args)


def report(results: list[dict], base: float, base_cpu: float, args: argparse.Namespace) -> None:
    rows = [[f"{r['offered']:.1f}", f"{r['sustained']:.1f}", ratio(r["sustained"], base), f"{r['p50'] * 1e3:.0f}",
             f"{r['p99'] * 1e3:.0f}", str(r["429"]), str(r["errors"]), *(f"{ms:.2f}" for ms in r["cpu_ms"])]
            for r in results]
    print(f"service: execeval serve, {args.workers} workers, {args.batch} job(s) per request, "
          f"{args.seconds / len(results):.0f} s per stage; CPU ms per verdict of the server, this client, the sandbox")
    print(table(rows, ["offered/s", "verdicts/s", "vs evaluate", "p50 ms", "p99 ms", "429", "errors", "server",
                       "client", "sandbox"]))
    print("(offered below the target rate: this client fell behind, the machine is too busy for that rate)")
    for r in results:
        if r["first_error"]:
            print(f"  first error at {r['offered']:.0f}/s: {r['first_error']}")
    good = [r for r in results if r["errors"] == 0 and r["429"] == 0 and r["p99"] < 1.0]
    best = max((r["sustained"] for r in good), default=0.0)
    print(f"sustained with zero errors, no 429 and p99 < 1 s: {best:.1f} verdicts/s = {best / base:.0%} of "
          f"evaluate's {base:.1f}; beyond it: {sum(r['429'] for r in results if r not in good)} x 429, "
          f"{sum(r['errors'] for r in results)} errors in all")
    calm = [r for r in results if r["errors"] == 0 and r["429"] == 0] or results
    verdicts = sum(r["verdicts"] for r in calm)
    service_cpu = sum(sum(r["cpu_ms"]) * r["verdicts"] for r in calm) / max(1, verdicts)
    print(f"CPU per verdict, everything included: evaluate {base_cpu:.2f} ms, service {service_cpu:.2f} ms "
          f"(stages without 429): on {args.workers} otherwise idle cores the service would give about "
          f"{base_cpu / service_cpu:.0%} of evaluate's rate")


if __name__ == "__main__":
    main()
