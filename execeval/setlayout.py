"""A set's layout, sent across a process boundary so that it iterates on the other side as it did here.

Why: a set iterates in the order of its hash table's slots, which depend on the table's size and on the order
its elements went in. `tuple({12, 13, 14, 15, 16})` is (16, 12, 13, 14, 15) (a display is built from a constant
frozenset, merged into a table of 16 slots), while the same elements added one by one iterate 12, 13, 14, 15, 16
(32 slots). A set sent as its elements and added one by one on the other side would iterate in an order the
candidate never sees in one process (MBPP/341's false pass). So a set crosses with its table's size and its
elements in an order that, inserted into a table of that size, puts each one in the slot it had: found by
replaying CPython's probe sequence (Objects/setobject.c: 9 linear probes, then perturbation), and checked by
building it before it is sent. A set that had elements removed may hold one past a slot that was taken when it
went in and is free now (a deleted slot, a "dummy"): no insertion order of its elements puts it there, so the
insertion list also carries placeholders, ints that hash to such a slot, inserted before the element and
discarded after the build (leaving the slot deleted, as in the original). What still can't be rebuilt exactly
(a frozenset that would need them, a NaN whose hash is its address) crosses as its elements, as before.
"""

from __future__ import annotations

import struct
import sys
from collections import deque
from collections.abc import Iterator

_LINEAR_PROBES, _PERTURB_SHIFT, _WORD = 9, 5, (1 << 64) - 1
_CPYTHON = sys.implementation.name == "cpython"
_EMPTY_SET = sys.getsizeof(set())
_SLOT_BYTES = 2 * struct.calcsize("P")  # a set entry: a key pointer and its hash


def _table_slots(s: set | frozenset) -> int:
    return (sys.getsizeof(s) - _EMPTY_SET) // _SLOT_BYTES or 8  # the 8-slot table lives inside the object


def _probe(h: int, mask: int):
    """The slots CPython's set visits for hash `h`, in order (`set_add_entry`, `set_insert_clean`)."""
    i, perturb = h & mask, h & _WORD
    while True:
        yield from range(i, (i + _LINEAR_PROBES if i + _LINEAR_PROBES <= mask else i) + 1)
        perturb >>= _PERTURB_SHIFT
        i = (i * 5 + 1 + perturb) & mask


def _candidates(h: int, mask: int, after: int) -> list[tuple[int, list[int]]]:
    """Where an element iterated after slot `after` may sit: (slot, the slots probed before it), first few."""
    seen: set[int] = set()
    before: list[int] = []
    out: list[tuple[int, list[int]]] = []
    for step, slot in enumerate(_probe(h, mask)):
        if step > 4 * (mask + 1) or len(out) == 8:
            break
        if slot not in seen:
            seen.add(slot)
            if slot > after:
                out.append((slot, list(before)))
            before.append(slot)
    return out


def _placements(hashes: list[int], mask: int, spare: int = 0) -> Iterator[tuple[list[tuple[int, list[int]]], set[int]]]:
    """Each element's slot (and the slots it probed first), in iteration order, with the slots no element takes
    that one probed first (deleted slots, held by placeholders while the elements go in; at most `spare`):
    slots increase, and every slot an element probed before its own is taken. Every such placement, one after
    another (a depth-first search over each element's first few candidates, with a step budget): one may ask
    each of two elements to go in after the other, which no insertion order gives, so the caller takes the first
    it can order and checks it by building."""
    chosen: list[tuple[int, list[int]]] = []
    taken: set[int] = set()
    held: list[set[int]] = []  # the free slots each chosen element probed first (and no earlier one)
    holding: set[int] = set()  # all of them
    stack = [iter(_candidates(hashes[0], mask, -1))] if hashes else []
    budget = 64 * len(hashes) + 1000
    while stack and budget:
        budget -= 1
        choice = next(stack[-1], None)
        if choice is None:
            stack.pop()
            if chosen:
                taken.discard(chosen.pop()[0])
                holding -= held.pop()
            continue
        slot, before = choice
        last = chosen[-1][0] if chosen else -1
        free = {b for b in before if last < b < slot or b <= last and b not in taken} - holding
        if len(holding) + len(free) > spare:
            continue  # a slot it probed first is one no element sits in, and no placeholder may hold
        if len(chosen) + 1 == len(hashes):
            holes = holding | free | {b for _, probed in (*chosen, choice) for b in probed if b not in taken and b != slot}
            if len(holes) <= spare:
                yield [*chosen, choice], holes
                budget = max(budget - 8 * len(hashes), 0)  # the caller orders and builds it: at most ~8 of them
            continue  # the next candidate for the last element, then back up
        chosen.append(choice)
        taken.add(slot)
        held.append(free)
        holding |= free
        stack.append(iter(_candidates(hashes[len(chosen)], mask, slot)))


