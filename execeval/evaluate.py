"""The main job: a file of model outputs in, trustworthy scores out.

    from execeval.evaluate import evaluate, EvalConfig
    summary = evaluate("samples.jsonl", "humaneval", "runs/he", EvalConfig(k=(1, 10)))

Flow: load tasks and samples → run each task's reference once (expected outputs and CPU calibration, cached) →
one job per distinct program, all in one global longest-first queue over every worker → verdicts committed to the
run store as they arrive (a rerun skips them) → timeouts re-run once alone → metrics → results.jsonl,
summary.json.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import execeval
from execeval.calibration import Calibration
from execeval.errors import ExecevalError, UsageError
from execeval.executor import EVALUATING, Executor
from execeval.progress import NullReporter, Reporter
from execeval.judges import FUNCTION, task_kind
from execeval.programs import (Job, Reference, TestPlan, TimePolicy, build_job, plan_build_and_run, plan_tests,
                               reference_job, reference_limits)
from execeval.runfiles import write_results, write_summary
from execeval.runrecord import SampleRun
from execeval.sandbox.base import Call, CaseStatus, IsolationReport, Sandbox
from execeval.sandbox.forkserver import ForkServerSandbox
from execeval.samples import Matching, Sample, SampleSet, load_samples, match_samples, program_for
from execeval.scoring import score_run
from execeval.store import RunStore
from execeval.tasks import load_tasks
from execeval.tasks.model import Task, TaskSet
from execeval.verdict import Verdict

if TYPE_CHECKING:
    from execeval.languages import BuildCache


REFERENCES = "references"  # the progress phase of reference runs
REFERENCE_UNITS = "/reference-machine-s"  # in the cache keys of references: their CPU times are normalized


@dataclass(frozen=True)
class EvalConfig:
    """Settings of one evaluation; every field has the CLI flag of the same name."""

    k: tuple[int, ...] = (1, 10, 100)
    workers: int | None = None  # default: every core
    policy: TimePolicy = field(default_factory=TimePolicy)
    all_tests: bool = False  # run every test instead of stopping at the first failure
    plus: bool = True  # use EvalPlus's plus tests when the tasks have them
    rerun_timeouts: bool = True  # re-run wall-clock timeouts once, alone, before they are final
    skip_bad_lines: bool = False
    split: str = "test"
    data_dir: str | None = None
    build_cache: BuildCache | None = None  # for compiled languages; None: `BuildCache.default()`
    coverage: bool = False  # measure line/branch coverage of each passing candidate under its tests
    min_coverage: float | None = None  # a pass below this coverage becomes `passed_undertested`
    difftest: bool = False  # search for inputs on which a passing sample and the reference differ


def evaluate(samples: str | os.PathLike | SampleSet, tasks: str | os.PathLike | TaskSet, out_dir: str | os.PathLike,
             config: EvalConfig = EvalConfig(), *, reporter: Reporter | None = None,
             sandbox: ForkServerSandbox | None = None) -> dict:
    """Evaluate `samples` against `tasks`, writing results.jsonl and summary.json into `out_dir`. Returns the
    summary. Resumes from `out_dir`'s store: verdicts already there are not recomputed."""
    started = time.time()
    reporter = reporter or NullReporter()
    taskset = tasks if isinstance(tasks, TaskSet) else load_tasks(tasks, data_dir=config.data_dir,
                                                                   split=config.split)
    sampleset = samples if isinstance(samples, SampleSet) else load_samples(
        samples, skip_bad_lines=config.skip_bad_lines, task_ids=[t.task_id for t in taskset.tasks])
    matching = match_samples(sampleset, taskset)
    if not matching.pairs:
        raise UsageError(f"no sample matches a task of {taskset.name}"
                         + (f" (sample ids like {matching.unknown_ids[0]!r})" if matching.unknown_ids else ""),
                         hint="check --tasks: the samples may be for another benchmark")
    if sampleset.bad_lines:  # --skip-bad-lines: say so, not only in summary.json
        reporter.note(f"[yellow]{len(sampleset.bad_lines)} malformed sample line(s) skipped, e.g. "
                      f"{sampleset.bad_lines[0]}")
    for line in _matching_notes(matching):
        reporter.note(line)
    with open_run(out_dir, config, reporter, sandbox) as (store, sandbox, calibration):
        used_tasks = list({t.task_id: t for t, _ in matching.pairs}.values())
        waiting: dict[str, list[int]] = {}
        for i, (task, _) in enumerate(matching.pairs):
            waiting.setdefault(task.task_id, []).append(i)
        runs: list[SampleRun] = [None] * len(matching.pairs)  # type: ignore[list-item]
        executor = Executor(sandbox, store, reporter, rerun_timeouts=config.rerun_timeouts,
                            build_cache=config.build_cache)

        def start(task: Task, reference: Reference | None) -> None:
            """Queue a task's samples as soon as its limits are known: no core waits for the last reference."""
            if len(waiting) == len(used_tasks):
                reporter.phase(EVALUATING, len(runs))
            plan = plan_for(task, reference, replace(config, policy=calibration.policy()))  # measured once
            new = [sample_run(plan, matching.pairs[i][1]) for i in waiting[task.task_id]]
            for i, run in zip(waiting.pop(task.task_id), new):
                runs[i] = run
            executor.add(new)

        references = compute_references(used_tasks, sandbox, store, config, reporter, calibration, on_ready=start)
        for task in used_tasks:
            if task.task_id in waiting:  # built and run in its own language: no reference
                start(task, None)
        config = replace(config, policy=calibration.policy())
        stats = executor.finish()
        stats.update(after_verdicts(runs, sandbox, store, config, reporter))
        isolation = sandbox.isolation()
    summary = build_summary(runs, taskset, sampleset, matching, references, config, isolation, started, stats)
    write_results(out_dir, runs)
    write_summary(out_dir, summary)
    return summary


