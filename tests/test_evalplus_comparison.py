"""Outputs compared as EvalPlus 0.3.1 compares them, on the cases where real MBPP+ samples found execeval judging
differently (tests/test_mbppplus_real_samples.py runs those samples): the standard library's dict types, an int
within tolerance of an expected float, an opaque value, and MBPP+'s special oracles."""

from __future__ import annotations

import collections

import pytest

from execeval.sandbox.base import Call, CaseStatus, PythonTests
from execeval.sandbox.grading import Expected, grade_batch, grade_case
from execeval.sandbox.python.outputtext import flat_text
from execeval.tasks.evalplus_quirks import oracle_for
from execeval.values import decode, encode, opaque_in, outputs_equal, outputs_match


def test_counter_output_equals_a_plain_dict_of_the_same_counts():
    expected = decode(encode(collections.Counter([10, 10, 20])))  # Mbpp/88's reference returns a Counter
    assert type(expected) is collections.Counter
    assert outputs_match(decode(encode({10: 2, 20: 1})), expected, 0.0)
    assert not outputs_match(decode(encode({10: 2, 20: 2})), expected, 0.0)
    assert outputs_match(decode(encode(collections.Counter({20: 1, 10: 2}))), expected, 0.0)


def test_ordered_dicts_compare_in_order_between_themselves_only():
    a = collections.OrderedDict([("x", 1), ("y", 2)])
    b = collections.OrderedDict([("y", 2), ("x", 1)])
    a.move_to_end("x")  # the order is the linked list's, not the dict's insertion order
    assert list(decode(encode(a))) == ["y", "x"]
    assert outputs_equal(decode(encode(a)), decode(encode(b)))
    assert not outputs_equal(decode(encode(collections.OrderedDict(x=1, y=2))), decode(encode(b)))
    assert outputs_equal(decode(encode({"x": 1, "y": 2})), decode(encode(b)))  # against a dict: no order


def test_defaultdict_is_its_dict():
    d = collections.defaultdict(list, {"a": [1]})
    assert encode(d) == encode({"a": [1]})


def test_a_subclass_or_a_patched_counter_stays_what_it_holds():
    class Always(collections.Counter):
        def __eq__(self, other):
            return True

    assert opaque_in(encode(Always())) is not None  # not the standard library's own type: equal to nothing
    saved = collections.Counter.items
    collections.Counter.items = lambda self: iter([("forged", 1)])  # what a candidate could do in its job
    try:
        text = encode(collections.Counter(a=1))
    finally:
        collections.Counter.items = saved
    assert decode(text) == {"a": 1}


def test_an_int_within_tolerance_of_an_expected_float_fails_as_in_evalplus():
    ref = 2 * 10**6 * (10**6 + 1) * (2 * 10**6 + 1) / 3  # Mbpp/287's reference: a float, off by 128
    exact = sum(i * i for i in range(2, 2 * 10**6 + 1, 2))
    assert exact != ref and abs(exact - ref) < 1e-6 * ref
    assert not outputs_equal(exact, ref)  # EvalPlus: type(out) == type(exp) before allclose
    assert outputs_equal(float(exact), ref)
    assert outputs_equal(3, 3.0)  # equal is equal, whatever the type
    assert not outputs_equal((0.1, 0.2), [0.1, 0.2 + 1e-9])


def _job(*expected_texts: str, oracle: str = "") -> tuple[PythonTests, list]:
    cases = tuple(Call("[1]", text, oracle=oracle) for text in expected_texts)
    return PythonTests("", "f", cases), [Expected(t) for t in expected_texts]


def test_two_opaque_values_of_one_type_are_not_equal():
    text = encode(object())
    assert opaque_in(text) == "builtins.object"
    program, expected = _job(text)
    assert grade_case({"i": 0, "s": "returned", "c": 0.0, "o": text}, expected, program).status is CaseStatus.FAILED
    assert grade_batch([[0], ["returned"], [0.0], [text]], expected, program)[0].status is CaseStatus.FAILED
    plain = flat_text(5)
    program, expected = _job(plain)
    assert grade_case({"i": 0, "s": "returned", "c": 0.0, "o": plain}, expected, program).status is CaseStatus.PASSED


def test_a_dict_key_named_like_the_tag_is_still_plain():
    text = encode({"__x": 1})
    assert opaque_in(text) is None
    program, expected = _job(text)
    assert grade_case({"i": 0, "s": "returned", "c": 0.0, "o": text}, expected, program).status is CaseStatus.PASSED


@pytest.mark.parametrize("answer, reference_found, passes", [
    (True, True, True), (False, True, False), (False, False, True), (True, False, False),
    ("match", True, True), (None, False, True), (None, True, False), ("match", False, False),
])
def test_regex_tasks_judge_a_bool_by_what_it_says(answer, reference_found, passes):
    """EvalPlus expects `reference output is not None` for check_str & co.: a bool answer is compared with it."""
    expected = decode(encode(object())) if reference_found else None  # the reference's re.Match, or None
    assert oracle_for("Mbpp/737", "check_str") == "none_or_not"
    assert outputs_match(decode(encode(answer)), expected, 0.0, "none_or_not") is passes


@pytest.mark.parametrize("entry_point", ["similar_elements", "find_char_long", "common_in_nested_lists",
                                         "extract_singly", "larg_nnum", "intersection_array", "find_dissimilar",
                                         "Diff"])
def test_unordered_list_tasks_compare_as_sets(entry_point):
    oracle = oracle_for("Mbpp/2", entry_point)
    assert oracle == "set_equal"
    assert outputs_match([90, 100], [100, 90], 0.0, oracle)
    assert outputs_match([3, 4, 5, 4, 1], {1, 3, 4, 5}, 0.0, oracle)  # Mbpp/140: a list with repeats
    assert not outputs_match([90, 80], [100, 90], 0.0, oracle)
    assert not outputs_match(decode(encode(object())), [1], 0.0, oracle)
    assert oracle_for("HumanEval/2", entry_point) == ""  # MBPP+'s rule only


def test_pyramid_area_accepts_either_reading_of_height():
    oracle = oracle_for("Mbpp/581", "surface_Area")
    assert outputs_match(33, 33, 0.0, oracle, [3, 4])  # the reference's own answer
    assert outputs_match(35, 33, 0.0, oracle, [3, 4])  # round(9 + 2 * 3 * sqrt(1.5**2 + 16)) = 35
    assert not outputs_match(36, 33, 0.0, oracle, [3, 4])
    assert not outputs_match("35", 33, 0.0, oracle, [3, 4])


def test_digit_distance_accepts_zero_padding():
    oracle = oracle_for("Mbpp/558", "digit_distance_nums")
    assert outputs_match(5, 5, 0.0, oracle, [123, 256])  # the reference's answer, whatever it is
    assert outputs_match(1 + 3 + 3, 5, 0.0, oracle, [123, 256])  # digit by digit
    assert outputs_match(1 + 2 + 3, 0, 0.0, oracle, [123, 0])  # 123 vs 000
    assert not outputs_match(8, 5, 0.0, oracle, [123, 256])
