"""verl's own code-reward client (`verl.utils.reward_score.sandbox_fusion.check_correctness`, from PyPI) against
`execeval serve`'s SandboxFusion API on loopback: the verdict codes verl scores (True, False, -2 runtime error,
-3 time-out, -4 compile error) for the kinds of case verl's public test covers, each case through verl's own
thread pool and HTTP calls.

verl's test file itself is in neither its sdist nor its wheel, so it is not run here (docs/scale.md says how it was
run by hand, and with what result). `import verl` pulls in torch (verl/__init__.py imports its `DataProto`), so
verl is installed without its dependencies into a folder of its own (.ci/run: `pip install --no-deps --target`;
its wheel also brings a top-level `tests` package that would shadow this folder's) and only the scoring module is
loaded, by its file: it imports nothing of verl's but the standard library and `requests`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("requests")

from execeval.service.engine import Verifier  # noqa: E402
from execeval.tasks import load_tasks  # noqa: E402
from tests.test_service import CONFIG, served  # noqa: E402

VERL_DIR = Path(os.environ.get("EXECEVAL_VERL_DIR", "/opt/execeval-verl"))
SCORING = VERL_DIR / "verl/utils/reward_score/sandbox_fusion/utils.py"

ECHO_TWICE = "import sys\nline = sys.stdin.read().strip()\nprint(line + line)\n"
CPP_ECHO = "#include <iostream>\n#include <string>\nint main() { std::string s; std::cin >> s; std::cout << s << s; }\n"


def _load_verl_scoring() -> ModuleType:
    if not SCORING.is_file():
        pytest.skip(f"verl is not installed in {VERL_DIR} (.ci/run: pip install --no-deps --target {VERL_DIR} "
                    "verl==0.9.1; or set EXECEVAL_VERL_DIR)")
    spec = importlib.util.spec_from_file_location("verl_sandbox_fusion_scoring", SCORING)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def check_correctness():
    return _load_verl_scoring().check_correctness


@pytest.fixture(scope="module")
def run_code_url(sandbox, tmp_path_factory):
    with Verifier([load_tasks("demo")], tmp_path_factory.mktemp("verl"), CONFIG, sandbox=sandbox) as verifier:
        with served(verifier) as url:
            yield f"{url}/run_code"


def test_right_and_wrong_outputs_score_true_and_false(check_correctness, run_code_url):
    cases = {"inputs": ["ab\n", "x\n", "q\n"], "outputs": ["abab\n", "xx\n", "qqq\n"]}
    results, meta = check_correctness(run_code_url, cases, ECHO_TWICE, timeout=5)
    assert results == [True, True, False], meta
    assert [m["status"] for m in meta] == ["success", "success", "wrong_answer"]
    assert meta[2]["stdout"] == "qq\n"


def test_a_crash_scores_runtime_error(check_correctness, run_code_url):
    results, meta = check_correctness(run_code_url, {"inputs": ["1"], "outputs": ["1"]},
                                      "import sys\nprint('no', file=sys.stderr)\nraise SystemExit(3)\n", timeout=5)
    assert results == [-2] and meta[0]["status"] == "runtime_error", meta


def test_a_program_past_its_time_scores_timeout(check_correctness, run_code_url):
    results, meta = check_correctness(run_code_url, {"inputs": ["1"], "outputs": ["1"]}, "while True:\n    pass\n",
                                      timeout=1)
    assert results == [-3] and meta[0]["status"] == "timeout", meta


def test_cpp_builds_once_and_a_broken_build_scores_compile_error(check_correctness, run_code_url):
    results, _ = check_correctness(run_code_url, {"inputs": ["ab", "c"], "outputs": ["abab", "cc"]}, CPP_ECHO,
                                   timeout=10, language="cpp")
    assert results == [True, True]
    results, meta = check_correctness(run_code_url, {"inputs": ["ab"], "outputs": ["abab"]}, "int main( {",
                                      timeout=10, language="cpp")
    assert results == [-4] and meta[0]["status"] == "compile_error", meta


def test_none_and_empty_stdin_reach_the_program_as_empty(check_correctness, run_code_url):
    code = "import sys\nprint(repr(sys.stdin.read()))\n"
    results, meta = check_correctness(run_code_url, {"inputs": [None, "", "hi"], "outputs": ["''", "''", "'hi'"]},
                                      code, timeout=5)
    assert results == [True, True, True], meta


def test_function_cases_by_name_and_assert_cases(check_correctness, run_code_url):
    """verl's two non-stdin shapes: `fn_name` (its wrapper reads the arguments, one JSON value a line) and
    `assert_case` (each assert appended to the program; a failing one is a runtime error)."""
    code = "def scale(xs, k):\n    return [x * k for x in xs]\n"
    results, meta = check_correctness(run_code_url, {"fn_name": "scale", "inputs": ["[1, 2]\n3", "[]\n5"],
                                                     "outputs": ["[3, 6]", "[]"]}, code, timeout=5)
    assert results == [True, True], meta
    asserts = ["assert scale([1], 2) == [2]", "assert scale([2, 3], 0) == [0, 0]", "assert scale([1], 2) == [3]"]
    results, meta = check_correctness(run_code_url, {"fn_name": "scale", "assert_case": asserts,
                                                     "inputs": [""] * 3, "outputs": [None] * 3}, code, timeout=5)
    assert results == [True, True, -2], meta


def test_many_cases_at_once_keep_their_own_verdicts(check_correctness, run_code_url):
    """verl's pattern: one request per case from its thread pool, all at once; every case gets its own verdict
    back in order (a wrong expected output on some, a busy loop on some)."""
    code = "import sys\ns = sys.stdin.read().strip()\nif s.startswith('spin'):\n    while True:\n        pass\nprint(s)\n"
    inputs = [f"spin{i}" if i % 10 == 3 else f"in{i}" for i in range(40)]
    outputs = [f"wrong{i}" if i % 10 == 7 else f"in{i}" if not s.startswith("spin") else "" for i, s in
               enumerate(inputs)]
    results, meta = check_correctness(run_code_url, {"inputs": inputs, "outputs": outputs}, code, timeout=1)
    expected = [-3 if i % 10 == 3 else False if i % 10 == 7 else True for i in range(40)]
    assert results == expected, [(i, r, m.get("status")) for i, (r, m) in enumerate(zip(results, meta))
                                 if r != expected[i]]
