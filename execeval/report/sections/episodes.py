"""Interactive episodes as dialogues: the task, then each turn's thought, action, output and reward.

Reads the run store's `episode` records (one per turn) and `episode_end` records (one per episode); runs with
no episodes get no section. Unsolved episodes come first (what a reader wants to look at), each a <details>
so a page of hundreds stays short.
"""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from execeval.report.sections import Section
from execeval.errors import UsageError
from execeval.runs.files import read_summary
from execeval.runs.store import STORE_NAME, RunStore

SHOWN = 300  # episodes on the page at most
_PROMPTS = {"bash": "$ ", "sql": "sql> ", "python": ">>> "}
OUTPUT_CHARS = 1500

_STYLE = """<style>
.ep-d{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:4px 10px}
.ep-d summary{cursor:pointer}.ep-t{margin:6px 0 6px 12px;border-left:3px solid #ccc;padding-left:8px}
.ep-t pre{white-space:pre-wrap;margin:2px 0;background:#f6f6f6;padding:4px;max-height:16em;overflow:auto}
.ep-r{display:inline-block;min-width:3.2em;text-align:center;border-radius:4px;padding:0 4px;color:#fff}
.ep-th{color:#555;font-style:italic}
</style>"""


def section(run_dir: Path, data: dict) -> Section | None:
    if not (Path(run_dir) / STORE_NAME).exists():
        return None
    store = RunStore.in_dir(run_dir)
    try:
        ends = store.records("episode_end")
        if not ends:
            return None
        turns = store.records("episode")
    finally:
        store.close()
    by_task: dict[str, list[dict]] = {}
    for key, turn in turns.items():
        by_task.setdefault(key.rsplit("/", 1)[0], []).append(turn)
    ordered = sorted(ends.values(), key=lambda r: (r.get("passed", False), r["task_id"]))
    parts = [_STYLE, Markup("<p>{} episodes, {} solved (best reward 1); unsolved first.{}</p>").format(
        len(ordered), sum(bool(r.get("passed")) for r in ordered), _metrics(Path(run_dir)))]
    parts += [_episode(row, by_task.get(row["task_id"], [])) for row in ordered[:SHOWN]]
    if len(ordered) > SHOWN:
        parts.append(Markup("<p>{} more episodes are in the run store.</p>").format(len(ordered) - SHOWN))
    return Section("episodes", "Interactive episodes", Markup("").join(Markup(p) for p in parts), order=60)


def _metrics(run_dir: Path) -> Markup:
    """The run's success rate, mean reward and success by turn, from summary.json when it is an interactive run."""
    try:
        summary = read_summary(run_dir)
    except UsageError:  # an unreadable summary costs this line, not the report
        return Markup("")
    if summary.get("protocol") != "interactive":
        return Markup("")
    by_turn = ", ".join(f"{x:.2f}" for x in summary.get("success_by_turn", []))
    return Markup(" Success rate {}, mean best reward {}, success by turn [{}] ({}).").format(
        f"{summary.get('success_rate', 0):.3f}", f"{summary.get('mean_reward', 0):.3f}", by_turn,
        summary.get("strategy", ""))


def _episode(row: dict, turns: list[dict]) -> Markup:
    head = Markup("<summary>{} <b>{}</b> · {} · {} turns · best reward {}</summary>").format(
        _badge(row.get("best_reward")), row["task_id"], row.get("language", ""), row.get("turns", len(turns)),
        f"{row.get('best_reward', 0):.2f}")
    body = [Markup("<p>{}</p>").format(row.get("query", ""))]
    prompt = _PROMPTS.get(row.get("language", ""), "> ")
    for t in turns:
        body.append(_turn(t, prompt))
    return Markup('<details class="ep-d">{}{}</details>').format(head, Markup("").join(body))


def _turn(t: dict, prompt: str) -> Markup:
    bits = [Markup("<div>turn {} · {} {}</div>").format(t.get("turn", 0) + 1, t.get("kind", "act"),
                                                       _badge(t.get("reward")))]
    if t.get("thought"):
        bits.append(Markup('<div class="ep-th">{}</div>').format(t["thought"]))
    if t.get("action"):
        bits.append(Markup("<pre>{}{}</pre>").format(prompt, t["action"]))
    if t.get("observation") and t.get("kind") not in ("submit", "skip"):
        obs = t["observation"]
        obs = obs if len(obs) <= OUTPUT_CHARS else obs[:OUTPUT_CHARS] + " …"
        bits.append(Markup("<pre>{}</pre>").format(obs))
    return Markup('<div class="ep-t">{}</div>').format(Markup("").join(bits))


def _badge(reward) -> Markup:
    if reward is None:
        return Markup("")
    colour = "#2a8a3e" if reward >= 1 else "#c77d00" if reward > 0 else "#b3261e"
    return Markup('<span class="ep-r" style="background:{}">{}</span>').format(colour, f"{reward:.2f}")

