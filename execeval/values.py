"""Encoding of values that cross the sandbox boundary, and their comparison.

A job's outputs come back as tagged JSON text, decoded here without `eval` or `pickle`, so a hostile job can send
only plain data. Only exact builtin types encode, and the standard library's three dict types (`Counter`,
`OrderedDict`, `defaultdict`; MBPP+'s Mbpp/88 expects a Counter, and EvalPlus's `==` passes a plain dict of the
same counts), rebuilt here as themselves so that `==` compares as it does in one process. Anything else (an object
whose `__eq__` always says True, say) encodes as an opaque marker that never equals an expected value.
Comparison follows EvalPlus: exact equality, or `allclose` with the task's atol (1e-6 when floats are expected and
no atol is given) for an output of the expected type; and the special oracles of a few tasks (`ORACLES`).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Callable
from typing import Any

from execeval.digests import (DIGEST_OVER, DIGEST_PREFIX, HEX_FROM, number_list_digest, plain_string_digest,
                              row_list_digest)
from execeval.setlayout import rebuild_set, set_wire

_MAX_DEPTH = 64
# read through these, not through the object: the candidate may have patched Counter's (Python) methods
_dict_items, _ordered_items = dict.items, OrderedDict.items
OPAQUE_TAG = '"__x"'  # in an encoded text wherever an opaque value is (and, rarely, a dict key "__x")


class Opaque:
    """A value the job returned that is not plain data; equal to nothing."""

    __slots__ = ("type_name",)

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


def _plain(obj: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return {"__x": "too deep"}
    t = type(obj)
    if obj is None or t is bool or t is str:
        return obj
    if t is int:  # huge ints travel in hex: linear time, where decimal conversion is quadratic
        return obj if -HEX_FROM < obj < HEX_FROM else {"__h": format(obj, "x")}
    if t is float:
        return obj if math.isfinite(obj) else {"__f": repr(obj)}
    if t is list:
        return [_plain(x, depth + 1) for x in obj]
    if t is tuple:
        return {"__t": [_plain(x, depth + 1) for x in obj]}
    if t is set or t is frozenset:
        tag, items, slots, held = set_wire(obj)
        listed = [_plain(x, depth + 1) for x in items]
        return {tag: listed if slots is None else [slots, listed, held] if held else [slots, listed]}
    if t is dict or t is defaultdict:  # a defaultdict compares as the dict it holds
        return {"__d": [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in _dict_items(obj)]}
    if t is Counter or t is OrderedDict:  # each compares its own way (zero counts; order between two)
        pairs = _dict_items(obj) if t is Counter else _ordered_items(obj)
        return {"__ctr" if t is Counter else "__od": [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in pairs]}
    if t is bytes:
        return {"__b": obj.hex()}
    if t is complex:
        return {"__c": [_plain(obj.real, depth + 1), _plain(obj.imag, depth + 1)]}
    if t.__module__ == "numpy" and hasattr(obj, "tolist") and depth < _MAX_DEPTH:
        # numpy scalars and arrays: compared as the plain values they hold, as EvalPlus's == / allclose would.
        return _plain(obj.tolist(), depth + 1)
    return {"__x": f"{t.__module__}.{t.__qualname__}"}


def _canonical(node: Any) -> Any:
    """Order-free containers (sets, dicts) in a fixed order, so equal values give equal text."""
    if isinstance(node, list):
        return [_canonical(x) for x in node]
    if isinstance(node, dict) and len(node) == 1:
        (tag, val), = node.items()
        if tag in ("__s", "__fs", "__sl", "__fsl"):  # a set's layout is no part of its value
            listed = val[1][val[2] if len(val) > 2 else 0:] if tag.endswith("l") else val  # nor its placeholders
            return {tag[:-1] if tag.endswith("l") else tag: sorted((_canonical(x) for x in listed),
                                                                    key=compact_json)}
        if tag in ("__d", "__ctr"):
            return {tag: sorted(([_canonical(k), _canonical(v)] for k, v in val),
                                key=lambda kv: compact_json(kv[0]))}
        if tag == "__od":  # its order is part of its value
            return {tag: [[_canonical(k), _canonical(v)] for k, v in val]}
        if tag in ("__t", "__c"):
            return {tag: _canonical(val)}
    return node


def _compact_encoder(allow_nan: bool) -> Callable[[Any], str]:
    """`json.dumps(node, separators=(",", ":"), allow_nan=allow_nan)`, its text byte for byte, from json's C encoder
    made once: JSONEncoder.encode makes a fresh one (and a float-formatting closure) on every call, ~3 us of each
    output's encoding in a case's timed CPU. No circular-reference check: what it is given is acyclic (`_plain`
    builds a fresh tree, at most _MAX_DEPTH deep; outputtext.py's flat lists hold scalars only; the runner's report
    payloads; the task loaders' arguments, parsed from JSON)."""
    python_encoder = json.JSONEncoder(separators=(",", ":"), allow_nan=allow_nan)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:  # a Python without json's C accelerator
        return python_encoder.encode
    encoder = make(None, python_encoder.default, json.encoder.encode_basestring_ascii, None, ":", ",", False,
                   False, allow_nan)
    join = "".join

    def dumps(node: Any) -> str:
        return join(encoder(node, 0))

    return dumps


# outputtext.py's fast paths write the same text with these
compact_json = _compact_encoder(allow_nan=True)
finite_compact_json = _compact_encoder(allow_nan=False)  # a NaN or an infinity: ValueError
_scan_json = json.JSONDecoder().scan_once  # type: ignore[attr-defined]  # C; clears its memo after each call


def parse_json(text: str) -> Any:
    """`json.loads(text)` without its Python layers (~0.6 us of each case's CPU: a case's arguments are parsed
    inside its timed region): the C scanner alone when the text is one JSON value from its first character to its
    last; anything else goes to json.loads, which parses it or says what is wrong with it as it always did."""
    try:
        value, end = _scan_json(text, 0)
    except StopIteration:  # not a value at the start (leading whitespace, a BOM, nothing): json.loads's to say
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def encode(obj: Any) -> str:
    """Plain-data text of `obj` (runs inside the job). Outputs over DIGEST_OVER bytes travel as a digest of
    their canonical text, or of a long number list's packed bytes, a long list of rows' pickled bytes, or a long
    plain string's bytes (`execeval.digests`)."""
    if type(obj) is list and (packed := number_list_digest(obj) or row_list_digest(obj)):
        return packed
    if type(obj) is str and (packed := plain_string_digest(obj)):
        return packed
    node = _plain(obj, 0)
    text = compact_json(node)
    if len(text) > DIGEST_OVER:
        text = DIGEST_PREFIX + hashlib.sha256(compact_json(_canonical(node)).encode()).hexdigest()
    return text


def _hashable(x: Any) -> Any:
    try:
        hash(x)
        return x
    except TypeError:
        return Opaque("unhashable")


def _revive(node: Any) -> Any:
    if isinstance(node, list):
        return [_revive(x) for x in node]
    if not isinstance(node, dict):
        return node
    if len(node) != 1:
        return Opaque("malformed")
    (tag, val), = node.items()
    try:
        if tag == "__t":
            return tuple(_revive(x) for x in val)
        if tag in ("__s", "__fs", "__sl", "__fsl"):
            slots, listed, held = (*val, 0)[:3] if tag.endswith("l") else (None, val, 0)
            items = [_hashable(_revive(x)) for x in listed]
            if any(isinstance(x, Opaque) for x in items):
                return Opaque("set of unhashable")
            return rebuild_set(items, slots if type(slots) is int else None, tag.startswith("__f"), held)
        if tag == "__d":
            return {_hashable(_revive(k)): _revive(v) for k, v in val}
        if tag == "__ctr":  # from a dict: Counter(pairs) would count the pairs
            return Counter({_hashable(_revive(k)): _revive(v) for k, v in val})
        if tag == "__od":
            return OrderedDict((_hashable(_revive(k)), _revive(v)) for k, v in val)
        if tag == "__b":
            return bytes.fromhex(val)
        if tag == "__c":
            return complex(_revive(val[0]), _revive(val[1]))
        if tag == "__f":
            return float(val)
        if tag == "__h":
            return int(val, 16)
        if tag == "__x":
            return Opaque(str(val))
    except (TypeError, ValueError):
        pass
    return Opaque("malformed")


class Digest:
    """A large output known by its digest: equal only to the same digest."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Digest) and other.text == self.text

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<large output {self.text[len(DIGEST_PREFIX):][:12]}>"


def decode(text: str) -> Any:
    """Values from `encode`'s text; never executes anything. Garbage decodes to an `Opaque`."""
    if text.startswith(DIGEST_PREFIX):
        return Digest(text)
    try:
        return _revive(parse_json(text))
    except Exception:  # noqa: BLE001 - the text is a candidate's: whatever its shape makes fail is garbage
        return Opaque("malformed")


def opaque_in(text: str) -> str | None:
    """The type of the first value in encoded `text` that is not plain data (so equal to nothing), or None. A
    reference whose output holds one expects what no output can equal: the harness reports it, not the samples."""
    if OPAQUE_TAG not in text:
        return None
    todo = [decode(text)]
    while todo:
        value = todo.pop()
        if isinstance(value, Opaque):
            return value.type_name
        if isinstance(value, dict):
            todo += [*value.keys(), *value.values()]
        elif isinstance(value, (list, tuple, set, frozenset)):
            todo += value
    return None


def _is_floats(x: Any) -> bool:
    if type(x) is float:
        return True
    if type(x) in (list, tuple) and x:
        return all(type(i) is float for i in x)
    return False


def _close(a: Any, b: Any, atol: float, rtol: float) -> bool:
    """numpy.allclose-like over numbers and (nested) sequences of them; bools never count as numbers."""
    if type(a) in (list, tuple) and type(b) in (list, tuple):
        return len(a) == len(b) and all(_close(x, y, atol, rtol) for x, y in zip(a, b))
    num = (int, float)
    if type(a) in num and type(b) in num:
        try:
            if math.isinf(a) or math.isinf(b):
                return a == b
            return abs(a - b) <= atol + rtol * abs(b)
        except OverflowError:  # an int past float's range (10**400 where a float is expected): exact or unequal
            return a == b
    return False


def outputs_equal(actual: Any, expected: Any, atol: float = 0.0) -> bool:
    """EvalPlus's rule: `==` (safe here: both sides are decoded plain data), else allclose(rtol=1e-7, atol) when
    floats are expected (atol defaults to 1e-6 for them) and the output is of the expected type (an int within
    the tolerance of an expected float fails, as in EvalPlus: MBPP+'s Mbpp/287 reference returns a float)."""
    try:
        if actual == expected:
            return True
        if atol == 0 and _is_floats(expected):
            atol = 1e-6
        return atol != 0 and type(actual) is type(expected) and _close(actual, expected, atol, 1e-7)
    except Exception:  # noqa: BLE001 - RecursionError on deep nesting...: a candidate's value that can't be
        return False  # compared is not equal, never the harness's error


def short_repr(value: Any, limit: int = 200) -> str:
    """A bounded repr for messages. Never raises: a huge int (over Python's digit limit) or a hostile repr
    becomes a description instead of an exception in the harness."""
    if type(value) is int and value.bit_length() > 1000:
        return f"<int of {value.bit_length()} bits>"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - anything a value can do while being printed
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _poly_root(args: list, actual: Any, expected: Any, atol: float) -> bool:
    """HumanEval find_zero: any root will do: |poly(xs, x)| within atol."""
    xs, x = args[0], actual
    if type(x) not in (int, float) or not isinstance(xs, list):
        return False
    try:
        # summed left to right in floats, as the benchmark's own checker does (fsum would be "more exact" and
        # then reject the reference root of a badly conditioned polynomial)
        return abs(sum(c * math.pow(x, i) for i, c in enumerate(xs))) <= (atol or 1e-6)
    except (OverflowError, TypeError, ValueError):
        return False


def _none_or_not(args: list, actual: Any, expected: Any, atol: float) -> bool:
    """MBPP+'s regex tasks (check_str, ...): the reference returns a match or None, and what is expected is only
    whether it found one: a bool answer must say so (False when it did is wrong), any other must be None exactly
    when the reference's is."""
    found = expected is not None
    return actual is found if type(actual) is bool else (actual is not None) == found


def _pyramid_area(base_edge: float, height: float) -> int:
    """MBPP+ Mbpp/581 (surface_Area), ill-posed: the height read as the pyramid's own (apex to base), not the
    faces' slant height. EvalPlus accepts either reading; this is the other one's answer, rounded as its is."""
    slant = math.sqrt((base_edge / 2) ** 2 + height ** 2)
    return round(base_edge ** 2 + 2 * base_edge * slant)


def _digit_distance(a: int, b: int) -> int:
    """MBPP+ Mbpp/558 (digit_distance_nums), ill-posed for numbers of different lengths: the shorter one padded
    with leading zeros. EvalPlus accepts this reading beside the reference's."""
    x, y = str(a), str(b)
    width = max(len(x), len(y))
    return sum(abs(int(p) - int(q)) for p, q in zip(x.zfill(width), y.zfill(width)))


def _exact(args: list, actual: Any, expected: Any, atol: float) -> bool:
    """Python's `==` and nothing else (no float tolerance): how LiveCodeBench and CRUXEval compare values."""
    return not isinstance(actual, Opaque) and bool(actual == expected)  # outputs_match catches what == raises


#: Special comparisons for tasks whose reference output is one of several right answers (named on `Call.oracle`),
#: or that compare as their benchmark does (`exact`).
ORACLES = {
    "exact": _exact,
    "poly_root": _poly_root,
    "any_output": lambda args, actual, expected, atol: True,  # MBPP+ are_equivalent: ill-posed task
    "equal_or_zero": lambda args, actual, expected, atol: actual == 0 or outputs_equal(actual, expected, atol),
    "none_or_not": _none_or_not,
    "set_equal": lambda args, actual, expected, atol: set(actual) == set(expected) or outputs_equal(actual, expected,
                                                                                                  atol),
    "pyramid_area": lambda args, actual, expected, atol: outputs_equal(actual, expected, atol)
    or abs(actual - _pyramid_area(*args)) <= atol,
    "digit_distance": lambda args, actual, expected, atol: outputs_equal(actual, expected, atol)
    or actual == _digit_distance(*args),
}


def outputs_match(actual: Any, expected: Any, atol: float, oracle: str = "", args: Any = None) -> bool:
    """`outputs_equal`, or the named oracle when the case has one."""
    if oracle:  # oracles judge types themselves (an opaque re.Match is still "not None")
        try:
            return ORACLES[oracle](args, actual, expected, atol) is True
        except Exception:  # noqa: BLE001 - an oracle that fails on the candidate's value: not a match
            return False
    return not isinstance(actual, Opaque) and outputs_equal(actual, expected, atol)
