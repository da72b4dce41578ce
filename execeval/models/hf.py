"""Local weights through Hugging Face transformers (the optional `execeval[hf]` extra).

Importing this module never needs transformers; constructing the backend does. Samples from all concurrent
requests are batched together (up to `batch_size` rows per `model.generate` call, left-padded), because the
common case, greedy decoding with n=1 over a whole benchmark, would otherwise run one prompt at a time. Greedy
requests are decoded once and repeated `n` times. The model runs in a worker thread so the event loop keeps
serving the pipeline. Seeds are set per batch, so they reproduce a run only with the same batch composition.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from execeval.errors import ModelError
from execeval.models.base import Backend, Generation, GenerationRequest, SamplingParams, cut_at_stop

__all__ = ["HFBackend"]

INSTALL_HINT = "transformers is not installed: pip install 'execeval[hf]'"


@dataclass(eq=False)  # rows are compared by identity
class _Row:
    prompt: str
    params: SamplingParams
    future: asyncio.Future[tuple[str, str, int, int]]  # (text, finish_reason, prompt_tokens, completion_tokens)


class HFBackend(Backend):
    """A causal LM loaded from `path` (a local directory, or a hub id already in the local cache).

    device: "auto" (cuda when available, else cpu), or any torch device string
    dtype:  passed to `from_pretrained` as torch_dtype ("auto" keeps the checkpoint's)
    """

    def __init__(self, path: str, *, device: str = "auto", dtype: str = "auto", batch_size: int = 8,
                 trust_remote_code: bool = False) -> None:
        try:
            import torch
            import transformers
        except ImportError:
            raise ModelError(INSTALL_HINT) from None
        self._transformers = transformers
        self.name, self.path, self.batch_size = f"hf:{path}", path, max(1, batch_size)
        self.device = ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device
        try:
            self.tokenizer = transformers.AutoTokenizer.from_pretrained(path, trust_remote_code=trust_remote_code)
            self.model = transformers.AutoModelForCausalLM.from_pretrained(
                path, torch_dtype=dtype, trust_remote_code=trust_remote_code).to(self.device)
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot load a model from {path}: {' '.join(str(exc).split())[:200]}") from None
        self.model.eval()
        self.tokenizer.padding_side = "left"  # decoder-only models continue from the right edge
        if self.tokenizer.pad_token is None:
            self.tokenizer.pad_token = self.tokenizer.eos_token
        self._queue: asyncio.Queue[_Row] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def generate(self, request: GenerationRequest) -> AsyncIterator[Generation]:
        """Submit one row per sample (one for greedy) to the shared batcher; yield each as its batch ends."""
        prompt, p = self._render(request), request.params
        loop = asyncio.get_running_loop()
        rows = [_Row(prompt, p, loop.create_future()) for _ in range(1 if p.temperature == 0 else request.n)]
        queue = self._start()
        for row in rows:
            queue.put_nowait(row)
        indices = iter(request.indices)  # samples are exchangeable: number them in arrival order
        try:
            for done in asyncio.as_completed([r.future for r in rows]):
                raw, finish, n_prompt, n_new = await done
                text, was_cut = cut_at_stop(raw, p.stop)
                targets = list(indices) if len(rows) == 1 else [next(indices)]  # greedy: one decode, n copies
                for j, index in enumerate(targets):
                    usage = {"prompt_tokens": n_prompt if j == 0 else 0, "completion_tokens": n_new if j == 0 else 0}
                    yield Generation(request.task_id, index, text, "stop" if was_cut else finish, usage, raw)
        finally:
            for r in rows:
                r.future.cancel()

    async def aclose(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = self._queue = None

    # ------------------------------------------------------------------ internals
    def _render(self, request: GenerationRequest) -> str:
        if request.prompt is not None:
            return request.prompt
        if not getattr(self.tokenizer, "chat_template", None):
            raise ModelError(f"{self.path} has no chat template", hint="use a completion prompt style")
        return self.tokenizer.apply_chat_template(list(request.messages or ()), tokenize=False,
                                                  add_generation_prompt=True)

    def _start(self) -> asyncio.Queue[_Row]:
        if self._queue is None or self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._work(self._queue))
        return self._queue

    async def _work(self, queue: asyncio.Queue[_Row]) -> None:
        """Take what is waiting (up to batch_size rows of equal params) and run it as one batch."""
        held: list[_Row] = []
        while True:
            if not held:
                held.append(await queue.get())
            while not queue.empty():
                held.append(queue.get_nowait())
            live = [r for r in held if not r.future.done()]
            batch = [r for r in live if r.params == live[0].params][: self.batch_size] if live else []
            held = [r for r in live if r not in batch]
            if not batch:
                continue
            try:
                outs = await asyncio.to_thread(self._run, [r.prompt for r in batch], batch[0].params)
            except Exception as exc:  # noqa: BLE001 - a failed batch fails its rows, not the worker
                err = exc if isinstance(exc, ModelError) else ModelError(f"{self.path}: generation failed: {exc}")
                for r in batch:
                    if not r.future.done():
                        r.future.set_exception(err)
                continue
            for r, out in zip(batch, outs):
                if not r.future.done():
                    r.future.set_result(out)

    def _run(self, prompts: list[str], p: SamplingParams) -> list[tuple[str, str, int, int]]:
        """One `model.generate` call (in a worker thread); decode only the new tokens of each row."""
        tok = self.tokenizer
        enc = tok(prompts, return_tensors="pt", padding=True).to(self.device)
        kwargs: dict[str, Any] = {"max_new_tokens": p.max_tokens, "pad_token_id": tok.pad_token_id}
        if p.temperature > 0:
            kwargs.update(do_sample=True, temperature=p.temperature, top_p=p.top_p)
        else:
            kwargs["do_sample"] = False
        if p.stop:  # stop early on the device too; the text is still cut client-side
            kwargs.update(stop_strings=list(p.stop), tokenizer=tok)
        if p.seed is not None:
            self._transformers.set_seed(p.seed)
        out = self.model.generate(input_ids=enc["input_ids"], attention_mask=enc["attention_mask"], **kwargs)
        width = enc["input_ids"].shape[1]
        results = []
        for row, mask in zip(out, enc["attention_mask"]):
            new = row[width:].tolist()
            eos = tok.eos_token_id
            ended = eos in new
            ids = new[: new.index(eos)] if ended else [t for t in new if t != tok.pad_token_id]
            finish = "length" if not ended and len(ids) >= p.max_tokens else "stop"
            results.append((tok.decode(ids, skip_special_tokens=True), finish, int(mask.sum()), len(ids)))
        return results
