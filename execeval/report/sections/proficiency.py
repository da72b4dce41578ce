"""Codex-HPC proficiency (`execeval.metrics.proficiency`) when every task has at least 10 samples: the mean
level, the spread of levels, and the mean per task group and per prompt variant when results.jsonl carries them
(`task_group`, `prompt_variant`, from the tasks' metadata); with a `kernel` too (the hpc-kernels set), the study's
table: one row per kernel, one column per task group (programming model), over every prompt variant."""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

from markupsafe import Markup

from execeval.report.sections import Section


def proficiency_table(run_dir: Path) -> dict | None:
    from execeval.compare import read_rows
    from execeval.metrics import DEFAULT_PROFICIENCY, proficiency, proficiency_by
    from execeval.evaluation.verdict import SANDBOX_ERROR

    rows = read_rows(run_dir)
    outcomes: dict[str, list[tuple[object, bool]]] = {}
    labels: dict[str, dict[str, str]] = {"task group": {}, "prompt variant": {}, "kernel": {}}
    for r in rows:
        if r.get("status") == SANDBOX_ERROR:
            continue
        outcomes.setdefault(r["task_id"], []).append((r.get("completion_id", 0), bool(r["passed"])))
        for key, field in (("task group", "task_group"), ("prompt variant", "prompt_variant"), ("kernel", "kernel")):
            if r.get(field) is not None:
                labels[key][r["task_id"]] = r[field]
    if not outcomes or min(len(v) for v in outcomes.values()) < DEFAULT_PROFICIENCY.window:
        return None
    ordered = {t: [ok for _, ok in sorted(v, key=lambda x: (isinstance(x[0], str), x[0]))] for t, v in outcomes.items()}
    prof = proficiency(ordered)
    groups, kernels = labels["task group"], labels.pop("kernel")
    grid = {k: proficiency_by({t: lvl for t, lvl in prof.per_task.items() if kernels.get(t) == k}, groups)
            for k in dict.fromkeys(kernels.values())} if groups and kernels else {}
    return {"mean": prof.mean, "levels": Counter(prof.per_task.values()), "grid": grid,
            "by": {key: proficiency_by(prof.per_task, lab) for key, lab in labels.items() if lab}}


def _grid_table(grid: dict[str, dict[str, float]]) -> str:
    """Kernels down, task groups (programming models) across, as the Codex-for-HPC study prints them."""
    esc = html.escape
    columns = list(dict.fromkeys(g for row in grid.values() for g in row))
    head = "".join(f'<th class="num">{esc(g)}</th>' for g in columns)
    body = "".join(f"<tr><td>{esc(k)}</td>" + "".join(
        f'<td class="num">{row[g]:.3f}</td>' if g in row else "<td></td>" for g in columns) + "</tr>"
        for k, row in grid.items())
    return f'<table class="proficiency-grid"><thead><tr><th>kernel</th>{head}</tr></thead><tbody>{body}</tbody></table>'



def section(run_dir: Path, data: dict) -> Section | None:
    made = proficiency_table(run_dir)
    if made is None:
        return None
    esc = html.escape
    spread = ", ".join(f"{level:g}: {n}" for level, n in sorted(made["levels"].items()))
    parts = [f'<p class="big" id="proficiency-mean">{made["mean"]:.3f}</p>',
             f'<p class="note">mean level over tasks, from each task\'s first 10 samples (tasks per level: '
             f"{esc(spread)}); see docs/trust.md for the rule.</p>"]
    if made["grid"]:
        parts.append(_grid_table(made["grid"]))
    for key, means in made["by"].items():
        rows = "".join(f'<tr><td>{esc(label)}</td><td class="num">{value:.3f}</td></tr>' for label, value in means.items())
        parts.append(f'<table class="proficiency-by"><thead><tr><th>{esc(key)}</th><th class="num">proficiency</th>'
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    return Section("proficiency", "Proficiency (first 10 samples per task)", Markup("".join(parts)), order=45)
