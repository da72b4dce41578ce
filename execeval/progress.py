"""Progress of long work: a tiny protocol the library calls, and a rich implementation the CLI uses.

The library never prints; it calls a `Reporter` with plain text (no terminal markup: a reporter may write to a
log or a web page). `NullReporter` is the silent default for scripts. Whoever makes a reporter closes it (both
are context managers); the library never does.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def phase(self, name: str, total: int) -> None: ...

    def advance(self, passed: bool | None = None, n: int = 1, phase: str | None = None) -> None: ...

    def note(self, message: str, *, warning: bool = False) -> None: ...

    def close(self) -> None: ...


class _Closing:
    def __enter__(self):  # returns the reporter itself
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()  # type: ignore[attr-defined]


class NullReporter(_Closing):
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, passed: bool | None = None, n: int = 1, phase: str | None = None) -> None:
        pass

    def note(self, message: str, *, warning: bool = False) -> None:
        pass

    def close(self) -> None:
        pass


class RichReporter(_Closing):
    """A rich progress bar per phase with ETA, throughput and a live pass rate."""

    def __init__(self, console: object | None = None) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.console = console or Console(stderr=True)
        self.progress = Progress(TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"),
                                 TimeRemainingColumn(), console=self.console, transient=False)  # type: ignore[arg-type]  # rich's Console, typed loosely here
        self._started = False  # at the first phase or note: a run that fails before any leaves no blank line
        self._tasks: dict[str, object] = {}  # phase name -> rich task id; several phases may run at once
        self._counts: dict[str, list[int]] = {}  # phase name -> [passed, judged]
        self._last = ""

    def phase(self, name: str, total: int) -> None:
        """Start a phase, or reset its total when it exists (e.g. evaluation growing as generations arrive)."""
        self._start()
        if name in self._tasks:
            self.progress.update(self._tasks[name], total=total)  # type: ignore[arg-type]
        else:
            self._tasks[name] = self.progress.add_task(name, total=total, rate="")
            self._counts[name] = [0, 0]
        self._last = name

    def advance(self, passed: bool | None = None, n: int = 1, phase: str | None = None) -> None:
        name = phase or self._last
        if name not in self._tasks:
            self.phase(name, 0)
        counts = self._counts[name]
        if passed is not None:
            counts[1] += n
            counts[0] += n if passed else 0
        rate = f"pass {counts[0] / counts[1]:6.1%}" if counts[1] else ""
        self.progress.update(self._tasks[name], advance=n, rate=rate)  # type: ignore[arg-type]

    def note(self, message: str, *, warning: bool = False) -> None:
        self._start()
        self.progress.console.print(message, style="yellow" if warning else None, markup=False, highlight=False)

    def _start(self) -> None:
        if not self._started:
            self._started = True
            self.progress.start()

    def close(self) -> None:
        if self._started:
            self.progress.stop()
