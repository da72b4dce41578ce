"""The one small tree of errors users can see.

Every error carries a one-line message that says what went wrong and how to fix it; the CLI prints that line,
not a traceback. Catch `ExecevalError` to handle them all.

    ExecevalError
    ├── UsageError        bad arguments or settings (a flag, a missing file)
    ├── TaskFormatError   a task file cannot be read as the benchmark it claims to be
    ├── SampleFormatError a samples file is malformed (names file and line)
    ├── SandboxError      the harness could not run a job (never the code's fault)
    ├── StoreError        the run store is unreadable or belongs to another run
    └── ModelError        a generation backend failed (unreachable, unknown model)
"""

from __future__ import annotations


class ExecevalError(Exception):
    """Base of every error execeval raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint

    def one_line(self) -> str:
        msg = str(self)
        return f"{msg} — {self.hint}" if self.hint else msg


class UsageError(ExecevalError):
    """Bad arguments or settings."""


class TaskFormatError(ExecevalError):
    """A task file does not match its format."""


class SampleFormatError(ExecevalError):
    """A samples file is malformed; the message names the file and line."""


class SandboxError(ExecevalError):
    """The harness failed to run a job. Never counted against the code under test."""


class StoreError(ExecevalError):
    """The run store cannot be used."""


class ModelError(ExecevalError):
    """A generation backend failed."""
