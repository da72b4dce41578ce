"""Guaranteed Guess's protocol: assembly translated between ISAs, accepted only when tested *and* well covered.

    from execeval.translation.guaranteed_guess import evaluate_gg, load_tasks, to_assembly
    summary = evaluate_gg("candidates.jsonl", "runs/gg", min_coverage=0.98)
    summary["by_target"]["asm-aarch64"]["accepted"]

A task is a C function (the gold) with a C unit-test harness (`main` with asserts; execeval's built-in set is
HumanEval converted to C, `execeval/tasks/humaneval_c/`). The model is shown the gold compiled for the source ISA
(`to_assembly`: `gcc -S`), and answers with assembly for the target ISA; the candidate is assembled, linked with
the harness and run (`judges.program_tests`, with the end-of-tests marker), as any test program is. Why coverage
gates acceptance: tests that run 60% of the source program say little about a translation of the rest, so a pass
counts as *accepted with guarantee* only when the same tests cover at least `min_coverage` of the source C's lines
(gcov, `execeval.coverage.gcov`); a pass below that is `passed_undertested`. The figure belongs to the task (its
gold and tests), so it is measured once per task. Format and results: docs/guaranteed-guess.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import execeval
from execeval.codeid import judging_code_id
from execeval.coverage.gcov import METHOD, program_coverage
from execeval.errors import SandboxError, TaskFormatError, UsageError
from execeval.evaluation.programs import BuildAndRun
from execeval.evaluation.verdict import PASSED, PASSED_UNDERTESTED, SANDBOX_ERROR, verdict_of
from execeval.judges.program_tests import judge_test_program
from execeval.languages import LANGUAGES, BuildCache, get_language
from execeval.runs.files import RESULTS_NAME, atomic_write, write_summary
from execeval.runs.store import RunStore
from execeval.sandbox.base import Command, Sandbox, Status
from execeval.sandbox.factory import open_sandbox
from execeval.sandbox.limits import DEFAULT_LIMITS, Limits
from execeval.tasks.model import TestProgram, TestSuite
from execeval.translation.scripts import Candidates, load_candidates

__all__ = ["CTask", "TARGETS", "DEFAULT_MIN_COVERAGE", "load_tasks", "to_assembly", "judge", "source_coverage",
           "evaluate_gg", "target_of", "gold_candidates", "prompts"]

TARGETS = ("c", "asm-x86_64", "asm-aarch64", "asm-riscv64")  # `c`: the protocol with C candidates (a check)
DEFAULT_MIN_COVERAGE = 0.98  # GG's paper: tests must cover more than 98% of the source program
DEFAULT_OPT = "-O0"  # the source ISA's assembly shown to the model: one block per source line, as written
_S_LIMITS = DEFAULT_LIMITS.with_(cpu_s=20.0, wall_s=40.0)
_RECORD = "gg"  # run store kind of a judgement or a task's coverage
_FIELDS = ("task_id", "origin", "function", "gold", "header", "tests")


@dataclass(frozen=True)
class CTask:
    """One program: `gold` is the C source (includes + the function), `header` the includes and the function's
    prototype, `tests` a C `main` that asserts on calls; `header + tests` is the harness a candidate is linked with."""

    task_id: str
    origin: str
    function: str
    gold: str
    header: str
    tests: str

    @property
    def harness(self) -> str:
        return self.header + self.tests


def load_tasks(path: str | os.PathLike | None = None) -> list[CTask]:
    """The task set: a JSONL file of `_FIELDS`, or (None) the built-in HumanEval in C."""
    if path is None:
        text = resources.files("execeval.tasks").joinpath("humaneval_c", "tasks.jsonl").read_text(encoding="utf-8")
        label = "humaneval_c/tasks.jsonl"
    else:
        text, label = Path(path).read_text(encoding="utf-8"), str(path)
    tasks = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
            tasks.append(CTask(**{k: rec[k] for k in _FIELDS}))
        except (ValueError, KeyError, TypeError) as e:
            raise TaskFormatError(f"{label}:{n}: not a GG task ({type(e).__name__}: {e})",
                                  hint="each line needs " + ", ".join(_FIELDS)) from None
    return tasks


def target_of(name: str) -> str:
    """A candidate line's target language, checked (the assembly languages must be registered)."""
    key = name.strip().lower()
    if key not in TARGETS or key not in LANGUAGES:
        have = [t for t in TARGETS if t in LANGUAGES]
        raise UsageError(f"GG target {name!r} is not supported here", hint="one of: " + ", ".join(have))
    return key


