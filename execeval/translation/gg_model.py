"""Guaranteed Guess's model step: the source ISA's assembly shown to a model, its answer read as target assembly.

    from execeval.models import load_backend
    groups = asyncio.run(ask_model(load_backend("openai:M", base_url=URL), prompt_rows, "asm-aarch64", n=1))
    evaluate_gg(groups, "runs/gg")

Each prompt line of `guaranteed_guess.prompts` becomes one chat request: the source assembly, the function's C
prototype (the symbol and calling convention the harness expects) and the target ISA; the reply's first fenced
block is the candidate (the whole reply when it has none). Generations are not stored: a rerun asks again.
"""

from __future__ import annotations

import asyncio

from execeval.errors import UsageError
from execeval.models.base import Backend, GenerationRequest, SamplingParams, generate_all
from execeval.models.extract import fenced_blocks
from execeval.translation.scripts import Candidates

__all__ = ["ISA_NAMES", "request_for", "candidate_of", "ask_model", "ask_model_sync"]

ISA_NAMES = {"asm-x86_64": "x86-64", "asm-aarch64": "AArch64 (ARMv8-A)", "asm-riscv64": "RISC-V 64 (RV64GC)"}
_INSTRUCTIONS = ("Translate this {source} assembly (GNU as syntax, Linux, made by gcc) into {target} assembly in "
                 "GNU as syntax for Linux. It implements the C function\n\n    {prototype}\n\nKeep the symbol "
                 "global, follow the {target} calling convention, and answer with the whole assembly file in one "
                 "```asm block.\n\n```asm\n{assembly}```")


def request_for(prompt: dict, target: str, n: int, params: SamplingParams) -> GenerationRequest:
    """The chat request for one `gg prompts` line."""
    text = _INSTRUCTIONS.format(source=ISA_NAMES[prompt["source"]], target=ISA_NAMES[target],
                                prototype=prompt["prototype"].rstrip(";"), assembly=prompt["assembly"])
    return GenerationRequest(prompt["id"], messages=({"role": "user", "content": text},), n=n, params=params)


def candidate_of(reply: str) -> str:
    """The assembly in a reply: its first fenced block, else the whole reply."""
    blocks = fenced_blocks(reply)
    return blocks[0][1] if blocks else reply


async def ask_model(backend: Backend, prompts: list[dict], target: str, *, n: int = 1,
                    params: SamplingParams | None = None, concurrency: int = 8) -> list[Candidates]:
    """`n` candidates per prompt for `target`, ranked by sample index, as `evaluate_gg` takes them."""
    if target not in ISA_NAMES:
        raise UsageError(f"--target {target}: a model translates into assembly", hint="one of: " + ", ".join(ISA_NAMES))
    params = params or SamplingParams(max_tokens=2048)
    replies: dict[str, dict[int, str]] = {p["id"]: {} for p in prompts}
    requests = [request_for(p, target, n, params) for p in prompts]
    async for generation in generate_all(backend, requests, concurrency=concurrency):
        replies[generation.task_id][generation.index] = candidate_of(generation.text)
    return [Candidates(task_id, target, tuple(got[i] for i in sorted(got)), f"{backend.name} #{task_id}")
            for task_id, got in replies.items()]


def ask_model_sync(backend: Backend, prompts: list[dict], target: str, **options: object) -> list[Candidates]:
    """`ask_model` from synchronous code (the CLI), closing the backend afterwards."""
    async def run() -> list[Candidates]:
        async with backend:
            return await ask_model(backend, prompts, target, **options)  # type: ignore[arg-type]  # ask_model's keywords

    return asyncio.run(run())
