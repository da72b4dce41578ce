"""A protocol run's results.jsonl and summary.json, in evaluate's schema where it fits (docs/run-format.md), so
`execeval report` and `execeval compare` read a protocol run as they read an evaluation: one line per task
(its last attempt), with the protocol's own fields beside the usual ones."""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from execeval.runs.files import RESULTS_NAME, atomic_write, write_summary

__all__ = ["protocol_row", "write_protocol_run", "turn_status"]

_SYNTAX = ("SyntaxError", "IndentationError", "TabError")


def turn_status(turn: dict) -> tuple[str, str | None]:
    """(status, error type) of one attempt, in the evaluate statuses."""
    if turn["correct"]:
        return "passed", None
    got = (turn.get("counterexample") or {}).get("got") or {}
    kind, error = got.get("kind"), got.get("error")
    if kind == "value":
        return "failed", "WrongAnswer"
    if kind == "timeout":
        return "timeout", "CPUTimeLimit"
    if error in _SYNTAX:
        return "syntax_error", error
    return "error", error


def protocol_row(task_id: str, turn: dict, *, completion_id: int = 0, extra: dict | None = None) -> dict:
    status, error = turn_status(turn)
    ce = turn.get("counterexample")
    failure = ""
    if ce:
        failure = f"input {ce['input']}: expected {_show(ce['expected'])}, got {_show(ce['got'])}"
    total = turn.get("tests_total", 0)
    row = {"task_id": task_id, "completion_id": completion_id, "passed": bool(turn["correct"]), "status": status,
           "tests_passed": turn.get("tests_passed", 0), "tests_total": total,
           "pass_ratio": round(turn.get("tests_passed", 0) / total, 6) if total else 0.0,
           "executable": status in ("passed", "failed"), "error_type": error, "first_failure": failure,
           "detail": "", "source": f"round {turn.get('round', 1)}", "program": turn.get("code", "")}
    row.update(extra or {})
    return row


def _show(outcome: dict) -> str:
    from execeval.protocols.observe import Outcome

    return Outcome.from_dict(outcome).describe()


def write_protocol_run(out_dir: str | os.PathLike, rows: Sequence[dict], summary: dict) -> None:
    atomic_write(Path(out_dir) / RESULTS_NAME, "".join(json.dumps(r) + "\n" for r in rows))
    write_summary(out_dir, summary)
