"""Prompts per benchmark, and code extraction from chat replies."""

from __future__ import annotations

import pytest

from execeval.errors import UsageError
from execeval.models import Generation, SamplingParams
from execeval.models.extract import extract_code, fenced_blocks, sanitize
from execeval.models.prompts import (HUMANEVAL_STOP, MBPP_STOP, CompletionStyle, InstructStyle, MbppFewShot,
                                     default_style, instruct_messages, mbpp_example, mbpp_prompt, mbpp_shots,
                                     prompt_style)
from execeval.tasks.model import Assert, Task, TaskSet
from execeval.tasks.model import TestSuite as Suite  # not a test class

HE_PROMPT = '''from typing import List


def has_close_elements(numbers: List[float], threshold: float) -> bool:
    """ Check if any two numbers are closer than threshold.
    >>> has_close_elements([1.0, 2.0], 0.5)
    False
    """
'''


def he_task(prompt: str = HE_PROMPT, entry: str = "has_close_elements") -> Task:
    return Task("HumanEval/0", prompt, entry, prompt + "    return False\n",
                Suite((Assert(f"assert {entry}([1.0], 0.5) is False"),)))


def mbpp_task(tid: str, text: str, tests: list[str], code: str, **meta: object) -> Task:
    return Task(tid, text, tests[0].split("(")[0].removeprefix("assert ").strip(), code,
                Suite(tuple(Assert(t) for t in tests)), completion_mode=False,
                metadata={"text": text, "test_list": tests, "code": code, **meta})


SHOTS = [
    mbpp_task("2", "Write a function to find the shared elements.", ["assert similar((3, 4), (4, 5)) == (4,)"],
              "def similar(a, b):\r\n  return tuple(set(a) & set(b)) "),
    mbpp_task("3", "Write a python function to identify non-prime numbers.", ["assert is_not_prime(2) == False",
                                                                              "assert is_not_prime(10) == True"],
              "def is_not_prime(n):\r\n  return n > 1 and any(n % i == 0 for i in range(2, n))"),
    mbpp_task("4", "Write a function to find the largest integers.", ["assert heap_largest([1, 3], 1) == [3]"],
              "def heap_largest(xs, n):\n  return sorted(xs)[-n:]"),
]
TARGET = mbpp_task("11", "Write a python function to remove first and last occurrence of a given character.",
                   ["assert remove_Occ(\"hello\",\"l\") == \"heo\"", "assert remove_Occ(\"abcda\",\"a\") == \"bcd\""],
                   "def remove_Occ(s, ch): ...")


def taskset(*tasks: Task) -> TaskSet:
    return TaskSet("t", tuple(tasks), "mem", "0" * 64)


def gen(text: str) -> Generation:
    return Generation("X", 0, text, "stop", {}, text)


# ---------------------------------------------------------------------- HumanEval, base models
def test_humaneval_stop_sequences_are_the_codex_ones() -> None:
    assert HUMANEVAL_STOP == ("\ndef", "\nclass", "\nif", "\nprint", "\n#")


def test_humaneval_prompt_is_the_prompt_as_is_and_stops_are_added() -> None:
    r = CompletionStyle().request(he_task(), n=3, params=SamplingParams(temperature=0.2, stop=("\nEND",)), start=4)
    assert r.prompt == HE_PROMPT and r.messages is None
    assert r.params.stop == HUMANEVAL_STOP + ("\nEND",) and r.params.temperature == 0.2
    assert (r.task_id, r.n, r.start) == ("HumanEval/0", 3, 4)


@pytest.mark.parametrize("stop", HUMANEVAL_STOP)
def test_humaneval_completion_is_cut_at_each_stop(stop: str) -> None:
    body = "    return any(abs(a - b) < threshold for a in numbers for b in numbers if a is not b)\n"
    g = CompletionStyle().finish(he_task(), gen(body + stop.lstrip("\n").join(["\n", " rest\n"])))
    assert (g.text, g.kind) == (body, "completion")


