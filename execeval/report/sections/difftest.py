"""Difference searches in a run's report: an `evaluate --difftest` run's surviving passes and weak tasks, or an
`execeval difftest` run's per-round curve and (model-driven) dialogue."""

from __future__ import annotations

import html
from pathlib import Path

from markupsafe import Markup

from execeval.report.sections import Section
from execeval.report.sections.iterate import _summary

MAX_ROWS = 50


def section(run_dir: Path, data: dict) -> Section | None:
    summary = _summary(run_dir, data)
    if isinstance(summary.get("difftest"), dict):
        return _strength(run_dir, summary["difftest"])
    if isinstance(summary.get("difftest_search"), dict):
        return _search(run_dir, summary["difftest_search"])
    if isinstance(summary.get("difftest_pairs"), dict):
        return _pairs(run_dir, summary["difftest_pairs"])
    return None


def _pairs(run_dir: Path, s: dict) -> Section:
    from execeval.protocols.views import kv_table, round_curve_svg
    from execeval.runs.files import read_results

    rows = [("search", str(s.get("search"))), ("pairs", str(s.get("pairs"))), ("difference found", str(s.get("found"))),
            ("found by round (cumulative)", ", ".join(f"{v:.1%}" for v in s.get("found_by_round") or [])),
            ("inputs tried, model samples, tokens", f"{s.get('inputs_tried')}, {s.get('samples')}, {s.get('tokens')}")]
    try:
        results = read_results(run_dir)[:MAX_ROWS]
    except (OSError, ValueError):
        results = []
    table = ("<table class=\"kv\"><tr><th>pair</th><th>round</th><th>input</th><th>P</th><th>Q</th></tr>" + "".join(
        f"<tr><td>{html.escape(str(r['task_id']))}</td>"
        f"<td>{html.escape(str((r.get('difftest') or {}).get('round_found') or '—'))}</td>"
        f"<td><code>{html.escape(str((r.get('difftest') or {}).get('input') or ''))}</code></td>"
        f"<td>{html.escape(str((r.get('difftest') or {}).get('p') or ''))}</td>"
        f"<td>{html.escape(str((r.get('difftest') or {}).get('q') or ''))}</td></tr>" for r in results) + "</table>")
    curve = round_curve_svg(s.get("found_by_round") or [], label="pairs with a difference found")
    return Section("difftest", "Difference search over pairs",
                   Markup(f'<div class="chart-wrap">{curve}</div>' + kv_table(rows) + table), order=60)


def _strength(run_dir: Path, d: dict) -> Section:
    from execeval.protocols.views import kv_table

    rows = [("passes checked", str(d.get("passes_checked"))), ("passes that survive", str(d.get("passes_survived"))),
            ("passed but wrong", str(d.get("passed_but_wrong"))),
            ("tasks with weak tests", ", ".join(d.get("weak_tasks") or []) or "none"),
            ("inputs per task", str(d.get("inputs_per_task"))),
            ("tasks without inputs (not checked)", ", ".join(d.get("tasks_without_inputs") or []) or "none")]
    flagged = []
    try:
        from execeval.runs.files import read_results

        flagged = [r for r in read_results(run_dir) if (r.get("difftest") or {}).get("differs")][:MAX_ROWS]
    except (OSError, ValueError):
        pass
    table = ""
    if flagged:
        table = ("<h3>Passed but wrong</h3><table class=\"kv\"><tr><th>sample</th><th>input</th>"
                 "<th>the reference's output</th><th>the sample's output</th></tr>" + "".join(
                     f"<tr><td>{html.escape(str(r['task_id']))} #{html.escape(str(r.get('completion_id')))}</td>"
                     f"<td><code>{html.escape(r['difftest']['input'])}</code></td>"
                     f"<td>{html.escape(r['difftest']['reference'])}</td>"
                     f"<td>{html.escape(r['difftest']['candidate'])}</td></tr>" for r in flagged) + "</table>")
    return Section("difftest", "Test strength: passes searched against the reference",
                   Markup(kv_table(rows) + table), order=60)


def _search(run_dir: Path, s: dict) -> Section:
    from execeval.protocols.views import dialogue_html, kv_table, round_curve_svg
    from execeval.runs.store import STORE_NAME, RunStore

    rows = [("search", str(s.get("search"))), ("found", "yes" if s.get("found") else "no"),
            ("round found", str(s.get("round_found") or "—")), ("inputs tried", str(s.get("inputs_tried"))),
            ("model samples, tokens", f"{s.get('samples')}, {s.get('tokens')}"),
            ("seed inputs", ", ".join(s.get("seed_inputs") or []) or "none")]
    if s.get("found"):
        from execeval.protocols.observe import Outcome, call_text

        rows.append(("difference", f"{call_text(s.get('entry_point') or 'f', s.get('input') or [])}: P "
                                   f"{Outcome.from_dict(s['p']).describe()}, Q {Outcome.from_dict(s['q']).describe()}"))
    curve = round_curve_svg([float(v) for v in s.get("found_by_round") or []], label="difference found")
    dialogue = ""
    if s.get("search") == "model" and (run_dir / STORE_NAME).exists():
        store = RunStore.in_dir(run_dir)
        try:
            turns = list(store.records("difftest", f"{s.get('name')}/").values())
        finally:
            store.close()
        for t in turns:
            t["reply"] = "\n---\n".join(t.get("replies") or [])
            t["verdict"] = (f"difference: {t['found']['input']}" if t.get("found") else t.get("feedback", ""))
        dialogue = "<h3>Dialogue</h3>" + dialogue_html("the model's proposals, round by round", turns, open_=True)
    return Section("difftest", "Difference search", Markup(f'<div class="chart-wrap">{curve}</div>'
                                                           + kv_table(rows) + dialogue), order=60)
