"""Agent loops over any model backend: how a model's replies become actions, and when an episode ends.

Four strategies, each a coroutine over (environment, task, model) that returns the episode's turns:

- `single`: one reply, one action, scored once.
- `try_again`: up to N turns; after each action the model sees the output and the reward (InterCode's
  multi-turn setting, which scores every turn as if it were submitted) and stops at reward 1 or `skip`.
- `react`: Thought / Action / Observation (Yao et al.); `Action: execute[...]` runs, `Action: submit` scores.
  Turns are scored only at submit (or when the turns run out).
- `plan_solve`: one reply writes a numbered plan; then one reply per plan step gives that step's command, which
  runs; the episode is scored at the end.

A `Model` is a callable `messages -> reply`; `ScriptedModel` replays recorded replies first, which is how an
interrupted run resumes: the strategy re-runs, the recorded replies drive the same actions again (re-executed in
the sandbox, so the state is rebuilt), and only the turns after them ask the backend. The prompts are in
`prompts.py` and docs/interactive.md.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field

from execeval.errors import UsageError
from execeval.models.base import Backend, GenerationRequest, Message, SamplingParams
from execeval.protocols.interactive import prompts
from execeval.protocols.interactive.env import Environment, InteractiveTask

__all__ = ["Turn", "Model", "backend_model", "ScriptedModel", "STRATEGIES", "parse_action"]

Model = Callable[[Sequence[Message]], Awaitable[str]]
OnTurn = Callable[["Turn"], None]


@dataclass
class Turn:
    turn: int
    action: str = ""
    observation: str = ""
    reward: float | None = None
    thought: str = ""
    kind: str = "act"  # "act" | "plan" | "submit" | "skip"
    ok: bool = True
    replies: list[str] = field(default_factory=list)  # what the model wrote for this turn (resume feeds these)

    def as_dict(self) -> dict:
        return asdict(self)


def backend_model(backend: Backend, task_id: str, params: SamplingParams = SamplingParams(max_tokens=512)
                  ) -> Model:
    """A Model over a backend: one chat request per call, sample 0."""
    calls = 0

    async def model(messages: Sequence[Message]) -> str:
        nonlocal calls
        request = GenerationRequest(f"{task_id}#{calls}", messages=tuple(messages), params=params)
        calls += 1
        async for generation in backend.generate(request):
            return generation.text
        return ""

    return model


class ScriptedModel:
    """Replies `recorded` first, in order, then asks `fallback` (None: the recorded replies are all there is)."""

    def __init__(self, recorded: Sequence[str], fallback: Model | None = None) -> None:
        self.recorded = list(recorded)
        self.fallback = fallback
        self.calls = 0

    async def __call__(self, messages: Sequence[Message]) -> str:
        self.calls += 1
        if self.recorded:
            return self.recorded.pop(0)
        if self.fallback is None:
            raise UsageError("the scripted model ran out of replies", hint="give it one reply per model call")
        return await self.fallback(messages)


_FENCED = re.compile(r"```[ \t]*[\w+-]*[^\n]*\n(.*?)(?:```|\Z)", re.S)


def parse_action(reply: str) -> str:
    """The action in a reply: its first fenced block, else the reply itself, stripped."""
    m = _FENCED.search(reply)
    return (m.group(1) if m else reply).strip()


# ---------------------------------------------------------------- the strategies
async def _act(env: Environment, turn: Turn, action: str, score: bool) -> Turn:
    turn.action = action
    if action.split(maxsplit=1)[:1] == ["skip"]:
        await env.astep("skip")
        turn.kind, turn.reward, turn.observation = "skip", 0.0, "skipped"
        return turn
    if action.split(maxsplit=1)[:1] == ["submit"]:
        obs, reward, *_ = await env.astep(action)
        turn.kind, turn.reward, turn.observation = "submit", reward, obs
        return turn
    obs, _, _, _, info = await env.astep(action)
    turn.observation, turn.ok = obs, bool(info.get("ok", True))
    if score:
        turn.reward, _ = await env.ascore(None)
    return turn


async def single(env: Environment, task: InteractiveTask, model: Model, max_turns: int, on_turn: OnTurn
                 ) -> list[Turn]:
    reply = await model(prompts.first_messages(task, "single"))
    turn = await _act(env, Turn(0, replies=[reply]), parse_action(reply), score=True)
    on_turn(turn)
    return [turn]


async def _dialogue(env: Environment, task: InteractiveTask, model: Model, max_turns: int, on_turn: OnTurn,
                    strategy: str, decide: Callable[[int, str, bool], Awaitable[Turn]],
                    feedback: Callable[[Turn], str]) -> list[Turn]:
    """Ask, act, show the result; until submit / skip / reward 1 or the turns run out."""
    messages = prompts.first_messages(task, strategy)
    turns: list[Turn] = []
    for i in range(max_turns):
        reply = await model(messages)
        turn = await decide(i, reply, i == max_turns - 1)
        turns.append(turn)
        on_turn(turn)
        if turn.kind in ("skip", "submit") or turn.reward == 1:
            break
        messages = [*messages, {"role": "assistant", "content": reply}, {"role": "user", "content": feedback(turn)}]
    return turns


async def try_again(env: Environment, task: InteractiveTask, model: Model, max_turns: int, on_turn: OnTurn
                    ) -> list[Turn]:
    async def decide(i: int, reply: str, last: bool) -> Turn:
        return await _act(env, Turn(i, replies=[reply]), parse_action(reply), score=True)

    return await _dialogue(env, task, model, max_turns, on_turn, "try_again", decide,
                           lambda turn: prompts.feedback(task, turn.observation, turn.reward))


_REACT = re.compile(r"Thought:\s*(?P<thought>.*?)\s*Action:\s*(?P<action>.*)", re.S | re.I)
_EXECUTE = re.compile(r"execute\[(?P<cmd>.*)\]\s*$", re.S)


async def react(env: Environment, task: InteractiveTask, model: Model, max_turns: int, on_turn: OnTurn
                ) -> list[Turn]:
    async def decide(i: int, reply: str, last: bool) -> Turn:
        m = _REACT.search(reply)
        thought, action = (m.group("thought"), m.group("action").strip()) if m else ("", reply.strip())
        ex = _EXECUTE.search(action)
        if ex:
            action = ex.group("cmd").strip()
        elif not action.lower().startswith(("submit", "skip")):
            action = parse_action(action)
        turn = await _act(env, Turn(i, thought=thought, replies=[reply]), action, score=False)
        if last and turn.kind == "act":  # out of turns: the episode is scored as it stands
            turn.reward, _ = await env.ascore(None)
        return turn

    return await _dialogue(env, task, model, max_turns, on_turn, "react", decide,
                           lambda turn: f"Observation: {turn.observation or '(no output)'}")


_STEP = re.compile(r"^\s*(?:step\s*)?\d+[.):]\s*(.+)$", re.I | re.M)


async def plan_solve(env: Environment, task: InteractiveTask, model: Model, max_turns: int, on_turn: OnTurn
                     ) -> list[Turn]:
    messages = prompts.first_messages(task, "plan_solve")
    plan_reply = await model(messages)
    steps = [s.strip() for s in _STEP.findall(plan_reply)][:max_turns] or [plan_reply.strip()]
    plan = Turn(0, kind="plan", thought=plan_reply.strip(), replies=[plan_reply])
    on_turn(plan)
    turns = [plan]
    messages = [*messages, {"role": "assistant", "content": plan_reply}]
    for i, step in enumerate(steps, start=1):
        ask = prompts.plan_step(i, step, turns[-1].observation if i > 1 else None)
        reply = await model([*messages, {"role": "user", "content": ask}])
        turn = await _act(env, Turn(i, thought=step, replies=[reply]), parse_action(reply), score=i == len(steps))
        turns.append(turn)
        on_turn(turn)
        if turn.kind in ("skip", "submit"):
            break
        messages = [*messages, {"role": "user", "content": ask}, {"role": "assistant", "content": reply}]
    return turns


STRATEGIES = {"single": single, "try_again": try_again, "react": react, "plan_solve": plan_solve}
