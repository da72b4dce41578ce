"""One evaluation in progress, whoever supplies the samples: a file (`evaluate`), a model (`run`), a protocol.

    with Pipeline(out_dir, config) as pipe:
        pipe.prepare(tasks)               # each task's reference once (cached), then its samples may run
        pipe.add(task, sample)            # as many as you like, in any order, before or after prepare
        runs, stats = pipe.finish()

Samples of a task start the moment its reference is known, in one global longest-first queue over every worker;
each distinct program runs once; verdicts are committed to the run store as they arrive, so rerunning the same
command resumes. The pipeline owns the run store, the shared reference cache and (unless the caller gives one)
the sandbox, and closes them; it never closes the caller's reporter.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Self

import execeval
from execeval.evaluation.calibration import Calibration
from execeval.errors import ExecevalError
from execeval.evaluation.executor import EVALUATING, Executor
from execeval.judges import FUNCTION, task_kind
from execeval.evaluation.programs import (Reference, TestPlan, TimePolicy, build_job, job_key, plan_build_and_run, plan_tests,
                               all_cases, reference_job, reference_limits)
from execeval.progress import NullReporter, Reporter
from execeval.evaluation.runrecord import SampleRun
from execeval.samples import Matching, Sample, SampleSet, program_for
from execeval.sandbox.base import Call, CaseResult, CaseStatus, IsolationReport, Sandbox
from execeval.sandbox.factory import open_sandbox
from execeval.values import opaque_in
from execeval.evaluation.scoring import score_run
from execeval.runs.store import RunStore
from execeval.tasks.model import Task, TaskSet

if TYPE_CHECKING:
    from execeval.languages import BuildCache

REFERENCES = "references"  # the progress phase of reference runs
REFERENCE_UNITS = "/reference-machine-s"  # in the cache keys of references: their CPU times are normalized


@dataclass(frozen=True)
class EvalConfig:
    """Settings of one evaluation; each field has the flag of the same name on `execeval evaluate` (and every
    execution setting is on `execeval run` too: execeval/cli/options.py builds both from one list)."""

    k: tuple[int, ...] = (1, 10, 100)
    workers: int | None = None  # default: every core
    policy: TimePolicy = field(default_factory=TimePolicy)
    all_tests: bool = False  # run every test instead of stopping at the first failure
    plus: bool = True  # use EvalPlus's plus tests when the tasks have them
    rerun_timeouts: bool = True  # re-run wall-clock timeouts once, alone, before they are final
    skip_bad_lines: bool = False
    sample_format: str = "auto"  # how samples become programs: "auto" (from the content), "completion", "program"
    split: str = "test"
    data_dir: str | None = None
    build_cache: BuildCache | None = None  # for compiled languages; None: `BuildCache.default()`
    coverage: bool = False  # measure line/branch coverage of each passing candidate under its tests
    min_coverage: float | None = None  # a pass below this coverage becomes `passed_undertested`
    difftest: bool = False  # search for inputs on which a passing sample and the reference differ
    executor: str = "local"  # "local": fork servers on this machine; "ray": workers of a Ray cluster
    ray_address: str | None = None  # with executor "ray": the cluster's address (None: start or find a local one)
    since: str | None = None  # YYYY-MM-DD: only tasks dated on or after it (LiveCodeBench's contest_date)
    until: str | None = None  # YYYY-MM-DD: only tasks dated on or before it


def make_sandbox(config: EvalConfig) -> Sandbox:
    """The sandbox a run uses when the caller gives none: this machine's fork servers, or a Ray cluster's."""
    return open_sandbox(config.workers, config.executor, config.ray_address)


class Pipeline:
    """Samples in, verdicts out, over one store and one sandbox (see the module docstring)."""

    def __init__(self, out_dir: str | os.PathLike, config: EvalConfig = EvalConfig(), *,
                 reporter: Reporter | None = None, sandbox: Sandbox | None = None) -> None:
        self.out_dir, self.config = Path(out_dir), config
        self.reporter = reporter or NullReporter()
        self.store = RunStore.in_dir(out_dir)
        self.cache = shared_cache()
        self._own_sandbox = sandbox is None
        try:
            self.sandbox = sandbox or make_sandbox(config)
        except BaseException:
            self._close_stores()
            raise
        self.calibration = Calibration(config.policy, self.sandbox, self.store, self.cache)
        self.executor = Executor(self.sandbox, self.store, self.reporter, rerun_timeouts=config.rerun_timeouts,
                                 build_cache=config.build_cache)
        self.references: dict[str, Reference] = {}
        self.runs: list[SampleRun] = []
        self._plans: dict[str, TestPlan] = {}
        self._waiting: dict[str, list[tuple[int, Sample]]] = {}  # task id -> samples until its plan is known
        self._order: dict[int, int] = {}  # id(run) -> arrival number: runs are given back in arrival order
        self._arrivals = itertools.count()
        self._tasks: dict[str, Task] = {}
        self._evaluating = False

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_sandbox:
            self.sandbox.close()
        self._close_stores()

    def _close_stores(self) -> None:
        self.store.close()
        if self.cache is not None:
            self.cache.close()

    # ------------------------------------------------------------ feeding
    def expect(self, total: int) -> None:
        """How many samples will arrive (the progress bar's total), when known in advance."""
        self.reporter.phase(EVALUATING, total)
        self._evaluating = True

    def add(self, task: Task, sample: Sample) -> SampleRun | None:
        """Queue one sample: at once if its task's plan is known, else as soon as `prepare` knows it."""
        self._tasks.setdefault(task.task_id, task)
        seq = next(self._arrivals)
        plan = self._plans.get(task.task_id)
        if plan is None:
            self._waiting.setdefault(task.task_id, []).append((seq, sample))
            return None
        run = self._run_for(plan, sample, seq)
        self.executor.add([run])
        return run

    def prepare(self, tasks: list[Task]) -> None:
        """Compute (or take from the caches) each task's reference, releasing its waiting samples as it arrives;
        tasks built and run in their own language need none."""
        for task in tasks:
            self._tasks.setdefault(task.task_id, task)
        todo = [t for t in tasks if t.task_id not in self._plans]
        self.references.update(compute_references(todo, self.sandbox, self.store, self.config, self.reporter,
                                                  self.calibration, self.cache, on_ready=self._ready))
        for task in todo:
            if task.task_id not in self._plans:  # no reference: its own language
                self._ready(task, None)

    def _ready(self, task: Task, reference: Reference | None) -> None:
        if not self._evaluating:
            self.expect(sum(len(w) for w in self._waiting.values()))
        plan = plan_for(task, reference, replace(self.config, policy=self.calibration.policy()))  # measured once
        self._plans[task.task_id] = plan
        waiting = self._waiting.pop(task.task_id, [])
        if waiting:
            self.executor.add([self._run_for(plan, sample, seq) for seq, sample in waiting])

    def _run_for(self, plan: TestPlan, sample: Sample, seq: int) -> SampleRun:
        run = sample_run(plan, sample)
        self._order[id(run)] = seq
        self.runs.append(run)
        return run

    # ------------------------------------------------------------ results
    def finish(self) -> tuple[list[SampleRun], dict]:
        """Wait for every verdict (timeouts re-run alone), then the trust signals; the runs in arrival order."""
        if self._waiting:  # samples whose task was never prepared
            self.prepare([self._tasks[t] for t in list(self._waiting)])
        stats = self.executor.finish()
        self.runs.sort(key=lambda r: self._order[id(r)])
        stats.update(after_verdicts(self.runs, self.sandbox, self.store, self.config, self.reporter))
        return self.runs, stats

    def isolation(self) -> IsolationReport:
        return self.sandbox.isolation()

    def summary(self, runs: list[SampleRun], taskset: TaskSet, sampleset: SampleSet, matching: Matching | None,
                started: float, stats: dict) -> dict:
        config = replace(self.config, policy=self.calibration.policy())
        return build_summary(runs, taskset, sampleset, matching, self.references, config, self.isolation(),
                             started, stats)


def after_verdicts(runs: list[SampleRun], sandbox: Sandbox, store: RunStore, config: EvalConfig,
                   reporter: Reporter) -> dict:
    """Trust signals measured once verdicts are known (only passes need them): coverage of the candidate under
    its tests (`--coverage`, `--min-coverage`) and a search for inputs that tell a pass from the reference
    (`--difftest`). Each adds fields to `SampleRun.extra` (then to results.jsonl) and returns its summary part."""
    stats: dict = {}
    if config.coverage or config.min_coverage is not None:
        from execeval.coverage import measure_coverage

        stats["coverage"] = measure_coverage(runs, sandbox, store, config.min_coverage, reporter,
                                             build_cache=config.build_cache)
    if config.difftest:
        from execeval.protocols.difftest.strength import check_test_strength

        stats["difftest"] = check_test_strength(runs, sandbox, store, reporter)
    return stats


def plan_for(task: Task, reference: Reference | None, config: EvalConfig) -> TestPlan:
    """A task's plan: a Python function task calibrated by its reference, the others with fixed run limits."""
    if reference is not None:
        return plan_tests(task, reference, config.policy, plus=config.plus, all_tests=config.all_tests)
    return plan_build_and_run(task, config.policy, plus=config.plus, all_tests=config.all_tests)


def sample_run(plan: TestPlan, sample: Sample) -> SampleRun:
    """A sample's run record under a task's plan (what `Pipeline.add` queues)."""
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
                     "run_timeout_s": config.policy.run_s, "executor": config.executor},
        "isolation": isolation.as_dict(), "elapsed_s": round(time.time() - started, 3), **stats,
    })
    return summary