@contextmanager
def open_run(out_dir: str | os.PathLike, config: EvalConfig, reporter: Reporter,
             sandbox: ForkServerSandbox | None = None) -> Iterator[tuple[RunStore, ForkServerSandbox, Calibration]]:
    """The run's store, a sandbox (the caller's, or one made here and closed at the end), and the run's machine
    speed, being measured in the sandbox unless known (`Calibration.policy()` gives the calibrated time policy)."""
    store = RunStore.in_dir(out_dir)
    own = sandbox is None
    sandbox = sandbox or ForkServerSandbox(config.workers)
    try:
        yield store, sandbox, Calibration(config.policy, sandbox, store, shared_cache())
    finally:
        reporter.close()
        if own:
            sandbox.close()
        store.close()


def after_verdicts(runs: list[SampleRun], sandbox: Sandbox, store: RunStore, config: EvalConfig,
                   reporter: Reporter) -> dict:
    """Trust signals measured once verdicts are known (only passes need them): coverage of the candidate under
    its tests (`--coverage`, `--min-coverage`) and a search for inputs that tell a pass from the reference
    (`--difftest`). Each adds fields to `SampleRun.extra` (then to results.jsonl) and returns its summary part."""
    stats: dict = {}
    if config.coverage or config.min_coverage is not None:
        from execeval.coverage import measure_coverage

        stats["coverage"] = measure_coverage(runs, sandbox, store, config.min_coverage, reporter)
    if config.difftest:
        from execeval.protocols.difftest import check_test_strength

        stats["difftest"] = check_test_strength(runs, sandbox, store, reporter)
    return stats


def plan_for(task: Task, reference: Reference | None, config: EvalConfig) -> TestPlan:
    """A task's plan: a Python function task calibrated by its reference, the others with fixed run limits."""
    if reference is not None:
        return plan_tests(task, reference, config.policy, plus=config.plus, all_tests=config.all_tests)
    return plan_build_and_run(task, config.policy, plus=config.plus, all_tests=config.all_tests)


def test_plans(tasks: Iterable[Task], references: dict[str, Reference], config: EvalConfig) -> dict[str, TestPlan]:
    return {t.task_id: plan_for(t, references.get(t.task_id), config) for t in tasks}


def sample_run(plan: TestPlan, sample: Sample) -> SampleRun:
    program = program_for(plan.task, sample)
    return SampleRun(plan.task, sample, program, build_job(plan, program))


def build_summary(runs: list[SampleRun], taskset: TaskSet, sampleset: SampleSet, matching: Matching | None,
                  references: dict[str, Reference], config: EvalConfig, isolation: IsolationReport,
                  started: float, stats: dict) -> dict:
    """summary.json: the metrics, and everything needed to know what was measured and how."""
    summary = score_run(runs, taskset, config.k, plus=config.plus and taskset.has_plus)
    summary.update({
        "execeval_version": execeval.__version__, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "benchmark": taskset.name, "tasks_source": taskset.source, "tasks_sha256": taskset.content_hash,
        "samples_source": sampleset.source, "samples_format": sampleset.format, "bad_lines": sampleset.bad_lines,
        "unknown_task_ids": matching.unknown_ids if matching else [],
        "ambiguous_task_ids": matching.ambiguous if matching else {},
        "tasks_without_samples": matching.missing if matching else [],
        "duplicate_samples": matching.duplicates if matching else [],
        "reference_failures": {t: list(r.failures) for t, r in references.items() if r.failures},
        "settings": {"k": list(config.k), "workers": config.workers or os.cpu_count(), "all_tests": config.all_tests,
                     "plus": config.plus, "split": config.split, "timeout_floor_s": config.policy.floor_s,
                     "plus_timeout_floor_s": config.policy.plus_floor_s, "machine_speed": config.policy.speed,
                     "timeout_floor_cpu_s": config.policy.here(config.policy.floor_s),
                     "time_factor": config.policy.factor, "memory_mb": config.policy.memory_mb,
                     "run_timeout_s": config.policy.run_s},
        "isolation": isolation.as_dict(), "elapsed_s": round(time.time() - started, 3), **stats,
    })
    return summary


