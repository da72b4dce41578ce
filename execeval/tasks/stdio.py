"""stdin/stdout problems (contest style) as `Task`s whose tests are `IOTest`s; the format is in docs/stdio.md.

Two layouts, told apart by the first record (`looks_like_stdio`):

execeval's own, one JSON object per line:

    {"task_id": "sum", "prompt": "Read two integers, print their sum.", "language": "python",
     "tests": [{"input": "1 2\\n", "output": "3\\n"}], "compare": "whitespace", "reference": "print(sum(...))"}

    optional: language (default python), compare (one of COMPARE_MODES; "checker" when a checker is given, else
    "whitespace"), atol (float tolerance; 1e-6 when compare is "float"), checker + checker_language (default
    python), reference (a correct solution), metadata (an object)

LiveCodeBench's (`code_generation_lite`): question_id, question_content, public_test_cases and private_test_cases
(JSON strings of [{"input", "output", "testtype"}]; private ones may be base64 of zlib of a pickled JSON string).
Public tests become the base tests, private ones the plus tests (so base+plus is LiveCodeBench's score). "stdin"
tests become `IOTest`s; a task with only "functional" (LeetCode) tests becomes a Python function task whose tests
are `Call`s of a `class Solution` method (`execeval.tasks.livecodebench`, graded as LiveCodeBench grades them).

Nothing here runs code from the files; a pickle is read with an unpickler that can build no object but
strings and containers.
"""

from __future__ import annotations

import base64
import io
import json
import pickle
import warnings
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.errors import ExecevalError, TaskFormatError
from execeval.tasks.records import Raw, make_taskset, need, objects, optional, read_raw, sha256
from execeval.tasks.model import COMPARE_MODES, IOTest, Task, TaskSet, TestSuite

__all__ = ["load_stdio_tasks", "looks_like_stdio", "task_from_stdio_record", "task_from_livecodebench",
           "DEFAULT_FLOAT_TOL", "STDIO_KEYS"]

DEFAULT_FLOAT_TOL = 1e-6  # compare "float" without an atol: the usual contest tolerance (abs or rel 1e-6)
STDIO_KEYS = frozenset({"task_id", "prompt", "language", "tests", "compare", "atol", "checker", "checker_language",
                        "reference", "metadata"})
_LCB_METADATA = ("question_title", "platform", "contest_id", "contest_date", "difficulty", "starter_code")


def looks_like_stdio(first_record: Mapping[str, Any]) -> bool:
    """Whether a task file's first record is a stdin/stdout task (either layout). Check this before the native
    format's test: both have a "tests" key, but here it holds {"input", "output"} objects, not assert strings."""
    if "question_id" in first_record and ("public_test_cases" in first_record
                                          or "private_test_cases" in first_record):
        return True
    tests = first_record.get("tests")
    return isinstance(tests, list) and bool(tests) and isinstance(tests[0], dict) and "input" in tests[0]


def load_stdio_tasks(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """Read a stdin/stdout task file (either layout), validating every line. Nothing is executed."""
    raw = read_raw(path)
    located: list[tuple[str, Task]] = []
    untested = 0
    for where, rec in objects(raw):
        if "question_id" in rec:
            task = task_from_livecodebench(rec, where)
            untested += task is None
        else:
            task = task_from_stdio_record(rec, where)
        if task is not None:
            located.append((where, task))
    if untested:
        warnings.warn(f"{raw.label}: {untested} LiveCodeBench task(s) with no tests left out", stacklevel=2)
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))


def task_from_stdio_record(rec: Mapping[str, Any], where: str) -> Task:
    """One record of execeval's stdin/stdout layout as a `Task`."""
    unknown = sorted(set(rec) - STDIO_KEYS)
    if unknown:
        raise TaskFormatError(f"{where}: unknown keys: {', '.join(unknown)}",
                              hint=f"allowed: {', '.join(sorted(STDIO_KEYS))}")
    task_id = need(rec, "task_id", str, where)
    if not task_id.strip():
        raise TaskFormatError(f"{where}: key 'task_id' is empty")
    tests = need(rec, "tests", list, where)
    if not tests:
        raise TaskFormatError(f"{where}: task '{task_id}' has no tests")
    cases = tuple(_io_test(t, f"{where}: tests[{i}]") for i, t in enumerate(tests))
    checker = optional(rec, "checker", str, where)
    compare = optional(rec, "compare", str, where, "checker" if checker else "whitespace")
    if compare not in COMPARE_MODES:
        raise TaskFormatError(f"{where}: key 'compare' should be one of {', '.join(COMPARE_MODES)}, not {compare!r}")
    if (compare == "checker") != bool(checker):
        raise TaskFormatError(f"{where}: " + ("compare 'checker' needs a 'checker' program" if not checker
                                              else f"a 'checker' is given but compare is {compare!r}"))
    atol = float(optional(rec, "atol", (int, float), where, DEFAULT_FLOAT_TOL if compare == "float" else 0))
    if not atol >= 0:
        raise TaskFormatError(f"{where}: key 'atol' should be a non-negative number")
    suite = TestSuite(cases=cases, atol=atol, compare=compare, checker=checker,
                      checker_language=_language(rec, "checker_language", where))
    return Task(task_id=task_id, prompt=optional(rec, "prompt", str, where, ""), entry_point="",
                reference=optional(rec, "reference", str, where, ""), tests=suite, completion_mode=False,
                language=_language(rec, "language", where), metadata=dict(optional(rec, "metadata", dict, where, {})))


