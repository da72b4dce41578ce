"""Codex-HPC proficiency: levels from the first 10 samples per task against tables worked by hand, per task group
and prompt variant, and the report's section."""

from __future__ import annotations

import json
from pathlib import Path
from random import Random

import pytest
from test_report import make_row

from execeval.errors import UsageError
from execeval.metrics import proficiency, proficiency_by
from execeval.report.html import render_report
from execeval.report.sections.proficiency import proficiency_table


def _first(correct: list[int], n: int = 10) -> list[bool]:
    """n samples, passing exactly at the given positions."""
    return [i in correct for i in range(n)]


# task -> samples, and the level the rule gives it (0 -> 0, 1-2 -> 0.25, 3-5 -> 0.5, 6-8 -> 0.75, 9-10 -> 1)
TABLE = [
    ({"none": _first([])}, {"none": 0.0}, 0.0),
    ({"all": _first(list(range(10)))}, {"all": 1.0}, 1.0),
    # samples beyond the first 10 never count: 2 in the window (0.25) although 10 of 12 pass
    ({"late": _first([0, 1]) + [True] * 10}, {"late": 0.25}, 0.25),
    ({"a": _first([0, 5, 9]), "b": _first(list(range(6))), "c": _first(list(range(9)))},
     {"a": 0.5, "b": 0.75, "c": 1.0}, 0.75),
    ({"x": _first([3]), "y": _first([1, 2, 3, 4, 5]), "z": _first(list(range(8))), "w": _first([])},
     {"x": 0.25, "y": 0.5, "z": 0.75, "w": 0.0}, 0.375),
]


@pytest.mark.parametrize("results,levels,mean", TABLE)
def test_levels_match_hand_table(results, levels, mean):
    got = proficiency(results)
    assert got.per_task == levels
    assert got.mean == pytest.approx(mean)


def test_empty_and_short_are_errors():
    with pytest.raises(UsageError, match="no tasks"):
        proficiency({})
    with pytest.raises(UsageError, match="needs 10 samples per task; too few for: short"):
        proficiency({"short": [True] * 9, "ok": [True] * 10})


def test_per_group_means_by_hand():
    per_task = {"a": 0.0, "b": 1.0, "c": 0.5, "d": 0.25}
    assert proficiency_by(per_task, {"a": "cpp", "b": "cpp", "c": "fortran"}) == {"cpp": 0.5, "fortran": 0.5}
    assert proficiency_by(per_task, {"a": "plain", "b": "keywords", "c": "plain", "d": "keywords"}) == \
        {"plain": 0.25, "keywords": 0.625}
    assert proficiency_by(per_task, {}) == {}


def test_report_section_per_group_and_variant(tmp_path: Path):
    rng = Random(3)
    run = tmp_path / "run"
    run.mkdir()
    plan = {"k/0": ("cpp", "plain", 10), "k/1": ("cpp", "keywords", 4), "k/2": ("julia", "plain", 0)}
    rows = []
    for tid, (group, variant, n_pass) in plan.items():
        for c in range(10):
            row = make_row(tid, c, "passed" if c < n_pass else "failed", "def f():\n    return 1\n", rng)
            rows.append({**row, "task_group": group, "prompt_variant": variant})
    (run / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    table = proficiency_table(run)
    # levels: k/0 10 correct -> 1, k/1 4 -> 0.5, k/2 0 -> 0
    assert table["mean"] == pytest.approx(0.5)
    assert table["by"]["task group"] == {"cpp": 0.75, "julia": 0.0}
    assert table["by"]["prompt variant"] == {"plain": 0.5, "keywords": 0.5}
    text = render_report(run, tmp_path / "r.html").read_text()
    assert 'id="proficiency-mean">0.500' in text and "julia" in text
    few = tmp_path / "few"
    few.mkdir()
    (few / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows[:9]))
    assert proficiency_table(few) is None  # fewer than 10 samples: no levels at all