def to_assembly(task: CTask, language: str, sandbox: Sandbox, opt: str = DEFAULT_OPT) -> str:
    """The task's gold compiled to `language`'s assembly (`gcc -S` with that ISA's gcc): what the model is shown
    for the source ISA, and the gold candidate for a target. For `c` the gold itself."""
    lang = get_language(language)
    if lang.name == "c":
        return task.gold
    toolchain = lang.toolchain()
    if not toolchain.available:
        raise SandboxError(toolchain.missing_message())
    compiler = toolchain[lang.compiler]  # type: ignore[attr-defined]  # every GG target compiles with a gcc
    result = sandbox.run(Command((compiler, "-std=c17", opt, "-S", "-o", "gold.s", "gold.c"),
                                 files={"gold.c": task.gold.encode()}, collect=("gold.s",)), _S_LIMITS)
    if result.status is not Status.OK or "gold.s" not in result.files:
        raise SandboxError(f"{task.task_id}: {compiler} -S failed: {result.stderr[-300:].decode(errors='replace')}")
    return result.files["gold.s"].decode()


def gold_candidates(tasks: list[CTask], targets: list[str], sandbox: Sandbox, opt: str = DEFAULT_OPT
                    ) -> list[Candidates]:
    """Each task's gold compiled for each target (`to_assembly`): what a perfect translator answers. Judged as
    candidates, every one should pass (the gold check, docs/guaranteed-guess.md)."""
    return [Candidates(t.task_id, target, (to_assembly(t, target, sandbox, opt),), f"gold {opt}")
            for target in map(target_of, targets) for t in tasks]


def prompts(tasks: list[CTask], source: str, sandbox: Sandbox, opt: str = DEFAULT_OPT) -> list[dict]:
    """What the model is shown, per task: the gold compiled for the source ISA, and the function's prototype
    (the symbol the candidate must define and the harness calls)."""
    if target_of(source) == "c":
        raise UsageError("--source c: the model is shown assembly", hint="e.g. --source asm-x86_64")
    return [{"id": t.task_id, "source": source.strip().lower(), "assembly": to_assembly(t, source, sandbox, opt),
             "prototype": t.header.rstrip().rsplit("\n", 1)[-1]} for t in tasks]


def judge(task: CTask, language: str, candidate: str, sandbox: Sandbox, limits: Limits,
          cache: BuildCache | None = None) -> str:
    """The verdict status of one candidate: built with the task's harness and run (passed, failed, ...)."""
    result = judge_test_program(language, candidate, task.harness, sandbox, limits=limits, cache=cache)
    return verdict_of(result, 1).status


def source_coverage(task: CTask, sandbox: Sandbox, limits: Limits, cache: BuildCache | None = None) -> dict:
    """gcov's record for the gold C under the task's tests: the line coverage that gates acceptance."""
    job = BuildAndRun("c", TestSuite((TestProgram(task.harness),)), task.gold)
    return program_coverage(job, limits, sandbox, cache if cache is not None else BuildCache.default())


def evaluate_gg(candidates: str | os.PathLike | list[Candidates], out_dir: str | os.PathLike, *,
                tasks: list[CTask] | None = None, min_coverage: float = DEFAULT_MIN_COVERAGE,
                workers: int | None = None, run_s: float = 2.0, cache: BuildCache | None = None,
                sandbox: Sandbox | None = None) -> dict:
    """Judge every candidate of every (task, target); gate its passes by the source's coverage; write
    results.jsonl (a line per candidate) and summary.json (per target: functional correctness, accepted)."""
    started = time.time()
    if not 0.0 <= min_coverage <= 1.0:
        raise UsageError(f"--min-coverage {min_coverage}: must be between 0 and 1", hint="GG's is 0.98")
    groups = candidates if isinstance(candidates, list) else load_candidates(candidates, target_of)
    by_id = {t.task_id: t for t in (tasks if tasks is not None else load_tasks())}
    unknown = sorted({g.function_id for g in groups} - by_id.keys())
    if unknown:
        raise UsageError(f"{len(unknown)} candidate ids are not tasks of the set, e.g. {unknown[0]!r}",
                         hint="ids look like " + next(iter(by_id), "HumanEval-C/13"))
    limits = DEFAULT_LIMITS.with_cpu_budget(run_s)
    cache = cache if cache is not None else BuildCache.default()
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    memo = _Memo(RunStore.in_dir(out_dir), limits)
    own = sandbox is None
    sandbox = sandbox or open_sandbox(workers)
    try:
        def covered(t: CTask) -> dict:
            return memo.get("coverage", t, "c", t.gold, lambda: source_coverage(t, sandbox, limits, cache))

        def status(job: tuple[Candidates, int, str]) -> str:
            t, target, candidate = by_id[job[0].function_id], job[0].language, job[2]
            return memo.get("verdict", t, target, candidate,
                            lambda: {"status": judge(t, target, candidate, sandbox, limits, cache)})["status"]

        jobs = [(g, rank, c) for g in groups for rank, c in enumerate(g.candidates)]
        with ThreadPoolExecutor(max_workers=max(1, sandbox.capacity)) as threads:
            used = sorted({g.function_id for g in groups})
            coverage = dict(zip(used, threads.map(lambda t: covered(by_id[t]), used)))
            statuses = list(threads.map(status, jobs))
    finally:
        memo.store.close()
        if own:
            sandbox.close()
    rows = [_row(g, rank, status, coverage[g.function_id], min_coverage)
            for (g, rank, _), status in zip(jobs, statuses)]
    atomic_write(Path(out_dir) / RESULTS_NAME, "".join(json.dumps(r) + "\n" for r in rows))
    summary = {"min_coverage": min_coverage, "by_target": _by_target(rows), "coverage": _coverage_part(coverage),
               "execeval_version": execeval.__version__, "run_timeout_s": run_s, "executed": memo.executed,
               "from_store": memo.reused,
               "elapsed_s": round(time.time() - started, 3)}
    write_summary(out_dir, summary)
    return summary


