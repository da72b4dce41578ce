"""The environment API (gymnasium's shape) and the task model every language shares.

    env = BashEnv(sandbox)
    observation, info = env.reset(task)
    observation, reward, terminated, truncated, info = env.step("ls -l")
    observation, reward, terminated, truncated, info = env.step("submit")   # or "skip": both end the episode

An episode's state lives in this object (a file tree as a tar, a shell's variables, a Python session's cells, a
database's statements), never in a process: each step is one sandbox job that restores the state, runs the
action under the step's limits and hands the new state back. So a step's timeout kills everything the step
started, episodes are independent jobs on the sandbox's one queue (many run in parallel on one `Sandbox`), and
the gold answer runs as the same kind of job on the untouched starting state. `astep`/`areset` are the same
for asyncio callers (the agent loops), which keep many episodes in flight.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from execeval.errors import UsageError
from execeval.sandbox.base import ExecResult, Program, Sandbox
from execeval.sandbox.limits import Limits

__all__ = ["InteractiveTask", "Environment", "STEP_LIMITS", "Step"]

# What one step may use: InterCode's 10 s client-side timeout, here enforced by killing the step's processes.
STEP_LIMITS = Limits(wall_s=10.0, cpu_s=10.0, memory_mb=2048, processes=64, file_size_mb=64, disk_mb=256,
                     output_bytes=1 << 20)
OBSERVATION_CHARS = 8000  # what an observation shows a model at most


@dataclass(frozen=True)
class InteractiveTask:
    """One task. `state` is the starting state in the language's form: a Bash file tree as a tar (see
    `tree.tar_directory`), an SQLite database's bytes; none for Python.

    gold:       the reference command / query / function source
    tests:      Python: the assert lines `submit NAME` is scored on; `test_setup` runs before them
    mounts:     Bash: absolute paths of the task that live in its tree (InterCode's `/testbed`)
    """

    task_id: str
    language: str  # "bash" | "sql" | "python"
    query: str
    gold: str
    state: bytes = b""
    tests: tuple[str, ...] = ()
    test_setup: str = ""
    mounts: tuple[str, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    action: str
    observation: str
    reward: float | None = None  # set when the step scored the episode (submit, or `score()`)
    ok: bool = True  # the action ran without an error / non-zero exit
    info: Mapping[str, Any] = field(default_factory=dict)


class Environment(ABC):
    """Reset/step over one sandbox. Subclasses say how an action becomes a job (`_job`), how the job's result
    becomes the new state and an observation (`_absorb`), and how the episode is scored (`_ascore`)."""

    language: str = ""

    def __init__(self, sandbox: Sandbox, limits: Limits = STEP_LIMITS) -> None:
        self.sandbox = sandbox
        self.limits = limits
        self.task: InteractiveTask | None = None
        self.trajectory: list[Step] = []
        self.done = False

    # ------------------------------------------------------------ gymnasium's API (blocking)
    def reset(self, task: InteractiveTask) -> tuple[str, dict]:
        return _run(self.areset(task))

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        return _run(self.astep(action))

    # ------------------------------------------------------------ the same for asyncio
    async def areset(self, task: InteractiveTask) -> tuple[str, dict]:
        if task.language != self.language:
            raise UsageError(f"task {task.task_id} is {task.language}, this environment runs {self.language}",
                             hint=f"use the {task.language} environment (environment_for(task))")
        self.task, self.trajectory, self.done = task, [], False
        await self._areset_state(task)
        return task.query, {"task_id": task.task_id}

    async def astep(self, action: str) -> tuple[str, float, bool, bool, dict]:
        """Run one action. `submit` (Python: `submit NAME`) scores the episode and ends it; `skip` ends it with
        reward 0. Other actions give reward 0 and go on."""
        if self.task is None or self.done:
            raise UsageError("step() on an environment with no episode running", hint="call reset(task) first")
        word = action.strip().split(maxsplit=1)
        if word and word[0] == "skip":
            self.done = True
            self.trajectory.append(Step(action, "skipped", 0.0))
            return "skipped", 0.0, True, False, {"skipped": True}
        if word and word[0] == "submit":
            reward, info = await self.ascore(word[1] if len(word) > 1 else None)
            self.done = True
            observation = self.trajectory[-1].observation if self.trajectory else ""
            self.trajectory.append(Step(action, observation, reward, True, info))
            return observation, reward, True, False, info
        step = await self._arun(action)
        self.trajectory.append(step)
        return step.observation, 0.0, False, False, {"ok": step.ok, **step.info}

    async def ascore(self, argument: str | None = None) -> tuple[float, dict]:
        """The reward the episode would get if it were submitted now (InterCode scores every turn so)."""
        if self.task is None:
            raise UsageError("score() with no episode running", hint="call reset(task) first")
        return await self._ascore(argument)

    async def execute(self, program: Program, limits: Limits | None = None) -> ExecResult:
        return await asyncio.wrap_future(self.sandbox.submit(program, limits or self.limits))

    @property
    def last_observation(self) -> str:
        return next((s.observation for s in reversed(self.trajectory) if not s.action.startswith("submit")), "")

    def close(self) -> None:
        _run(self.aclose())

    async def aclose(self) -> None:  # noqa: B027 - an optional hook: a no-op unless overridden
        """Release what the episode holds outside this object (nothing, but for a database server's)."""

    # ------------------------------------------------------------ per language
    async def _areset_state(self, task: InteractiveTask) -> None:
        self._reset_state(task)

    async def _arun(self, action: str) -> Step:
        """One action as one sandbox job."""
        return self._absorb(action, await self.execute(self._job(action)))

    @abstractmethod
    def _reset_state(self, task: InteractiveTask) -> None: ...

    @abstractmethod
    def _job(self, action: str) -> Program: ...

    @abstractmethod
    def _absorb(self, action: str, result: ExecResult) -> Step: ...

    @abstractmethod
    async def _ascore(self, argument: str | None) -> tuple[float, dict]: ...


def shorten(text: str, limit: int = OBSERVATION_CHARS) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n... [{len(text) - limit} more characters]"


def _run(coro):  # the blocking API for callers without a loop
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    raise UsageError("reset()/step() called inside a running event loop", hint="await areset()/astep() instead")
