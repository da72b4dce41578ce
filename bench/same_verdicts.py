"""Do two checkouts give the same verdicts? The check behind every "no behaviour change" claim.

Evaluates the same inputs with each checkout's own code (a fresh run directory each, so no store is shared)
and prints, per input, how many samples agree on status, error type and first failing test, and the ones
that do not:

    python bench/same_verdicts.py --base /tmp/old-checkout --new . [--only demo,humaneval-real]

Inputs: the demo benchmark; HumanEval's and MBPP's reference solutions and their mutants (make_samples.py's);\nthe real model
samples of ../shared/data/model-samples (HumanEval and MBPP, LDB's seed solutions). Inputs whose data is
absent are left out, and said so.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_DATA_DIR, REPO_ROOT, read_jsonl
from make_samples import Solution, make_sample

_CLI = "import sys; sys.path.insert(0, sys.argv.pop(1)); from execeval.cli import main; main()"
_COMPARED = ("status", "error_type", "first_failure", "tests_passed")
# A time limit is this machine's measured speed times a floor: the two checkouts may find different speeds (one
# re-measures when its CPU-time reading code differs; checkouts older than that key the cache by their code id), so
# the number in "case CPU time over 0.225s" may move; the verdict may not.
_LIMIT = re.compile(r"over \d+(\.\d+)?s")


def _inputs(data_dir: Path, work: Path) -> dict[str, list[str]]:
    """name -> `execeval evaluate` arguments (before --out)."""
    found = {"demo": ["--demo"]}
    if (data_dir / "HumanEval.jsonl.gz").is_file():
        subprocess.run([sys.executable, str(REPO_ROOT / "bench" / "make_samples.py"), "--data-dir", str(data_dir),
                        "--out", str(work / "made")], check=True, stdout=subprocess.DEVNULL)
        found["humaneval-mutants"] = [str(work / "made" / "humaneval_samples.jsonl"), "--tasks",
                                      str(data_dir / "HumanEval.jsonl.gz")]
    if (data_dir / "mbpp.jsonl").is_file():
        _mbpp_mutants(data_dir / "mbpp.jsonl", work / "mbpp-mutants.jsonl")
        found["mbpp-mutants"] = [str(work / "mbpp-mutants.jsonl"), "--tasks", str(data_dir / "mbpp.jsonl"),
                                 "--split", "test"]
    for bench, tasks in (("humaneval", "HumanEval.jsonl.gz"), ("mbpp", "mbpp.jsonl")):
        files = sorted((data_dir / "model-samples").glob(f"ldb-seed-{bench}-*.jsonl"))
        if files and (data_dir / tasks).is_file():
            merged = work / f"{bench}-real.jsonl"
            with merged.open("w") as out:  # one file, one completion per model: task_id + the whole function
                for f in files:
                    for row in read_jsonl(f):
                        out.write(json.dumps({"task_id": row["task_id"], "solution": row["solution"]}) + "\n")
            found[f"{bench}-real"] = [str(merged), "--tasks", str(data_dir / tasks)] + (
                ["--split", "test"] if bench == "mbpp" else [])
    return found


def _mbpp_mutants(mbpp: Path, out: Path, per_task: int = 5, seed: int = 0) -> None:
    """MBPP's test-split reference programs and make_samples.py's mutants of them, as whole programs: the
    reference is cut after its entry point's `def` line, so the mutants change the body as they do HumanEval's."""
    with out.open("w") as f:
        for rec in read_jsonl(mbpp):
            if not 11 <= rec["task_id"] <= 510:
                continue
            name = re.search(r"(\w+)\s*\(", rec["test_list"][0].removeprefix("assert")).group(1)
            defs = [n for n in ast.parse(rec["code"]).body if isinstance(n, ast.FunctionDef) and n.name == name]
            if not defs:
                continue
            lines = rec["code"].replace("\r\n", "\n").splitlines(keepends=True)
            cut = defs[-1].body[0].lineno - 1
            task = {"task_id": f"Mbpp/{rec['task_id']}", "prompt": "".join(lines[:cut]),
                    "canonical_solution": "".join(lines[cut:]), "entry_point": name}
            try:
                solution = Solution(task)
            except ValueError:
                continue
            for i in range(per_task):
                completion = make_sample(task, solution, i, seed)[0]
                f.write(json.dumps({"task_id": task["task_id"], "solution": task["prompt"] + completion}) + "\n")


def _evaluate(checkout: Path, args: list[str], out: Path, fields: tuple[str, ...]) -> dict[tuple[str, int], tuple]:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI, str(checkout), "evaluate", *args, "--out", str(out)],
                          capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(checkout)})
    if done.returncode != 0:
        sys.exit(f"same_verdicts: {checkout} failed on {args}:\n{done.stderr[-2000:]}")
    print(f"  {checkout}: {time.perf_counter() - start:.1f} s", flush=True)
    return {(r["task_id"], r["completion_id"]): tuple(_LIMIT.sub("over <limit>", str(r.get(k))) for k in fields)
            for r in read_jsonl(out / "results.jsonl")}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True, type=Path, help="the checkout to compare against")
    ap.add_argument("--new", default=REPO_ROOT, type=Path, help="the checkout under test (default: this one)")
    ap.add_argument("--data-dir", default=DEFAULT_DATA_DIR, type=Path)
    ap.add_argument("--only", help="comma-separated input names (demo, humaneval-mutants, mbpp-mutants, humaneval-real, mbpp-real)")
    ap.add_argument("--fields", default=",".join(_COMPARED),
                    help="results.jsonl fields compared (default: %(default)s; `status` alone when a change "
                         "rewords messages on purpose)")
    opts = ap.parse_args()
    fields = tuple(opts.fields.split(","))
    differ = 0
    with tempfile.TemporaryDirectory(prefix="same-verdicts-") as tmp:
        work = Path(tmp)
        inputs = _inputs(opts.data_dir, work)
        wanted = opts.only.split(",") if opts.only else list(inputs)
        for name in wanted:
            if name not in inputs:
                print(f"{name}: no data in {opts.data_dir}, left out")
                continue
            print(f"{name}:", flush=True)
            base = _evaluate(opts.base.resolve(), inputs[name], work / f"base-{name}", fields)
            new = _evaluate(opts.new.resolve(), inputs[name], work / f"new-{name}", fields)
            wrong = sorted(k for k in base.keys() | new.keys() if base.get(k) != new.get(k))
            differ += len(wrong)
            print(f"  {len(base) - len(wrong)}/{len(base)} agree on {', '.join(fields)}")
            for key in wrong[:20]:
                print(f"  DIFFERS {key}: base {base.get(key)} new {new.get(key)}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
