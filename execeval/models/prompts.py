"""What a model is shown for each benchmark, and how its raw text becomes a sample.

A `PromptStyle` builds the `GenerationRequest` for a task (`request`) and turns the `Generation` that comes back
into a sample (`finish`: cut, extract, sanitize; sets `kind`). Three styles, each the convention its numbers are
usually reported under, so scores stay comparable with published ones:

- `CompletionStyle` (HumanEval and other function-completion tasks, base models): the prompt as is; the
  completion ends at the Codex paper's stop sequences `HUMANEVAL_STOP`.
- `MbppFewShot` (MBPP, base models): the MBPP paper's 3-shot prompt with tasks 2, 3, 4 as shots; ends at [DONE].
- `InstructStyle` (chat models, any benchmark): one plain user message; the code is pulled out of the reply
  (`execeval.models.extract`) and made a whole program (kind "solution").
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from execeval.errors import UsageError
from execeval.models.base import Generation, GenerationRequest, SamplingParams, cut_at_stop
from execeval.models.extract import defines, extract_code, sanitize
from execeval.tasks.model import Assert, Task, TaskSet

__all__ = ["HUMANEVAL_STOP", "MBPP_STOP", "MBPP_SHOT_IDS", "PromptStyle", "CompletionStyle", "MbppFewShot",
           "InstructStyle", "humaneval_prompt", "mbpp_example", "mbpp_prompt", "mbpp_shots", "instruct_messages",
           "prompt_style", "default_style", "STYLES"]

#: Where a HumanEval completion ends: the next top-level statement (Codex paper, Chen et al. 2021).
HUMANEVAL_STOP: tuple[str, ...] = ("\ndef", "\nclass", "\nif", "\nprint", "\n#")
#: Where an MBPP few-shot answer ends.
MBPP_STOP: tuple[str, ...] = ("[DONE]",)
#: The MBPP tasks the paper uses as its 3 shots (prompt split, so never scored in the test split).
MBPP_SHOT_IDS: tuple[str, ...] = ("2", "3", "4")


class PromptStyle:
    """Build requests and finish generations for one way of prompting. `stop` is added to the caller's."""

    name = "style"
    stop: tuple[str, ...] = ()

    def request(self, task: Task, n: int = 1, params: SamplingParams | None = None, *,
                start: int = 0) -> GenerationRequest:
        """The request for samples start..start+n-1 of `task`, with this style's stop sequences first."""
        params = params or SamplingParams()
        params = replace(params, stop=tuple(dict.fromkeys(self.stop + params.stop)))
        prompt, messages = self.render(task)
        return GenerationRequest(task.task_id, prompt, messages, n, params, start)

    def render(self, task: Task) -> tuple[str | None, tuple[dict[str, str], ...] | None]:
        """(prompt, None) for completion models or (None, messages) for chat models."""
        raise NotImplementedError

    def finish(self, task: Task, generation: Generation) -> Generation:
        """The sample: `generation` with its text post-processed and its kind set."""
        raise NotImplementedError


class CompletionStyle(PromptStyle):
    """Base models on function-completion tasks: show the prompt, stop at the next top-level statement."""

    name = "completion"
    stop = HUMANEVAL_STOP

    def render(self, task: Task) -> tuple[str | None, None]:
        return humaneval_prompt(task), None

    def finish(self, task: Task, generation: Generation) -> Generation:
        text, _ = cut_at_stop(generation.text, self.stop)  # again, for backends that did not cut
        return replace(generation, text=text, kind="completion")


class MbppFewShot(PromptStyle):
    """Base models on MBPP: the paper's 3-shot prompt. `shots` are records with text, test_list and code."""

    name = "mbpp-3shot"
    stop = MBPP_STOP

    def __init__(self, shots: Sequence[Mapping[str, Any]]) -> None:
        self.shots = tuple(shots)

    @classmethod
    def from_taskset(cls, taskset: TaskSet | Iterable[Task]) -> MbppFewShot:
        return cls(mbpp_shots(taskset))

    def render(self, task: Task) -> tuple[str | None, None]:
        return mbpp_prompt(task, self.shots), None

    def finish(self, task: Task, generation: Generation) -> Generation:
        text, _ = cut_at_stop(generation.text, self.stop)
        return replace(generation, text=text.strip("\n") + "\n", kind="solution")


