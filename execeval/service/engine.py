"""The service's judge: request jobs in, results.jsonl rows out, by the main job's own steps.

A benchmark task's job is what `execeval evaluate` makes of the same sample: the task's reference once
(`compute_references`, cached in the store and the shared cache), its plan under the request's limits
(`plan_for`), the sample's run (`sample_run`), and the `Executor` (each distinct program once, verdicts kept in
the store, wall-clock timeouts re-run). A program with its own asserts is judged as a task without a reference:
its tests have no expected outputs to compute, so each gets the CPU floor (`timeout_s`).

Work is split for an event loop: `start` (plans, the store, submitting) and `finish` (judging, once the futures of
`Batch.pending` are done); waiting for the sandbox holds no thread. Both are quick in the common case and then run
on the loop itself (a hand-off to a thread and back costs more CPU than the work): `start(block=False)` gives
None instead of waiting for a reference or the machine's speed, and `quick` says whether `finish` would wait for
a re-run; only those cases go to a thread. Verdicts go to a `BufferedStore`: one commit per few milliseconds.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Self

from execeval.evaluation.calibration import Calibration
from execeval.evaluation.executor import Executor
from execeval.evaluation.pipeline import EvalConfig, compute_references, make_sandbox, plan_for, sample_run, shared_cache
from execeval.evaluation.programs import Reference, TestPlan
from execeval.progress import NullReporter
from execeval.runs.files import result_row
from execeval.evaluation.runrecord import SampleRun
from execeval.samples import Sample
from execeval.sandbox.base import Sandbox, Status
from execeval.service.schema import JobSpec, RequestError
from execeval.runs.store import BufferedStore
from execeval.tasks.model import Assert, Task, TaskSet, TestSuite

PLAN_CACHE = 4096  # plans kept (task × distinct limits): requests choose limits, so the cache is bounded


@dataclass
class Batch:
    """One request's jobs on their way: `pending` are the sandbox futures to wait for before `finish`."""

    executor: Executor
    runs: list[SampleRun]
    pending: list[Future]


