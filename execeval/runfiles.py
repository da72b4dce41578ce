"""The files a run leaves for people and scripts: results.jsonl (one line per sample) and summary.json.

Their fields are documented in docs/run-format.md; `execeval compare` and `execeval report` read them back.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from execeval.runrecord import SampleRun

RESULTS_NAME, SUMMARY_NAME = "results.jsonl", "summary.json"


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def result_row(run: "SampleRun") -> dict:
    v = run.verdict
    assert v is not None
    row = {"task_id": run.task.task_id, "completion_id": run.sample.completion_id, "passed": v.passed}
    if v.plus_passed is not None:
        row["plus_passed"] = v.plus_passed
    row.update({
        "status": v.status, "tests_passed": v.tests_passed, "tests_total": v.tests_total,
        "pass_ratio": round(v.tests_passed / v.tests_total, 6) if v.tests_total else 0.0,
        "executable": v.executable, "error_type": v.error_type, "first_failure": v.first_failure,
        "detail": v.detail, "wall_s": v.wall_s, "cpu_s": v.cpu_s, "peak_memory_mb": v.peak_memory_mb,
        "stdout_tail": v.stdout_tail, "stderr_tail": v.stderr_tail, "source": run.sample.source,
        "program": run.program,
    })
    row.update(run.extra)
    return row


def write_results(out_dir: str | os.PathLike, runs: Sequence["SampleRun"]) -> Path:
    path = Path(out_dir) / RESULTS_NAME
    _atomic_write(path, "".join(json.dumps(result_row(r)) + "\n" for r in runs))
    return path


def write_summary(out_dir: str | os.PathLike, summary: dict) -> Path:
    path = Path(out_dir) / SUMMARY_NAME
    _atomic_write(path, json.dumps(summary, indent=2) + "\n")
    return path


def read_results(run_dir: str | os.PathLike) -> list[dict]:
    path = Path(run_dir) / RESULTS_NAME
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_summary(run_dir: str | os.PathLike) -> dict:
    return json.loads((Path(run_dir) / SUMMARY_NAME).read_text(encoding="utf-8"))
