"""The iterative example protocol's view of a run: success by round (cumulative, with the plain-prompt baseline)
and the dialogues of the tasks that took more than one round."""

from __future__ import annotations

from pathlib import Path

from markupsafe import Markup

from execeval.report.sections import Section

MAX_DIALOGUES = 12


def section(run_dir: Path, data: dict) -> Section | None:
    from execeval.protocols.views import dialogue_html, kv_table, round_curve_svg

    summary = _summary(run_dir, data)
    body = summary.get("iterate")
    if summary.get("protocol") != "iterate" or not isinstance(body, dict):
        return None
    curve = round_curve_svg(body.get("success_by_round") or [], label="tasks solved",
                            baseline=body.get("nl_success_rate"), baseline_label="plain natural-language prompt")
    settings = body.get("settings") or {}
    rows = [("tasks", str(body.get("tasks"))), ("solved", str(body.get("solved"))),
            ("success by round (cumulative)", ", ".join(f"{v:.1%}" for v in body.get("success_by_round") or [])),
            ("share of successes in round 1", _pct(body.get("first_round_share"))),
            ("conformance to the shown examples", _pct(body.get("conformance_rate"))),
            ("plain natural-language prompt", _pct(body.get("nl_success_rate"))),
            ("turns, tokens", f"{body.get('turns')}, {body.get('tokens')}"),
            ("examples (k), rounds (R), choice, hint", f"{settings.get('k')}, {settings.get('rounds')}, "
                                                      f"{settings.get('examples')}, {settings.get('hint')}")]
    dialogues = [dialogue_html(title, turns, open_=i == 0) for i, (title, turns) in enumerate(_dialogues(run_dir))]
    html = (f'<div class="chart-wrap">{curve}</div>{kv_table(rows)}'
            + (f"<h3>Dialogues</h3>{''.join(dialogues)}" if dialogues else ""))
    return Section("iterate", "Iterative examples: success by round", Markup(html), order=50)


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:.1%}"


def _summary(run_dir: Path, data: dict) -> dict:
    summary = data.get("summary")
    if isinstance(summary, dict):
        return summary
    from execeval.runs.files import read_summary

    try:
        return read_summary(run_dir)
    except (OSError, ValueError):
        return {}


def _dialogues(run_dir: Path) -> list[tuple[str, list[dict]]]:
    """Tasks solved after round 1 first, then unsolved ones, then the rest; each with a verdict per turn."""
    from execeval.protocols.observe import Outcome
    from execeval.runs.store import STORE_NAME, RunStore

    if not (run_dir / STORE_NAME).exists():
        return []
    store = RunStore.in_dir(run_dir)
    try:
        records = store.records("iterate")
    finally:
        store.close()
    by_task: dict[str, list[dict]] = {}
    for key, rec in records.items():
        task, _, last = key.rpartition("/")
        if last.isdigit():
            by_task.setdefault(task, []).append(rec)
    out = []
    for task, turns in by_task.items():
        for t in turns:
            ce = t.get("counterexample")
            t["verdict"] = ("gives every output: solved" if t.get("correct") else
                            f"{'conforms to' if t.get('conforms') else 'misses'} the shown examples; "
                            f"counterexample {ce['input']}: expected {Outcome.from_dict(ce['expected']).describe()},"
                            f" got {Outcome.from_dict(ce['got']).describe()}" if ce else "no verdict")
        solved = next((t["round"] for t in turns if t.get("correct")), None)
        rank = 0 if solved and solved > 1 else 1 if solved is None else 2
        title = f"{task}: " + (f"solved in round {solved}" if solved else f"not solved in {len(turns)} rounds")
        out.append((rank, title, turns))
    out.sort(key=lambda x: x[0])
    return [(title, turns) for _, title, turns in out[:MAX_DIALOGUES]]
