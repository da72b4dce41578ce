"""The `execeval` application object (`app`) and what every command shares: one-line errors and flag parsers.

Commands live one module per concern beside this one and register themselves on `app`.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable

import typer

from execeval.errors import ExecevalError, UsageError

app = typer.Typer(
    help="Tell, by running it, whether code written by a language model is correct.\n\n"
         "Start with:  execeval evaluate --demo   (a built-in benchmark, no download)\n\n"
         "Then:        execeval evaluate samples.jsonl --tasks humaneval --data-dir DATA --out runs/he",
    no_args_is_help=True, add_completion=False, rich_markup_mode="rich")


def friendly(fn: Callable) -> Callable:
    """Turn execeval's errors into one red line and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        try:
            return fn(*args, **kwargs)
        except ExecevalError as e:
            if os.environ.get("EXECEVAL_DEBUG"):
                raise
            typer.secho(f"error: {e.one_line()}", fg="red", err=True)
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            typer.secho("interrupted: verdicts so far are saved; run the same command again to resume",
                        fg="yellow", err=True)
            raise typer.Exit(130) from None

    return wrapper


def parse_k(text: str, flag: str = "--k") -> tuple[int, ...]:
    try:
        ks = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
    except ValueError:
        raise UsageError(f"{flag} {text!r}: expected comma-separated whole numbers", hint=f"e.g. {flag} 1,10,100") \
            from None
    if not ks or min(ks) < 1:
        raise UsageError(f"{flag} {text!r}: every value must be at least 1")
    return ks
