"""Large outputs travel as digests: when, their form, and the digest of a long list of numbers or rows from its bytes.

An output whose `execeval.values.encode` text is over DIGEST_OVER bytes crosses the sandbox boundary as
DIGEST_PREFIX + a sha256, compared exactly (float tolerance does not apply to it), and cheap to ship.

Why a packed digest: for a flat list of ten million floats (HumanEval+'s /130 `tri`) writing the text only to hash
it cost ~3 CPU-s per run (the reference's and every sample's that gets that far); marshalling the list (format 2,
at C speed) costs a small fraction of that. It stands for the same comparison: two such lists get the same digest
exactly when their JSON texts are equal (the same length, the same type at each position, the same float bits,
whose shortest repr is one-to-one, the same ints, whose decimal or hex text is one-to-one). It is used only where
the text is surely over DIGEST_OVER, so the values that travel as digests are the same; NaN and infinities (tagged
by `encode`, and NaN's bits are not one value) and bools are left to the text. A long list of rows (tuples or
lists of strings, ints, bools and None: combinations, pairs) is digested the same way, from its pickle
(`row_list_digest`).
"""

from __future__ import annotations

import hashlib
import io
import marshal
import pickle
from itertools import chain

DIGEST_OVER = 1 << 20
DIGEST_PREFIX = "#sha256:"
HEX_FROM = 1 << 256  # `execeval.values` writes ints of this size or more in hex (linear time; decimal is not)
_NUMBERS = frozenset({int, float})
_MATERIAL = b"execeval marshalled numbers v1\0"  # never the start of JSON text: no collision with a text's digest
_UNESCAPED = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')  # what JSON's ASCII text keeps as it is
_ROW_ITEMS = frozenset({str, int, bool, type(None)})  # no floats: a NaN's bits are not one value (as above)
_ROWS_MATERIAL = b"execeval pickled rows v1\0"
_ROWS_CHUNK = 4096  # rows pickled at a time: no second copy of a huge output in memory


def number_list_digest(value: list, kinds: set | None = None) -> str | None:
    """The digest of `value` from its packed bytes when it holds only ints and floats (no NaN or infinity) and its
    JSON text is surely over DIGEST_OVER bytes; else None. `kinds`: the set of its items' types, if already known."""
    n = len(value)
    if 4 * n <= DIGEST_OVER:  # ",0.0" is the shortest a float adds to the text, ",0" an int
        return None
    kinds = set(map(type, value)) if kinds is None else kinds
    if not kinds or not kinds <= _NUMBERS:
        return None
    if 2 * n + 1 <= DIGEST_OVER and 1 + 4 * n - 2 * list(map(type, value)).count(int) <= DIGEST_OVER:
        return None  # not surely over: few enough items that its ints may keep the text short
    if float in kinds:
        try:
            total = sum(value)
        except OverflowError:  # an int past float's range beside floats: the text decides
            return None
        if total - total != 0:  # a NaN or an infinity inside (or an overflowing sum): the text decides
            return None
    digest = hashlib.sha256(_MATERIAL)
    digest.update(marshal.dumps(value, 2))  # C speed; format 2: each item whole, with its type, no references
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


def row_list_digest(value: list) -> str | None:
    """The digest of a long list of tuples (or of lists) of strings, ints, bools and None from their pickled
    bytes when its JSON text is surely over DIGEST_OVER bytes; else None.

    Why: MBPP+'s Mbpp/255 returns every combination with repetition, up to 1.7 million tuples of 77 strings; `encode`
    walks them in Python and builds their text (~3 s per 6 million items, and more memory than the job has for the
    largest), so the reference never got through its inputs. Pickle without its memo ("fast" mode, protocol 5; a
    third of marshal's time here, whose strings cost an encoding each) writes each item whole with its type (no
    references, so no trace of which objects are shared or interned; a bool apart from an int), so two such lists
    get the same digest exactly when their JSON texts are equal; which path a list takes depends only on its types
    and lengths. Rows of plain scalars only: no object of the candidate's can run code while it is written."""
    if not value or type(value[0]) not in (tuple, list):
        return None
    kinds = set(map(type, value))
    if len(kinds) != 1:
        return None
    row = kinds.pop()
    if row is not tuple and row is not list:
        return None
    # the least text: each row '{"__t":[]}' (a tuple) or '[]', each item at least one character
    if (10 if row is tuple else 2) * len(value) + sum(map(len, value)) <= DIGEST_OVER:
        return None
    if not set(map(type, chain.from_iterable(value))) <= _ROW_ITEMS:
        return None
    digest = hashlib.sha256(_ROWS_MATERIAL + (b"t" if row is tuple else b"l"))
    for start in range(0, len(value), _ROWS_CHUNK):
        out = io.BytesIO()
        pickler = pickle.Pickler(out, 5)
        pickler.fast = True  # no memo: an item written whole however often its object recurs
        pickler.dump(value[start:start + _ROWS_CHUNK])
        digest.update(out.getbuffer())
    return DIGEST_PREFIX + digest.hexdigest()
