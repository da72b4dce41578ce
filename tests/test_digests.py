"""Long number lists travel as a digest of their packed bytes: the same values as before travel as digests, and
two of them get the same digest exactly when their JSON texts are equal (so verdicts do not change)."""

import hashlib
import json
import math

from execeval.digests import DIGEST_OVER, DIGEST_PREFIX, number_list_digest, plain_string_digest, row_list_digest
from execeval.sandbox.python.outputtext import flat_text
from execeval.values import Digest, decode, encode, outputs_equal

N = DIGEST_OVER // 4 + 1  # long enough that any list of numbers this long has text over DIGEST_OVER


def _tri(n: int) -> list:
    """HumanEval/130's output: two ints, then floats."""
    out: list = [1, 3]
    for i in range(2, n + 1):
        out.append(1 + i / 2 if i % 2 == 0 else out[-1] + out[-2] + 1 + (i + 1) / 2)
    return out


def test_a_long_number_list_is_digested_from_its_bytes_by_both_encoders():
    value = _tri(N)
    packed = number_list_digest(value)
    assert packed is not None and packed.startswith(DIGEST_PREFIX)
    assert flat_text(value) == encode(value) == packed
    assert len(json.dumps(value)) > DIGEST_OVER  # it travelled as a digest before too
    assert decode(packed) == Digest(packed)


def test_equal_digests_exactly_when_the_texts_are_equal():
    floats = [i / 7 for i in range(N)]
    same = [i / 7 for i in range(N)]
    assert encode(floats) == encode(same)
    changed = [
        floats[:-1] + [math.nextafter(floats[-1], 1e9)],  # one float one bit off: exact, as a text digest was
        floats[:-1] + [-0.0 if floats[-1] == 0 else 0.0],
        [1.0] + floats[1:] if floats[0] != 1.0 else [2.0] + floats[1:],
        [0] + floats[1:],                          # 0.0 -> 0: an int where a float was ("0" vs "0.0")
        floats + [1.5],
        floats[:-1],
    ]
    digests = {encode(v) for v in changed} | {encode(floats)}
    assert len(digests) == len(changed) + 1
    # an int and a float of the same value differ in text, so in digest
    assert encode([0.0] + floats[1:]) != encode([0] + floats[1:])
    assert not outputs_equal(decode(encode(changed[0])), decode(encode(floats)), atol=1e-6)