# ---------------------------------------------------------------------- MBPP, base models
def test_mbpp_example_format() -> None:
    assert mbpp_example("Do it.", ["assert f(1) == 2", "assert f(2) == 3"], "def f(x):\r\n  return x + 1") == (
        "You are an expert Python programmer, and here is your task: Do it. Your code should pass these tests:"
        "\n\nassert f(1) == 2\nassert f(2) == 3\n[BEGIN]\ndef f(x):\n  return x + 1\n[DONE]")


def test_mbpp_three_shot_prompt_ends_where_the_model_writes() -> None:
    style = MbppFewShot.from_taskset(taskset(*SHOTS, TARGET))
    r = style.request(TARGET, n=1)
    parts = r.prompt.split("You are an expert Python programmer, and here is your task: ")
    assert parts[0] == "" and len(parts) == 5
    assert parts[1].startswith("Write a function to find the shared elements.")
    assert parts[2].startswith("Write a python function to identify non-prime")
    assert parts[3].startswith("Write a function to find the largest")
    assert parts[1].endswith("[BEGIN]\ndef similar(a, b):\n  return tuple(set(a) & set(b)) \n[DONE]\n")  # verbatim
    assert r.prompt.endswith(
        "Write a python function to remove first and last occurrence of a given character. Your code should pass "
        "these tests:\n\nassert remove_Occ(\"hello\",\"l\") == \"heo\"\nassert remove_Occ(\"abcda\",\"a\") == "
        "\"bcd\"\n[BEGIN]\n")
    assert r.params.stop == MBPP_STOP == ("[DONE]",)


def test_mbpp_shots_carried_in_metadata_are_used_when_the_split_lacks_them() -> None:
    carried = tuple({"task_id": t.task_id, **{k: t.metadata[k] for k in ("text", "test_list", "code")}}
                    for t in SHOTS)
    target = mbpp_task("11", TARGET.metadata["text"], TARGET.metadata["test_list"], "", few_shot=carried)
    assert mbpp_prompt(target, mbpp_shots(taskset(target))) == mbpp_prompt(TARGET, mbpp_shots(taskset(*SHOTS)))


def test_mbpp_without_its_shots_is_a_clear_error() -> None:
    with pytest.raises(UsageError) as err:
        prompt_style("mbpp-3shot", taskset(SHOTS[0], TARGET))
    assert "lacks 3, 4" in err.value.one_line() and "--prompt instruct" in err.value.one_line()


def test_mbpp_answer_is_cut_at_done() -> None:
    g = MbppFewShot(mbpp_shots(taskset(*SHOTS))).finish(TARGET, gen("def remove_Occ(s, ch):\n  return s\n[DONE]\nYou"))
    assert (g.text, g.kind) == ("def remove_Occ(s, ch):\n  return s\n", "solution")


def test_default_styles() -> None:
    assert isinstance(default_style(taskset(he_task()), chat=False), CompletionStyle)
    assert isinstance(default_style(taskset(*SHOTS, TARGET), chat=False), MbppFewShot)
    assert isinstance(default_style(taskset(he_task()), chat=True), InstructStyle)
    with pytest.raises(UsageError, match="unknown prompt style"):
        prompt_style("fancy")


# ---------------------------------------------------------------------- chat models
def test_instruct_messages_show_the_task() -> None:
    [m] = instruct_messages(he_task())
    assert m["role"] == "user" and "```python\n" + HE_PROMPT.strip("\n") + "\n```" in m["content"]
    [m] = instruct_messages(TARGET)
    assert m["content"].startswith(TARGET.metadata["text"])
    assert "assert remove_Occ(\"abcda\",\"a\") == \"bcd\"" in m["content"]
    r = InstructStyle().request(TARGET, n=2)
    assert r.prompt is None and r.messages[0]["content"] == m["content"] and r.params.stop == ()


