#!/usr/bin/env python3
"""The verification service under load, against `execeval evaluate` on the same jobs, in one run.

Baseline: N distinct small jobs (each demo task's reference solution with a distinct comment, so every one is
executed, none answered from a store) through `evaluate` with a warm local pool: verdicts/s. Then `execeval serve`
with the same worker count, in its own process, driven over loopback by an open-loop HTTP client (one job per
request unless --batch): requests at a fixed rate for each stage, the rates increasing (fractions of the
baseline's verdicts/s unless --rates gives them), new distinct jobs throughout. Each stage prints the rate
offered, verdicts/s sustained, p50/p99 latency of answered requests, 429s (the queue said no, with Retry-After:
not errors), errors (anything else) and the server process's own CPU per verdict (the harness's cost, which a
busy machine does not change much; evaluate's is printed too). Bounded: each stage stops sending after its seconds and waits at most
--drain-s for answers; nothing is retried, so 429s are counted, not hidden.

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
import resource
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

import httpx  # noqa: E402

from execeval.evaluate import EvalConfig, evaluate  # noqa: E402
from execeval.programs import TimePolicy  # noqa: E402
from execeval.sandbox import ForkServerSandbox  # noqa: E402
from execeval.service.schema import VERIFY_PATH  # noqa: E402
from execeval.tasks import load_tasks  # noqa: E402

FRACTIONS = (0.25, 0.5, 0.8, 1.0, 1.5, 3.0)  # of the baseline's verdicts/s, when --rates is not given
SMALL_JOB_S = 0.1  # a task whose reference-like job takes longer here (or fails) is left out of the load


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


def cpu_s(pid: int | None = None) -> float:
    """CPU seconds of this process (pid None) or another one, its own threads only: not the fork servers and
    jobs, which are other processes. What the harness itself costs per verdict, whatever the machine's load."""
    if pid is None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return usage.ru_utime + usage.ru_stime
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def baseline(jobs: Jobs, n: int, workers: int, config: EvalConfig) -> tuple[float, float]:
    """verdicts/s of `evaluate` on n jobs, and its harness CPU ms per verdict, with its pool started and
    references cached beforehand; a warm-up run picks the tasks both measurements use (`SMALL_JOB_S`)."""
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
        cpu0 = cpu_s()
        with Stopwatch() as t:
            summary = evaluate(timed, "demo", Path(tmp, "t"), config, sandbox=sandbox)
        cpu = cpu_s() - cpu0
    assert summary["jobs"]["executed"] == n, summary["jobs"]
    return n / t.s, 1000 * cpu / n


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
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            httpx.get(url + "/healthz", timeout=2).raise_for_status()
            return proc, url
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                sys.exit(f"bench: `execeval serve` did not start: {proc.stderr.read()[-2000:]}")
            time.sleep(0.2)


async def stage(client: httpx.AsyncClient, jobs: Jobs, rate: float, seconds: float, batch: int,
                drain_s: float) -> dict:
    """Offer `rate` requests/s for `seconds` (open loop: a slow answer does not slow the sender)."""
    latencies: list[float] = []
    counts = {"ok": 0, "verdicts": 0, "429": 0, "errors": 0}
    first_error: list[str] = []

    async def one(body: dict) -> None:
        t0 = time.perf_counter()
        try:
            r = await client.post(VERIFY_PATH, json=body)
        except httpx.HTTPError as e:
            counts["errors"] += 1
            first_error.append(f"{type(e).__name__} {e}")
            return
        if r.status_code == 200:
            latencies.append(time.perf_counter() - t0)
            counts["ok"] += 1
            counts["verdicts"] += len(r.json()["results"])
        elif r.status_code == 429:
            counts["429"] += 1
        else:
            counts["errors"] += 1
            first_error.append(f"HTTP {r.status_code} {r.text[:200]}")

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
    limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
    async with httpx.AsyncClient(base_url=url, timeout=drain_s, limits=limits) as client:
        await client.post(VERIFY_PATH, json={"jobs": jobs.take(batch)})  # warm: first plans, connections
        results = []
        for rate in rates:
            cpu0 = cpu_s(pid)
            result = await stage(client, jobs, rate / batch, seconds, batch, drain_s)
            result["server_cpu_ms"] = 1000 * (cpu_s(pid) - cpu0) / max(1, result["verdicts"])
            results.append(result)
        return results


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
    base, base_cpu = baseline(jobs, args.baseline_jobs, args.workers, config)
    print(f"baseline: execeval evaluate, {args.baseline_jobs} distinct jobs, {args.workers} workers: "
          f"{base:.1f} verdicts/s, harness CPU {base_cpu:.2f} ms per verdict")
    rates = args.rates or [round(f * base, 1) for f in FRACTIONS]
    with tempfile.TemporaryDirectory() as state:
        proc, url = start_service(args.workers, args.max_queue, args.machine_speed, state)
        try:
            results = asyncio.run(drive(url, proc.pid, jobs, rates, args.seconds / len(rates), args.batch,
                                        args.drain_s))
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    rows = [[f"{r['offered']:.1f}", f"{r['sustained']:.1f}", ratio(r["sustained"], base), f"{r['p50'] * 1e3:.0f}",
             f"{r['p99'] * 1e3:.0f}", str(r["429"]), str(r["errors"]), f"{r['server_cpu_ms']:.2f}"] for r in results]
    print(f"service: execeval serve, {args.workers} workers, {args.batch} job(s) per request, "
          f"{args.seconds / len(rates):.0f} s per stage")
    print(table(rows, ["offered/s", "verdicts/s", "vs evaluate", "p50 ms", "p99 ms", "429", "errors",
                       "server CPU ms/verdict"]))
    print("(offered below the target rate: this client fell behind, the machine is too busy for that rate)")
    for r in results:
        if r["first_error"]:
            print(f"  first error at {r['offered']:.0f}/s: {r['first_error']}")
    good = [r for r in results if r["errors"] == 0 and r["429"] == 0 and r["p99"] < 1.0]
    best = max((r["sustained"] for r in good), default=0.0)
    print(f"sustained with zero errors, no 429 and p99 < 1 s: {best:.1f} verdicts/s = {best / base:.0%} of "
          f"evaluate's {base:.1f}; beyond it: {sum(r['429'] for r in results if r not in good)} x 429, "
          f"{sum(r['errors'] for r in results)} errors in all")


if __name__ == "__main__":
    main()
