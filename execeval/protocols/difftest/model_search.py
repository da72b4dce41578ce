"""Model-driven difference search, as Mokav does: a model proposes inputs, execution says whether they tell the
two versions apart, and the model hears "both versions give identical output X; give another input".

    result = await search_with_model(p, q, backend, sandbox, ModelSearchConfig(rounds=10, n=5), seed_input=[3])

Prompt parts are switchable (`parts`): both versions' code or the patched one only, the task description, the
seed input with its output, and the variable values seen only in one version's trace on the seed input. Each
round asks for `n` samples at `temperature`; every input proposed is parsed with `ast.literal_eval` (never
`eval`: a reply is data), both versions run on it in the sandbox, and the outputs are compared in the harness
(`execeval.protocols.observe`). Each round is a run-store record ("difftest", "SEARCH/ROUND") when a store is
given, so a rerun resumes without generating again.
"""

from __future__ import annotations

import ast
import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from execeval.errors import UsageError
from execeval.models.base import Backend, GenerationRequest, SamplingParams
from execeval.models.extract import fenced_blocks
from execeval.protocols.difftest.search import DiffResult, confirm, first_difference
from execeval.protocols.inputs import key_of
from execeval.protocols.observe import Outcome, Program, call_text, observe_many
from execeval.protocols.difftest.trace import only_in, variable_values
from execeval.sandbox.base import Sandbox
from execeval.values import decode

if TYPE_CHECKING:
    from execeval.runs.store import RunStore

__all__ = ["ModelSearchConfig", "PARTS", "search_with_model", "parse_input", "search_key"]

KIND = "difftest"
PARTS = ("both", "patched", "description", "seed", "trace")


@dataclass(frozen=True)
class ModelSearchConfig:
    rounds: int = 10
    n: int = 5  # samples per round
    temperature: float = 0.8
    max_tokens: int = 512
    parts: tuple[str, ...] = ("both", "seed")
    description: str = ""
    case_cpu_s: float = 1.0
    seed: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))
        unknown = set(self.parts) - set(PARTS)
        if unknown:
            raise UsageError(f"--parts {','.join(sorted(unknown))}: unknown prompt part", hint=f"use {','.join(PARTS)}")
        if self.rounds < 1 or self.n < 1:
            raise UsageError("--rounds and --samples must be at least 1")


def parse_input(reply: str, entry_point: str) -> list[Any] | None:
    """The argument list a reply proposes: `f(1, [2])`, a tuple `(1, [2])`, or one value; literals only."""
    blocks = [code for _, code in fenced_blocks(reply)] or [reply]
    for text in blocks:
        for line in [text.strip()] + [ln.strip() for ln in reversed(text.strip().splitlines())]:
            args = _literal_args(line, entry_point)
            if args is not None:
                return args
    return None


def _literal_args(text: str, entry_point: str) -> list[Any] | None:
    text = text.strip().rstrip(";")
    if not text or len(text) > 100_000:
        return None
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return None
    try:
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point:
            if node.keywords:
                return None
            return [ast.literal_eval(a) for a in node.args]
        value = ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return list(value) if isinstance(value, tuple) else [value]