def test_instruct_humaneval_reply_becomes_a_whole_program() -> None:
    reply = ("Sure! Here is the implementation:\n\n```python\ndef has_close_elements(numbers, threshold):\n"
             "    return any(abs(a - b) < threshold for i, a in enumerate(numbers) for b in numbers[i + 1:])\n"
             "\nprint(has_close_elements([1.0, 2.0], 0.5))\n```\n\nThis checks every pair.")
    g = InstructStyle().finish(he_task(), gen(reply))
    assert g.kind == "solution"
    assert g.text.startswith("from typing import List\n\ndef has_close_elements(numbers, threshold):\n")
    assert "print(" not in g.text
    ns: dict = {}
    exec(compile(g.text, "<sample>", "exec"), ns)
    assert ns["has_close_elements"]([1.0, 1.2], 0.5) is True


def test_instruct_reply_with_only_a_body_completes_the_prompt() -> None:
    g = InstructStyle().finish(he_task(), gen("```python\n    return False\n```"))
    assert g.text.endswith('    >>> has_close_elements([1.0, 2.0], 0.5)\n    False\n    """\n    return False\n')
    assert g.text.startswith("from typing import List\n\ndef has_close_elements(")
    ns: dict = {}
    exec(compile(g.text, "<sample>", "exec"), ns)
    assert ns["has_close_elements"]([1.0], 0.5) is False


def test_instruct_keeps_prompt_helpers_the_reply_left_out() -> None:
    prompt = ('def encode(s: str):\n    """helper"""\n    return s[::-1]\n\n\n'
              'def decode(s: str):\n    """inverse of encode"""\n')
    g = InstructStyle().finish(he_task(prompt, "decode"), gen("```python\ndef decode(s):\n    return encode(s)\n```"))
    assert g.text == ('def encode(s: str):\n    """helper"""\n    return s[::-1]\n\n'
                      'def decode(s):\n    return encode(s)\n')


def test_instruct_mbpp_reply() -> None:
    reply = ("```python\ndef remove_Occ(s, ch):\n    return s\n\nassert remove_Occ('a', 'a') == ''\n```")
    g = InstructStyle().finish(TARGET, gen(reply))
    assert (g.text, g.kind) == ("def remove_Occ(s, ch):\n    return s\n", "solution")


# ---------------------------------------------------------------------- extraction
def test_the_block_defining_the_entry_point_wins() -> None:
    reply = "```python\nimport math\n```\nthen\n```python\ndef f(x):\n    return x\n```\n```\ndef g(): pass\n```"
    assert extract_code(reply, "f") == "def f(x):\n    return x\n"
    assert extract_code(reply, "h") == "import math\n"  # no block defines it: the first block
    assert extract_code("def f(): return 1", "f") == "def f(): return 1"  # no fences: the whole reply


def test_python_blocks_are_preferred_over_other_languages_and_unclosed_fences_count() -> None:
    reply = "```text\nusage: f 3\n```\n~~~py\ndef f(x):\n    return x"
    assert fenced_blocks(reply) == [("text", "usage: f 3\n"), ("py", "def f(x):\n    return x")]
    assert extract_code(reply) == "def f(x):\n    return x"


def test_sanitize_drops_noise_and_keeps_the_program() -> None:
    code = '''Here is my solution:
import sys
sys.setrecursionlimit(10000)

@decorator
def f(x):
    if x:
        return 1
    else:
        return 2

TEXT = """
multi-line text at column 0
"""
Output
This function works like so:
print(f(3))
assert f(1) == 1
assert 1 + 1 == 2
result = f(2)
check(f)
test_f()

if __name__ == "__main__":
    import doctest
    doctest.testmod()
'''
    assert sanitize(code, "f") == '''import sys
sys.setrecursionlimit(10000)

@decorator
def f(x):
    if x:
        return 1
    else:
        return 2

TEXT = """
multi-line text at column 0
"""
'''


def test_sanitize_keeps_try_blocks_and_classes() -> None:
    code = "try:\n    import numpy\nexcept ImportError:\n    numpy = None\n\nclass Solution:\n    pass\n"
    assert sanitize(code, "f") == code


def test_sanitize_of_unparseable_code_returns_what_parses() -> None:
    assert sanitize("def f(:\n    pass\n", "f") == "\n"
