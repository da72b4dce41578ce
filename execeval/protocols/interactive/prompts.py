"""The prompts of the agent loops, one function per message (docs/interactive.md shows them whole).

Written for this project after InterCode's setting: the model is told what it is talking to (a Bash shell on a
file tree, an SQLite database, a Python interpreter), that exactly one command per reply runs, that it sees the
output (and, when trying again, the reward), and how to finish.
"""

from __future__ import annotations

from execeval.models.base import Message
from execeval.protocols.interactive.env import InteractiveTask

_WHAT = {
    "bash": ("a Bash shell", "bash", "one Bash command (a pipeline or a few commands joined by ; are fine)"),
    "sql": ("an SQLite database", "sql", "one SQL statement"),
    "python": ("a Python interpreter", "python", "Python code: a function definition or an expression to try"),
}

_HOW = {
    "single": "Reply with the answer as {unit} in a ```{fence}``` block. It runs once and is scored.",
    "try_again": ("Reply with {unit} in a ```{fence}``` block. It runs, and you see its output and its reward "
                  "(1.0 is a full solution). Then reply with your next attempt. Write `skip` to give up."),
    "react": ("Work in steps. Each reply is exactly:\nThought: <your reasoning>\nAction: execute[<{unit}>]\n"
              "You then see `Observation: <output>`. When the task is done, reply with\nThought: <why>\n"
              "Action: submit"),
    "plan_solve": ("First reply with a short plan: numbered steps (1., 2., ...), each one command. You will then "
                   "be asked for each step's command in turn, in a ```{fence}``` block, and shown its output."),
}


def system(task: InteractiveTask, strategy: str) -> str:
    what, fence, unit = _WHAT[task.language]
    extra = ""
    if task.language == "sql" and task.extra.get("tables"):
        extra = "\nTables: " + "; ".join(f"{t}({', '.join(c)})" for t, c in task.extra["tables"].items())
    if task.language == "python":
        extra = "\nDefine the function the task asks for; the last function you define is what gets tested."
    return (f"You are solving a task by talking to {what}.\n" + _HOW[strategy].format(unit=unit, fence=fence)
            + extra)


def first_messages(task: InteractiveTask, strategy: str) -> list[Message]:
    return [{"role": "system", "content": system(task, strategy)}, {"role": "user", "content": task.query}]


def feedback(task: InteractiveTask, observation: str, reward: float | None) -> str:
    shown = observation if observation.strip() else "(no output)"
    return f"Output:\n{shown}\nReward: {reward if reward is not None else 0:.2f}\nTry again, or write `skip`."


def plan_step(index: int, step: str, previous_output: str | None) -> str:
    before = f"Output of the previous step:\n{previous_output or '(no output)'}\n" if previous_output is not None \
        else ""
    return f"{before}Step {index}: {step}\nReply with this step's command only."
