"""SQL on SQLite through the `sqlite3` command-line shell: the program is the query, the run's stdin sets up the
database, and the query's result set is the output.

A run is `sqlite3 -batch -bail -csv -noheader :memory:` on a fresh in-memory database: stdin (CREATE/INSERT
statements) is read first with output discarded, then the program. Output is CSV without a header: one line per
row ("\\n"-terminated), fields separated by commas, quoted when they hold a comma, quote or newline; NULL is an
empty field. So a stdin/stdout task is `IOTest(stdin=<setup SQL>, stdout=<expected rows as CSV>)`. A statement
that fails (syntax, a missing table) stops the run with exit status 1: a runtime error, not a wrong answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from execeval.languages.base import Interpreted, Toolchain
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

SETUP_FILE = "setup.sql"
SHELL_FLAGS = ("-batch", "-bail", "-csv", "-noheader")


class Sql(Interpreted):
    name = "sql"
    source_name = "query.sql"
    tool = "sqlite3"
    install = "apt-get install sqlite3"

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        argv = (toolchain[self.tool], *SHELL_FLAGS, ":memory:", ".output /dev/null", f".read {SETUP_FILE}",
                ".output", f".read {self.source_name}")
        return Command(argv, files={**artifacts, SETUP_FILE: stdin})
