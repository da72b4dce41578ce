"""What EvalPlus knows about its own data that its files do not say.

1. MBPP+ inputs are stored as JSON, which has no tuples, sets or complex numbers; EvalPlus restores those types
   per task before calling the function. Without it, correct MBPP+ solutions fail (`tuple + list`, ...).
2. A few tasks accept more than the reference's exact output (any root of a polynomial; an ill-posed task);
   EvalPlus judges them with special oracles. We name the same rules on `Call.oracle` (see execeval.values).

The task numbers below are facts about the MBPP+ data set, written out here as tables of our own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Args = list[Any]


def _tuples(x: Any) -> Any:
    return tuple(_tuples(i) for i in x) if isinstance(x, list) else x


_RESTORE: dict[str, tuple[frozenset[int], Callable[[Args], Args]]] = {
    "every argument a tuple": (
        frozenset({2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740,
                   744, 809}),
        lambda a: [tuple(x) for x in a]),
    "every argument a list of tuples": (
        frozenset({63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}),
        lambda a: [[tuple(y) for y in x] for x in a]),
    "first argument a list of tuples": (
        frozenset({75, 413, 444, 753}), lambda a: [[tuple(y) for y in a[0]], *a[1:]]),
    "second argument a tuple": (frozenset({106, 750}), lambda a: [a[0], tuple(a[1]), *a[2:]]),
    "first argument a tuple": (
        frozenset({250, 307, 405, 446, 617, 720, 763, 808}), lambda a: [tuple(a[0]), *a[1:]]),
    "every argument a tuple of tuples": (
        frozenset({259, 401, 445}), lambda a: [tuple(tuple(y) for y in x) for x in a]),
    "first argument a tuple, its lists tuples": (
        frozenset({278}), lambda a: [tuple(tuple(y) if isinstance(y, list) else y for y in a[0]), *a[1:]]),
    "first argument a dict of tuples": (
        frozenset({722}), lambda a: [{k: tuple(v) for k, v in a[0].items()}, *a[1:]]),
    "lists of sets (empty: a dict)": (
        frozenset({115}), lambda a: [[set(y) if isinstance(y, list) and y else {} for y in a[0]], *a[1:]]),
    "a float and a complex": (frozenset({124}), lambda a: [float(a[0]), complex(a[1])]),
    "a complex": (frozenset({252}), lambda a: [complex(a[0])]),
    "every list a tuple": (frozenset({580, 615, 791}), lambda a: list(_tuples(a))),
}
_BY_TASK = {n: fn for numbers, fn in _RESTORE.values() for n in numbers}

_MBPP_ORACLES = {"are_equivalent": "any_output", "sum_div": "equal_or_zero", "check_str": "none_or_not",
                 "text_match_three": "none_or_not", "text_starta_endb": "none_or_not",
                 "surface_Area": "pyramid_area", "digit_distance_nums": "digit_distance",
                 # a list whose order the task does not fix: compared as sets (Mbpp/2, 7, 111, 140, 232, 249, 579,
                 # 769), as EvalPlus does
                 **dict.fromkeys(("similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
                                  "larg_nnum", "intersection_array", "find_dissimilar", "Diff"), "set_equal")}
_HUMANEVAL_ORACLES = {"find_zero": "poly_root"}


def mbpp_number(task_id: str) -> int | None:
    head, _, num = task_id.partition("/")
    return int(num) if head.lower() == "mbpp" and num.isdigit() else None


def restore_arguments(task_id: str) -> Callable[[Args], Args] | None:
    """The type restoration for an MBPP+ task's argument lists, or None when JSON types are right as they are."""
    number = mbpp_number(task_id)
    return _BY_TASK.get(number) if number is not None else None


def oracle_for(task_id: str, entry_point: str) -> str:
    if mbpp_number(task_id) is not None:
        return _MBPP_ORACLES.get(entry_point, "")
    return _HUMANEVAL_ORACLES.get(entry_point, "")
