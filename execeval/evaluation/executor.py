"""Runs sample jobs on a sandbox: each distinct program once, verdicts committed as they arrive, timeouts re-run.

Jobs can be added all at once (`evaluate`) or one by one while a model is still generating (`run`): either way
they join the sandbox's one global queue, longest first, so every core stays busy whatever n is. Jobs built and
run in their own language (`BuildAndRun`) go through `execeval.judges.ProgramRunner`, whose threads submit their
compiles and runs to the same pool.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable
from concurrent.futures import Future, as_completed
from typing import TYPE_CHECKING

from execeval.evaluation.programs import Job
from execeval.progress import Reporter
from execeval.sandbox.base import PythonTests
from execeval.sandbox.base import Sandbox
from execeval.runs.store import RunStore
from execeval.evaluation.verdict import SANDBOX_ERROR, TIMEOUT, WALL_TIMEOUT, Verdict, verdict_of

if TYPE_CHECKING:
    from execeval.judges import ProgramRunner
    from execeval.languages import BuildCache
    from execeval.evaluation.runrecord import SampleRun

EVALUATING = "evaluating"


class Executor:
    def __init__(self, sandbox: Sandbox, store: RunStore, reporter: Reporter, *,
                 rerun_timeouts: bool = True, build_cache: BuildCache | None = None) -> None:
        self.sandbox, self.store, self.reporter = sandbox, store, reporter
        self.rerun_timeouts = rerun_timeouts
        self.build_cache = build_cache  # None: BuildCache.default(), when a job needs building
        self._programs: ProgramRunner | None = None  # made on the first BuildAndRun job
        self.by_key: dict[str, list[SampleRun]] = {}
        self.done: dict[str, Verdict] = {}
        self.futures: dict[Future, str] = {}
        self._finished: deque[Future] = deque()  # done, not judged yet
        self.executed: dict[str, None] = {}  # keys run in this process, in order (a dict: O(1) membership)

    def add(self, runs: list["SampleRun"]) -> None:
        """Queue runs; programs already judged (in the store or earlier in this run) are not run again."""
        new = [r for r in runs if r.job.key not in self.by_key]
        for run in runs:
            self.by_key.setdefault(run.job.key, []).append(run)
        known = {k: Verdict.from_dict(v) for k, v in self.store.verdicts({r.job.key for r in new}).items()}
        self.done.update(known)
        self.reporter.advance(None, sum(1 for r in runs if r.job.key in self.done), phase=EVALUATING)
        for run in sorted(new, key=lambda r: -r.job.cost):
            key = run.job.key
            if key in known or key in self.executed:
                continue
            self.executed[key] = None
            future = self._submit(run.job, priority=-run.job.cost)
            self.futures[future] = key
            future.add_done_callback(self._finished.append)  # deque.append: atomic, from the pool's threads
        self._collect(self._drain())  # progress moves while more work is still coming

    def _submit(self, job: Job, priority: float = 0.0) -> Future:
        if isinstance(job.program, PythonTests):
            return self.sandbox.submit(job.program, job.limits, priority=priority)
        if self._programs is None:
            from execeval.judges import ProgramRunner

            self._programs = ProgramRunner(self.sandbox, self.build_cache)
        p = job.program
        return self._programs.submit(p.language, p.suite, p.program, job.limits, p.stop_on_failure)

    def _judge(self, key: str, result: object) -> Verdict:
        job = self.by_key[key][0].job
        return verdict_of(result, job.n_base, list(job.labels))  # type: ignore[arg-type]

    def _drain(self) -> list[Future]:
        done = []
        while self._finished:
            done.append(self._finished.popleft())
        return done

    def _collect(self, futures: Iterable[Future]) -> None:
        """Judge finished jobs: commit each verdict (wall-clock timeouts wait for their re-run), report progress."""
        for fut in futures:
            key = self.futures.pop(fut)
            verdict = self._judge(key, fut.result())
            if not (self.rerun_timeouts and _wall_timeout(verdict)):
                self.store.put_verdict(key, verdict.as_dict())
            self.done[key] = verdict
            self.reporter.advance(verdict.passed, len(self.by_key[key]), phase=EVALUATING)

    def finish(self) -> dict:
        """Wait for every queued job, re-run wall-clock timeouts alone, give each run its verdict."""
        self._finished.clear()  # as_completed below sees every future still waiting to be judged
        self._collect(as_completed(list(self.futures)))
        changed = 0
        timeouts = [k for k in self.executed if _wall_timeout(self.done[k])] if self.rerun_timeouts else []
        if timeouts:
            self.reporter.phase("re-run timeouts", len(timeouts))
            for key in timeouts:  # alone: one at a time, so a busy machine does not decide the verdict
                job = self.by_key[key][0].job
                verdict = self._judge(key, self._submit(job).result())
                changed += verdict.status != TIMEOUT
                self.store.put_verdict(key, verdict.as_dict())
                self.done[key] = verdict
                self.reporter.advance(verdict.passed)
        for key, group in self.by_key.items():
            for run in group:
                run.verdict = self.done[key]
        if self._programs is not None:
            self._programs.close()
            self._programs = None
        counts = Counter(self.done[k].status for k in self.by_key)
        ran = [self.done[k] for k in self.executed]
        limited = [v.cpu_s for v in ran if v.status == TIMEOUT]
        return {"jobs": {"distinct_programs": len(self.by_key), "executed": len(self.executed),
                         "from_store": len(self.by_key) - len(self.executed), "timeouts_rerun": len(timeouts),
                         "flaky": changed, "sandbox_errors": counts.get(SANDBOX_ERROR, 0),
                         "cpu_s": round(sum(v.cpu_s for v in ran), 3), "time_limited": len(limited),
                         "time_limited_cpu_s": round(sum(limited), 3)}}


def time_limited_note(jobs: dict) -> str | None:
    """Where a run's time went, when programs that ran out of time took much of it: a never-ending program uses
    its whole budget (on weak models' HumanEval samples, a few such programs are a third of the jobs' CPU), which
    no harness speed changes and `--timeout` does. None when they took under a quarter, or under a second."""
    total, limited = jobs.get("cpu_s") or 0.0, jobs.get("time_limited_cpu_s") or 0.0
    if limited < 1.0 or limited < total / 4:
        return None
    n = jobs.get("time_limited", 0)
    return (f"{n} program{'s' if n != 1 else ''} ran out of time: {limited:.1f} s of the jobs' {total:.1f} s of CPU "
            "(one that never ends uses its whole budget; --timeout sets the per-test floor, docs/time-limits.md)")


def _wall_timeout(verdict: Verdict) -> bool:
    """Only wall-clock timeouts are re-run: a CPU-time limit is hit the same way however busy the machine is."""
    return verdict.status == TIMEOUT and verdict.error_type == WALL_TIMEOUT
