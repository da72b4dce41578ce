#!/usr/bin/env python3
"""MBPP+ judged by execeval and by EvalPlus 0.3.1 on real model samples, in one run, with the same worker count.

    python bench/mbppplus_vs_evalplus.py                      # 717 LDB samples over 239 tasks, first-failure
    python bench/mbppplus_vs_evalplus.py --tasks 20           # a quick look: the first 20 sampled tasks
    python bench/mbppplus_vs_evalplus.py --plus-mode both     # first-failure, then every test
    python bench/mbppplus_vs_evalplus.py --model-samples FILE...   # other files of {"task_id", "solution"}

The tasks are ../shared/data/MbppPlus-dev-20231122.jsonl: EvalPlus's in-repo development snapshot (399 tasks),
NOT the released MBPP+ v0.2.0, so the pass rates printed are not MBPP+ scores; what this compares is the two tools
on the same file. The samples are LDB's seed solutions to MBPP by codellama, gpt-3.5-turbo-0613 and starcoder
(../shared/data/model-samples/ldb-seed-mbpp-*.jsonl: "MBPP/N" -> "Mbpp/N", the whole function as `solution`),
those whose task is in the file: 717 samples over 239 tasks. EvalPlus wants samples for every task of its dataset,
so both tools get a task file of the sampled tasks only (the snapshot's lines, byte for byte), in the work dir:

    EvalPlus   evalplus.evaluate.evaluate(dataset="mbpp", parallel=N, test_details=all_tests), with
               MBPP_OVERRIDE_PATH = that file, its ground-truth cache (XDG_CACHE_HOME/evalplus) cold, then warm
    execeval   execeval.evaluate.evaluate(samples, that file, out, EvalConfig(workers=N, all_tests=all_tests)),
               its reference cache (EXECEVAL_CACHE_DIR) cold, then warm

--plus-mode first-failure (the default) is both tools' defaults; all-tests runs every test (EvalPlus's
--test-details). Each evaluation runs in a fresh process as in evaluate_vs_peers.py, whose functions this reuses:
wall and CPU seconds, execeval's speed-up over EvalPlus (target 5x), its CPU against the bare-fork floor, and
per-sample agreement on `passed` (base tests) and `plus_passed`, with every disagreement listed (task, the
sample's index within its task, the model that wrote it). Nothing is asserted about time.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from collections import Counter
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))
import evaluate_vs_peers as peers  # noqa: E402
from _common import DEFAULT_DATA_DIR, bare_fork_floor, fail, in_work_dir, machine_line, read_jsonl  # noqa: E402

MBPP_PLUS_FILE = "MbppPlus-dev-20231122.jsonl"
LDB_FILES = [f"model-samples/ldb-seed-mbpp-{m}.jsonl" for m in ("codellama", "gpt-3.5-turbo-0613", "starcoder")]
SUBSET_FILE = "MbppPlus-sampled.jsonl"  # the snapshot's lines of the sampled tasks, in the work dir
SAMPLES_FILE = "mbppplus_samples.jsonl"  # {"task_id": "Mbpp/N", "solution"}: for both tools


def mbpp_plus_id(task_id: str) -> str:
    """LDB's "MBPP/76" -> MBPP+'s "Mbpp/76" (an id already in MBPP+'s form is kept)."""
    prefix, _, number = task_id.partition("/")
    if prefix.lower() != "mbpp" or not number:
        raise ValueError(f"not an MBPP task id: {task_id!r}")
    return f"Mbpp/{number}"


def model_name(path: str | os.PathLike) -> str:
    """The model that wrote a sample file: "ldb-seed-mbpp-codellama.jsonl" -> "codellama", else the file's stem."""
    stem = Path(path).name.removesuffix(".jsonl")
    return stem.removeprefix("ldb-seed-mbpp-")


def task_order(plus_path: Path) -> list[str]:
    """The task ids of the MBPP+ file, in its order."""
    return [row["task_id"] for row in read_jsonl(plus_path)]


def convert_samples(files: list[Path], plus_tasks: list[str], tasks: int = 0) -> tuple[list[dict], list[dict]]:
    """The samples of `files` (in the order given, each in file order) whose task is in `plus_tasks`, as
    {"task_id", "solution"} rows, and the manifest: one row per sample with its index within its task
    (completion_id), kind = the model's name, detail "". `tasks` > 0 keeps the first K sampled tasks (MBPP+ order)."""
    known = set(plus_tasks)
    picked = []
    for f in files:
        for row in read_jsonl(f):
            task_id = mbpp_plus_id(row["task_id"])
            if task_id in known:
                picked.append(({"task_id": task_id, "solution": row["solution"]}, model_name(f)))
    sampled = {s["task_id"] for s, _ in picked}
    keep = set([t for t in plus_tasks if t in sampled][:tasks or None])
    samples, manifest, count = [], [], Counter()
    for sample, kind in picked:
        if sample["task_id"] in keep:
            samples.append(sample)
            manifest.append({"task_id": sample["task_id"], "completion_id": count[sample["task_id"]],
                             "kind": kind, "detail": ""})
            count[sample["task_id"]] += 1
    return samples, manifest


def write_subset(plus_path: Path, task_ids: set[str], dst: Path) -> int:
    """The lines of `plus_path` whose task is in `task_ids`, byte for byte, into `dst`; returns how many."""
    kept = 0
    with open(plus_path, "rb") as src, open(dst, "wb") as out:
        for line in src:
            if line.strip() and json.loads(line)["task_id"] in task_ids:
                out.write(line if line.endswith(b"\n") else line + b"\n")
                kept += 1
    return kept


def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, Path, dict]:
    """The subset task file, the sample file and the manifest (keyed as agreement wants), in `work`."""
    samples, manifest = convert_samples(args.sample_files, task_order(args.plus_path), args.tasks)
    if not samples:
        fail(f"no sample of {', '.join(map(str, args.sample_files))} is for a task of {args.plus_path}")
    subset, sample_file = work / SUBSET_FILE, work / SAMPLES_FILE
    n_tasks = write_subset(args.plus_path, {s["task_id"] for s in samples}, subset)
    with open(sample_file, "w", encoding="utf-8") as f:
        f.writelines(json.dumps(s) + "\n" for s in samples)
    kinds = Counter(m["kind"] for m in manifest)
    print(f"samples: {len(samples)} over {n_tasks} tasks ({', '.join(f'{k} {v}' for k, v in kinds.items())})")
    return subset, sample_file, {(m["task_id"], m["completion_id"]): m for m in manifest}


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR),
                    help=f"holds {MBPP_PLUS_FILE} and model-samples/ (default: %(default)s)")
    ap.add_argument("--model-samples", metavar="FILE", nargs="+",
                    help="sample files of {task_id: 'MBPP/N' or 'Mbpp/N', solution: the whole function} (default: "
                         "the three LDB MBPP seed files in DATA_DIR/model-samples)")
    ap.add_argument("--workers", type=positive, default=os.cpu_count() or 1,
                    help="for every tool (default: %(default)s)")
    ap.add_argument("--tasks", type=positive, default=0, help="only the first K sampled tasks (default: all)")
    ap.add_argument("--plus-mode", choices=["first-failure", "all-tests", "both"], default="first-failure",
                    help="stop at a sample's first failure (both tools' defaults) or run every test (EvalPlus "
                         "--test-details, execeval --all-tests) (default: %(default)s)")
    ap.add_argument("--skip", action="append", default=[], choices=["evalplus", "execeval"],
                    help="leave a tool out (no ratios or agreement then)")
    ap.add_argument("--tool-timeout", type=float, default=3600.0,
                    help="stop one evaluation after this many seconds and report it as such (default: %(default)s)")
    ap.add_argument("--work-dir", help="keep every output here (default: a temporary dir, removed at the end)")
    return ap.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    data = Path(args.data_dir)
    args.plus_path = data / MBPP_PLUS_FILE
    args.sample_files = [Path(f) for f in args.model_samples] if args.model_samples else [data / f for f in LDB_FILES]
    for path in [args.plus_path, *args.sample_files]:
        if not path.is_file():
            fail(f"{path} not found. The benchmark data lives in ../shared/data relative to the repo root (see "
                 f"SOURCES.md there); pass --data-dir DIR (or --model-samples FILE...)")
    if "evalplus" not in args.skip and importlib.util.find_spec("evalplus") is None:
        fail(f"evalplus is not installed in {sys.executable} (bench/requirements.txt; see bench/README.md), "
             f"or pass --skip evalplus")
    peers.SKIP.update(args.skip)
    peers.TOOL_TIMEOUT[0] = args.tool_timeout
    print(machine_line())
    return in_work_dir(args.work_dir, "execeval-bench-mbppplus-", lambda work: compare(args, work))


def compare(args: argparse.Namespace, work: Path) -> int:
    print(f"!!! {MBPP_PLUS_FILE} is EvalPlus's in-repo dev snapshot, NOT the released MBPP+ v0.2.0: the pass "
          f"rates below are not MBPP+ scores; this compares the two tools on the same file")
    subset, samples, manifest = prepare(args, work)
    n = len(manifest)
    print(f"workers: {args.workers} for every tool; work dir: {work}")
    peers.FLOOR.append(bare_fork_floor())
    print(f"bare-fork floor on this machine: {1000 * peers.FLOOR[-1][0]:.2f} ms CPU per fork + _exit + waitpid")
    (work / "logs").mkdir(exist_ok=True)
    disagreements: list[str] = []
    for mode in (["first-failure", "all-tests"] if args.plus_mode == "both" else [args.plus_mode]):
        disagreements += peers.compare_plus(work, "MBPP+ dev", mode, samples, subset, "mbpp", "MBPP_OVERRIDE_PATH", n,
                                            manifest, args.workers)
    print(f"\n{len(disagreements)} disagreement(s) in all" + (": each needs an explanation" if disagreements else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
