#!/usr/bin/env python3
"""TransCoder's own GfG test scripts, each filled with its own `f_gold`: what CA@1 the harness gives the reference.

    python bench/transcoder_gold.py --codegen CODEGEN_CHECKOUT            # every script, C++, Java and Python
    python bench/transcoder_gold.py --codegen DIR --languages java --limit 50   # a quick look
    python bench/transcoder_gold.py --scripts gfg_test_scripts_cpp_java_python.jsonl   # the scripts packed

CODEGEN_CHECKOUT is a checkout of facebookresearch/CodeGen (or its `data/transcoder_evaluation_gfg` directory);
--scripts takes that directory or the scripts packed in one JSONL file (docs/translation.md).
Every script's reference is its `f_gold`: from the line that first names it to the `TOFILL` line. Filled in as the
candidate (renamed `f_filled`, as any candidate is), a correct harness scores every script `success`; anything
else is a failure of the script with its own gold, printed with its kind and reason (the table in
docs/translation.md). Outcomes are kept in --out (the run store and its build cache): a rerun executes nothing.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from execeval.languages import BuildCache  # noqa: E402
from execeval.runs.files import read_results  # noqa: E402
from execeval.translation import evaluate_translations  # noqa: E402
from execeval.translation.scripts import ScriptSet  # noqa: E402

GFG = Path("data") / "transcoder_evaluation_gfg"
GOLD = "f_gold"
MARKER = "TOFILL"


def scripts_dir(codegen: Path) -> Path:
    for d in (codegen / GFG, codegen):
        if (d / "java").is_dir() or (d / "cpp").is_dir() or (d / "python").is_dir():
            return d
    sys.exit(f"transcoder_gold: no {GFG}/<language>/ under {codegen}; give a checkout of facebookresearch/CodeGen")


def gold_of(script: str) -> str | None:
    """The script's reference: the lines from the first naming `f_gold` up to the TOFILL line."""
    lines = script.split("\n")
    marker = next((i for i, line in enumerate(lines) if MARKER in line), None)
    first = next((i for i, line in enumerate(lines) if GOLD in line), None)
    if marker is None or first is None or first > marker:
        return None
    return "\n".join(lines[first:marker]).strip()


def write_candidates(scripts: ScriptSet, languages: list[str], limit: int | None, path: Path
                     ) -> dict[str, list[str]]:
    """One candidate per script (its gold); returns the scripts with no gold to fill, per language."""
    unusable: dict[str, list[str]] = {}
    with path.open("w", encoding="utf-8") as out:
        for lang in languages:
            for fid in scripts.ids(lang)[:limit]:
                gold = gold_of(scripts.get(fid, lang) or "")
                if gold is None:
                    unusable.setdefault(lang, []).append(fid)
                    continue
                out.write(json.dumps({"id": fid, "language": lang, "candidates": [gold]}) + "\n")
    return unusable


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = ap.add_mutually_exclusive_group(required=True)
    source.add_argument("--codegen", type=Path, help="a facebookresearch/CodeGen checkout")
    source.add_argument("--scripts", type=Path, help="a scripts directory or the scripts packed in a JSONL file")
    ap.add_argument("--languages", default="cpp,java,python")
    ap.add_argument("--limit", type=int, default=None, help="only the first N scripts of each language")
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "execeval-transcoder-gold")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--run-timeout", type=float, default=None, help="CPU seconds per script run (default: execeval's)")
    args = ap.parse_args()
    languages = [lang.strip() for lang in args.languages.split(",") if lang.strip()]
    scripts = ScriptSet(args.scripts if args.scripts else scripts_dir(args.codegen))
    args.out.mkdir(parents=True, exist_ok=True)
    candidates = args.out / "gold_candidates.jsonl"
    unusable = write_candidates(scripts, languages, args.limit, candidates)
    opts = {"run_s": args.run_timeout} if args.run_timeout else {}
    start = time.monotonic()
    summary = evaluate_translations(candidates, scripts, args.out / "run", ns=(1,), workers=args.workers,
                                    cache=BuildCache(args.out / "builds"), **opts)
    print(f"scripts: {scripts.path}  ({summary['executed']} run, {summary['from_store']} from the store, "
          f"{time.monotonic() - start:.1f} s)")
    for lang, entry in summary["by_language"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in entry["kind_counts"].items())
        print(f"{lang:7s} CA@1 {entry['CA@1']:.4f}  ({entry['n_functions']} scripts: {kinds})")
    failing = [r for r in read_results(args.out / "run") if r["kind"] != "success"]
    for lang, stems in unusable.items():
        failing += [{"language": lang, "id": s, "kind": "no_gold", "detail": f"no {GOLD} before {MARKER}"}
                    for s in stems]
    print(f"\n{len(failing)} scripts fail with their own gold:")
    for r in sorted(failing, key=lambda r: (r["language"], r["id"])):
        print(f"  {r['language']:7s} {r['id']:60s} {r['kind']:14s} {r['detail']}")


if __name__ == "__main__":
    main()
