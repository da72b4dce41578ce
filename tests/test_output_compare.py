"""Output comparison modes (execeval.judges.compare): properties over generated outputs, plus known cases.

Pure functions: no process is started here (the judge that uses them is tested in test_stdio.py).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from execeval.judges.compare import MESSAGE_CHARS, compare_output, parse_number
from execeval.tasks.model import COMPARE_MODES

WS = b" \t\r\n\x0b\x0c"
tokens = st.lists(st.binary(min_size=1, max_size=8).map(lambda b: bytes(c for c in b if c not in WS) or b"x"),
                  max_size=20)
separators = st.lists(st.sampled_from([b" ", b"\n", b"\r\n", b"\t", b"  ", b"\n\n", b" \r\n"]), min_size=1,
                      max_size=3).map(b"".join)


@st.composite
def spaced(draw, toks: list[bytes]) -> bytes:
    """`toks` joined by arbitrary whitespace, with arbitrary leading/trailing whitespace."""
    seps = [draw(separators) for _ in range(len(toks) + 1)]
    lead = draw(st.sampled_from([b"", b" ", b"\n"]))
    return lead + b"".join(t + s for t, s in zip(toks, seps))


# ---------------------------------------------------------------- properties
@given(st.binary(max_size=200), st.binary(max_size=200))
def test_exact_accepts_exactly_equal_bytes(a, b):
    assert (compare_output(a, a, "exact") is None) and ((compare_output(a, b, "exact") is None) == (a == b))


@given(tokens, st.data())
def test_whitespace_ignores_how_tokens_are_separated(toks, data):
    a, b = data.draw(spaced(toks)), data.draw(spaced(toks))
    assert compare_output(a, b, "whitespace") is None
    assert compare_output(a, b, "float") is None
    assert compare_output(a.replace(b"\n", b"\r\n"), b, "whitespace") is None  # CRLF vs LF


@given(tokens, tokens)
def test_whitespace_verdict_is_token_equality_and_diff_names_first_token(xs, ys):
    got, want = b" ".join(xs), b"\n".join(ys)
    diff = compare_output(got, want, "whitespace")
    assert (diff is None) == (xs == ys)
    if diff is not None:
        first = next(i for i in range(max(len(xs), len(ys))) if i >= len(xs) or i >= len(ys) or xs[i] != ys[i])
        assert f"token {first + 1}" in diff


finite = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)
tols = st.sampled_from([1e-9, 1e-6, 1e-3, 0.5])


@given(finite, tols, st.floats(min_value=-0.9, max_value=0.9))
def test_float_accepts_within_tolerance(b, tol, f):
    a = b + f * tol * max(1.0, abs(b))
    assert compare_output(repr(a).encode(), repr(b), "float", tol=tol) is None


@given(finite, tols, st.floats(min_value=1.1, max_value=100), st.sampled_from([-1, 1]))
def test_float_rejects_beyond_tolerance(b, tol, f, sign):
    a = b + sign * f * tol * max(1.0, abs(b))
    diff = compare_output(f"ok {a!r}".encode(), f"ok {b!r}", "float", tol=tol)
    assert diff is not None and "token 2" in diff and "off by more than" in diff


@given(st.binary(max_size=3000), st.binary(max_size=3000), st.sampled_from(["exact", "whitespace", "float"]))
@settings(max_examples=200)
def test_any_bytes_give_a_bounded_printable_message(got, want, mode):
    diff = compare_output(got, want, mode, tol=1e-6)
    assert diff is None or (len(diff) <= MESSAGE_CHARS and diff.isprintable())


# ---------------------------------------------------------------- known cases
def test_trailing_newline_passes_whitespace_but_not_exact():
    assert compare_output(b"3", "3\n", "whitespace") is None
    assert compare_output(b"3", "3\n", "exact") == r"line 1, column 2: expected '\n', got end of output"
    assert compare_output(b"3\r\n", "3\n", "exact") == r"line 1, column 2: expected '\n', got '\r\n'"


@pytest.mark.parametrize("got, want, tol, ok", [
    ("nan", "NaN", 0, True),
    ("inf -inf", "inf -inf", 0, True),
    ("-inf", "inf", 1e-6, False),
    ("1e308", "inf", 1e-6, False),  # inf - x is inf, which is not "within" an infinite relative bound
    ("nan", "0", 0.5, False),
    ("1.0 1e3", "1 1000", 0, True),  # equal values, spelled differently
    ("123456789012345678901", "123456789012345678900", 0, False),  # integers compared exactly, not as doubles
    ("123456789012345678901", "123456789012345678900", 1e-6, True),
    ("1" * 5000, "1" * 5000, 0, True),  # past Python's int-from-string limit: compared as floats, no crash
    ("0.3333339", "0.333333", 1e-6, True),
    ("0.33334", "0.333333", 1e-6, False),
    ("1000001", "1000000", 1e-6, True),  # relative error 1e-6
    ("1.5", "1.5000000001", 0, False),
    ("0x10", "16", 0.5, False),  # not numbers: compared as text
    ("1_000", "1000", 0.5, False),
    ("YES", "yes", 0.5, False),
])
def test_float_known_cases(got, want, tol, ok):
    assert (compare_output(got.encode(), want, "float", tol=tol) is None) is ok


def test_parse_number_is_strict():
    assert parse_number(b"-12") == -12 and type(parse_number(b"-12")) is int
    assert parse_number(b".5e1") == 5.0 and math.isnan(parse_number(b"nan"))
    assert [parse_number(t) for t in (b"1_0", b"0x1", b"1e", b"--1", b"", b"\xff")] == [None] * 6


def test_diff_names_line_and_column_in_a_huge_output():
    want = b"ok\n" * 300_000 + b"last 1\n"
    got = b"ok\n" * 300_000 + b"last 2\n"
    assert compare_output(got, want, "exact") == "line 300001, column 6: expected '1\\n', got '2\\n'"
    assert compare_output(got, want, "whitespace") == \
        "line 300001, column 6, token 300002: expected '1', got '2'"


def test_missing_and_extra_tokens_and_binary_output():
    assert compare_output(b"1 2", "1 2 3", "whitespace") == \
        "token 3 (line 1, column 5 of the expected output): expected '3', got end of output"
    assert compare_output(b"1 2 3\n4", "1 2 3", "whitespace") == \
        "line 2, column 1, token 4: expected end of output, got '4'"
    assert compare_output(b"\xff\x00" * 100, "ok", "whitespace").startswith(
        "line 1, column 1, token 1: expected 'ok', got '\\\\xff\\x00")


def test_bad_mode_or_tolerance_is_refused():
    assert set(COMPARE_MODES) == {"exact", "whitespace", "float", "checker"}
    with pytest.raises(ValueError, match="checker"):
        compare_output(b"", b"", "checker")
    with pytest.raises(ValueError, match="non-negative"):
        compare_output(b"1", b"1", "float", tol=-1)