def _code_block(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def first_message(p: Program, q: Program, config: ModelSearchConfig, seed_input: Sequence[Any] | None,
                  seed_output: Outcome | None, trace_only_q: dict[str, list] | None) -> str:
    ep = p.entry_point
    parts = [f"Find an input on which two versions of the Python function `{ep}` give different outputs (a "
             "different return value, or an exception in one version only)."]
    if "both" in config.parts:
        parts += [f"Version 1:\n{_code_block(p.code)}", f"Version 2:\n{_code_block(q.code)}"]
    elif "patched" in config.parts:
        parts.append(f"The version under test:\n{_code_block(q.code)}")
    if "description" in config.parts and config.description:
        parts.append(f"What the function should do: {config.description}")
    if "seed" in config.parts and seed_input is not None and seed_output is not None:
        parts.append(f"On `{call_text(ep, seed_input)}` both versions give {seed_output.describe()}.")
    if "trace" in config.parts and trace_only_q:
        seen = "; ".join(f"{k} = {', '.join(v[:5])}" for k, v in list(trace_only_q.items())[:10])
        parts.append(f"On that input, version 2 holds values that version 1 never does: {seen}.")
    parts.append(f"Reply with one call, e.g. `{ep}(...)`, with literal arguments only, in one ```python block.")
    return "\n\n".join(parts)


def _feedback(ep: str, tried: list[tuple[list[Any], Outcome]], invalid: int) -> str:
    lines = [f"{call_text(ep, a)} gives {o.describe()}" for a, o in tried[:10]]
    said = ("Both versions give identical output on each input you gave: " + "; ".join(lines) + ".") if lines \
        else "That was not an input I could use."
    if invalid and lines:
        said += f" ({invalid} repl{'y was' if invalid == 1 else 'ies were'} not a literal call.)"
    return said + " Give another input, different from these."


def search_key(p: Program, q: Program, config: ModelSearchConfig, seed_input: Sequence[Any] | None,
               model: str) -> str:
    payload = json.dumps([p.code, q.code, p.entry_point, asdict(config), key_of(seed_input or []), model])
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


async def search_with_model(p: Program, q: Program, backend: Backend, sandbox: Sandbox,
                            config: ModelSearchConfig = ModelSearchConfig(), *,
                            seed_input: Sequence[Any] | None = None, store: "RunStore | None" = None,
                            name: str | None = None) -> DiffResult:
    """Up to `config.rounds` rounds of `config.n` proposals; stops at the first confirmed difference."""
    name = name or search_key(p, q, config, seed_input, backend.name)
    seed_output = trace = None
    if seed_input is not None and {"seed", "trace"} & set(config.parts):
        seed_output = (await asyncio.to_thread(observe_many, sandbox, [(p, [seed_input])]))[0][0]
        if "trace" in config.parts:
            a, b = await asyncio.gather(asyncio.to_thread(variable_values, sandbox, p, seed_input),
                                        asyncio.to_thread(variable_values, sandbox, q, seed_input))
            trace = only_in(b, a)
    messages = [{"role": "user", "content": first_message(p, q, config, seed_input, seed_output, trace)}]
    result = DiffResult(False)
    for r in range(1, config.rounds + 1):
        rec = store.record(KIND, f"{name}/{r:03d}") if store is not None else None
        if rec is None or rec["messages"] != messages:
            rec = await _round(r, messages, p, q, backend, sandbox, config)
            if store is not None:
                store.put_record(KIND, f"{name}/{r:03d}", rec)
        result.samples += len(rec["replies"])
        result.tokens += rec["tokens"]
        result.inputs_tried += len(rec["tried"])
        result.rounds.append({"round": r, "inputs": len(rec["tried"]), "found": rec["found"] is not None})
        if rec["found"] is not None:
            found = rec["found"]
            result.found, result.round_found, result.input = True, r, decode(found["args"])
            result.p, result.q = Outcome.from_dict(found["p"]), Outcome.from_dict(found["q"])
            break
        messages = rec["messages"] + [{"role": "assistant", "content": rec["replies"][0] if rec["replies"] else ""},
                                      {"role": "user", "content": rec["feedback"]}]
    return result


async def _round(r: int, messages: list[dict], p: Program, q: Program, backend: Backend, sandbox: Sandbox,
                 config: ModelSearchConfig) -> dict:
    params = SamplingParams(temperature=config.temperature, max_tokens=config.max_tokens,
                            seed=None if config.seed is None else config.seed + r)
    request = GenerationRequest("difftest", messages=tuple(messages), n=config.n, params=params)
    gens = sorted([g async for g in backend.generate(request)], key=lambda g: g.index)
    proposals, seen, invalid = [], set(), 0
    for g in gens:
        args = parse_input(g.text, p.entry_point)
        if args is None:
            invalid += 1
        elif key_of(args) not in seen:
            seen.add(key_of(args))
            proposals.append(args)
    found = None
    tried: list[tuple[list[Any], Outcome]] = []
    if proposals:
        p_out, q_out = await asyncio.to_thread(observe_many, sandbox, [(p, proposals), (q, proposals)],
                                               case_cpu_s=config.case_cpu_s)
        start = 0
        while found is None and (i := first_difference(p_out[start:], q_out[start:], proposals[start:])) is not None:
            args = proposals[start + i]
            hit = await asyncio.to_thread(confirm, sandbox, p, q, args, case_cpu_s=config.case_cpu_s)
            if hit is not None:
                found = {"args": key_of(args), "input": call_text(p.entry_point, args), "p": hit[0].as_dict(),
                         "q": hit[1].as_dict()}
            start += i + 1
        tried = list(zip(proposals, p_out))
    return {"round": r, "messages": messages, "replies": [g.text for g in gens],
            "tokens": sum(sum(g.usage.values()) for g in gens), "tried": [key_of(a) for a, _ in tried],
            "invalid": invalid, "found": found, "feedback": _feedback(p.entry_point, tried, invalid)}
