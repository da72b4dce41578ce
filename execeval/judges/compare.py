"""Is a program's stdout the expected output? Pure functions over bytes, one per compare mode.

Why bytes: the program's output is judged as it left the process (no decoding, so invalid UTF-8 or a NUL cannot
crash the judge, and "exact" means byte for byte). The modes (`execeval.tasks.model.COMPARE_MODES`):

    exact       byte-equal; nothing is normalized (a missing final newline or a CR is a difference)
    whitespace  the contest default: both outputs split into tokens on runs of ASCII whitespace (space, \\t, \\n,
                \\r, \\v, \\f); equal token lists pass. So trailing spaces, blank lines, CRLF vs LF, a missing final
                newline and line breaks vs spaces are all ignored; letter case and anything else is not
    float       as "whitespace", except that two numeric tokens also match when |got - expected| <= tol *
                max(1, |expected|) (absolute or relative error at most `tol`, Codeforces' rule). With tol == 0 only
                equal values match ("1.0" == "1", "1e3" == "1000"); integers are compared exactly, whatever their size.
                nan matches nan; inf matches only inf of the same sign
    checker     not here: a program judges (`execeval.judges.checker`)

`compare_output` returns None when the output is accepted, else a one-line description of the first difference
(line, column or token, expected vs got), at most `MESSAGE_CHARS` long whatever the outputs hold.
"""

from __future__ import annotations

import math
import re

from execeval.tasks.model import COMPARE_MODES

__all__ = ["compare_output", "first_byte_difference", "parse_number", "MESSAGE_CHARS", "TOKEN_MODES", "bound"]

MESSAGE_CHARS = 300  # a judge's message (a diff, a crash) is read in a table cell or a log line
_SNIPPET = 40  # bytes of each side shown around a difference
TOKEN_MODES = ("whitespace", "float")  # the modes that compare tokens (the rest: bytes, or a checker program)
_TOKEN = re.compile(rb"\S+")  # \S on bytes: anything but ASCII whitespace, the same split as bytes.split()
_NUMBER = re.compile(rb"[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|nan|inf|infinity)", re.IGNORECASE)
_INTEGER = re.compile(rb"[+-]?\d+")
_INT_DIGITS = 4000  # below Python's int-from-string limit (4300); longer integers are compared as floats


def compare_output(got: bytes, expected: bytes | str, mode: str = "whitespace", *, tol: float = 0.0) -> str | None:
    """None when `got` is accepted as `expected` under `mode`, else the first difference (see the module doc)."""
    want = expected.encode() if isinstance(expected, str) else expected
    if mode == "exact":
        return None if got == want else first_byte_difference(got, want)
    if mode not in TOKEN_MODES:
        known = ", ".join(m for m in COMPARE_MODES if m in TOKEN_MODES or m == "exact")
        raise ValueError(f"compare mode {mode!r} is not judged by comparing outputs (modes here: {known})")
    if tol < 0 or math.isnan(tol):
        raise ValueError(f"float tolerance must be a non-negative number, not {tol!r}")
    if got.split() == want.split():  # the common case, at C speed
        return None
    return _first_token_difference(got, want, tol if mode == "float" else None)


def parse_number(token: bytes) -> int | float | None:
    """A numeric token's value (an exact int for integer literals), or None when it is not a number."""
    if _NUMBER.fullmatch(token) is None:
        return None
    if _INTEGER.fullmatch(token) and len(token) <= _INT_DIGITS:
        return int(token)
    return float(token)


def _numbers_close(a: int | float, b: int | float, tol: float) -> bool:
    """`a` (got) within `tol` of `b` (expected), absolute or relative; non-finite values only match themselves."""
    if isinstance(a, float) and not math.isfinite(a) or isinstance(b, float) and not math.isfinite(b):
        return a == b or (_is_nan(a) and _is_nan(b))  # nan == nan here: both outputs say "not a number"
    if type(a) is int and type(b) is int and tol == 0:
        return a == b
    try:
        return abs(a - b) <= tol * max(1.0, abs(b))
    except OverflowError:  # an integer too large for a float: the same value or not close
        return a == b


def _is_nan(x: int | float) -> bool:
    return isinstance(x, float) and math.isnan(x)


def _tokens_match(g: bytes, w: bytes, tol: float | None) -> bool:
    if g == w:
        return True
    if tol is None:
        return False
    a, b = parse_number(g), parse_number(w)
    return a is not None and b is not None and _numbers_close(a, b, tol)


def _first_token_difference(got: bytes, want: bytes, tol: float | None) -> str | None:
    gi, wi = _TOKEN.finditer(got), _TOKEN.finditer(want)
    n = 0
    while True:
        g, w = next(gi, None), next(wi, None)
        n += 1
        if g is None or w is None:
            if g is w:
                return None
            if g is None:
                return bound(f"token {n} ({_where(want, w.start())} of the expected output): expected "  # type: ignore[union-attr]  # the expected side has a token n
                              f"{_show(w.group())}, got end of output")  # type: ignore[union-attr]  # the expected side has a token n
            return bound(f"{_where(got, g.start())}, token {n}: expected end of output, got {_show(g.group())}")
        if not _tokens_match(g.group(), w.group(), tol):
            numeric = tol is not None and None not in (parse_number(g.group()), parse_number(w.group()))
            return bound(f"{_where(got, g.start())}, token {n}: expected {_show(w.group())}, got "
                          f"{_show(g.group())}{f' (off by more than {tol:g})' if numeric else ''}")


def first_byte_difference(got: bytes, want: bytes) -> str | None:
    """Where two outputs first differ byte for byte: line and column, with a short window of each side."""
    if got == want:
        return None
    i = _mismatch(got, want)
    return bound(f"{_where(got, i)}: expected {_window(want, i)}, got {_window(got, i)}")


def _mismatch(a: bytes, b: bytes) -> int:
    """The first index where `a` and `b` differ (binary search on prefixes: C-speed comparisons, O(n log n))."""
    lo, hi = 0, min(len(a), len(b))
    if a[:hi] == b[:hi]:
        return hi
    while lo < hi:  # invariant: a[:lo] == b[:lo], a[:hi] != b[:hi]
        mid = (lo + hi) // 2
        if a[:mid + 1] == b[:mid + 1]:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _where(data: bytes, pos: int) -> str:
    line = data.count(b"\n", 0, pos) + 1
    column = pos - (data.rfind(b"\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


def _window(data: bytes, pos: int) -> str:
    if pos >= len(data):
        return "end of output"
    return _show(data[pos:pos + _SNIPPET], more=pos + _SNIPPET < len(data))


def _show(chunk: bytes, *, more: bool = False) -> str:
    """A bounded, printable rendering: invalid UTF-8 as \\x escapes, control characters escaped by repr."""
    text = repr(chunk[:_SNIPPET].decode("utf-8", "backslashreplace"))
    return text + ("..." if more or len(chunk) > _SNIPPET else "")


def bound(text: str, limit: int = MESSAGE_CHARS) -> str:
    """`text` cut to `limit` characters (every judge message goes through this)."""
    return text if len(text) <= limit else text[:limit - 3] + "..."
