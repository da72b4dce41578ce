"""The main job: a file of model outputs in, trustworthy scores out.

    from execeval.evaluate import evaluate, EvalConfig
    summary = evaluate("samples.jsonl", "humaneval", "runs/he", EvalConfig(k=(1, 10)))

Flow: load tasks and samples → the pipeline (`execeval.evaluation.pipeline`: each task's reference once, cached; one job per
distinct program in one global longest-first queue over every worker; verdicts committed to the run store as
they arrive, so a rerun skips them; timeouts re-run once alone) → metrics → results.jsonl, summary.json.
`execeval run` feeds the same pipeline from a model instead of a file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable

from execeval.errors import UsageError
from execeval.evaluation.pipeline import EvalConfig, Pipeline
from execeval.evaluation.runrecord import SampleRun
from execeval.evaluation.verdict import SYNTAX_ERROR
from execeval.progress import Reporter
from execeval.runs.files import write_results, write_summary
from execeval.samples import Matching, SampleSet, load_samples, match_samples
from execeval.samples.matching import body_suspects
from execeval.sandbox.base import Sandbox
from execeval.tasks import load_tasks
from execeval.tasks.dates import select_dates
from execeval.tasks.model import TaskSet

__all__ = ["EvalConfig", "evaluate"]


def evaluate(samples: str | os.PathLike | SampleSet, tasks: str | os.PathLike | TaskSet, out_dir: str | os.PathLike,
             config: EvalConfig = EvalConfig(), *, reporter: Reporter | None = None,
             sandbox: Sandbox | None = None) -> dict:
    """Evaluate `samples` against `tasks`, writing results.jsonl and summary.json into `out_dir`. Returns the
    summary. Resumes from `out_dir`'s store: verdicts already there are not recomputed."""
    started = time.time()
    whole = tasks if isinstance(tasks, TaskSet) else load_tasks(tasks, data_dir=config.data_dir, split=config.split)
    taskset, window = select_dates(whole, config.since, config.until)
    sampleset = samples if isinstance(samples, SampleSet) else load_samples(
        samples, skip_bad_lines=config.skip_bad_lines, task_ids=[t.task_id for t in whole.tasks],
        sample_format=config.sample_format)
    # matched against every task, then windowed: a sample of a task outside the window is expected, not unknown,
    # and a lenient id ("301_A") means what it means over the whole benchmark, not over the window's subset
    matching = match_samples(sampleset, whole)
    if window is not None:
        keep = {t.task_id for t in taskset.tasks}
        window["sampled_tasks_outside"] = len({t.task_id for t, _ in matching.pairs if t.task_id not in keep})
        matching.pairs = [(t, s) for t, s in matching.pairs if t.task_id in keep]
        matching.missing = [i for i in matching.missing if i in keep]
    if not matching.pairs:
        raise UsageError(f"no sample matches a task of {taskset.name}"
                         + (f" (sample ids like {matching.unknown_ids[0]!r})" if matching.unknown_ids else ""),
                         hint="check --tasks: the samples may be for another benchmark")
    with Pipeline(out_dir, config, reporter=reporter, sandbox=sandbox) as pipe:
        if sampleset.bad_lines:  # --skip-bad-lines: say so, not only in summary.json
            pipe.reporter.note(f"{len(sampleset.bad_lines)} malformed sample line(s) skipped, e.g. "
                               f"{sampleset.bad_lines[0]}", warning=True)
        for line in _matching_notes(matching):
            pipe.reporter.note(line, warning=True)
        for task, sample in matching.pairs:
            pipe.add(task, sample)
        pipe.prepare(list({t.task_id: t for t, _ in matching.pairs}.values()))
        runs, stats = pipe.finish()
        summary = pipe.summary(runs, taskset, sampleset, matching, started, stats)
        wrong_format = _format_warning(runs)
        if wrong_format:
            summary["sample_format_warning"] = wrong_format
    if window is not None:
        summary["contest_dates"] = window
    write_results(out_dir, runs)
    write_summary(out_dir, summary)
    return summary


def _format_warning(runs: list[SampleRun]) -> str | None:
    """Loud (under the scores), when most samples are syntax errors that would parse as a body after the prompt:
    the usual sign of a file read in the wrong format (Reflexion's HumanEval `solution` is a body, not a program).
    Asked once the verdicts are in, of the samples that did not compile: compiling every sample in the harness
    before the run held its start back (~50 ms for 1,000 samples)."""
    suspects = body_suspects((r.task, r.sample) for r in runs if r.verdict and r.verdict.status == SYNTAX_ERROR)
    total = len(runs)
    if suspects * 2 <= total:
        return None
    return (f"WRONG SAMPLE FORMAT? {suspects} of {total} samples are syntax errors as whole programs but parse "
            "as a function body after the task's prompt; rerun with --sample-format completion "
            "(docs/sample-formats.md)")


def _matching_notes(m: Matching) -> Iterable[str]:
    if m.unknown_ids:
        yield f"{len(m.unknown_ids)} sample task id(s) match no task, skipped: {', '.join(m.unknown_ids[:10])}"
    if m.ambiguous:
        yield f"{len(m.ambiguous)} ambiguous task id(s), skipped: {', '.join(list(m.ambiguous)[:10])}"
    if m.missing:
        yield f"{len(m.missing)} task(s) have no samples: {', '.join(m.missing[:10])}"
    if m.duplicates:
        yield f"{len(m.duplicates)} duplicate sample(s) dropped, e.g. {m.duplicates[0]}"