def _matching_notes(m: Matching) -> Iterable[str]:
    if m.unknown_ids:
        yield f"[yellow]{len(m.unknown_ids)} sample task id(s) match no task, skipped: {', '.join(m.unknown_ids[:10])}"
    if m.ambiguous:
        yield f"[yellow]{len(m.ambiguous)} ambiguous task id(s), skipped: {', '.join(list(m.ambiguous)[:10])}"
    if m.missing:
        yield f"[yellow]{len(m.missing)} task(s) have no samples: {', '.join(m.missing[:10])}"
    if m.duplicates:
        yield f"[yellow]{len(m.duplicates)} duplicate sample(s) dropped, e.g. {m.duplicates[0]}"


def compute_references(tasks: list[Task], sandbox: ForkServerSandbox, store: RunStore, config: EvalConfig,
                       reporter: Reporter, calibration: Calibration,
                       on_ready: Callable[[Task, Reference], None] | None = None) -> dict[str, Reference]:
    """Run each task's reference solution once: expected outputs for `Call` tests and CPU time per test.

    Cached in the store by content hash, so a rerun (or another run sharing the directory) skips it. Only Python
    function tasks have one: tasks built and run in their own language are judged without (fixed run limits).
    CPU times are divided by this machine's speed (`calibration`): the caches hold reference-machine seconds.
    `on_ready(task, reference)` is called for each as soon as it is known (cached ones first).
    """
    from execeval.programs import job_key

    tasks = [t for t in tasks if task_kind(t) == FUNCTION]

    jobs = {t.task_id: reference_job(t, config.plus) for t in tasks}
    limits = {tid: reference_limits(p, config.policy) for tid, p in jobs.items()}
    keys = {tid: job_key(p, limits[tid]) + REFERENCE_UNITS for tid, p in jobs.items()}
    cache = shared_cache()
    cached = store.references(keys.values())
    if cache is not None and len(cached) < len(keys):
        for key, data in cache.references(set(keys.values()) - cached.keys()).items():
            store.put_reference(key, data)
            cached[key] = data
    refs = {tid: Reference.from_dict(cached[k]) for tid, k in keys.items() if k in cached}
    by_id = {t.task_id: t for t in tasks}
    if on_ready is not None:
        for tid, ref in refs.items():
            on_ready(by_id[tid], ref)
    todo = [tid for tid in jobs if tid not in refs]
    if not todo:
        return refs
    reporter.phase(REFERENCES, len(todo))
    futures: dict[Future, str] = {sandbox.submit(jobs[tid], limits[tid], priority=-len(jobs[tid].cases)): tid
                                  for tid in todo}
    for fut in as_completed(futures):
        tid = futures[fut]
        result = fut.result()
        program = jobs[tid]
        by_index = {c.index: c for c in result.cases}
        speed = calibration.policy().speed or 1.0
        outputs, cpu, failures = [], [], []
        for i, case in enumerate(program.cases):
            got = by_index.get(i)
            ok = got is not None and got.status is CaseStatus.PASSED
            outputs.append(got.output if ok and isinstance(case, Call) else None)
            cpu.append(round(got.cpu_s / speed, 6) if got is not None else 0.0)
            if not ok:
                why = (got.error_type or got.status.value) if got else (result.error_type or result.status.value)
                failures.append(f"test {i}: {why}" + (f" {got.message[:200]}" if got and got.message else ""))
        ref = Reference(tuple(outputs), tuple(cpu), tuple(failures))
        store.put_reference(keys[tid], ref.as_dict())
        if cache is not None:
            cache.put_reference(keys[tid], ref.as_dict())
        refs[tid] = ref
        reporter.advance(not failures, phase=REFERENCES)
        if on_ready is not None:
            on_ready(by_id[tid], ref)
    return refs


def shared_cache() -> RunStore | None:
    """Reference runs shared by every run of this user (EXECEVAL_CACHE_DIR, else ~/.cache/execeval): a new run
    directory on a known benchmark skips straight to the samples. None when that place is not writable."""
    base = os.environ.get("EXECEVAL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "execeval")
    try:
        return RunStore(Path(base) / "references.sqlite")
    except (OSError, ExecevalError):
        return None