def compute_references(tasks: list[Task], sandbox: Sandbox, store: RunStore, config: EvalConfig,
                       reporter: Reporter, calibration: Calibration, cache: RunStore | None,
                       on_ready: Callable[[Task, Reference], None] | None = None) -> dict[str, Reference]:
    """Run each task's reference solution once: expected outputs for `Call` tests and CPU time per test.

    Cached in the run store and `cache` (the user's shared one) by content hash, so a rerun (or another run on
    the same benchmark) skips it. Only Python function tasks have one: tasks built and run in their own language
    are judged without (fixed run limits). CPU times are divided by this machine's speed (`calibration`): the
    caches hold reference-machine seconds. `on_ready(task, reference)` is called for each as soon as it is known
    (cached ones first).
    """
    tasks = [t for t in tasks if task_kind(t) == FUNCTION]
    given = {t.task_id: ref for t in tasks if (ref := _given_reference(t, config.plus)) is not None}
    if on_ready is not None:
        for t in tasks:
            if t.task_id in given:
                on_ready(t, given[t.task_id])
    tasks = [t for t in tasks if t.task_id not in given]
    jobs = {t.task_id: reference_job(t, config.plus) for t in tasks}
    limits = {tid: reference_limits(p, config.policy) for tid, p in jobs.items()}
    keys = {tid: job_key(p, limits[tid]) + REFERENCE_UNITS for tid, p in jobs.items()}
    cached = store.references(keys.values())
    if cache is not None and len(cached) < len(keys):
        for key, text in cache.reference_texts(set(keys.values()) - cached.keys()).items():
            store.put_reference(key, text)  # as stored: no second serialisation
            cached[key] = json.loads(text)
    refs = {tid: Reference.from_dict(cached[k]) for tid, k in keys.items() if k in cached}
    by_id = {t.task_id: t for t in tasks}
    if on_ready is not None:
        for tid, ref in refs.items():
            on_ready(by_id[tid], ref)
    todo = [tid for tid in jobs if tid not in refs]
    refs.update(given)
    if not todo:
        return refs
    reporter.phase(REFERENCES, len(todo))
    futures: dict[Future, str] = {sandbox.submit(jobs[tid], limits[tid], priority=-len(jobs[tid].cases)): tid
                                  for tid in todo}
    for fut in as_completed(futures):
        tid = futures[fut]
        ref = _reference_of(jobs[tid], fut.result(), calibration.policy().speed or 1.0)
        text = json.dumps(ref.as_dict())  # once, for both stores (HumanEval+'s references are ~10 MB of text)
        store.put_reference(keys[tid], text)
        if cache is not None:
            cache.put_reference(keys[tid], text)
        refs[tid] = ref
        reporter.advance(not ref.failures, phase=REFERENCES)
        if on_ready is not None:
            on_ready(by_id[tid], ref)
    return refs


