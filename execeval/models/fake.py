"""A deterministic in-process backend, for tests of everything built on generation.

Like httpx's `MockTransport`, it is constructed with a function: `prompt -> completion`, or
`(prompt, index) -> completion` to vary the samples. Chat requests pass the last message's content. It cuts at
stop sequences like a real backend, records every request it saw, and costs no network, threads or weights.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable

from execeval.models.base import Backend, Generation, GenerationRequest, cut_at_stop, prompt_text

__all__ = ["FakeBackend"]


class FakeBackend(Backend):
    """Answers every request by calling `fn`; `requests` lists what it was asked, in order."""

    def __init__(self, fn: Callable[..., str], *, name: str = "fake", finish_reason: str = "stop") -> None:
        self.fn = fn
        self.name = name
        self.finish_reason = finish_reason
        self.requests: list[GenerationRequest] = []
        self.closed = False
        params = inspect.signature(fn).parameters.values()
        self._per_sample = sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 2

    async def generate(self, request: GenerationRequest) -> AsyncIterator[Generation]:
        """One generation per index, each after a yield to the loop (so interleaving is exercised)."""
        self.requests.append(request)
        prompt = prompt_text(request)
        for index in request.indices:
            await asyncio.sleep(0)
            raw = self.fn(prompt, index) if self._per_sample else self.fn(prompt)
            text, was_cut = cut_at_stop(raw, request.params.stop)
            usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": len(raw.split())}
            yield Generation(request.task_id, index, text, "stop" if was_cut else self.finish_reason, usage, raw)

    async def aclose(self) -> None:
        self.closed = True
