"""Progress of long work: a tiny protocol the library calls, and a rich implementation the CLI uses.

The library never prints; it calls a `Reporter`. `NullReporter` is the silent default for scripts.
"""

from __future__ import annotations

from typing import Protocol


class Reporter(Protocol):
    def phase(self, name: str, total: int) -> None: ...

    def advance(self, passed: bool | None = None, n: int = 1) -> None: ...

    def note(self, message: str) -> None: ...

    def close(self) -> None: ...


class NullReporter:
    def phase(self, name: str, total: int) -> None:
        pass

    def advance(self, passed: bool | None = None, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass

    def close(self) -> None:
        pass


class RichReporter:
    """A rich progress bar per phase with ETA, throughput and a live pass rate."""

    def __init__(self, console: object | None = None) -> None:
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        self.console = console or Console(stderr=True)
        self.progress = Progress(TextColumn("[bold]{task.description:<12}"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"),
                                 TimeRemainingColumn(), console=self.console, transient=False)
        self.progress.start()
        self._task = None
        self._passed = self._judged = 0

    def phase(self, name: str, total: int) -> None:
        if self._task is not None:
            self.progress.update(self._task, completed=self.progress.tasks[-1].total)
        self._passed = self._judged = 0
        self._task = self.progress.add_task(name, total=total, rate="")

    def advance(self, passed: bool | None = None, n: int = 1) -> None:
        if passed is not None:
            self._judged += n
            self._passed += n if passed else 0
        rate = f"pass {self._passed / self._judged:6.1%}" if self._judged else ""
        self.progress.update(self._task, advance=n, rate=rate)  # type: ignore[arg-type]

    def note(self, message: str) -> None:
        self.progress.console.print(message)

    def close(self) -> None:
        self.progress.stop()