def _given_reference(task: Task, plus: bool) -> Reference | None:
    """The expected outputs a task file gives (LiveCodeBench's LeetCode tests), when it has no reference solution
    to run: every case a `Call` with its expectation. Their CPU time is unknown (0: the policy's floor applies)."""
    if task.reference:
        return None
    cases, _ = all_cases(task, plus)
    if not cases or not all(isinstance(c, Call) and c.expected is not None for c in cases):
        return None
    return Reference(tuple(c.expected for c in cases), (0.0,) * len(cases), ())  # type: ignore[union-attr]  # all Calls, checked above


def _reference_of(program, result, speed: float) -> Reference:
    """A reference run's outputs (Call cases), CPU time per test in reference-machine seconds, and failures.
    One per HumanEval+ case (~124k a run), so each is a pass of comprehensions."""
    got = _cases_by_index(result.cases, len(program.cases))
    passed = CaseStatus.PASSED
    outputs = [g.output if g is not None and g.status is passed and isinstance(case, Call) else None
               for g, case in zip(got, program.cases)]
    cpu = [round(g.cpu_s / speed, 6) if g is not None else 0.0 for g in got]
    failures = [_failure(i, g, result) for i, g in enumerate(got) if g is None or g.status is not passed]
    for i, text in enumerate(outputs):  # an output equal to nothing expects nothing: left out, as a failure is
        if text is not None and not program.cases[i].oracle and (kind := opaque_in(text)):
            outputs[i] = None
            failures.append(f"test {i}: returned a {kind}, which is not plain data: no output can equal it")
    return Reference(tuple(outputs), tuple(cpu), tuple(failures))


def _cases_by_index(cases: tuple[CaseResult, ...], n: int) -> list[CaseResult | None]:
    """Case i's result at i (None if there is none): as the sandbox returns them, when they are all in order."""
    if len(cases) == n and [c.index for c in cases] == list(range(n)):
        return list(cases)
    by_index = {c.index: c for c in cases}
    return [by_index.get(i) for i in range(n)]


def _failure(i: int, got: CaseResult | None, result) -> str:
    why = (got.error_type or got.status.value) if got else (result.error_type or result.status.value)
    return f"test {i}: {why}" + (f" {got.message[:200]}" if got and got.message else "")


def shared_cache() -> RunStore | None:
    """Reference runs shared by every run of this user (EXECEVAL_CACHE_DIR, else ~/.cache/execeval): a new run
    directory on a known benchmark skips straight to the samples. None when that place is not writable."""
    base = os.environ.get("EXECEVAL_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "execeval")
    try:
        return RunStore(Path(base) / "references.sqlite")
    except (OSError, ExecevalError):
        return None
