"""The contract every generation backend keeps, as checks that take a backend factory (run by
tests/test_models_openai.py for each backend; here beside the backends, as sandbox/ and languages/ keep theirs).

A factory is `factory(reply, requests) -> Backend`: a backend whose model writes `reply(prompt)` for each
prompt (chat: the last message's content) and that can answer `requests` (a replay backend stores
them up front, already cut at the stop sequences). `stub_transformers` lets the hf backend's real code run
here, where neither torch nor weights are installed. Use it from a backend's tests:

    @pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
    def test_conformance(check):
        run_check(check, my_factory)
"""

from __future__ import annotations

import asyncio
import types
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from execeval.models import Backend, Generation, GenerationRequest, SamplingParams, cut_at_stop, generate_all

Reply = Callable[[str], str]
BackendFactory = Callable[[Reply, Sequence[GenerationRequest]], Backend]
Check = Callable[[BackendFactory], Awaitable[None]]

STOP = ("\n###", "\nEND")
PARAMS = SamplingParams(temperature=0.7, max_tokens=64, stop=STOP, seed=1)


def reply(prompt: str) -> str:
    """What the conformance model writes: a line naming the prompt, then text after a stop sequence."""
    return f"answer to {prompt}\n    body line\n###\nafter the stop"


def expected_text(prompt: str) -> str:
    return cut_at_stop(reply(prompt), STOP)[0]


REQUESTS: tuple[GenerationRequest, ...] = (
    GenerationRequest("c/0", prompt="p0", n=1, params=PARAMS),
    GenerationRequest("c/1", prompt="p1", n=3, params=PARAMS),
    GenerationRequest("c/2", prompt="p2", n=2, params=PARAMS, start=5),
    GenerationRequest("c/3", messages=({"role": "user", "content": "p3"},), n=2, params=PARAMS),
)
MANY: tuple[GenerationRequest, ...] = tuple(
    GenerationRequest(f"m/{i}", prompt=f"q{i}", n=4, params=PARAMS) for i in range(12))


async def _collect(backend: Backend, request: GenerationRequest) -> list[Generation]:
    return [g async for g in backend.generate(request)]


async def check_each_index_exactly_once(factory: BackendFactory) -> None:
    """A request yields exactly its indices (start .. start+n-1), each once, for its task."""
    async with factory(reply, REQUESTS) as backend:
        for request in REQUESTS:
            gens = await _collect(backend, request)
            assert sorted(g.index for g in gens) == list(request.indices), request
            assert {g.task_id for g in gens} == {request.task_id}


async def check_text_is_cut_at_stop(factory: BackendFactory) -> None:
    """`text` is the model's text up to the first stop sequence; `raw_text` starts with it."""
    async with factory(reply, REQUESTS) as backend:
        for request in REQUESTS:
            prompt = request.prompt if request.prompt is not None else request.messages[-1]["content"]  # type: ignore[index]  # a request has a prompt or messages
            for g in await _collect(backend, request):
                assert g.text == expected_text(prompt), g
                assert not any(s in g.text for s in STOP)
                assert g.raw_text.startswith(g.text)


async def check_generation_fields(factory: BackendFactory) -> None:
    """Every field has its documented type."""
    async with factory(reply, REQUESTS) as backend:
        for request in REQUESTS:
            for g in await _collect(backend, request):
                assert isinstance(g, Generation)
                assert isinstance(g.text, str) and isinstance(g.raw_text, str)
                assert g.finish_reason is None or isinstance(g.finish_reason, str)
                assert isinstance(g.usage, Mapping)
                assert all(isinstance(k, str) and isinstance(v, int) for k, v in g.usage.items())
                assert g.kind in ("completion", "solution")


async def check_generate_all_merges_streams(factory: BackendFactory) -> None:
    """Many requests through `generate_all` give every (task, index) once, whatever the interleaving."""
    async with factory(reply, MANY) as backend:
        keys = Counter([(g.task_id, g.index) async for g in generate_all(backend, MANY, concurrency=5)])
    assert keys == Counter({(r.task_id, i): 1 for r in MANY for i in r.indices})


async def check_early_exit_leaves_nothing_running(factory: BackendFactory) -> None:
    """Leaving a stream early (one request, or generate_all) cancels what is in flight; close is idempotent."""
    backend = factory(reply, MANY)
    stream = backend.generate(MANY[0])
    first = await anext(stream)
    assert first.task_id == MANY[0].task_id
    await stream.aclose()  # type: ignore[attr-defined]  # backends' streams are async generators
    merged = generate_all(backend, MANY, concurrency=4)
    async for _ in merged:
        break
    await merged.aclose()  # type: ignore[attr-defined]  # backends' streams are async generators
    await backend.aclose()
    await backend.aclose()
    for _ in range(3):
        await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() if t is not asyncio.current_task() and not t.done()]
    assert not left, left


