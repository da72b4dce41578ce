"""The files a run leaves for people and scripts: results.jsonl (one line per sample) and summary.json.

Their fields are documented in docs/run-format.md; `execeval compare` and `execeval report` read them back.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from execeval.errors import UsageError
from execeval.metrics.abstention import LABEL_KEYS

if TYPE_CHECKING:
    from execeval.evaluation.runrecord import SampleRun

RESULTS_NAME, SUMMARY_NAME = "results.jsonl", "summary.json"


def atomic_write(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all (a reader never sees half a file, even after kill -9), making
    its directory if needed."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        why = "a part of its directory is a file" if isinstance(e, (FileExistsError, NotADirectoryError)) else \
            e.strerror or str(e)
        raise UsageError(f"cannot write {path}: {why}", hint="choose a place you can write") from None


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
    for key, names in (("task_group", ("task_group", "group")), ("prompt_variant", ("prompt_variant", "variant")),
                       ("kernel", ("kernel",))):
        label = next((run.task.metadata[n] for n in names if run.task.metadata.get(n) is not None), None)
        if label is not None:  # per-group, per-variant and group x kernel proficiency in the report
            row[key] = str(label)
    if run.sample.abstain:  # the sample said "I won't answer this" (score-abstention reads it)
        row["abstain"] = True
    for key in LABEL_KEYS:  # the task's own ground truth for score-abstention, when its file has it
        if run.task.metadata.get(key) is not None:
            row[key] = run.task.metadata[key]
    row.update(run.extra)
    return row


def write_results(out_dir: str | os.PathLike, runs: Sequence["SampleRun"]) -> Path:
    path = Path(out_dir) / RESULTS_NAME
    atomic_write(path, "".join(json.dumps(result_row(r)) + "\n" for r in runs))
    return path


def write_summary(out_dir: str | os.PathLike, summary: dict) -> Path:
    path = Path(out_dir) / SUMMARY_NAME
    atomic_write(path, json.dumps(summary, indent=2) + "\n")
    return path


_REWRITE = "re-run `execeval evaluate` with the same --out to rewrite it"


RESULT_KEYS = ("task_id", "passed")  # what every sample's row has; what compare and report need


def read_results(run_dir: str | os.PathLike, *, require: Sequence[str] = (), empty_ok: bool = True) -> list[dict]:
    """Every row of RUN_DIR/results.jsonl. One-line UsageErrors: a missing directory or file, `file:line` for a
    line that is not a JSON object or lacks a key of `require` (e.g. RESULT_KEYS), and no rows unless
    `empty_ok`."""
    run_dir = Path(run_dir)
    path = run_dir / RESULTS_NAME
    if not path.is_file():
        what = "no such directory" if not run_dir.exists() else f"no {RESULTS_NAME} in it"
        raise UsageError(f"{run_dir}: {what}", hint="pass a run directory written by `execeval evaluate ... --out DIR`")
    rows = _jsonl_objects(path, require, "not a results row", _REWRITE)
    if not rows and not empty_ok:
        raise UsageError(f"{path}: no results", hint="the run evaluated no samples")
    return rows


def read_summary(run_dir: str | os.PathLike) -> dict:
    """RUN_DIR/summary.json, or {} when the run has none (results.jsonl alone is a readable run); a file that is
    there but unreadable is an error, not an empty summary."""
    path = Path(run_dir) / SUMMARY_NAME
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise UsageError(f"{path}: unreadable ({e})", hint=_REWRITE) from None
    if not isinstance(data, dict):
        raise UsageError(f"{path}: not a summary (a JSON object)", hint=_REWRITE)
    return data


def _jsonl_objects(path: Path, require: Sequence[str], what: str, hint: str | None = None) -> list[dict]:
    """The objects of a JSONL file (gzipped when it ends in .gz), each checked to have the keys of `require`;
    errors name `file:line`."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    opener = gzip.open if path.suffix == ".gz" else open
    out = []
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise UsageError(f"{path}:{lineno}: not JSON ({e.msg})", hint=hint) from None
            if not isinstance(obj, dict) or any(k not in obj for k in require):
                raise UsageError(f"{path}:{lineno}: {what} (needs {', '.join(require) or 'an object'})", hint=hint)
            out.append(obj)
    return out


def read_labels(path: str | os.PathLike) -> dict[str, dict]:
    """A task label file (JSONL): task id -> {"should_abstain": bool, "input_quality": 0..3 (optional), ...}."""
    hint = 'one line per task: {"task_id": "...", "should_abstain": true}'
    labels: dict[str, dict] = {}
    for obj in _jsonl_objects(Path(path), ("task_id", "should_abstain"), "not a task label", hint):
        if not isinstance(obj["should_abstain"], bool):
            raise UsageError(f"{path}: task {obj['task_id']!r}: should_abstain must be true or false", hint=hint)
        labels[str(obj["task_id"])] = obj
    return labels


def read_abstentions(samples_path: str | os.PathLike) -> dict[tuple[str, object], bool]:
    """(task id, completion id) -> the sample's "abstain" flag, from the original samples file (JSONL), with
    completion ids numbered per task in file order when a record has none (as `execeval.samples` numbers them)."""
    flags: dict[tuple[str, object], bool] = {}
    seen: dict[str, int] = {}
    for obj in _jsonl_objects(Path(samples_path), ("task_id",), "not a sample record"):
        tid = str(obj["task_id"])
        cid = obj.get("completion_id", seen.get(tid, 0))
        seen[tid] = seen.get(tid, 0) + 1
        flags[(tid, cid)] = bool(obj.get("abstain", False))
    return flags


def read_token_usage(run_dir: str | os.PathLike) -> dict[tuple[str, int], int]:
    """(task id, sample index) -> tokens spent on that sample (prompt + completion), from the generations the
    run store kept (`execeval run`); {} for a run evaluated from a file, or a backend that reports no usage.

    Read-only and outside the store's object: a report must never create or lock a store."""
    import sqlite3

    from execeval.runs.store import STORE_NAME

    path = Path(run_dir) / STORE_NAME
    if not path.is_file():
        return {}
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            rows = db.execute("SELECT data FROM generations").fetchall()
        finally:
            db.close()
    except sqlite3.Error:
        return {}
    usage = {}
    for (text,) in rows:
        rec = json.loads(text)
        spent = sum(int(v) for v in (rec.get("usage") or {}).values())
        if spent:
            usage[(str(rec["task_id"]), int(rec["index"]))] = spent
    return usage
