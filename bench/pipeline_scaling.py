#!/usr/bin/env python3
"""Harness time of `execeval run` against the number of samples a model streams in, one at a time.

A fake backend (`execeval.models.fake.FakeBackend`, no network) answers every demo task with N distinct correct
programs (a comment makes each distinct, so every one is executed). The harness's own CPU time (this process's
threads: generation bookkeeping, the executor, the store; the sandbox's servers and jobs are other processes) is
printed per sample at each N; linear work shows as a flat per-sample cost, quadratic as one that grows with N.
The baseline is the smallest N measured in the same run.

    python bench/pipeline_scaling.py --n 1000 4000
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_line  # noqa: E402

from execeval.evaluate import EvalConfig  # noqa: E402
from execeval.generate import GenConfig, run  # noqa: E402
from execeval.models.fake import FakeBackend  # noqa: E402
from execeval.progress import NullReporter  # noqa: E402
from execeval.sandbox import ForkServerSandbox  # noqa: E402
from execeval.tasks import load_tasks  # noqa: E402


def _harness_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)  # this process and its threads, not the fork servers
    return usage.ru_utime + usage.ru_stime


def measure(total: int, sandbox: ForkServerSandbox) -> tuple[float, float, int]:
    tasks = load_tasks("demo")
    per_task = max(1, total // len(tasks.tasks))
    answers = {t.prompt: t.reference[len(t.prompt):] for t in tasks.tasks}
    backend = FakeBackend(lambda prompt, i: f"{answers[prompt]}    # variant {i}\n", name=f"fake-{total}")
    with tempfile.TemporaryDirectory() as out:
        cpu0, wall0 = _harness_cpu(), time.perf_counter()
        summary = run(tasks, out, GenConfig("openai:unused", n=per_task, max_connections=1), EvalConfig(k=(1,)),
                      reporter=NullReporter(), sandbox=sandbox, backend=backend)
        cpu, wall = _harness_cpu() - cpu0, time.perf_counter() - wall0
    return cpu, wall, summary["jobs"]["executed"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, nargs="+", default=[1000, 4000], help="sample counts to measure")
    ap.add_argument("--workers", type=int, default=None)
    args = ap.parse_args()
    print(machine_line())
    with ForkServerSandbox(args.workers) as sandbox:
        measure(100, sandbox)  # warm-up: fork servers, references, machine speed into the caches
        rows = [(n, *measure(n, sandbox)) for n in sorted(args.n)]
    base = rows[0][1] / rows[0][3]
    print(f"{'samples':>8} {'executed':>9} {'harness CPU s':>14} {'per sample ms':>14} {'wall s':>8} "
          f"{'per-sample vs ' + str(rows[0][0]):>18}")
    for n, cpu, wall, executed in rows:
        per = cpu / executed
        print(f"{n:>8} {executed:>9} {cpu:>14.2f} {per * 1000:>14.3f} {wall:>8.2f} {per / base:>17.2f}x")
    print("linear harness work: the last column stays near 1.00x")


if __name__ == "__main__":
    main()
