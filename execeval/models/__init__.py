"""Generation: backends that turn prompts into samples, and the prompts themselves.

    async with load_backend("openai:MODEL", base_url="http://127.0.0.1:8000/v1") as backend:
        style = default_style(taskset, chat=False)
        requests = (style.request(t, n=20, params=SamplingParams(temperature=0.8)) for t in taskset.tasks)
        async for gen in generate_all(backend, requests):
            sample = style.finish(by_id[gen.task_id], gen)

Backends are imported lazily by `load_backend`, so `hf:` needs transformers only when it is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from execeval.errors import UsageError
from execeval.models.base import (Backend, Generation, GenerationRequest, Message, SamplingParams, cut_at_stop,
                                  generate_all, prompt_text)

__all__ = ["Backend", "Generation", "GenerationRequest", "Message", "SamplingParams", "cut_at_stop",
           "generate_all", "prompt_text", "parse_spec", "load_backend", "BACKENDS"]

#: spec prefix -> (module, class, what follows the colon)
BACKENDS: dict[str, tuple[str, str, str]] = {
    "openai": ("execeval.models.openai", "OpenAIBackend", "MODEL"),
    "hf": ("execeval.models.hf", "HFBackend", "PATH"),
    "replay": ("execeval.models.replay", "ReplayBackend", "FILE"),
}


def parse_spec(spec: str) -> tuple[str, str]:
    """Split "openai:MODEL" / "hf:PATH" / "replay:FILE" into (kind, argument); UsageError when malformed."""
    kind, sep, arg = spec.partition(":")
    usage = ", ".join(f"{k}:{v[2]}" for k, v in BACKENDS.items())
    if kind not in BACKENDS:
        raise UsageError(f"unknown backend '{kind}' in '{spec}'", hint=f"use {usage}")
    if not sep or not arg:
        raise UsageError(f"'{spec}' names no {BACKENDS[kind][2].lower()}", hint=f"use {kind}:{BACKENDS[kind][2]}")
    return kind, arg


def load_backend(spec: str, **options: Any) -> Backend:
    """The backend a spec names, constructed with `options` (e.g. base_url=, max_connections= for openai)."""
    kind, arg = parse_spec(spec)
    module_name, class_name, _ = BACKENDS[kind]
    cls = getattr(importlib.import_module(module_name), class_name)
    if kind == "replay":
        if options:
            raise UsageError(f"replay takes no options (got {', '.join(sorted(options))})")
        return cls.from_file(arg)
    return cls(arg, **options)
