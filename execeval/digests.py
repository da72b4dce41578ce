"""Large outputs travel as digests: when, their form, and the digest of a long list of numbers from its packed bytes.

An output whose `execeval.values.encode` text is over DIGEST_OVER bytes crosses the sandbox boundary as
DIGEST_PREFIX + a sha256, compared exactly (float tolerance does not apply to it), and cheap to ship.

Why a packed digest: for a flat list of ten million floats (HumanEval+'s /130 `tri`) writing the text only to hash
it cost ~3 CPU-s per run (the reference's and every sample's that gets that far); packing the floats costs a
fraction of that. It stands for the same comparison: two such lists get the same digest exactly when their JSON
texts are equal (the same type at each position, the same float bits, whose shortest repr is one-to-one, the same
ints). It is used only where the text is surely over DIGEST_OVER, so the values that travel as digests are the
same; NaN and infinities (tagged by `encode`), ints of 256 bits or more (written in hex) and bools are left to the
text. A long list of ints alone (no floats) is packed as 64-bit ints, under a material of its own; one with a
larger int is left to the text.
"""

from __future__ import annotations

import hashlib
from array import array
from itertools import compress, repeat
from operator import is_

DIGEST_OVER = 1 << 20
DIGEST_PREFIX = "#sha256:"
HEX_FROM = 1 << 256  # `execeval.values` writes ints of this size or more in hex (linear time; decimal is not)
_NUMBERS = frozenset({int, float})
_INTS = {int}
_MATERIAL = b"execeval packed numbers v1\0"  # never the start of JSON text: no collision with a text's digest
_INT_MATERIAL = b"execeval packed ints v1\0"  # nor with the other packed form's
_UNESCAPED = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')  # what JSON's ASCII text keeps as it is


def number_list_digest(value: list, kinds: set | None = None) -> str | None:
    """The digest of `value` from its packed bytes when it holds only ints and floats and its JSON text is surely
    over DIGEST_OVER bytes; else None. `kinds`: the set of its items' types, if already known."""
    n = len(value)
    if 4 * n <= DIGEST_OVER:  # ",0.0" is the shortest a float adds to the text, ",0" an int
        return None
    kinds = set(map(type, value)) if kinds is None else kinds
    if kinds == _INTS:
        return _int_list_digest(value) if 2 * n + 1 > DIGEST_OVER else None  # "[0,0]": n ints' shortest text
    if float not in kinds or not kinds <= _NUMBERS:
        return None
    positions: list[int] = []
    ints: list[int] = []
    if int in kinds:
        positions = _int_positions(list(map(type, value)))
        ints = [value[i] for i in positions]
        if not (-HEX_FROM < min(ints) and max(ints) < HEX_FROM) or 1 + 4 * n - 2 * len(ints) <= DIGEST_OVER:
            return None
    total = sum(value)  # every item is under 2**256: a float sum, past float's range only if it overflows
    if total - total != 0:  # a NaN or an infinity inside (or an overflowing sum): the text decides
        return None
    digest = hashlib.sha256(_MATERIAL)
    digest.update(len(positions).to_bytes(8, "little"))
    digest.update(array("q", positions))
    digest.update(array("d", value))  # exact for the floats; the ints' own text follows
    digest.update(repr(ints).encode())
    return DIGEST_PREFIX + digest.hexdigest()


def _int_positions(types: list) -> list[int]:
    """Where the ints are in a list of its items' types: found by `list.index` at C speed while they are few
    (HumanEval+'s /130: 2 in a million; a third of the CPU of testing every item in Python's map)."""
    positions: list[int] = []
    at = -1
    try:
        while len(positions) < 64:
            at = types.index(int, at + 1)
            positions.append(at)
    except ValueError:
        return positions
    return list(compress(range(len(types)), map(is_, types, repeat(int))))


def _int_list_digest(value: list) -> str | None:
    """A long list of ints that fit in 64 bits (HumanEval+'s /100 `make_a_pile`): the digest of its packed bytes,
    a fifth of the CPU of writing its text; else None (the text decides)."""
    try:
        packed = array("q", value)
    except OverflowError:
        return None
    digest = hashlib.sha256(_INT_MATERIAL)
    digest.update(packed)
    return DIGEST_PREFIX + digest.hexdigest()


def plain_string_digest(value: str) -> str | None:
    """The digest of a long string's JSON text without writing that text: when the string is printable ASCII
    with no quote or backslash (HumanEval+'s /15 outputs, megabytes of digits and spaces), its text is the string
    between quotes. Half the CPU of escaping it first. None when its text is not over DIGEST_OVER or needs escapes."""
    if len(value) + 2 <= DIGEST_OVER or not value.isascii():
        return None
    data = value.encode("ascii")
    if data.translate(None, _UNESCAPED):  # some byte that the text escapes
        return None
    digest = hashlib.sha256(b'"')
    digest.update(data)
    digest.update(b'"')
    return DIGEST_PREFIX + digest.hexdigest()
