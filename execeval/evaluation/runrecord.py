"""The per-sample run record: one task, one sample, the program and job built from them, and (once judged) the
verdict.

It sits below every layer that handles runs (the executor, the run files, scoring, the pipelines and the
protocols) so that none of them has to import the main job to name it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from execeval.evaluation.programs import Job
from execeval.samples import Sample
from execeval.tasks.model import Task
from execeval.evaluation.verdict import Verdict


@dataclass
class SampleRun:
    task: Task
    sample: Sample
    program: str
    job: Job
    verdict: Verdict | None = None
    extra: dict = field(default_factory=dict)  # fields a later step adds to the sample's results.jsonl line
