#!/usr/bin/env python3
"""How long loading a benchmark's task file takes, against just reading it (gunzip + json.loads per line) in the
same run: the loader's own work (building the task model, decoding EvalPlus inputs) shows as the ratio.

    python bench/task_loading.py [--data-dir DIR] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DEFAULT_DATA_DIR, HUMANEVAL_PLUS_FILE, data_file, machine_line  # noqa: E402

from execeval.tasks import load_tasks  # noqa: E402

CASES = [("humaneval", "HumanEval.jsonl.gz"), ("humaneval+", HUMANEVAL_PLUS_FILE),
         ("humaneval+-mini", "HumanEvalPlus-Mini-v0.1.10.jsonl.gz"), ("mbpp", "mbpp.jsonl")]


def _fastest(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR))
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    print(machine_line())
    print(f"{'benchmark':<18} {'read s':>8} {'load_tasks s':>13} {'ratio':>7}")
    for name, file in CASES:
        path = data_file(args.data_dir, file)
        opener = gzip.open if file.endswith(".gz") else open

        def read() -> None:
            with opener(path, "rt", encoding="utf-8") as f:
                [json.loads(line) for line in f if line.strip()]

        raw = _fastest(read, args.repeat)
        loaded = _fastest(lambda: load_tasks(name, data_dir=args.data_dir), args.repeat)
        print(f"{name:<18} {raw:>8.3f} {loaded:>13.3f} {loaded / raw:>6.1f}x")


if __name__ == "__main__":
    main()
