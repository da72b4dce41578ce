#!/usr/bin/env python3
"""What `evaluate --coverage` costs: wall time of plain `evaluate` and of `evaluate --coverage` on the same
HumanEval+ samples, in the same run, and their ratio.

    python bench/make_samples.py                 # once: the synthetic samples (see bench/README.md)
    python bench/coverage_cost.py                # 164 tasks x 10 samples, every core
    python bench/coverage_cost.py --tasks 40 --workers 2

Every timed run starts from an empty run directory with the reference solutions already cached (a warm-up
`evaluate` fills a private reference cache first, not compared); plain and coverage runs alternate `--repeat`
times and the best of each is compared, and the coverage step's own time is printed too. What it adds: re-running
each distinct passing program under the arc tracer until it has seen every line and branch it could
(`execeval.coverage`). Also printed: how many programs were measured and how few tests the tracer needed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import (DEFAULT_DATA_DIR, DEFAULT_SAMPLES_DIR, HUMANEVAL_PLUS_FILE, PLUS_SAMPLES_FILE,  # noqa: E402
                     Stopwatch, data_file, machine_line, ratio, read_jsonl, table, write_jsonl)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR)
    ap.add_argument("--samples-dir", type=Path, default=DEFAULT_SAMPLES_DIR)
    ap.add_argument("--tasks", type=int, default=None, help="only the first N tasks")
    ap.add_argument("--workers", type=int, default=None, help="default: every core")
    ap.add_argument("--repeat", type=int, default=2, help="plain and coverage runs, alternated (best of each)")
    args = ap.parse_args()

    tasks_file = data_file(args.data_dir, HUMANEVAL_PLUS_FILE)
    samples_file = args.samples_dir / PLUS_SAMPLES_FILE
    if not samples_file.is_file():
        sys.exit(f"bench: {samples_file} not found; run bench/make_samples.py first")
    work = Path(tempfile.mkdtemp(prefix="execeval-coverage-cost-"))
    os.environ["EXECEVAL_CACHE_DIR"] = str(work / "cache")  # private: the warm-up fills it, the timed runs read it

    import execeval.coverage
    from execeval.evaluate import EvalConfig, evaluate
    from execeval.runs.files import read_results

    step: list[float] = []  # the coverage step's own wall time in each coverage run
    measure = execeval.coverage.measure_coverage

    def timed_measure(*a, **kw):  # noqa: ANN002, ANN003, ANN202
        with Stopwatch() as t:
            out = measure(*a, **kw)
        step.append(t.s)
        return out

    execeval.coverage.measure_coverage = timed_measure

    samples = list(read_jsonl(samples_file))
    if args.tasks:
        keep = list(dict.fromkeys(s["task_id"] for s in samples))[: args.tasks]
        samples = [s for s in samples if s["task_id"] in set(keep)]
    subset = work / "samples.jsonl"
    write_jsonl(subset, samples)
    print(machine_line())
    print(f"{len(samples)} HumanEval+ samples ({len({s['task_id'] for s in samples})} tasks) from {samples_file}")

    plain = EvalConfig(k=(1,), workers=args.workers)
    with Stopwatch() as warm:
        evaluate(subset, tasks_file, work / "warmup", plain)
    bases, covs = [], []
    for i in range(args.repeat):  # alternated, each from an empty run directory: load changes hit both
        with Stopwatch() as base:
            evaluate(subset, tasks_file, work / f"plain{i}", plain)
        with Stopwatch() as cov:
            summary = evaluate(subset, tasks_file, work / f"coverage{i}",
                               EvalConfig(k=(1,), workers=args.workers, coverage=True))
        bases.append(base.s)
        covs.append(cov.s)
        print(f"  round {i + 1}: evaluate {base.s:.2f} s, evaluate --coverage {cov.s:.2f} s "
              f"(its coverage step {step[-1]:.2f} s), ratio {cov.s / base.s:.3f}")
    b, c = min(bases), min(covs)
    work_cov = work / f"coverage{covs.index(c)}"
    rows = [r for r in read_results(work_cov) if (r.get("coverage") or {}).get("status") == "measured"]
    distinct = {r["program"]: r["coverage"] for r in rows}
    saturated = sum(1 for c in distinct.values() if c["saturated"])
    tests_run = sum(c["tests_run"] for c in distinct.values())
    tests_total = sum(r["tests_total"] for r in {r["program"]: r for r in rows}.values())
    print(table([["warm-up (computes the references; not compared)", f"{warm.s:.2f}", ""],
                 [f"evaluate (best of {args.repeat})", f"{b:.2f}", "1.0x"],
                 [f"evaluate --coverage (best of {args.repeat})", f"{c:.2f}", ratio(c, b)]],
                ["run", "wall s", "vs evaluate"]))
    figs = summary["coverage"]
    print(f"coverage: {figs['measured']} passing samples measured ({len(distinct)} distinct programs), mean "
          f"{figs['mean_coverage']}, lines {figs['mean_line_coverage']}, branches {figs['mean_branch_coverage']}")
    print(f"tracer: {saturated} of {len(distinct)} programs saturated early; {tests_run} of {tests_total} tests "
          f"re-run under it")
    own = min(step)
    print(f"the coverage step alone: best {own:.2f} s = {100 * own / b:.1f}% of the best plain evaluate "
          "(less sensitive to load than the ratio of whole runs)")
    print(f"COVERAGE_COST_RATIO {c / b:.3f}  (extra wall time {100 * (c / b - 1):+.1f}%)")
    print(json.dumps({"plain_s": round(b, 3), "coverage_s": round(c, 3), "ratio": round(c / b, 3),
                      "coverage_step_s": round(own, 3), "rounds": args.repeat}))


if __name__ == "__main__":
    main()
