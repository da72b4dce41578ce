"""Trust signals read back from a finished run: `score-abstention` (BouncerBench's scores of a system that may
abstain). Coverage (`evaluate --coverage`) is measured while evaluating; see docs/trust.md."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from execeval.cli.shared import app, friendly


@app.command("score-abstention")
@friendly
def score_abstention(
    run_dir: Path = typer.Argument(..., help="Run directory (results.jsonl)."),
    labels: Optional[Path] = typer.Option(None, "--labels", help='JSONL, one line per task: {"task_id": ..., '
                                          "\"should_abstain\": true|false, \"input_quality\": 0-3 (optional)}. "
                                          "Default: the labels the run's task file gave (\"should_abstain\" on "
                                          "its tasks, carried into results.jsonl)."),
    samples: Optional[Path] = typer.Option(None, "--samples", help="The original samples file (JSONL), to read "
                                           "\"abstain\": true from when results.jsonl does not carry it."),
    as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
) -> None:
    """Abstention precision, recall and F1 (input side against the labels, output side against the tests),
    macro-F1, I-Score and O-Score, as BouncerBench defines them."""
    from execeval.errors import UsageError
    from execeval.metrics.abstention import labels_from_rows, score_run_abstention
    from execeval.report.terminal import print_abstention
    from execeval.runs.files import RESULT_KEYS, read_abstentions, read_labels, read_results

    rows = read_results(run_dir, require=RESULT_KEYS, empty_ok=False)
    if samples is not None:
        flags = read_abstentions(samples)
        rows = [{**r, "abstain": bool(r.get("abstain")) or flags.get((r["task_id"], r.get("completion_id")), False)}
                for r in rows]
    truth = read_labels(labels) if labels is not None else labels_from_rows(rows)
    if not truth:
        raise UsageError(f"{run_dir}: no task of this run has a \"should_abstain\" label",
                         hint="pass --labels FILE, or put \"should_abstain\": true|false on the tasks in the task file")
    result = score_run_abstention(rows, truth)
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        print_abstention(result)