class InstructStyle(PromptStyle):
    """Chat models: ask plainly for a code block; keep the block that defines the entry point, sanitized."""

    name = "instruct"

    def render(self, task: Task) -> tuple[None, tuple[dict[str, str], ...]]:
        return None, tuple(instruct_messages(task))

    def finish(self, task: Task, generation: Generation) -> Generation:
        if task.metadata.get("cruxeval"):  # a prediction: kept as the model wrote it, judged by its literal
            return replace(generation, text=extract_code(generation.text), kind="solution")
        code = extract_code(generation.text, task.entry_point)
        if task.completion_mode and not defines(code, task.entry_point) and code.strip():
            body = code if code.lstrip("\n")[:1].isspace() else textwrap.indent(code, "    ")
            code = task.prompt.rstrip("\n") + "\n" + body  # a bare body: it completes the prompt
        program = sanitize(code, task.entry_point)
        if task.completion_mode:
            program = _with_prompt_context(task.prompt, program)
        return replace(generation, text=program, kind="solution")


# ---------------------------------------------------------------------- the prompts themselves
def humaneval_prompt(task: Task) -> str:
    """HumanEval for base models: the prompt exactly as the benchmark ships it (signature and docstring)."""
    return task.prompt


def mbpp_example(text: str, tests: Sequence[str], code: str | None = None) -> str:
    """One MBPP example as the paper writes it; without `code` it ends after "[BEGIN]\\n" for the model."""
    head = (f"You are an expert Python programmer, and here is your task: {text.strip()} "
            f"Your code should pass these tests:\n\n" + "\n".join(t.strip() for t in tests) + "\n[BEGIN]\n")
    return head if code is None else head + _lf(code).strip("\n") + "\n[DONE]"


def mbpp_prompt(task: Task, shots: Sequence[Mapping[str, Any]]) -> str:
    """The 3-shot prompt: each shot, then the task, one per line, ending where the model writes its code."""
    examples = [mbpp_example(s["text"], s["test_list"], s["code"]) for s in shots]
    return "\n".join(examples + [mbpp_example(_mbpp_text(task), _mbpp_tests(task))])


def mbpp_shots(tasks: TaskSet | Iterable[Task]) -> tuple[dict[str, Any], ...]:
    """The three shots: from a task's `metadata["few_shot"]` (original MBPP loads attach them to every task),
    else tasks 2, 3 and 4 of the set. Raises UsageError naming what is missing."""
    tasks = tuple(tasks.tasks if isinstance(tasks, TaskSet) else tasks)
    for t in tasks:
        carried = t.metadata.get("few_shot") or ()
        if {str(s.get("task_id")) for s in carried} >= set(MBPP_SHOT_IDS):
            by_id = {str(s["task_id"]): s for s in carried}
            return tuple(dict(by_id[i]) for i in MBPP_SHOT_IDS)
    found: dict[str, dict[str, Any]] = {}
    for t in tasks:
        sid = t.task_id.split("/")[-1]
        if sid in MBPP_SHOT_IDS and all(k in t.metadata for k in ("text", "test_list", "code")):
            found[sid] = {"task_id": sid, **{k: t.metadata[k] for k in ("text", "test_list", "code")}}
    missing = [i for i in MBPP_SHOT_IDS if i not in found]
    if missing:
        raise UsageError(f"the MBPP 3-shot prompt needs tasks 2, 3 and 4 (text, test_list, code) of the original "
                         f"mbpp.jsonl, and this task set lacks {', '.join(missing)}",
                         hint="load the original MBPP file (any split), or use --prompt instruct")
    return tuple(found[i] for i in MBPP_SHOT_IDS)


#: LiveCodeBench's generic chat prompt (lcb_runner/prompts/code_generation.py, get_generic_question_template_answer)
LCB_SYSTEM = ("You are an expert Python programmer. You will be given a question (problem specification) and will "
              "generate a correct Python program that matches the specification and passes all tests.")
LCB_WITH_STARTER = ("You will use the following starter code to write the solution to the problem and enclose your "
                    "code within delimiters.")
LCB_WITHOUT_STARTER = ("Read the inputs from stdin solve the problem and write the answer to stdout (do not directly "
                       "test on the sample inputs). Enclose your code within delimiters as follows. Ensure that when "
                       "the python program runs, it reads the inputs, runs the algorithm and writes output to STDOUT.")


def livecodebench_messages(task: Task) -> list[dict[str, str]]:
    """LiveCodeBench's own system message and question template (with the starter code for LeetCode tasks)."""
    starter = str(task.metadata.get("starter_code") or "")
    prompt = f"### Question:\n{task.prompt}\n\n"
    if starter:
        prompt += f"### Format: {LCB_WITH_STARTER}\n```python\n{starter}\n```\n\n"
    else:
        prompt += f"### Format: {LCB_WITHOUT_STARTER}\n```python\n# YOUR CODE HERE\n```\n\n"
    prompt += "### Answer: (use the provided format with backticks)\n\n"
    return [{"role": "system", "content": LCB_SYSTEM}, {"role": "user", "content": prompt}]