def test_what_the_text_must_decide_is_left_to_it():
    """Short lists (maybe under DIGEST_OVER: compared with the float tolerance), NaN and inf (tagged), bools,
    strings, and ints that may be short enough keep their text's path."""
    left = [[0.5] * (DIGEST_OVER // 4), [0.5] * N + [float("nan")], [0.5] * N + [float("inf")],
            [0.5] * N + [True], [0.5] * N + ["a"], list(range(N)), [1e308] * N, [0.5] * N + [1 << 1100]]
    for value in left:
        assert number_list_digest(value) is None, str(value[-1])
        text = encode(value)
        assert flat_text(value) in (None, text)
    assert encode([0.5] * (DIGEST_OVER // 4)).startswith(DIGEST_PREFIX)  # at the bound: its text's digest
    assert not encode([0.5] * (DIGEST_OVER // 5)).startswith(DIGEST_PREFIX)  # under the threshold: text


def test_a_long_plain_string_is_digested_without_its_text_and_the_same_as_encode():
    long = DIGEST_OVER  # over the bound with its two quotes
    strings = [" ".join(map(str, range(200_000))), "a" * long, "a" * (long - 1), "~ " * long]
    needing_escapes = ['x"' * long, "\\" * long, "\n" * long, "\x7f" * long, "\u00e9" * long]
    def text_digest(s: str) -> str:  # what a long string's text digested was before: the escaped JSON text
        return DIGEST_PREFIX + hashlib.sha256(json.dumps(s).encode()).hexdigest()

    for s in strings:
        assert plain_string_digest(s) is not None and flat_text(s) == encode(s) == text_digest(s)
    for s in needing_escapes:  # left to the escaped text: the same digest either way
        assert plain_string_digest(s) is None and flat_text(s) == encode(s) == text_digest(s)
    assert plain_string_digest("a" * (long - 2)) is None  # its text is exactly DIGEST_OVER: sent as it is


def test_a_long_int_list_is_packed_and_equal_exactly_when_its_text_is():
    """HumanEval+'s /100: a million ints, packed when its text is surely over DIGEST_OVER, huge ints (hex in the
    text) too; a bool beside them keeps the text."""
    n = DIGEST_OVER // 2 + 1
    ints = list(range(n))
    packed = number_list_digest(ints)
    assert packed is not None and flat_text(ints) == encode(ints) == packed
    assert len(json.dumps(ints)) > DIGEST_OVER
    variants = [ints[:-1], ints + [0], [1] + ints[1:], ints[:-1] + [-ints[-1]], [0.0] + ints[1:]]
    assert len({encode(v) for v in variants} | {packed}) == len(variants) + 1
    assert number_list_digest([0] * (DIGEST_OVER // 2 - 1)) is None  # "[0,...,0]": exactly DIGEST_OVER - 1
    assert not encode([0] * (DIGEST_OVER // 2 - 1)).startswith(DIGEST_PREFIX)
    huge = ints[:-1] + [1 << 256]  # hex in the text
    assert number_list_digest(huge) == flat_text(huge) == encode(huge) != encode(ints[:-1] + [(1 << 256) + 1])
    assert encode([0.5] + huge[1:]) != encode([0.5] + huge[1:-1] + [1 << 257])
    mixed = [True] + ints[1:]
    assert number_list_digest(mixed) is None and flat_text(mixed) in (None, encode(mixed))
    assert encode(mixed).startswith(DIGEST_PREFIX)  # the text's digest


def _rows(n: int, fresh: bool = False) -> list:
    """Combinations of words as Mbpp/255 returns them; `fresh`: every string a new object, none interned."""
    words = ["Dog", "Cat", "CatBird", "Bird", "Fish"]
    return [tuple("".join(list(words[(i + j) % 5])) if fresh else words[(i + j) % 5] for j in range(6))
            for i in range(n)]


def test_a_long_list_of_rows_is_digested_from_marshal_and_equal_exactly_when_its_text_is():
    rows = _rows(DIGEST_OVER // 10)
    packed = row_list_digest(rows)
    assert packed is not None and packed.startswith(DIGEST_PREFIX)
    assert encode(rows) == packed and len(json.dumps(rows)) > DIGEST_OVER
    assert row_list_digest(_rows(DIGEST_OVER // 10, fresh=True)) == packed  # interned or not: the same bytes
    changed = list(rows)
    changed[-1] = changed[-1][:-1] + ("Fisk",)
    assert row_list_digest(changed) != packed
    more = _rows(DIGEST_OVER // 4)
    as_lists = row_list_digest([list(r) for r in more])
    assert as_lists is not None and as_lists != row_list_digest(more)  # lists are not tuples, as in the text
    ints = [(i, i + 1) for i in range(DIGEST_OVER // 10)]
    bools = [(True, i + 1) if i == 0 else (i, i + 1) for i in range(DIGEST_OVER // 10)]
    assert ints[0] == (0, 1) and row_list_digest([(1, 1), *ints[1:]]) != row_list_digest(
        [(True, 1), *ints[1:]])  # 1 == True, but their texts differ
    assert row_list_digest(bools) != row_list_digest(ints)


def test_what_a_row_digest_leaves_to_the_text():
    assert row_list_digest(_rows(100)) is None  # short: its text is sent
    assert row_list_digest([(0.5, i) for i in range(DIGEST_OVER)]) is None  # floats: NaN's text keeps no sign
    assert row_list_digest([({1}, i) for i in range(DIGEST_OVER)]) is None  # a set: its order is not its value
    assert row_list_digest([(1, 2), [1, 2]] * DIGEST_OVER) is None  # rows of two kinds
    assert row_list_digest([*_rows(DIGEST_OVER // 10), "tail"]) is None
    big = _rows(DIGEST_OVER // 10)
    assert decode(encode(big)) == decode(encode(_rows(DIGEST_OVER // 10, fresh=True)))  # compared as digests
