#!/usr/bin/env python3
"""HumanEval-X's own canonical solutions, as samples, through `execeval evaluate`: every one should pass but those
in `EXCEPTIONS` (each with its reason, the table in docs/task-format.md).

    python bench/humaneval_x_gold.py --data-dir DIR                 # every language whose toolchain is here
    python bench/humaneval_x_gold.py --data-dir DIR --languages go,rust

DIR holds the published files, `humaneval_LANG.jsonl.gz` from THUDM/CodeGeeX
(`codegeex/benchmark/humaneval-x/LANG/data/`). Prints, per language, the passes and every task that did not pass,
marked "listed" when it is an expected exception and "NEW" when it is not (exit status 1 then).
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from execeval.evaluate import EvalConfig, evaluate
from execeval.runs.files import read_results

LANGS = ("cpp", "go", "java", "js", "python", "rust")
_RUST_CRATE = "uses a crate (HumanEval-X's Cargo.toml); execeval builds with plain rustc, no crates"
#: task -> why its canonical solution does not pass here (HumanEval-X's harness fails the first two kinds too)
EXCEPTIONS: dict[str, dict[str, str]] = {
    "cpp": {"CPP/22": "includes <boost/any.hpp>: Boost is not installed", "CPP/137": "includes <boost/any.hpp>: "
            "Boost is not installed", "CPP/162": "needs OpenSSL's MD5 (-lcrypto; HumanEval-X links it for 162 only)"},
    "go": {},
    "java": {},
    "js": {"JavaScript/112": "the canonical solution fails its own console.assert (arrays compared with ===; "
           "HumanEval-X fails it too: output on stderr)",
           "JavaScript/155": "the canonical solution fails its own console.assert (HumanEval-X fails it too)",
           "JavaScript/162": "requires the npm package js-md5, not installed"},
    "python": {},
    "rust": {"Rust/38": _RUST_CRATE + " (rand)",
             "Rust/50": _RUST_CRATE + " (rand)", "Rust/53": _RUST_CRATE + " (rand)",
             "Rust/91": _RUST_CRATE + " (regex)", "Rust/162": _RUST_CRATE + " (md5)"},
}


def gold_failures(lang: str, data_dir: Path, out: Path) -> dict[str, str]:
    """task_id -> status of every canonical solution of `lang` that did not pass (a run dir under `out`)."""
    samples = out / f"gold_{lang}.jsonl"
    with gzip.open(data_dir / f"humaneval_{lang}.jsonl.gz", "rt") as f, samples.open("w") as w:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                w.write(json.dumps({"task_id": rec["task_id"], "completion": rec["canonical_solution"]}) + "\n")
    run = out / f"run_{lang}"
    evaluate(samples, f"humaneval-x-{lang}", run, EvalConfig(data_dir=str(data_dir), k=(1,)))
    return {r["task_id"]: r["status"] for r in read_results(run) if r["status"] != "passed"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", required=True, type=Path)
    parser.add_argument("--languages", default=",".join(LANGS))
    parser.add_argument("--out", type=Path, default=None, help="run directories (default: a temporary one)")
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="humaneval-x-gold-"))
    out.mkdir(parents=True, exist_ok=True)
    new = 0
    for lang in args.languages.split(","):
        failures = gold_failures(lang, args.data_dir, out)
        print(f"{lang}: {164 - len(failures)}/164 pass")
        for task_id, status in sorted(failures.items()):
            why = EXCEPTIONS[lang].get(task_id)
            new += why is None
            print(f"  {task_id}: {status} ({'listed: ' + why if why else 'NEW'})")
        for task_id in sorted(set(EXCEPTIONS[lang]) - set(failures)):
            print(f"  {task_id}: passed, though listed as an exception")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