async def check_concurrent_requests_do_not_mix(factory: BackendFactory) -> None:
    """Requests run at once on one backend each get their own prompt's text."""
    async with factory(reply, MANY) as backend:
        results = await asyncio.gather(*(_collect(backend, r) for r in MANY))
    for request, gens in zip(MANY, results):
        assert {g.text for g in gens} == {expected_text(request.prompt or "")}


CHECKS: tuple[Check, ...] = (check_each_index_exactly_once, check_text_is_cut_at_stop, check_generation_fields,
                             check_generate_all_merges_streams, check_early_exit_leaves_nothing_running,
                             check_concurrent_requests_do_not_mix)


def run_check(check: Check, factory: BackendFactory, timeout: float = 10.0) -> None:
    """Run one check in a fresh event loop (bounded, so a hung backend fails instead of blocking)."""
    async def bounded() -> None:
        async with asyncio.timeout(timeout):
            await check(factory)

    asyncio.run(bounded())


# ---------------------------------------------------------------------- hf without weights: stub modules
class _Vec(list):
    """Enough of a tensor row: slicing, tolist, sum."""

    def __getitem__(self, i):
        return _Vec(super().__getitem__(i)) if isinstance(i, slice) else super().__getitem__(i)

    def tolist(self) -> list:
        return list(self)

    def sum(self) -> int:
        return sum(list(self))


class _Batch(list):
    shape = property(lambda self: (len(self), len(self[0])))
    to = lambda self, device: self  # noqa: E731


class _StubTokenizer:
    """Characters are tokens (ord + 10; pad 0, eos 1); the chat template shows the last message only."""

    chat_template, eos_token, eos_token_id, pad_token = "last message", "<eos>", 1, None
    pad_token_id = property(lambda self: 0 if self.pad_token else None)

    def __call__(self, prompts: list[str], return_tensors: str, padding: bool) -> dict:
        assert self.padding_side == "left"  # type: ignore[attr-defined]  # set by the backend under test
        rows = [[ord(c) + 10 for c in p] for p in prompts]
        width = max(map(len, rows))
        enc = _Batch([_Batch(_Vec([0] * (width - len(r)) + r) for r in rows),
                      _Batch(_Vec([0] * (width - len(r)) + [1] * len(r)) for r in rows)])
        return type("Enc", (dict,), {"to": lambda self, d: self})(input_ids=enc[0], attention_mask=enc[1])

    def decode(self, ids: list[int], skip_special_tokens: bool) -> str:
        return "".join(chr(i - 10) for i in ids if i >= 10)

    def apply_chat_template(self, messages: list, tokenize: bool, add_generation_prompt: bool) -> str:
        return messages[-1]["content"]


class StubModel:
    def __init__(self, reply: Reply) -> None:
        self.reply, self.batches = reply, []  # type: ignore[var-annotated]  # the batches the stub was asked
        self.to = self.eval = lambda *a: self

    def generate(self, input_ids, attention_mask, max_new_tokens, pad_token_id, do_sample, **kw) -> _Batch:
        self.batches.append(len(input_ids))
        news = [[ord(c) + 10 for c in self.reply("".join(chr(t - 10) for t in row if t >= 10))][:max_new_tokens]
                for row in input_ids]
        news = [n + [1] if len(n) < max_new_tokens else n for n in news]  # eos unless cut at max_new_tokens
        width = max(map(len, news))
        return _Batch(_Vec(list(row) + n + [0] * (width - len(n))) for row, n in zip(input_ids, news))


def stub_transformers(reply: Reply) -> tuple[dict[str, Any], StubModel]:
    """Stand-ins for the `torch` and `transformers` modules (put them in sys.modules), to run the hf backend's
    real code without weights; returns them and the model, which records its batch sizes."""
    model, ns = StubModel(reply), types.SimpleNamespace
    return {"torch": ns(cuda=ns(is_available=lambda: False)),
            "transformers": ns(AutoTokenizer=ns(from_pretrained=lambda path, **kw: _StubTokenizer()),
                               AutoModelForCausalLM=ns(from_pretrained=lambda path, **kw: model),
                               set_seed=lambda seed: None)}, model
