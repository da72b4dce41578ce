"""The generation extension point: what a request and a generation are, and the `Backend` protocol.

Small on purpose, like an HTTP transport: a backend turns one `GenerationRequest` (a prompt or chat messages,
`n` samples, sampling parameters) into an async stream of `Generation`s, each yielded as soon as it exists, so a
pipeline can cache, execute and report while the model is still writing. `generate_all` fans many requests out
over one backend and merges their streams. Prompt building and code extraction live elsewhere
(`execeval.models.prompts`, `execeval.models.extract`); backends only generate.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Protocol, Self, runtime_checkable

__all__ = ["SamplingParams", "GenerationRequest", "Generation", "Backend", "generate_all", "cut_at_stop",
           "prompt_text", "Message"]

Message = Mapping[str, str]  # {"role": "user", "content": "..."}: the OpenAI chat shape, which every backend takes


@dataclass(frozen=True)
class SamplingParams:
    """How to sample. `stop` sequences end a generation; backends cut at every one of them client-side too,
    because servers cap how many they take (OpenAI: 4) and some ignore them."""

    temperature: float = 0.0
    top_p: float = 1.0
    max_tokens: int = 512
    stop: tuple[str, ...] = ()
    seed: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stop", tuple(self.stop))
        if self.max_tokens < 1:
            raise ValueError(f"max_tokens must be at least 1, not {self.max_tokens}")


@dataclass(frozen=True)
class GenerationRequest:
    """Ask for samples `start .. start+n-1` of one task: exactly one of `prompt` (completion) or `messages` (chat).

    `start` lets a pipeline ask only for the samples its cache lacks; a backend numbers what it yields from it.
    """

    task_id: str
    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    n: int = 1
    params: SamplingParams = field(default_factory=SamplingParams)
    start: int = 0

    def __post_init__(self) -> None:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError(f"request for {self.task_id}: give exactly one of prompt or messages")
        if self.messages is not None:
            object.__setattr__(self, "messages", tuple(dict(m) for m in self.messages))
        if self.n < 1 or self.start < 0:
            raise ValueError(f"request for {self.task_id}: n must be >= 1 and start >= 0 (n={self.n}, "
                             f"start={self.start})")

    @property
    def is_chat(self) -> bool:
        return self.messages is not None

    @property
    def indices(self) -> range:
        return range(self.start, self.start + self.n)


@dataclass(frozen=True)
class Generation:
    """One sample.

    text:          what the model wrote, cut at the first stop sequence (what prompt styles post-process)
    raw_text:      what the backend returned, uncut (kept so a post-processing fix never needs a new generation)
    finish_reason: "stop", "length", ... as the backend says; "stop" when cut client-side; None when unknown
    usage:         token counts; a request's usage is split over its samples so that sums over samples are exact
    kind:          "completion" (appended to the task's prompt) or "solution" (a whole program)
    """

    task_id: str
    index: int
    text: str
    finish_reason: str | None = None
    usage: Mapping[str, int] = field(default_factory=dict)
    raw_text: str = ""
    kind: str = "completion"


@runtime_checkable
class Backend(Protocol):
    """A model. Subclass it (for `aclose` and `async with`) and implement `generate`.

    `name` identifies the model in run records and cache keys (e.g. "openai:gpt-4o@http://host/v1").
    `generate` yields exactly the samples `request.indices`, each once, in any order, as each arrives; it
    raises `ModelError` (a one-line message) when the model cannot be used.
    """

    name: str

    def generate(self, request: GenerationRequest) -> AsyncIterator[Generation]:
        ...

    async def aclose(self) -> None:
        """Release connections or weights. Idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None = None, exc: BaseException | None = None,
                        tb: TracebackType | None = None) -> None:
        await self.aclose()


def cut_at_stop(text: str, stop: Sequence[str]) -> tuple[str, bool]:
    """`text` up to the earliest stop sequence, and whether one was found."""
    cut = min((i for i in (text.find(s) for s in stop if s) if i >= 0), default=-1)
    return (text[:cut], True) if cut >= 0 else (text, False)


def prompt_text(request: GenerationRequest) -> str:
    """The text a completion-only backend sees: the prompt, or the last chat message's content."""
    if request.prompt is not None:
        return request.prompt
    assert request.messages is not None
    return request.messages[-1].get("content", "") if request.messages else ""


_DONE = object()


async def generate_all(backend: Backend, requests: Iterable[GenerationRequest], *,
                       concurrency: int = 64) -> AsyncIterator[Generation]:
    """Run many requests on one backend, `concurrency` at a time, yielding each generation as it arrives.

    Requests are pulled lazily, so a pipeline can pass a generator over a huge task set. The first error stops
    everything and is raised; leaving the loop early cancels the requests still running.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    source = iter(requests)
    queue: asyncio.Queue[object] = asyncio.Queue(maxsize=4 * concurrency)

    async def worker() -> None:
        try:
            for request in source:  # shared iterator: each request taken once
                async for generation in backend.generate(request):
                    await queue.put(generation)
        except Exception as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
            await queue.put(exc)
            return
        await queue.put(_DONE)

    workers = [asyncio.create_task(worker()) for _ in range(concurrency)]
    running = len(workers)
    try:
        while running:
            item = await queue.get()
            if item is _DONE:
                running -= 1
            elif isinstance(item, BaseException):
                raise item
            else:
                yield item  # type: ignore[misc]
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
