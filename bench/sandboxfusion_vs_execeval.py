#!/usr/bin/env python3
"""SandboxFusion's own server against `execeval serve`, on the same `POST /run_code` jobs, in one run.

verl's pattern: N stdin/stdout problems, each with one program (correct, wrong, crashing or timing out, in a fixed
mix) and M test cases; one request per (program, case), `--concurrency` of them in flight at once (verl's
`max_concurrent`, 64). Both servers get the same requests from the same lean client (bench/service_load.py's).

For each server: first a quiet run (one request at a time) gives every request's reference verdict; then the
loaded run: verdicts/s, p50/p99 latency, errors (HTTP other than 200, a broken connection, `SandboxError`), and
verdicts that differ from the quiet run's (a pass turned into a time-out by a busy machine is one). The last line
is the ratio of verdicts/s. Nothing is retried, so a 504 counts as an error here. The `slow` kind (not in the default
mix) is a correct program that needs 40% of run_timeout in CPU time: what a wall-time limit gets wrong under load.

SandboxFusion runs from its source in a virtualenv of its own (bench/README.md says how), as `uvicorn
sandbox.server.server:app`, with its default config (`sandbox/configs/local.yaml`: isolation `none`,
`max_concurrency` 34) and its Python runner (a fresh `python` per request, from the conda env `sandbox-runtime`).
execeval serve runs with `-j` workers (default: every core), its default isolation.

    python bench/sandboxfusion_vs_execeval.py --sf-dir /tmp/sandboxfusion          # 16 problems x 8 cases
    python bench/sandboxfusion_vs_execeval.py --sf-dir ... --problems 40 --cases 10
    python bench/sandboxfusion_vs_execeval.py --sf-dir ... --mix correct,wrong,correct,crash,correct,slow,correct,wrong
    python bench/sandboxfusion_vs_execeval.py --sf-url http://127.0.0.1:8080         # one already running
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Stopwatch, machine_line, table  # noqa: E402
from service_load import LeanClient, _free_port, run_loop, start_service  # noqa: E402

import httptools  # noqa: E402

# One program per problem; problem i gets KINDS[i % len(KINDS)]: half correct, as a training batch mostly is
KINDS = ("correct", "wrong", "correct", "crash", "correct", "timeout", "correct", "wrong")
PROGRAMS = {
    # problem p: read integers, print their sum times (p + 1)
    "correct": "import sys\nnums = list(map(int, sys.stdin.read().split()))\nprint(sum(nums) * {k})\n",
    "wrong": "import sys\nnums = list(map(int, sys.stdin.read().split()))\nprint(sum(nums) * {k} + 1)\n",
    "crash": "import sys\nnums = list(map(int, sys.stdin.read().split()))\nprint(nums[len(nums)] * {k})\n",
    "timeout": "import sys\nnums = list(map(int, sys.stdin.read().split()))\nwhile nums:\n    nums.append({k})\n"
               "    nums.pop()\n",
    # correct, after `SLOW_SHARE` of run_timeout in CPU seconds: a solution near its time limit, as many are
    "slow": "import sys, time\nnums = list(map(int, sys.stdin.read().split()))\n"
            "while time.process_time() < {cpu_s}:\n    pass\nprint(sum(nums) * {k})\n",
}
SLOW_SHARE = 0.4  # of run_timeout: passes alone with room to spare; under a wall-time limit, not at 64 in flight


@dataclass(frozen=True)
class Request:
    problem: int
    case: int
    kind: str
    body: dict
    expected: str


def make_requests(problems: int, cases: int, run_timeout: float, mix: tuple[str, ...] = KINDS) -> list[Request]:
    """Every (problem, case) request, in verl's order: a problem's cases one after another; problem p's program is
    of kind mix[p % len(mix)]."""
    out = []
    for p in range(problems):
        kind = mix[p % len(mix)]
        code = PROGRAMS[kind].format(k=p + 1, cpu_s=SLOW_SHARE * run_timeout)
        for c in range(cases):
            nums = [(p * 31 + c * 7 + j) % 100 for j in range(c + 3)]
            body = {"code": code, "language": "python", "stdin": " ".join(map(str, nums)) + "\n",
                    "run_timeout": run_timeout, "compile_timeout": 10}
            out.append(Request(p, c, kind, body, f"{sum(nums) * (p + 1)}\n"))
    return out


def verdict(status: int, data: bytes, expected: str) -> str:
    """pass | wrong | crash | timeout, or error (the harness's fault, never the program's)."""
    if status != 200:
        return "error"
    answer = json.loads(data)
    run = answer.get("run_result") or {}
    if answer.get("status") == "SandboxError" or run.get("status") == "Error" or not run:
        return "error"
    if run["status"] == "TimeLimitExceeded":
        return "timeout"
    if run.get("return_code") != 0:
        return "crash"
    return "pass" if (run.get("stdout") or "").strip() == expected.strip() else "wrong"


async def _one(client: LeanClient, req: Request) -> tuple[str, float, str]:
    t0 = time.perf_counter()
    try:
        status, data = await client.post("/run_code", req.body)
    except (OSError, httptools.HttpParserError) as e:
        return "error", time.perf_counter() - t0, f"{type(e).__name__} {e}"
    got = verdict(status, data, req.expected)
    return got, time.perf_counter() - t0, "" if got != "error" else f"HTTP {status} {data[:200]!r}"


async def quiet(url: str, requests: list[Request]) -> list[str]:
    """Each request alone, one after another: the reference verdicts."""
    client = LeanClient(url)
    try:
        return [(await _one(client, r))[0] for r in requests]
    finally:
        client.close()


async def loaded(url: str, requests: list[Request], concurrency: int) -> tuple[list[tuple[str, float, str]], float]:
    """All requests with `concurrency` in flight (a closed loop, as verl's thread pool); answers in order."""
    client = LeanClient(url)
    gate = asyncio.Semaphore(concurrency)

    async def gated(r: Request) -> tuple[str, float, str]:
        async with gate:
            return await _one(client, r)

    try:
        with Stopwatch() as t:
            answers = await asyncio.gather(*(gated(r) for r in requests))
        return list(answers), t.s
    finally:
        client.close()


def measure(name: str, url: str, requests: list[Request], concurrency: int) -> dict:
    reference = run_loop(quiet(url, requests))
    answers, seconds = run_loop(loaded(url, requests, concurrency))
    latencies = sorted(lat for _, lat, _ in answers)
    changed = [(r, ref, got) for r, ref, (got, _, _) in zip(requests, reference, answers) if ref != got]
    errors = [why for _, _, why in answers if why]
    wrong_quiet = sum(1 for r, ref in zip(requests, reference) if ref != _intended(r.kind))
    return {"name": name, "verdicts_s": len(requests) / seconds, "seconds": seconds,
            "p50": statistics.median(latencies), "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "errors": len(errors), "first_error": errors[0] if errors else "", "changed": changed,
            "quiet_not_intended": wrong_quiet}


def _intended(kind: str) -> str:
    return {"correct": "pass", "slow": "pass"}.get(kind, kind)


def start_sandboxfusion(sf_dir: Path, loop: str) -> tuple[subprocess.Popen, str]:
    """SandboxFusion's server from its source folder, with its venv's uvicorn (its Makefile's `run`)."""
    uvicorn = sf_dir / "conda/envs/sandbox/bin/uvicorn"
    if not uvicorn.exists():
        sys.exit(f"bench: no SandboxFusion venv at {uvicorn.parent.parent} (bench/README.md: install SandboxFusion)")
    port = _free_port()
    proc = subprocess.Popen([str(uvicorn), "sandbox.server.server:app", "--host", "127.0.0.1", "--port", str(port),
                             "--loop", loop],
                            cwd=sf_dir / "src", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            status, _ = run_loop(LeanClient(url).post("/run_code", {"code": "print(1)", "language": "python"}))
            if status == 200:
                return proc, url
        except OSError:
            time.sleep(0.5)
    proc.kill()
    sys.exit(f"bench: SandboxFusion did not start: {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]


def stop(proc: subprocess.Popen) -> None:
    """SandboxFusion and the programs it started (its own session)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


@contextlib.contextmanager
def sandboxfusion_at(sf_dir: Path | None, loop: str, sf_url: str) -> Iterator[str]:
    """SandboxFusion's URL: started from `sf_dir` for the block (and stopped after), else the one at `sf_url`."""
    proc, url = start_sandboxfusion(sf_dir, loop) if sf_dir else (None, sf_url)
    try:
        yield url
    finally:
        if proc is not None:
            stop(proc)


@contextlib.contextmanager
def execeval_serve(workers: int) -> Iterator[str]:
    """`execeval serve` on loopback for the block, with a state dir of its own."""
    with tempfile.TemporaryDirectory() as state:
        proc, url = start_service(workers, None, 1.0, state)
        try:
            yield url
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


def report(results: list[dict], args: argparse.Namespace, requests: list[Request]) -> None:
    n = len(requests)
    print(f"{args.problems} problems x {args.cases} cases = {n} requests, {args.concurrency} in flight, "
          f"run_timeout {args.run_timeout} s; programs by problem, cycling: {', '.join(args.mix)}")
    rows = [[r["name"], f"{r['verdicts_s']:.1f}", f"{r['seconds']:.1f}", f"{r['p50'] * 1e3:.0f}",
             f"{r['p99'] * 1e3:.0f}", str(r["errors"]), str(len(r["changed"])), str(r["quiet_not_intended"])]
            for r in results]
    print(table(rows, ["server", "verdicts/s", "wall s", "p50 ms", "p99 ms", "errors", "changed by load",
                       "quiet != intended"]))
    for r in results:
        if r["first_error"]:
            print(f"  {r['name']} first error: {r['first_error']}")
        for req, ref, got in r["changed"][:5]:
            print(f"  {r['name']} problem {req.problem} ({req.kind}) case {req.case}: quiet {ref}, loaded {got}")
    timeouts, slow = (sum(req.kind == kind for req in requests) for kind in ("timeout", "slow"))
    if timeouts or slow:
        cpu_s = (timeouts + slow * SLOW_SHARE) * args.run_timeout
        least = cpu_s / min(args.workers, os.cpu_count() or 1)
        print(f"{timeouts} time-out requests x run_timeout {args.run_timeout} s + {slow} slow x {SLOW_SHARE:g} of it, "
              f"in CPU seconds, on {args.workers} workers: execeval's wall can't go below {least:.1f} s (limits are "
              "CPU time, so load never makes a time-out)")
    if len(results) == 2:
        sf, ee = results
        print(f"execeval serve / SandboxFusion verdicts/s: {ee['verdicts_s'] / sf['verdicts_s']:.2f}x")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--sf-dir", type=Path, help="SandboxFusion's install (src/ and conda/, bench/README.md)")
    where.add_argument("--sf-url", help="a SandboxFusion server already running")
    ap.add_argument("--sf-loop", default="auto", choices=("auto", "asyncio", "uvloop"),
                    help="SandboxFusion's uvicorn event loop [default: auto, its own: uvloop when installed]")
    ap.add_argument("--problems", type=int, default=16)
    ap.add_argument("--cases", type=int, default=8)
    ap.add_argument("--concurrency", type=int, default=64, help="requests in flight (verl's max_concurrent)")
    ap.add_argument("--run-timeout", type=float, default=1.0, help="each request's run_timeout, seconds")
    ap.add_argument("--mix", type=lambda v: tuple(v.split(",")), default=KINDS,
                    help=f"program kinds, cycling over the problems [default: {','.join(KINDS)}]")
    ap.add_argument("--workers", "-j", type=int, default=os.cpu_count() or 1, help="execeval serve's workers")
    args = ap.parse_args()
    print(machine_line())
    if unknown := set(args.mix) - PROGRAMS.keys():
        ap.error(f"--mix: unknown kind(s) {', '.join(sorted(unknown))}; known: {', '.join(PROGRAMS)}")
    requests = make_requests(args.problems, args.cases, args.run_timeout, args.mix)
    results = []
    with sandboxfusion_at(args.sf_dir, args.sf_loop, args.sf_url) as url:
        results.append(measure("SandboxFusion", url, requests, args.concurrency))
    with execeval_serve(args.workers) as url:
        results.append(measure("execeval serve", url, requests, args.concurrency))
    report(results, args, requests)


if __name__ == "__main__":
    main()
