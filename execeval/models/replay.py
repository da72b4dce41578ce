"""Samples that already exist, served as a backend, so `evaluate` (samples given) and `run` (samples generated)
share one pipeline.

Files are read by `execeval.samples.load_samples` (every format it knows); sample `completion_id` becomes
`Generation.index` and its kind is kept. Replayed text is served verbatim: it is what gets evaluated, so it is
never cut at stop sequences.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from execeval.errors import ModelError, SampleFormatError
from execeval.models.base import Backend, Generation, GenerationRequest
from execeval.samples import Matching, Sample, load_samples

__all__ = ["ReplayBackend"]


class ReplayBackend(Backend):
    """Serve stored samples: `Sample`s (a `SampleSet`), or `{task_id: [completion, ...]}` for tests."""

    def __init__(self, samples: Iterable[Sample] | Mapping[str, Sequence[str]], *, name: str = "replay",
                 source: str = "samples") -> None:
        self.name, self.source = name, source
        if isinstance(samples, Mapping):
            samples = [Sample(tid, i, text, "completion", f"{source}: {tid} #{i}")
                       for tid, texts in samples.items() for i, text in enumerate(texts)]
        self._by_task: dict[str, dict[int, Generation]] = {}
        for s in samples:
            stored = self._by_task.setdefault(s.task_id, {})
            if s.completion_id in stored:
                raise SampleFormatError(f"{s.source}: duplicate completion_id {s.completion_id} for task "
                                        f"'{s.task_id}'")
            stored[s.completion_id] = Generation(s.task_id, s.completion_id, s.code, None, {}, s.code, s.kind)

    @classmethod
    def from_file(cls, path: str | Path, *, task_ids: Sequence[str] | None = None) -> ReplayBackend:
        """Read a samples file or directory (`task_ids`: the task set's order, for bigcode's list of lists)."""
        return cls(load_samples(path, task_ids=task_ids), name=f"replay:{path}", source=str(path))

    @classmethod
    def from_matching(cls, matching: Matching, *, name: str = "replay") -> ReplayBackend:
        """Samples already matched to tasks: served under the task's exact id ("0" in a file -> "HumanEval/0")."""
        return cls((replace(s, task_id=t.task_id) for t, s in matching.pairs), name=name)

    def counts(self) -> dict[str, int]:
        """How many samples each task has (what a pipeline should ask for)."""
        return {tid: len(gens) for tid, gens in self._by_task.items()}

    async def generate(self, request: GenerationRequest) -> AsyncIterator[Generation]:
        """Yield the stored samples `request.indices`; ModelError when any is missing."""
        stored = self._by_task.get(request.task_id)
        if stored is None:
            raise ModelError(f"{self.source} has no samples for task {request.task_id}")
        if any(i not in stored for i in request.indices):
            raise ModelError(f"{self.source} has {len(stored)} samples for task {request.task_id} (ids "
                             f"{_ranges(sorted(stored))}); asked for {request.start}..{request.start + request.n - 1}")
        for index in request.indices:
            yield stored[index]


def _ranges(ids: list[int]) -> str:
    """[0, 1, 2, 5] -> "0..2, 5"."""
    out: list[str] = []
    for i in ids:
        if out and out[-1].split("..")[-1] == str(i - 1):
            out[-1] = f"{out[-1].split('..')[0]}..{i}"
        else:
            out.append(str(i))
    return ", ".join(out)