def task_from_livecodebench(rec: Mapping[str, Any], where: str) -> Task | None:
    """One LiveCodeBench record as a `Task`: its stdin tests (AtCoder, Codeforces), or else its functional
    (LeetCode) tests (`execeval.tasks.livecodebench`); None when it has neither."""
    from execeval.tasks import livecodebench

    task_id = str(need(rec, "question_id", (str, int), where))
    public_all = _lcb_tests(rec, "public_test_cases", where)
    private_all = _lcb_tests(rec, "private_test_cases", where)
    public = _lcb_stdin_tests(public_all, "public_test_cases", where)
    private = _lcb_stdin_tests(private_all, "private_test_cases", where)
    metadata = {"benchmark": "livecodebench", **{k: rec[k] for k in _LCB_METADATA if rec.get(k) not in (None, "")}}
    if not public and not private:
        f_public = livecodebench.functional_tests(public_all, f"{where}: public_test_cases")
        f_private = livecodebench.functional_tests(private_all, f"{where}: private_test_cases")
        if not f_public and not f_private:
            return None
        return livecodebench.functional_task(rec, where, task_id, f_public, f_private, metadata)
    return Task(task_id=task_id, prompt=optional(rec, "question_content", str, where, ""), entry_point="",
                reference="", tests=TestSuite(cases=public or private), completion_mode=False,
                plus_tests=TestSuite(cases=private) if public and private else None, language="python",
                metadata=metadata)


def _io_test(test: Any, where: str) -> IOTest:
    if not isinstance(test, dict):
        raise TaskFormatError(f"{where} should be an object {{\"input\": ..., \"output\": ...}}, "
                              f"not {type(test).__name__}")
    extra = sorted(set(test) - {"input", "output"})
    if extra:
        raise TaskFormatError(f"{where}: unknown keys: {', '.join(extra)} (allowed: input, output)")
    return IOTest(need(test, "input", str, where), need(test, "output", str, where))


def _language(rec: Mapping[str, Any], key: str, where: str) -> str:
    """A language name as execeval spells it ("c++" -> "cpp"); an unknown one is reported at its line."""
    # imported here: the language table loads only when a stdio file is read
    from execeval.languages import get_language

    name = optional(rec, key, str, where, "python")
    try:
        return get_language(name).name
    except ExecevalError as e:
        raise TaskFormatError(f"{where}: key '{key}': {e}", hint=e.hint) from None


def _lcb_tests(rec: Mapping[str, Any], key: str, where: str) -> list[dict]:
    """A LiveCodeBench test list, decoded (JSON text or the compressed form), each test an object."""
    value = rec.get(key)
    if value in (None, "", []):
        return []
    tests = _lcb_decode(value, f"{where}: key '{key}'") if isinstance(value, str) else value
    if not isinstance(tests, list):
        raise TaskFormatError(f"{where}: key '{key}' should hold a list of tests, not {type(tests).__name__}")
    for i, test in enumerate(tests):
        if not isinstance(test, dict):
            raise TaskFormatError(f"{where}: {key}[{i}] should be an object, not {type(test).__name__}")
    return tests


def _lcb_stdin_tests(tests: list[dict], key: str, where: str) -> tuple[IOTest, ...]:
    out = []
    for i, test in enumerate(tests):
        at = f"{where}: {key}[{i}]"
        if optional(test, "testtype", str, at, "stdin") == "stdin":
            out.append(IOTest(need(test, "input", str, at), need(test, "output", str, at)))
    return tuple(out)


def _lcb_decode(text: str, where: str) -> Any:
    """LiveCodeBench's test lists: JSON text, or base64(zlib(pickle(JSON text))) for the larger private ones."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        inner = _StringsOnly(io.BytesIO(zlib.decompress(base64.b64decode(text, validate=True)))).load()
        return json.loads(inner)
    except (ValueError, zlib.error, pickle.UnpicklingError, EOFError, TypeError) as e:
        raise TaskFormatError(f"{where}: neither JSON nor LiveCodeBench's compressed tests ({e})") from None


class _StringsOnly(pickle.Unpickler):
    """An unpickler that resolves no class or function: a pickle can then only build plain data (never code)."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a task file")
