"""Line and branch coverage of each passing candidate under its task's tests (`evaluate --coverage`).

A pass over tests that execute 40% of the candidate is weaker evidence than one at 100% (*Guaranteed Guess*).
Only passes need the figure, so it is measured once every verdict is known (`execeval.evaluation.pipeline.after_verdicts`),
by one module per language family:

    python   Python function tasks        a sys.settrace arc tracer in the job, coverage.py's analysis outside
    gcov     C and C++ (test programs     a `-O0 --coverage` build of the same program, its tests run again,
             and stdin/stdout programs)   gcov's JSON of the counts

Every other passing sample (Java, JavaScript, Bash, SQL, Python stdin/stdout programs) is counted `unsupported`
and never gated; docs/trust.md says why. Results are cached in the run store by the job's key and the method's
version, so a rerun measures nothing again.

A pass whose coverage is under `min_coverage` becomes `passed_undertested`: not a pass, counted apart, and pass@k
is reported both ways (`execeval.evaluation.scoring`). Coverage is the combined figure coverage.py reports with --branch:
(covered lines + covered branches) / (lines + branches), for every language.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import TYPE_CHECKING

from execeval.coverage import gcov, python
from execeval.coverage.figures import COVERAGE_PHASE, Figures
from execeval.coverage.python import figures, possible, tracer_job
from execeval.errors import UsageError
from execeval.evaluation.programs import BuildAndRun
from execeval.evaluation.verdict import PASSED, PASSED_UNDERTESTED

if TYPE_CHECKING:
    from execeval.languages import BuildCache
    from execeval.progress import Reporter
    from execeval.evaluation.runrecord import SampleRun
    from execeval.sandbox.base import Sandbox
    from execeval.runs.store import RunStore

__all__ = ["COVERAGE_PHASE", "Figures", "figures", "measure_coverage", "possible", "tracer_job"]

RECORD = "coverage"  # run store kind; keyed by the sample job's key and the measuring module's method version
METHODS = {"python": "sys.settrace arcs + coverage.py analysis", "c/cpp": "gcc -O0 --coverage + gcov JSON"}


def measure_coverage(runs: list["SampleRun"], sandbox: "Sandbox", store: "RunStore", min_coverage: float | None,
                     reporter: "Reporter", build_cache: "BuildCache | None" = None) -> dict:
    """Measure every passing sample's coverage where its language has a way (cached in the store), put it in
    `run.extra["coverage"]`, gate passes under `min_coverage` as `passed_undertested`, and return summary.json's
    "coverage" part. `build_cache` holds the C/C++ coverage builds (default: the user's)."""
    if min_coverage is not None and not 0.0 <= min_coverage <= 1.0:
        raise UsageError(f"--min-coverage {min_coverage}: must be between 0 and 1", hint="e.g. --min-coverage 0.9")
    passes = [r for r in runs if r.verdict is not None and r.verdict.status == PASSED]
    records: dict[str, dict] = {}
    todo: dict[object, list[SampleRun]] = {}  # measuring module -> its runs not in the store
    for run in passes:
        module = _module(run)
        if module is None or run.job.key in records:
            continue
        cached = store.record(RECORD, run.job.key + module.METHOD)
        if cached is not None:
            records[run.job.key] = cached
        else:
            todo.setdefault(module, []).append(run)
    if todo:
        reporter.phase(COVERAGE_PHASE, sum(len({r.job.key for r in rs}) for rs in todo.values()))
        for module, module_runs in todo.items():
            for key, rec in module.measure(module_runs, sandbox, reporter, build_cache).items():  # type: ignore[attr-defined]  # the measuring module's functions
                store.put_record(RECORD, key + module.METHOD, rec)  # type: ignore[attr-defined]  # the measuring module's functions
                records[key] = rec
    return _gate(passes, records, min_coverage)


def _module(run: "SampleRun"):
    """The module that measures `run`'s language, or None when none does."""
    return next((m for m in (python, gcov) if m.measurable(run)), None)


def _unsupported(run: "SampleRun") -> str:
    job = run.job.program
    if isinstance(job, BuildAndRun):
        shape = "stdin/stdout programs" if job.language == "python" else "programs"
        return f"no coverage for {job.language} {shape} (docs/trust.md)"
    return "no coverage for this kind of task (docs/trust.md)"


def _gate(passes: list["SampleRun"], records: dict[str, dict], min_coverage: float | None) -> dict:
    counts: Counter = Counter()
    measured = []
    for run in passes:
        v = run.verdict
        rec = records.get(run.job.key)
        if rec is None:
            counts["unsupported"] += 1
            run.extra["coverage"] = {"status": "unsupported", "why": _unsupported(run)}
            continue
        run.extra["coverage"] = rec
        counts[rec["status"]] += 1
        if rec["status"] != "measured":
            continue
        measured.append(rec)
        if min_coverage is not None and rec["coverage"] < min_coverage:
            run.verdict = dataclasses.replace(v, status=PASSED_UNDERTESTED, passed=False,  # type: ignore[type-var]  # the run has a verdict here
                                              plus_passed=None if v.plus_passed is None else False)  # type: ignore[union-attr]  # the run has a verdict here
            counts["undertested"] += 1
    mean = lambda key: round(sum(r[key] for r in measured) / len(measured), 6) if measured else None  # noqa: E731
    return {"min_coverage": min_coverage, "measured": counts["measured"], "unmeasured": counts["unmeasured"],
            "unsupported": counts["unsupported"], "passed_undertested": counts["undertested"],
            "mean_line_coverage": mean("line_coverage"), "mean_branch_coverage": mean("branch_coverage"),
            "mean_coverage": mean("coverage"), "method": METHODS}
