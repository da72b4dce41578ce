"""A job's large outputs as `execeval.values.encode` writes them, at C speed.

Why: EvalPlus's plus inputs make outputs of a million items (HumanEval/130's `tri`, /100's `make_a_pile`) and
strings of megabytes (/15); `encode` walks a list in Python (~1 us an item, twice when its text is digested), which
cost the reference runs of HumanEval+ ~7 CPU-s and every sample that gets that far as much again. The text must be
`encode`'s byte for byte: the harness compares a returned text with the reference's before decoding either, and
references are cached.
"""

from __future__ import annotations

import hashlib
import json

from execeval.values import (DIGEST_OVER, DIGEST_PREFIX, HEX_FROM as _BIG, compact_json, finite_compact_json,
                             number_list_digest, plain_string_digest)

_FLAT = frozenset({str, int, float, bool, type(None)})  # list items that `encode` writes as they are
_NUMBERS = frozenset({int, float, bool})
_NOT_FINITE = (("-Infinity", '{"__f":"-inf"}'), ("Infinity", '{"__f":"inf"}'), ("NaN", '{"__f":"nan"}'))
_sha256 = hashlib.sha256
_json_str = json.encoder.encode_basestring_ascii  # C


def flat_text(value: object) -> str | None:
    """`encode(value)`, byte for byte, for a scalar, a string or a long flat list (at C speed), else None
    (EvalPlus's large outputs: `encode` walks a list in Python, ~1 us an item, and twice when its text is
    digested; a scalar, the common output, is formatted here without the json module's Python layers).

    A flat list of plain scalars is its own plain and canonical form, so its JSON text is `encode`'s text (but for
    inf and NaN, which `encode` tags) and the digest of a long one is the digest of that text, or of a list of
    numbers its packed digest (`execeval.digests`, as `encode` gives it). Nested lists, and ints over 256 bits
    (`encode` writes them in hex) outside such a packed list, are None."""
    t = type(value)
    if t is int and -_BIG < value < _BIG or t is float and value - value == 0:  # type: ignore[operator]
        return repr(value)  # what json writes for them (a finite float, an int encode does not write in hex)
    if t is bool or value is None:
        return "null" if value is None else "true" if value else "false"
    if t is str:
        if packed := plain_string_digest(value):  # type: ignore[arg-type]  # a str
            return packed  # long and needing no escapes: its digest without its text (`execeval.digests`)
        text = _json_str(value)  # type: ignore[arg-type]  # a str: checked by the caller
    elif t is list and len(value) > 32:  # type: ignore[arg-type]
        kinds = set(map(type, value))  # type: ignore[call-overload]
        if not kinds <= _FLAT:
            return None
        if packed := number_list_digest(value, kinds):  # type: ignore[arg-type]  # a list
            return packed  # long and all numbers: its digest without its text (`execeval.digests`)
        if int in kinds:
            ints = value if kinds <= {int, bool} else [x for x in value if type(x) is int]  # type: ignore[attr-defined]
            if not (-_BIG < min(ints) and max(ints) < _BIG):  # type: ignore[call-overload]  # ints is a list of ints here
                return None
        if float in kinds and kinds <= _NUMBERS:  # no strings: JSON's bare Infinity and NaN are floats' own
            text = compact_json(value)
            if "Infinity" in text or "NaN" in text:
                for token, tagged in _NOT_FINITE:
                    text = text.replace(token, tagged)
        else:
            try:
                text = finite_compact_json(value)
            except ValueError:  # a NaN or inf beside strings
                return None
    else:
        return None
    return DIGEST_PREFIX + _sha256(text.encode()).hexdigest() if len(text) > DIGEST_OVER else text
