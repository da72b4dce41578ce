"""Translation benchmarks, TransCoder style: ranked candidate translations, test scripts, computational accuracy.

    from execeval.translation import evaluate_translations
    summary = evaluate_translations("candidates.jsonl", "scripts/", "runs/tc", ns=(1, 5))
    summary["by_language"]["cpp"]["CA@1"]

Each candidate is filled into its function's script (`scripts.fill_in`), built and run once through the sandbox
(`harness.run_script`); outcomes are stored in the run directory's store by content (script, candidate, limits,
toolchain, execeval version), so a rerun is free and identical candidates run once. Writes results.jsonl (one line
per candidate) and summary.json (CA@N per target language, first failure kinds, functions without a script).
Format and limits: docs/translation.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import execeval
from execeval.errors import UsageError
from execeval.languages import BuildCache, Language, Toolchain, get_language
from execeval.languages.build import build_key
from execeval.evaluation.programs import TimePolicy
from execeval.metrics.computational_accuracy import SUCCESS, ca_table, first_failure_kinds
from execeval.runs.files import RESULTS_NAME, atomic_write, write_summary
from execeval.sandbox.base import Sandbox
from execeval.sandbox.factory import open_sandbox
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.runs.store import RunStore
from execeval.translation.harness import KINDS, SANDBOX_ERROR, Outcome, run_script
from execeval.translation.scripts import Candidates, ScriptSet, fill_in, load_candidates

__all__ = ["evaluate_translations", "Outcome", "KINDS", "load_candidates", "fill_in", "DEFAULT_RUN_S"]

DEFAULT_RUN_S = TimePolicy.run_s  # CPU seconds per script run (about ten inputs); wall clock twice that plus 1 s


def evaluate_translations(candidates_path: str | os.PathLike, scripts_dir: str | os.PathLike | ScriptSet,
                          out_dir: str | os.PathLike, *, ns: tuple[int, ...] = (1, 5), workers: int | None = None,
                          run_s: float = DEFAULT_RUN_S, cache: BuildCache | None = None,
                          sandbox: Sandbox | None = None) -> dict:
    """Judge the first max(ns) candidates of every function; return (and write) the summary.

    `sandbox`: any that runs `Command`s and `Script`s (default: `open_sandbox(workers)`, this machine's fork
    servers, which fork Python scripts from their pre-warmed interpreter and execve compilers and binaries); about `capacity` scripts
    are kept in flight."""
    started = time.time()
    if not ns or min(ns) < 1:
        raise UsageError(f"--n {ns}: every N must be at least 1")
    # a directory, or the scripts packed in one JSONL file (read already, when a ScriptSet is given)
    scripts = scripts_dir if isinstance(scripts_dir, ScriptSet) else ScriptSet(scripts_dir)
    groups = load_candidates(candidates_path)
    limits = DEFAULT_LIMITS.with_cpu_budget(run_s)
    cache = cache if cache is not None else BuildCache.default()
    jobs, no_script = _jobs(groups, scripts, max(ns), limits)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    store = RunStore.in_dir(out_dir)
    own = sandbox is None
    sandbox = sandbox or open_sandbox(workers)
    try:
        known = {k: Outcome.from_dict(v) for k, v in store.verdicts({j["key"] for j in jobs}).items()}
        todo = list({j["key"]: j for j in jobs if j["key"] not in known}.values())

        def one(job: dict) -> tuple[str, Outcome]:
            outcome = run_script(job["language"], job["filled"], sandbox, limits, cache)
            if outcome.kind != SANDBOX_ERROR:
                store.put_verdict(job["key"], outcome.as_dict())
            return job["key"], outcome

        with ThreadPoolExecutor(max_workers=max(1, sandbox.capacity)) as threads:
            known.update(threads.map(one, todo))
    finally:
        if own:
            sandbox.close()
        store.close()
    rows = [{"id": j["id"], "language": j["language"], "rank": j["rank"], **known[j["key"]].as_dict()} for j in jobs]
    atomic_write(Path(out_dir) / RESULTS_NAME, "".join(json.dumps(r) + "\n" for r in rows))
    summary = _summary(groups, rows, no_script, ns)
    summary.update({"execeval_version": execeval.__version__, "candidates_source": str(candidates_path),
                    "scripts_dir": str(scripts.path), "run_timeout_s": run_s, "executed": len(todo),
                    "from_store": len(jobs) - len(todo), "elapsed_s": round(time.time() - started, 3)})
    write_summary(out_dir, summary)
    return summary


def _jobs(groups: list[Candidates], scripts: ScriptSet, n_max: int, limits: Limits) -> tuple[list[dict], set]:
    jobs, no_script = [], set()
    toolchains: dict[str, Toolchain] = {}
    for g in groups:
        script = scripts.get(g.function_id, g.language)
        if script is None:
            no_script.add((g.function_id, g.language))
            continue
        lang = get_language(g.language)
        toolchain = toolchains.setdefault(g.language, lang.toolchain())
        for rank, candidate in enumerate(g.candidates[:n_max]):
            filled = fill_in(script, candidate, g.language)
            payload = json.dumps(["transcoder", _recipe(lang, toolchain, filled), limits.as_dict()])
            jobs.append({"id": g.function_id, "language": g.language, "rank": rank, "filled": filled,
                         "key": hashlib.sha256(payload.encode()).hexdigest()})
    return jobs, no_script


def _recipe(lang: Language, toolchain: Toolchain, filled: str) -> str:
    """What an outcome depends on besides its limits: the build's key (the judging code id, toolchain identity,
    compile command and every file it is given, e.g. Java's javafx.util.Pair) over the filled-in script."""
    source = filled.encode()
    command = lang.build_command(toolchain, source) if toolchain.available else None  # missing: never stored
    return build_key(lang, toolchain, command, source)


def _summary(groups: list[Candidates], rows: list[dict], no_script: set, ns: tuple[int, ...]) -> dict:
    by_lang: dict[str, dict] = {}
    for lang in sorted({g.language for g in groups}):
        kinds: dict[str, list[str] | None] = {}
        for g in (g for g in groups if g.language == lang):
            if (g.function_id, lang) in no_script:
                kinds[g.function_id] = None
                continue
            ranked = sorted((r for r in rows if r["id"] == g.function_id and r["language"] == lang),
                            key=lambda r: r["rank"])
            kinds[g.function_id] = [r["kind"] for r in ranked]
        passes = {f: None if k is None else [x == SUCCESS for x in k] for f, k in kinds.items()}
        entry = ca_table(passes, ns)
        entry["first_failure_kinds"] = {f"@{n}": first_failure_kinds(kinds, n) for n in sorted(set(ns))}
        entry["no_script"] = sorted(f for f, k in kinds.items() if k is None)
        entry["kind_counts"] = {k: c for k in KINDS if (c := sum(1 for r in rows if r["language"] == lang
                                                               and r["kind"] == k))}
        entry["functions"] = {f: {"first_success_rank": k.index(SUCCESS) if SUCCESS in k else None,
                                  "first_failure": next((x for x in k if x != SUCCESS), None)}
                              for f, k in kinds.items() if k is not None}
        by_lang[lang] = entry
    return {"ns": sorted(set(ns)), "by_language": by_lang}
