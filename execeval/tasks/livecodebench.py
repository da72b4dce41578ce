"""LiveCodeBench's functional (LeetCode) problems as `Task`s, graded as `lcb_runner/evaluation/testing_util.py`
(`grade_call_based`) grades them.

A record's `metadata` (a JSON string) names the method (`func_name`); each test's `input` is one JSON value per
line (the arguments, in order) and its `output` one JSON value. LiveCodeBench runs the sample after its own
`import_string` (star imports of string, re, collections, heapq, typing...), makes one `Solution()` (or uses the
module when there is no `class Solution`), calls the method on each input, turns a returned tuple into a list and
compares with `==`.

Here: the sample runs after the same imports (`Task.metadata["prelude"]`, prepended by
`execeval.samples.program_for`), and a trusted wrapper appended after it (`program_suffix`) makes the one instance
and calls the method: the entry point `__lcb_call__`. Each test is a `Call` whose expected output is the record's
(encoded here: LiveCodeBench gives outputs, there is no reference solution to run); the value the sample returns
crosses the sandbox boundary as plain data and is compared outside with Python's `==` (the `exact` oracle), so an
object that claims to equal everything is never equal to an expected value.

Time: LiveCodeBench allows 6 s of wall time per test (`--timeout 6`); here each test gets 6 reference-machine CPU
seconds (`metadata["time_limit_s"]`, scaled by the measured machine speed), or the time policy's floor if larger,
within the policy's 300 s cap per job.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.model import Call, Task, TestSuite
from execeval.tasks.records import compact_json
from execeval.values import encode

__all__ = ["ENTRY_POINT", "IMPORT_STRING", "functional_task", "functional_tests", "method_name"]

ENTRY_POINT = "__lcb_call__"
TIME_LIMIT_S = 6.0  # lcb_runner's --timeout default, per test (wall seconds there; CPU seconds here)

#: LiveCodeBench's `import_string` (testing_util.py), which it puts before every sample.
IMPORT_STRING = (
    "from string import *\nfrom re import *\nfrom datetime import *\nfrom collections import *\n"
    "from heapq import *\nfrom bisect import *\nfrom copy import *\nfrom math import *\nfrom random import *\n"
    "from statistics import *\nfrom itertools import *\nfrom functools import *\nfrom operator import *\n"
    "from io import *\nfrom sys import *\nfrom json import *\nfrom builtins import *\nfrom typing import *\n"
    "import string\nimport re\nimport datetime\nimport collections\nimport heapq\nimport bisect\nimport copy\n"
    "import math\nimport random\nimport statistics\nimport itertools\nimport functools\nimport operator\n"
    "import io\nimport sys\nimport json\nsys.setrecursionlimit(50000)\n")


def _wrapper(method: str) -> str:
    """Trusted code appended to the sample: LiveCodeBench's `compile_code` + `get_function`, then the call."""
    return (f"\n\n__lcb_holder__ = Solution() if isinstance(globals().get('Solution'), type) else None\n"
            f"__lcb_method__ = (getattr(__lcb_holder__, {method!r}) if __lcb_holder__ is not None\n"
            f"                  else globals()[{method!r}])\n\n\n"
            f"def {ENTRY_POINT}(*args):\n"
            f"    value = __lcb_method__(*args)\n"
            f"    return list(value) if isinstance(value, tuple) else value  # as LiveCodeBench: a tuple is a list\n")


def method_name(rec: Mapping[str, Any], where: str) -> str:
    """`func_name` from the record's `metadata` (a JSON string in the released files, an object in some copies)."""
    meta = rec.get("metadata")
    if isinstance(meta, str):
        try:
            meta = json.loads(meta) if meta.strip() else {}
        except json.JSONDecodeError as e:
            raise TaskFormatError(f"{where}: key 'metadata' is not JSON ({e.msg})") from None
    name = meta.get("func_name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name.isidentifier():
        raise TaskFormatError(f"{where}: a functional (LeetCode) task needs metadata.func_name, a Python name; "
                              f"got {name!r}")
    return name


def functional_tests(tests: Sequence[Mapping[str, Any]], where: str) -> tuple[Call, ...]:
    """`Call`s of the "functional" tests of a decoded test list, with the record's outputs as expectations."""
    out = []
    for i, test in enumerate(tests):
        if test.get("testtype") != "functional":
            continue
        at = f"{where}[{i}]"
        inp, outp = test.get("input"), test.get("output")
        if not isinstance(inp, str) or not isinstance(outp, str):
            raise TaskFormatError(f"{at}: 'input' and 'output' should be strings of JSON")
        try:
            args = [json.loads(line) for line in inp.split("\n")]
            expected = json.loads(outp)
        except json.JSONDecodeError as e:
            raise TaskFormatError(f"{at}: not JSON ({e.msg}); functional tests are one JSON value per line") from None
        out.append(Call(compact_json(args), expected=encode(expected), oracle="exact"))
    return tuple(out)


def functional_task(rec: Mapping[str, Any], where: str, task_id: str, public: tuple[Call, ...],
                    private: tuple[Call, ...], metadata: dict) -> Task:
    """The `Task` of a functional record: public tests are the base tests, private ones the plus tests."""
    method = method_name(rec, where)
    prompt = rec.get("question_content")
    return Task(task_id=task_id, prompt=prompt if isinstance(prompt, str) else "", entry_point=ENTRY_POINT,
                reference="", tests=TestSuite(cases=public or private), completion_mode=False,
                plus_tests=TestSuite(cases=private) if public and private else None, language="python",
                metadata={**metadata, "func_name": method, "time_limit_s": TIME_LIMIT_S,
                          "prelude": IMPORT_STRING + "\n",
                          "program_suffix": _wrapper(method)})
