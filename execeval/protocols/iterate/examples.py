"""What the model is shown in the iterative example protocol: the first examples, the hint, the feedback.

The First Prompt Counts the Most: the task is given as input/output examples only (optionally with part or all
of its description); after a wrong answer the model gets one counterexample and is asked again. Examples are
chosen from the inputs the reference accepts, at random or spread over the pool's types and sizes ("diverse").
"""

from __future__ import annotations

import ast
import random
import re
from collections.abc import Sequence
from typing import Any

from execeval.errors import UsageError
from execeval.protocols.inputs import key_of
from execeval.protocols.observe import Outcome, call_text
from execeval.tasks.model import Task

__all__ = ["SELECTIONS", "HINTS", "choose_examples", "first_prompt", "feedback", "description"]

SELECTIONS = ("random", "diverse")
HINTS = ("none", "partial", "full")
_FORMAT = ("Reply with the whole function, and the imports it needs, in one ```python code block.")


def choose_examples(inputs: Sequence[Sequence[Any]], k: int, how: str, rng: random.Random) -> list[int]:
    """Indices of `k` inputs to show first. "diverse": one per type signature in turn, spread over sizes (the
    smallest, the largest, then between), so the examples do not all look alike."""
    if how not in SELECTIONS:
        raise UsageError(f"--examples {how!r}: unknown way to choose examples", hint=f"use one of {SELECTIONS}")
    order = list(range(len(inputs)))
    if how == "random" or len(order) <= k:
        return sorted(rng.sample(order, min(k, len(order))))
    groups: dict[str, list[int]] = {}
    for i in order:
        groups.setdefault(_signature(inputs[i]), []).append(i)
    spread = []
    for members in groups.values():
        members.sort(key=lambda i: (len(key_of(inputs[i])), key_of(inputs[i])))
        spread.append(_spread(members))
    chosen: list[int] = []
    while len(chosen) < k:
        for picks in spread:
            if picks and len(chosen) < k:
                chosen.append(picks.pop(0))
    return sorted(chosen)


def _spread(members: list[int]) -> list[int]:
    """Smallest, largest, middle, then quartiles...: an order that covers the range early."""
    out: list[int] = []
    marks = [0.0, 1.0, 0.5, 0.25, 0.75]
    for m in marks:
        i = members[round(m * (len(members) - 1))]
        if i not in out:
            out.append(i)
    return out + [i for i in members if i not in out]


def _signature(args: Sequence[Any]) -> str:
    def one(v: Any) -> str:
        if isinstance(v, (list, tuple, set, frozenset)):
            inner = sorted({one(x) for x in v})
            return f"{type(v).__name__}[{inner[0] if len(inner) == 1 else 'mixed' if inner else ''}]"
        return type(v).__name__
    return ",".join(one(a) for a in args)


def description(task: Task) -> str:
    """The task's natural-language description: the entry point's docstring (HumanEval), else its prompt."""
    try:
        for node in ast.walk(ast.parse(task.prompt)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == task.entry_point:
                doc = ast.get_docstring(node)
                if doc:
                    return doc
    except SyntaxError:
        pass
    text = task.prompt.strip().strip('"\'').strip()  # MBPP+ prompts are a quoted string
    return text or str(task.metadata.get("text", ""))


def _hint(task: Task, hint: str) -> str:
    if hint not in HINTS:
        raise UsageError(f"--hint {hint!r}: unknown hint", hint=f"use one of {HINTS}")
    if hint == "none":
        return ""
    text = description(task)
    if hint == "partial":
        text = re.split(r"(?<=[.!?])\s|\n\s*\n|\n\s*>>>|\n\s*(?:for )?examples?\b", text, maxsplit=1,
                        flags=re.I)[0]
        text = " ".join(text.split())
    return f"\n\nWhat it should do: {text.strip()}" if text.strip() else ""


def example_lines(entry_point: str, shown: Sequence[tuple[Sequence[Any], Outcome]]) -> str:
    """Doctest-style lines: `>>> f(1, 2)` then the reference's output."""
    return "\n".join(f">>> {call_text(entry_point, args)}\n{out.describe()}" for args, out in shown)


def first_prompt(task: Task, shown: Sequence[tuple[Sequence[Any], Outcome]], hint: str) -> str:
    return (f"Write a Python function `{task.entry_point}` that gives exactly these outputs for these inputs:\n\n"
            f"```\n{example_lines(task.entry_point, shown)}\n```{_hint(task, hint)}\n\n{_FORMAT}")


def feedback(task: Task, args: Sequence[Any], expected: Outcome, got: Outcome) -> str:
    """The one counterexample a wrong answer earns."""
    if got.kind == "value":
        what = f"yours returns {got.describe()}"
    elif got.kind == "raise":
        what = f"yours raises {got.error}"
    else:
        what = "yours does not finish in time"
    return (f"That is not right yet. For this input your function should give:\n\n```\n"
            f"{example_lines(task.entry_point, [(args, expected)])}\n```\nbut {what}. Fix the function so that it "
            f"gives the outputs of every example so far. {_FORMAT}")