class _Memo:
    """Outcomes kept in the run directory's store by content (judging code, target toolchain, candidate or gold,
    harness, limits): a rerun judges nothing again. A sandbox error is ours and never kept, so a rerun retries it."""

    def __init__(self, store: RunStore, limits: Limits) -> None:
        self.store, self.limits, self.executed, self.reused = store, limits, 0, 0
        self._lock = threading.Lock()

    def get(self, kind: str, task: CTask, target: str, program: str, compute: Callable[[], dict]) -> dict:
        parts = ["gg", kind, judging_code_id(), target, get_language(target).toolchain().identity, program,
                 task.harness, self.limits.as_dict()]
        key = hashlib.sha256(json.dumps(parts).encode()).hexdigest() + (METHOD if kind == "coverage" else "")
        found = self.store.record(_RECORD, key)
        with self._lock:
            self.reused += found is not None
            self.executed += found is None
        if found is not None:
            return found
        record = compute()
        if record.get("status") != SANDBOX_ERROR and record.get("why") != "the sandbox failed":
            self.store.put_record(_RECORD, key, record)
        return record


def _row(group: Candidates, rank: int, status: str, coverage: dict, min_coverage: float) -> dict:
    line = coverage.get("line_coverage") if coverage.get("status") == "measured" else None
    covered = line is not None and line >= min_coverage
    if status == PASSED and not covered:
        status = PASSED_UNDERTESTED
    return {"id": group.function_id, "target": group.language, "rank": rank, "status": status,
            "functional": status in (PASSED, PASSED_UNDERTESTED), "source_line_coverage": line,
            "accepted": status == PASSED}


def _by_target(rows: list[dict]) -> dict:
    """Per target, over programs (a program counts when any of its candidates did): GG's table."""
    out = {}
    for target in sorted({r["target"] for r in rows}):
        programs: dict[str, list[dict]] = {}
        for r in (r for r in rows if r["target"] == target):
            programs.setdefault(r["id"], []).append(r)
        n = len(programs)
        functional = sum(any(r["functional"] for r in rs) for rs in programs.values())
        accepted = sum(any(r["accepted"] for r in rs) for rs in programs.values())
        statuses: dict[str, int] = {}
        for r in (r for r in rows if r["target"] == target):
            statuses[r["status"]] = statuses.get(r["status"], 0) + 1
        out[target] = {"programs": n, "functional_correctness": round(functional / n, 6),
                       "accepted": round(accepted / n, 6), "n_functional": functional, "n_accepted": accepted,
                       "status_counts": statuses,
                       "not_functional": sorted(p for p, rs in programs.items() if not any(r["functional"] for r in rs)),
                       "programs_detail": {p: {"functional": any(r["functional"] for r in rs),
                                               "source_line_coverage": rs[0]["source_line_coverage"],
                                               "accepted": any(r["accepted"] for r in rs)}
                                           for p, rs in sorted(programs.items())}}
    return out


def _coverage_part(coverage: dict[str, dict]) -> dict:
    lines = [c["line_coverage"] for c in coverage.values() if c.get("status") == "measured"]
    return {"method": "gcc -O0 --coverage + gcov JSON, lines of the source C (the gold) under the task's tests",
            "measured": len(lines), "unmeasured": sorted(t for t, c in coverage.items() if c.get("status") != "measured"),
            "mean_line_coverage": round(sum(lines) / len(lines), 6) if lines else None,
            "by_task": {t: c.get("line_coverage") for t, c in sorted(coverage.items())}}
