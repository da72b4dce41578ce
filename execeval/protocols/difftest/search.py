"""Differential testing: search for an input on which two programs differ.

    result = find_difference(Program(p_code, "f"), Program(q_code, "f"), seeds=[[3, [1, 2]]], sandbox=sb)
    result.found, result.input, result.p, result.q     # e.g. True, [0, []], 0, raises IndexError

The model-free search runs rounds of inputs (the seeds, then mutations of them and type-aware random inputs,
`execeval.protocols.inputs`) through both programs in the sandbox and compares the outputs in the harness
(`execeval.protocols.observe`: exceptions and timeouts are outputs too). A difference is confirmed by running
that one input again on both sides, alone, before it is claimed, so a timeout on a busy machine is never
reported as one. The model-driven search (Mokav's loop) is `execeval.protocols.difftest.model_search`; the test-strength
check of `execeval evaluate --difftest` is `check_test_strength` (in `execeval.protocols.difftest.strength`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from execeval.protocols.inputs import search_inputs
from execeval.protocols.observe import VALUE, Outcome, Program, differs, observe_many
from execeval.sandbox.base import Sandbox

__all__ = ["DiffResult", "find_difference", "first_difference", "confirm"]

BUDGET, BATCH = 300, 50  # inputs per search, inputs per round
CASE_CPU_S = 0.5  # CPU seconds per input and side: generated inputs are small (a confirmation gets twice that)


@dataclass
class DiffResult:
    """What a search found: the input (an argument list) and each side's outcome, and the per-round curve."""

    found: bool
    input: list[Any] | None = None
    p: Outcome | None = None
    q: Outcome | None = None
    round_found: int | None = None  # 1-based
    rounds: list[dict] = field(default_factory=list)  # {"round", "inputs", "found"} per round
    inputs_tried: int = 0
    samples: int = 0  # model samples spent (model-driven search)
    tokens: int = 0

    def as_dict(self) -> dict:
        return {"found": self.found, "input": self.input, "p": self.p.as_dict() if self.p else None,
                "q": self.q.as_dict() if self.q else None, "round_found": self.round_found, "rounds": self.rounds,
                "inputs_tried": self.inputs_tried, "samples": self.samples, "tokens": self.tokens}


def first_difference(p_out: Sequence[Outcome], q_out: Sequence[Outcome], inputs: Sequence[Sequence[Any]], *,
                     atol: float = 0.0, oracle: str = "", p_valid_only: bool = False) -> int | None:
    """Index of the first input on which the outcomes differ (`p` is the expected side). `p_valid_only`: only
    inputs on which p returns a value count (p is a reference, and an input it rejects is outside the task)."""
    for i, (a, b) in enumerate(zip(p_out, q_out)):
        if p_valid_only and a.kind != VALUE:
            continue
        if differs(a, b, atol=atol, oracle=oracle, args=inputs[i]):
            return i
    return None


def confirm(sandbox: Sandbox, p: Program, q: Program, args: Sequence[Any], *, atol: float = 0.0,
            oracle: str = "", case_cpu_s: float = 1.0) -> tuple[Outcome, Outcome] | None:
    """Run one input again on both sides, alone and with twice the time; the outcomes if they still differ."""
    a, b = (o[0] for o in observe_many(sandbox, [(p, [args]), (q, [args])], case_cpu_s=2 * case_cpu_s))
    return (a, b) if differs(a, b, atol=atol, oracle=oracle, args=args) else None


def find_difference(p: Program, q: Program, seeds: Sequence[Sequence[Any]], sandbox: Sandbox, *,
                    budget: int = BUDGET, batch: int = BATCH, seed: int = 0,
                    strategies: Sequence[str] = ("mutation", "random"), atol: float = 0.0, oracle: str = "",
                    p_valid_only: bool = False, case_cpu_s: float = CASE_CPU_S) -> DiffResult:
    """Model-free search: rounds of `batch` inputs, at most `budget` in all, until one is confirmed to differ."""
    result = DiffResult(False)
    for n, inputs in enumerate(search_inputs(seeds, budget, seed=seed, batch=batch, strategies=strategies), 1):
        def seen(_: int, outs: list[list[Outcome]], inputs: list = inputs) -> bool:
            return first_difference(outs[0], outs[1], inputs, atol=atol, oracle=oracle,
                                    p_valid_only=p_valid_only) is not None

        p_out, q_out = observe_many(sandbox, [(p, inputs), (q, inputs)], case_cpu_s=case_cpu_s, enough=seen)
        result.inputs_tried += len(inputs)
        hit = None
        start = 0
        while (i := first_difference(p_out[start:], q_out[start:], inputs[start:], atol=atol, oracle=oracle,
                                     p_valid_only=p_valid_only)) is not None:
            hit = confirm(sandbox, p, q, inputs[start + i], atol=atol, oracle=oracle, case_cpu_s=case_cpu_s)
            if hit is not None:
                result.input = list(inputs[start + i])
                break
            start += i + 1
        result.rounds.append({"round": n, "inputs": len(inputs), "found": hit is not None})
        if hit is not None:
            result.found, result.round_found = True, n
            result.p, result.q = hit
            break
    return result