def _insertion_order(order: list, placed: list[tuple[int, list[int]]]) -> list | None:
    """`order`'s elements so that each goes in after those in the slots it probes first (Kahn's algorithm:
    elements that sit where they hash come first, so a table that grows on the way moves only them)."""
    owner = {slot: k for k, (slot, _) in enumerate(placed)}
    waiting = [0] * len(order)
    unlocks: list[list[int]] = [[] for _ in order]
    for k, (_, probed) in enumerate(placed):
        for slot in probed:
            if slot in owner:  # else a placeholder's, there from the start
                unlocks[owner[slot]].append(k)
                waiting[k] += 1
    ready = deque(k for k in range(len(order)) if not waiting[k])
    out = []
    while ready:
        k = ready.popleft()
        out.append(order[k])
        for later in unlocks[k]:
            waiting[later] -= 1
            if not waiting[later]:
                ready.append(later)
    return out if len(out) == len(order) else None


def _sizing(n: int, slots: int) -> tuple[int, int] | None:
    """How to size a table of `slots` for `n` keys: (how many go in by one `update` from a dict, padded with how
    many fillers), the rest added one by one. One update sizes the table to twice its keys, rounded up to a power
    of two (set_update_internal; under 5 keys, the object's own 8 slots); the adds after it must not fill it to
    3/5 (set_add_entry grows it then). None: nothing does, and the set is filled one by one (growing to four
    times its size, as it did in the sender)."""
    if slots == 8:
        return (n, 0) if n <= 4 else None
    least = max(slots // 4, 5)
    if max(least, n) < slots // 2:
        return n, max(least - n, 0)
    return (least, 0) if n * 5 < (slots - 1) * 3 else None


def _most_keys(slots: int) -> int:
    return 4 if slots == 8 else ((slots - 1) * 3 - 1) // 5


def _placeholders(slots: set[int], mask: int, hashes: list[int]) -> list[int]:
    """Ints that land in `slots` (an int is its own hash) and hash like no element, so they equal none and an
    element probing past one never compares with it."""
    avoid, out = set(hashes), []
    for slot in sorted(slots):
        k = slot + mask + 1
        while k in avoid:
            k += mask + 1
        out.append(k)
    return out


def rebuild_set(items: list, slots: int | None = None, frozen: bool = False, held: int = 0) -> set | frozenset:
    """A set of `items` inserted in their order into a table of `slots` slots (None: added one by one); the
    first `held` are placeholders, discarded once all are in."""
    sizing = None if slots is None else _sizing(len(items), slots)
    if sizing is None or frozen and (sizing != (len(items), 0) or held):
        return frozenset(items[held:]) if frozen else set(items[held:])
    first, fillers = sizing
    padding = [object() for _ in range(fillers)]  # after the items: they take no slot an item probes
    keys = dict.fromkeys([*items[:first], *padding])
    if frozen:
        return frozenset(keys)
    out = set(keys)
    out.update(items[first:])  # one by one (a list, not a dict: no sizing up front), into a table they don't grow
    out.difference_update(padding, items[:held])  # left as deleted slots, which an insertion reuses as it would an empty one
    return out


def _same_table(built: set | frozenset, original: set | frozenset, order: list) -> bool:
    return sys.getsizeof(built) == sys.getsizeof(original) and all(a is b for a, b in zip(built, order))


def set_wire(s: set | frozenset) -> tuple[str, list, int | None, int]:
    """How `s` crosses: its tag, its elements in the order to insert them, its table's slots (None: add them
    one by one in iteration order, as `set(items)` does), and how many placeholders go in first."""
    tag, frozen = ("__s", False) if type(s) is set else ("__fs", True)
    order = list(s)
    if not _CPYTHON or _same_table(rebuild_set(order, frozen=frozen), s, order):
        return tag, order, None, 0
    slots = _table_slots(s)
    hashes = [hash(x) for x in order]
    room = 0 if frozen else _most_keys(slots) - len(order)
    for spare in sorted({0, max(room, 0)}):
        for placed, holes in _placements(hashes, slots - 1, spare):
            inserted = _insertion_order(order, placed)  # None: elements that each wait for another
            if inserted is None:
                continue
            inserted = [*_placeholders(holes, slots - 1, hashes), *inserted]
            if _same_table(rebuild_set(inserted, slots, frozen, len(holes)), s, order):
                return tag + "l", inserted, slots, len(holes)
    return tag, order, None, 0