class Verifier:
    """Judges `JobSpec`s of the served benchmarks on one sandbox, keeping verdicts in `state_dir`'s store."""

    def __init__(self, tasksets: list[TaskSet], state_dir: str | os.PathLike, config: EvalConfig = EvalConfig(),
                 *, sandbox: Sandbox | None = None) -> None:
        self.config = config
        self.tasksets = {ts.name: ts.by_id() for ts in tasksets}
        self.store = BufferedStore.in_dir(Path(state_dir))
        self.cache = shared_cache()
        self._own_sandbox = sandbox is None
        self.sandbox = sandbox or make_sandbox(config)
        self.calibration = Calibration(config.policy, self.sandbox, self.store, self.cache)
        self._refs: dict[tuple[str, str, bool], Reference] = {}
        self._plans: OrderedDict[tuple, TestPlan] = OrderedDict()
        self._lock = threading.Lock()  # one reference computation at a time: each is done once, then cached
        self._config: EvalConfig | None = None  # `config` with the measured speed, once known

    def warm(self) -> None:
        """Measure the machine speed and compute every served task's reference now, not at its first request."""
        self._config_for({}, block=True)
        for name, tasks in self.tasksets.items():
            self._references(name, list(tasks.values()), self.config.plus)

    # ------------------------------------------------------------ one request
    def start(self, specs: list[JobSpec], *, block: bool = True) -> Batch | None:
        """Submit the jobs; without `block`, None when that would wait for the sandbox (a reference to compute,
        the machine's speed to measure): the caller then calls again from a thread."""
        runs = []
        for spec in specs:
            run = self._run_for(spec, block)
            if run is None:
                return None
            runs.append(run)
        executor = Executor(self.sandbox, self.store, NullReporter(), rerun_timeouts=self.config.rerun_timeouts,
                            build_cache=self.config.build_cache)
        executor.add(runs)
        return Batch(executor, runs, list(executor.futures))

    def quick(self, batch: Batch) -> bool:
        """Whether `finish` returns at once: a wall-clock timeout is re-run, alone, and waited for."""
        return not (self.config.rerun_timeouts and any(getattr(f.result(), "status", None) is Status.TIMEOUT
                                                       for f in batch.pending))

    def finish(self, batch: Batch) -> list[dict]:
        batch.executor.finish()
        return [result_row(run) for run in batch.runs]

    def verify(self, specs: list[JobSpec]) -> list[dict]:
        """Both steps, blocking (for scripts and tests)."""
        return self.finish(self.start(specs))  # type: ignore[arg-type]  # blocking: never None

    # ------------------------------------------------------------ plans
    def _run_for(self, spec: JobSpec, block: bool) -> SampleRun | None:
        config = self._config_for(spec.limits, block)
        if config is None:
            return None
        if spec.task is None:
            task = Task(spec.task_id, "", spec.entry_point, "", TestSuite(tuple(Assert(t) for t in spec.tests),
                        setup=spec.setup), completion_mode=False)
            n = len(task.tests.cases)
            plan = plan_for(task, Reference((None,) * n, (0.0,) * n), config)  # asserts: nothing to expect
        else:
            name, task = self._find(spec)
            key = (name, task.task_id, config.policy, config.plus, config.all_tests)
            plan = self._plans.get(key)  # type: ignore[assignment]
            if plan is None:
                if not block:
                    return None
                reference = self._references(name, [task], config.plus).get(task.task_id)
                plan = plan_for(task, reference, config)
                with self._lock:
                    self._plans[key] = plan
                    while len(self._plans) > PLAN_CACHE:
                        self._plans.popitem(last=False)
        run = sample_run(plan, Sample(plan.task.task_id, spec.completion_id, spec.code, spec.kind, "request"))  # type: ignore[arg-type]  # the spec's kind is validated on the way in
        if spec.task is None:  # the function judged, which the request may have left to the service to find
            run.extra["entry_point"] = spec.entry_point
        return run

    def _config_for(self, limits: dict, block: bool) -> EvalConfig | None:
        if self._config is None:
            if not block:
                return None
            self._config = replace(self.config, policy=self.calibration.policy())
        if not limits:  # most requests: no dataclass copies
            return self._config
        policy = self._config.policy
        changes = {field: limits[name] for name, field in (("timeout_s", "floor_s"), ("plus_timeout_s",
                   "plus_floor_s"), ("time_factor", "factor"), ("memory_mb", "memory_mb")) if name in limits}
        return replace(self.config, policy=replace(policy, **changes) if changes else policy,
                       plus=limits.get("plus", self.config.plus), all_tests=limits.get("all_tests",
                                                                                       self.config.all_tests))

    def _find(self, spec: JobSpec) -> tuple[str, Task]:
        if spec.benchmark is not None:
            tasks = self.tasksets.get(spec.benchmark)
            if tasks is None:
                raise RequestError(f"benchmark {spec.benchmark!r} is not served here",
                                   hint=f"served: {', '.join(self.tasksets) or 'none'}")
            if spec.task not in tasks:
                raise RequestError(f"task {spec.task!r} is not in {spec.benchmark}")
            return spec.benchmark, tasks[spec.task]
        found = [(name, tasks[spec.task]) for name, tasks in self.tasksets.items() if spec.task in tasks]
        if not found:
            raise RequestError(f"task {spec.task!r} is not in any served benchmark",
                               hint=f"served: {', '.join(self.tasksets) or 'none'} (`execeval serve --tasks`)")
        if len(found) > 1:
            raise RequestError(f"task {spec.task!r} is in {' and '.join(n for n, _ in found)}",
                               hint='say which with "benchmark"')
        return found[0]

    def _references(self, name: str, tasks: list[Task], plus: bool) -> dict[str, Reference]:
        """Each task's reference, computed (or read from the caches) once per process."""
        with self._lock:
            todo = [t for t in tasks if (name, t.task_id, plus) not in self._refs]
            if todo:
                config = replace(self.config, plus=plus, policy=self.calibration.policy())
                found = compute_references(todo, self.sandbox, self.store, config, NullReporter(), self.calibration,
                                           self.cache)
                self._refs.update(((name, tid, plus), ref) for tid, ref in found.items())
            return {t.task_id: self._refs[(name, t.task_id, plus)] for t in tasks
                    if (name, t.task_id, plus) in self._refs}

    # ------------------------------------------------------------ lifetime
    def close(self) -> None:
        if self._own_sandbox:
            self.sandbox.close()
        self.store.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
