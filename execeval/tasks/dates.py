"""A contest-date window over a task set (`--since`/`--until`), for benchmarks whose tasks carry a date.

LiveCodeBench exists to be scored on problems published after a model's training cutoff, so its runs choose a
window; its own loader (`lcb_runner/benchmarks/code_generation.py`) keeps a problem when
`since <= contest_date` and `contest_date <= until`, both bounds being dates at midnight. The same rule here, so a
window selects the problems LiveCodeBench selects. Tasks keep their date in `metadata["contest_date"]` (ISO 8601,
as LiveCodeBench writes it); a task without one is outside every window.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from execeval.errors import UsageError
from execeval.tasks.model import Task, TaskSet

__all__ = ["DATE_KEY", "parse_day", "select_dates", "task_date"]

DATE_KEY = "contest_date"


def parse_day(text: str | None, flag: str) -> datetime | None:
    """A YYYY-MM-DD flag value as midnight of that day (LiveCodeBench's `strptime(.., "%Y-%m-%d")`)."""
    if text is None:
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected a date as YYYY-MM-DD", hint=f"e.g. {flag} 2024-08-01") from None


def task_date(task: Task) -> datetime | None:
    value = task.metadata.get(DATE_KEY)
    if not isinstance(value, str):
        return None
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        return None
    return day.replace(tzinfo=None)


def select_dates(taskset: TaskSet, since: str | None, until: str | None) -> tuple[TaskSet, dict | None]:
    """The tasks dated within [since, until], and what the summary says about the window (None without one).
    A window over a benchmark with no dated task is a usage error, not an empty run."""
    start, end = parse_day(since, "--since"), parse_day(until, "--until")
    if start is None and end is None:
        return taskset, None
    if start is not None and end is not None and end < start:
        raise UsageError(f"--since {since} is after --until {until}")
    dated = [(t, task_date(t)) for t in taskset.tasks]
    if all(d is None for _, d in dated):
        raise UsageError(f"{taskset.name} has no contest dates: --since/--until select by date",
                         hint="only benchmarks with dates (LiveCodeBench) take a date window")
    kept = tuple(t for t, d in dated if d is not None and (start is None or start <= d) and (end is None or d <= end))
    if not kept:
        raise UsageError(f"no task of {taskset.name} is dated within the window"
                         f" ({since or 'any'} .. {until or 'any'})")
    info = {"since": since, "until": until, "tasks": len(kept), "of": len(taskset.tasks),
            "undated": sum(d is None for _, d in dated)}
    return dataclasses.replace(taskset, tasks=kept), info
