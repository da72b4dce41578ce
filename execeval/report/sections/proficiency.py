"""Codex-HPC proficiency (`execeval.metrics.proficiency`) when every task has at least 10 samples: the mean
level, the spread of levels, and the mean per task group and per prompt variant when results.jsonl carries them
(`task_group`, `prompt_variant`, from the tasks' metadata)."""

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
    labels: dict[str, dict[str, str]] = {"task group": {}, "prompt variant": {}}
    for r in rows:
        if r.get("status") == SANDBOX_ERROR:
            continue
        outcomes.setdefault(r["task_id"], []).append((r.get("completion_id", 0), bool(r["passed"])))
        for key, field in (("task group", "task_group"), ("prompt variant", "prompt_variant")):
            if r.get(field) is not None:
                labels[key][r["task_id"]] = r[field]
    if not outcomes or min(len(v) for v in outcomes.values()) < DEFAULT_PROFICIENCY.window:
        return None
    ordered = {t: [ok for _, ok in sorted(v, key=lambda x: (isinstance(x[0], str), x[0]))] for t, v in outcomes.items()}
    prof = proficiency(ordered)
    return {"mean": prof.mean, "levels": Counter(prof.per_task.values()),
            "by": {key: proficiency_by(prof.per_task, lab) for key, lab in labels.items() if lab}}


def section(run_dir: Path, data: dict) -> Section | None:
    made = proficiency_table(run_dir)
    if made is None:
        return None
    esc = html.escape
    spread = ", ".join(f"{level:g}: {n}" for level, n in sorted(made["levels"].items()))
    parts = [f'<p class="big" id="proficiency-mean">{made["mean"]:.3f}</p>',
             f'<p class="note">mean level over tasks, from each task\'s first 10 samples (tasks per level: '
             f"{esc(spread)}); see docs/trust.md for the rule.</p>"]
    for key, means in made["by"].items():
        rows = "".join(f'<tr><td>{esc(label)}</td><td class="num">{value:.3f}</td></tr>' for label, value in means.items())
        parts.append(f'<table class="proficiency-by"><thead><tr><th>{esc(key)}</th><th class="num">proficiency</th>'
                     f"</tr></thead><tbody>{rows}</tbody></table>")
    return Section("proficiency", "Proficiency (first 10 samples per task)", Markup("".join(parts)), order=45)