def cruxeval_messages(task: Task) -> list[dict[str, str]]:
    """CRUXEval for chat models (its own prompts are few-shot completions for base models): the function and
    the assertion with `??` to fill with a literal."""
    what = "output" if task.metadata["cruxeval"] == "output" else "input"
    content = (f"Here is a Python function and an assertion about it with `??` in place of the {what}. Replace "
               f"`??` with a literal value (no expressions, no function calls) that makes the assertion true, and "
               f"reply with the completed assertion in one ```python code block.\n\n```python\n{task.prompt}\n```")
    return [{"role": "user", "content": content}]


def instruct_messages(task: Task) -> list[dict[str, str]]:
    """One plain user message: the function to complete, or the MBPP task with its tests; LiveCodeBench and
    CRUXEval tasks get their benchmark's own wording."""
    if task.metadata.get("cruxeval"):
        return cruxeval_messages(task)
    if task.metadata.get("benchmark") == "livecodebench":
        return livecodebench_messages(task)
    if task.completion_mode:
        content = ("Complete the following Python function. Reply with the whole function, including the "
                   "imports it needs, in one ```python code block.\n\n```python\n" + task.prompt.strip("\n")
                   + "\n```")
    else:
        tests = _mbpp_tests(task)
        content = (_mbpp_text(task) + ("\nYour code should pass these tests:\n\n" + "\n".join(tests)
                                       if tests else "")
                   + "\n\nWrite the Python code in one ```python code block.")
    return [{"role": "user", "content": content}]


STYLES = {"completion": CompletionStyle, "humaneval": CompletionStyle, "mbpp-3shot": MbppFewShot,
          "instruct": InstructStyle}


def prompt_style(name: str, taskset: TaskSet | Iterable[Task] = ()) -> PromptStyle:
    """A style by name ("completion", "mbpp-3shot", "instruct"); the MBPP one takes its shots from `taskset`."""
    if name not in STYLES:
        raise UsageError(f"unknown prompt style '{name}'", hint=f"use one of {', '.join(STYLES)}")
    return MbppFewShot.from_taskset(taskset) if name == "mbpp-3shot" else STYLES[name]()


def default_style(taskset: TaskSet, *, chat: bool) -> PromptStyle:
    """Chat models get `instruct`; base models `completion` for function tasks, `mbpp-3shot` for programs."""
    if chat:
        return InstructStyle()
    if all(t.completion_mode for t in taskset.tasks):
        return CompletionStyle()
    return MbppFewShot.from_taskset(taskset)


# ---------------------------------------------------------------------- helpers
def _lf(text: str) -> str:
    return text.replace("\r\n", "\n")


def _mbpp_text(task: Task) -> str:
    return str(task.metadata.get("text") or task.prompt).strip()


def _mbpp_tests(task: Task) -> list[str]:
    """The task's asserts: `test_list` (MBPP), `assertion` (MBPP+), else its Assert test cases."""
    if task.metadata.get("test_list"):
        return [str(t).strip() for t in task.metadata["test_list"]]
    if task.metadata.get("assertion"):
        return [line for line in _lf(task.metadata["assertion"]).split("\n") if line.strip()]
    return [c.code.strip() for c in task.tests.cases if isinstance(c, Assert)]


def _with_prompt_context(prompt: str, program: str) -> str:
    """Prepend the prompt's imports and helper definitions that a chat model's whole program left out
    (HumanEval prompts import `List` and define helpers that the tested function calls)."""
    try:
        prompt_tree, program_tree = ast.parse(prompt), ast.parse(program)
    except SyntaxError:
        return program
    have_imports = {ast.unparse(n) for n in program_tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
    have_names = {n.name for n in program_tree.body
                  if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
    tested = {n.name for n in ast.walk(program_tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    lines = prompt.splitlines()
    extra = []
    for node in prompt_tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and ast.unparse(node) not in have_imports:
            extra.append(ast.unparse(node))
        elif (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
              and node.name not in have_names and node.name not in tested and _has_body(node)):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            extra.append("\n".join(lines[start - 1: node.end_lineno]))
    return "\n\n".join(extra + [program]) if extra else program


def _has_body(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> bool:
    """Whether a definition does more than carry a docstring (the tested function in a prompt does not)."""
    body = node.body[1:] if node.body and isinstance(node.body[0], ast.Expr) and isinstance(
        getattr(node.body[0], "value", None), ast.Constant) else node.body
    return bool(body)

