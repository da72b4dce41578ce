"""A set crosses with its layout and comes out iterating as it went in, deleted slots and all (issue #25).

Sets here are built by adds and discards, so elements sit past slots that were taken when they went in and are
free now; the layout code replays CPython's probing, so these check the bytes of the real interpreter.
"""

from __future__ import annotations

import random
import sys

import pytest

from execeval.setlayout import rebuild_set, set_wire
from execeval.values import _canonical, _plain, decode, encode

if sys.implementation.name != "cpython":
    pytest.skip("set layouts are CPython's", allow_module_level=True)


def _built(rng: random.Random, tuples: bool) -> set:
    """A set from random adds and discards over a small pool, so many of them collide and leave deleted slots."""
    s: set = set()
    size = rng.randint(2, 14)
    pool = rng.randint(8, 5 * size)
    for _ in range(rng.randint(size, 3 * size)):
        x = rng.randrange(pool)
        item = (x, x % 3) if tuples and x % 2 else x
        if rng.random() < 0.35:
            s.discard(item)
        else:
            s.add(item)
    return s


def _sets(count: int) -> list[set]:
    rng = random.Random(25)
    return [s for k in range(count) if len(s := _built(rng, tuples=k % 2 == 1)) > 1]


def test_sets_with_deleted_slots_rebuild_in_their_own_order_and_table_size():
    differ = []
    for s in _sets(3000):
        _, items, slots, held = set_wire(s)
        got = rebuild_set(items, slots, held=held)
        if list(got) != list(s) or sys.getsizeof(got) != sys.getsizeof(s) or got != s:
            differ.append((sorted(s, key=repr), list(s), list(got)))
    assert not differ, f"{len(differ)} differ, first: {differ[:3]}"


def test_some_sets_need_placeholders_and_none_is_left_in_them():
    needing = [s for s in _sets(3000) if set_wire(s)[3]]
    assert len(needing) > 10  # without placeholders these crossed as their elements, in another order
    for s in needing:
        got = decode(encode(s))
        assert list(got) == list(s) and got == s and len(got) == len(s)


def test_a_layout_with_placeholders_is_no_part_of_the_sets_value():
    s = set([37, 13, 36]) ^ {37}  # 13 sits past 37's slot, deleted now
    assert set_wire(s)[3] > 0
    assert list(decode(encode(s))) == list(s) != list(set(list(s)))
    assert _canonical(_plain(s, 0)) == _canonical(_plain(set(sorted(s)), 0))


def test_a_malformed_placeholder_count_decodes_to_an_opaque_value():
    assert repr(decode('{"__sl": [8, [1, 2], "x"]}')) == "<malformed>"
