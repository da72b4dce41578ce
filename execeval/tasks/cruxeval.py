"""CRUXEval (github.com/facebookresearch/cruxeval, `data/cruxeval.jsonl`): 800 short functions `f`, each with one
input and its output. Two benchmarks: output prediction (`cruxeval-o`: given `f` and the input, say the output)
and input prediction (`cruxeval-i`: given `f` and the output, give an input that produces it).

A record: {"code": "def f(...): ...", "input": "<argument source>", "output": "<value source>", "id": "sample_N"}.

CRUXEval's own harness runs `code + "\\nassert " + output + " == " + generation` (so a generation may be any
expression: `assert True`-like answers and objects that equal everything pass there). Here a sample is a
*prediction*, never code: it is parsed with `ast` on the harness side, the predicted value (output mode) or
arguments (input mode) must be literals (`ast.literal_eval`; in input mode the record's own input is accepted too,
when the sample's call is exactly it: 12 of the 800 are expressions like `dict(did=0)`), and only those enter the
program the sandbox runs, next to the benchmark's own `f`:

    output mode   the sample's value is echoed by the job; the expected value is `f(input)`, computed by running
                  the real `f` (the task's reference) in the sandbox
    input mode    the job calls the real `f` on the sample's literal arguments; the expected value is, again,
                  `f(input)` of the record's input (the record's `output` is that value)

Both values cross the sandbox boundary as plain data and are compared outside with Python's `==` (the `exact`
oracle), as CRUXEval's assert compares them. A sample that is not a prediction of that shape (no `f(...)` call,
a non-literal argument or value, several statements) becomes a program whose entry point raises: it fails.

Accepted sample text (after a ```python fence or CRUXEval's `[ANSWER] ... [/ANSWER]` is taken off):
output mode `assert f(INPUT) == VALUE`, `f(INPUT) == VALUE` (INPUT: the asked one) or `VALUE`; input mode `assert f(ARGS) == OUTPUT`,
`f(ARGS) == OUTPUT` (OUTPUT: the given one) or `f(ARGS)`. Stricter than CRUXEval, which keeps only the value
(output mode) or the call (input mode) and so would accept `assert f(x) == f(x)` in input mode.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.model import Call, Task, TaskSet, TestSuite
from execeval.tasks.records import Raw, make_taskset, need, objects, read_raw, sha256

__all__ = ["ENTRY_POINT", "KEYS", "load_cruxeval_output", "load_cruxeval_input", "task_from_record",
           "program_from_prediction", "parse_prediction"]

ENTRY_POINT = "__cruxeval__"
KEYS = frozenset({"code", "input", "output", "id"})
_MAX_PREDICTION = 100_000  # characters: CRUXEval's values are short; a longer answer is not a prediction


class NotAPrediction(ValueError):
    """The sample is not a literal prediction of the asked shape."""


def task_from_record(rec: Mapping[str, Any], where: str, mode: str) -> Task:
    """One CRUXEval record as a task of `mode` ("output" or "input")."""
    code = need(rec, "code", str, where)
    inp = need(rec, "input", str, where)
    out = need(rec, "output", str, where)
    task_id = need(rec, "id", str, where)
    try:
        ast.parse(f"f({inp})", mode="eval")
        ast.parse(code)
    except SyntaxError as e:
        raise TaskFormatError(f"{where}: 'code' or 'input' is not Python ({e.msg})") from None
    if mode == "output":
        prompt = f"{code}\nassert f({inp}) == ??"
    else:
        prompt = f"{code}\nassert f(??) == {out}"
    return Task(task_id=task_id, prompt=prompt, entry_point=ENTRY_POINT,
                reference=f"{code}\n\n\ndef {ENTRY_POINT}():\n    return f({inp})\n",
                tests=TestSuite(cases=(Call("[]", oracle="exact"),)), completion_mode=False,
                metadata={"cruxeval": mode, "code": code, "input": inp, "output": out})


def _load(path: str | Path | Raw, name: str | None, mode: str) -> TaskSet:
    raw = read_raw(path)
    located = [(where, task_from_record(rec, where, mode)) for where, rec in objects(raw)]
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))


def load_cruxeval_output(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """`cruxeval.jsonl` as output-prediction tasks. Nothing in it is executed."""
    return _load(path, name, "output")


def load_cruxeval_input(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """`cruxeval.jsonl` as input-prediction tasks. Nothing in it is executed."""
    return _load(path, name, "input")


def _answer_text(text: str) -> str:
    m = re.search(r"\[ANSWER\](.*?)(?:\[/ANSWER\]|$)", text, re.S)
    if m:
        text = m.group(1)
    m = re.search(r"```(?:python|py)?[ \t]*\n(.*?)```", text, re.S)
    if m:
        text = m.group(1)
    return text.strip()


def _literal(node: ast.expr) -> str:
    """The source of a literal node, checked with `ast.literal_eval` (which runs nothing)."""
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise NotAPrediction(f"not a literal: {ast.unparse(node)[:80]}") from None
    return ast.unparse(node)


def _is_f_call(node: ast.expr) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "f"


def parse_prediction(text: str, mode: str, asked: str | None = None, given_input: str | None = None) -> str:
    """The predicted literal source: the value (output mode) or the argument list `a, b, k=c` (input mode).

    `asked`: what the assertion must hold besides the prediction: the record's input (output mode: it must call
    `f` on exactly that) or output (input mode: `f(ARGS) == ` exactly that); compared as syntax trees, so spacing
    does not matter. `given_input` (input mode): the record's own input, the one non-literal arguments allowed
    (12 of CRUXEval's 800 inputs are expressions, e.g. `dict(did=0)`): a call whose tree is exactly
    `f(given_input)` is that trusted text, not the sample's code."""
    text = _answer_text(text)
    if len(text) > _MAX_PREDICTION:
        raise NotAPrediction("longer than any CRUXEval answer")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        raise NotAPrediction("not Python") from None
    if len(tree.body) != 1:
        raise NotAPrediction("one assert or expression expected")
    stmt = tree.body[0]
    if isinstance(stmt, ast.Assert) and stmt.msg is None:
        expr = stmt.test
    elif isinstance(stmt, ast.Expr):
        expr = stmt.value
    else:
        raise NotAPrediction("one assert or expression expected")
    left, right = (expr.left, expr.comparators[0]) if (
        isinstance(expr, ast.Compare) and len(expr.ops) == 1 and isinstance(expr.ops[0], ast.Eq)) else (None, None)
    if mode == "output":
        if left is not None and right is not None and _is_f_call(left):
            if asked is not None and ast.dump(left) != ast.dump(ast.parse(f"f({asked})", mode="eval").body):
                raise NotAPrediction("the assertion does not call f on the asked input")
            return _literal(right)
        if isinstance(stmt, ast.Expr):
            return _literal(expr)
        raise NotAPrediction("expected `assert f(...) == VALUE`")
    call = left if left is not None else expr
    if right is not None and asked is not None and ast.dump(right) != ast.dump(ast.parse(asked, mode="eval").body):
        raise NotAPrediction("the assertion does not compare with the given output")
    if not (isinstance(call, ast.Call) and _is_f_call(call)):
        raise NotAPrediction("expected `assert f(ARGS) == OUTPUT` or `f(ARGS)`")
    if given_input is not None and ast.dump(call) == ast.dump(ast.parse(f"f({given_input})", mode="eval").body):
        return ast.unparse(ast.parse(f"f({given_input})", mode="eval").body)[2:-1]  # the record's, as parsed
    if any(isinstance(a, ast.Starred) for a in call.args):
        raise NotAPrediction("* arguments are not a literal prediction")
    parts = [_literal(a) for a in call.args]
    for kw in call.keywords:
        if kw.arg is None:
            raise NotAPrediction("** arguments are not a literal prediction")
        parts.append(f"{kw.arg}={_literal(kw.value)}")
    return ", ".join(parts)


def program_from_prediction(task: Task, sample: str) -> str:
    """The program a CRUXEval sample stands for (`execeval.samples.program_for` calls this): trusted code (the
    benchmark's `f`, an entry point) around the sample's literals only. Not a prediction: an entry point that
    raises, so the sample fails."""
    mode = task.metadata["cruxeval"]
    try:
        literal = parse_prediction(sample, mode, task.metadata["input" if mode == "output" else "output"],
                                   task.metadata["input"] if mode == "input" else None)
    except NotAPrediction as e:
        return (f"def {ENTRY_POINT}():\n"
                f"    raise ValueError({('not a ' + mode + ' prediction: ' + str(e))!r})\n")
    if mode == "output":
        return f"def {ENTRY_POINT}():\n    return ({literal})\n"
    return f"{task.metadata['code']}\n\n\ndef {ENTRY_POINT}():\n    return f({literal})\n"
