"""SandboxFusion's `POST /submit` on a real `execeval serve` app on loopback: CommonOJ stdin/stdout cases and AutoEval
`#<INSERT>` programs, with right, wrong, crashing and gaming completions, the SDK's own `submit`, and refusals."""

from __future__ import annotations

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from execeval.service.app import ServiceSettings
from execeval.service.engine import Verifier
from execeval.service.sandboxfusion_submit import extract, insert, same_output, strip_entry
from execeval.tasks import load_tasks
from tests.test_service import CONFIG, served

TOKEN = "submit-token"
SUM_CASES = [{"input": {"stdin": "1 2\n"}, "output": {"stdout": "3\n"}},
             {"input": {"stdin": "10 -4\n"}, "output": {"stdout": "6"}},
             {"input": {"stdin": "0 0\n"}, "output": {"stdout": "0\n"}}]
RIGHT = "Here is my solution:\n```python\na, b = map(int, input().split())\nprint(a + b)\n```\nIt reads two ints."
WRONG = "```python\na, b = map(int, input().split())\nprint(a + b if a < 5 else a * b)\n```"  # case 1 passes
CRASH = "```python\nraise SystemExit(3)\n```"
CPP_RIGHT = ("```cpp\n#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n"
             "```")
AUTO_TEST = "#<INSERT>\n\nassert add(2, 3) == 5\nassert add(-1, 1) == 0\n"
AUTO_RIGHT = "```python\ndef add(a, b):\n    return a + b\n\nif __name__ == \"__main__\":\n    print(add(1, 2))\n```"


@pytest.fixture(scope="module")
def url(sandbox, tmp_path_factory):
    with Verifier([load_tasks("demo")], tmp_path_factory.mktemp("sfsubmit"), CONFIG, sandbox=sandbox) as v:
        with served(v, ServiceSettings(token=TOKEN)) as u:
            yield u


def submit(url: str, completion: str, config: dict, path: str = f"/t/{TOKEN}/submit") -> httpx.Response:
    return httpx.post(url + path, json={"dataset": "mine", "id": 7, "completion": completion, "config": config},
                      timeout=120)


def oj(completion: str, url: str, language: str = "python", cases=SUM_CASES, **extra) -> dict:
    r = submit(url, completion, {"language": language, "provided_data": {"test": cases}, "extra": extra})
    assert r.status_code == 200, r.text
    return r.json()


def auto(completion: str, url: str, test: str = AUTO_TEST, **extra) -> dict:
    data = {"test": {"code": test}, "labels": {"programming_language": "python"}}
    r = submit(url, completion, {"dataset_type": "AutoEvalDataset", "provided_data": data, "extra": extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_common_oj_right_wrong_and_crashing(url):
    a = oj(RIGHT, url)
    assert set(a) == {"id", "accepted", "extracted_code", "full_code", "test_code", "tests", "extracted_type", "extra"}
    assert (a["id"], a["accepted"], a["extracted_type"]) == (7, True, "fenced")
    assert a["extracted_code"] == "a, b = map(int, input().split())\nprint(a + b)"
    assert [t["passed"] for t in a["tests"]] == [True, True, True]
    assert a["tests"][0]["exec_info"]["run_result"]["stdout"] == "3\n" and a["tests"][1]["test_info"] == SUM_CASES[1]
    wrong = oj(WRONG, url)  # the answer stops at the first failed case, as SandboxFusion's does
    assert not wrong["accepted"] and [t["passed"] for t in wrong["tests"]] == [True, False]
    assert wrong["tests"][1]["exec_info"]["status"] == "Success"  # it ran fine; its output was wrong
    every = oj(WRONG, url, run_all_cases=True)
    assert [t["passed"] for t in every["tests"]] == [True, False, True] and not every["accepted"]
    crash = oj(CRASH, url)
    assert not crash["accepted"] and len(crash["tests"]) == 1
    assert crash["tests"][0]["exec_info"]["status"] == "Failed"
    assert crash["tests"][0]["exec_info"]["run_result"]["return_code"] == 3


def test_common_oj_compiled_and_unextractable(url):
    a = oj(CPP_RIGHT, url, "cpp")
    assert a["accepted"] and len(a["tests"]) == 3 and a["tests"][0]["exec_info"]["compile_result"]["return_code"] == 0
    nothing = oj("I am not able to solve this.", url)
    assert (nothing["accepted"], nothing["extracted_code"], nothing["extracted_type"]) == (False, "", "empty")


def test_auto_eval_insert_right_wrong_crashing_and_gaming(url):
    a = auto(AUTO_RIGHT, url)
    assert a["accepted"] and a["extracted_type"] == "fenced" and a["test_code"] == AUTO_TEST
    assert a["extracted_code"] == "def add(a, b):\n    return a + b"  # cut before its main guard
    assert a["full_code"] == AUTO_TEST.replace("#<INSERT>", a["extracted_code"])
    assert len(a["tests"]) == 1 and a["tests"][0]["passed"] and a["tests"][0]["exec_info"]["status"] == "Success"
    wrong = auto("```python\ndef add(a, b):\n    return a - b\n```", url)
    assert not wrong["accepted"] and "AssertionError" in wrong["tests"][0]["exec_info"]["run_result"]["stderr"]
    crash = auto("```python\ndef add(a, b):\n    return a + b\nimport os\nos.kill(os.getpid(), 9)\n```", url)
    assert not crash["accepted"] and crash["tests"][0]["exec_info"]["run_result"]["return_code"] == -9
    gaming = "```python\nimport sys\nsys.exit(0)\n```"  # exits 0 before any assert runs
    assert auto(gaming, url)["accepted"]  # as SandboxFusion says too, without append_flag
    assert not auto(gaming, url, append_flag=True)["accepted"]
    assert auto(AUTO_RIGHT, url, append_flag=True)["accepted"]


def test_auto_eval_without_placeholder_appends_the_test(url):
    a = auto("```python\ndef add(a, b):\n    return a + b\n```", url, test="assert add(2, 2) == 4\n")
    assert a["accepted"] and a["full_code"] == "def add(a, b):\n    return a + b\nassert add(2, 2) == 4\n"


def test_the_sandbox_fusion_sdk_submit(url):
    sdk = pytest.importorskip("sandbox_fusion")
    request = sdk.SubmitRequest(dataset="mine", id="p1", completion=RIGHT,
                                config=sdk.TestConfig(language="python", provided_data={"test": SUM_CASES}))
    result = sdk.submit(request, endpoint=f"{url}/t/{TOKEN}", max_attempts=1)
    assert result.accepted and result.id == "p1" and len(result.tests) == 3
    assert result.tests[0].exec_info.run_result.stdout == "3\n"
    request.completion = WRONG
    assert not sdk.submit(request, endpoint=f"{url}/t/{TOKEN}", max_attempts=1).accepted


def test_refusals(url):
    assert submit(url, RIGHT, {"language": "python", "provided_data": {"test": SUM_CASES}}, "/submit").status_code == 401
    for config in ({"language": "python"},  # no data: this server has no tables
                   {"language": "python", "dataset_type": "MBPPDataset", "provided_data": {"test": SUM_CASES}},
                   {"language": "cobol", "provided_data": {"test": SUM_CASES}},
                   {"provided_data": {"test": SUM_CASES}},  # CommonOJ needs a language
                   {"language": "python", "provided_data": {"test": [{"input": "1 2"}]}},
                   {"language": "python", "run_timeout": 10**6, "provided_data": {"test": SUM_CASES}}):
        r = submit(url, RIGHT, config)
        assert r.status_code == 400 and r.json()["error"], config


def test_extraction_and_comparison_rules():
    assert extract("```\nx = 1\n```\n```python\ny = 2\n```", "python") == ("y = 2", "fenced")
    assert extract("```js\nlet a\n```\n```sh\necho\n```", "python") == ("let a", "fenced")  # no python: the first
    assert extract("```python\nprint(1)\n", "python") == ("print(1)\n", "incomplete_fenced")
    assert extract("sure:\ndef f(x):\n    return x\nbye", "python") == ("def f(x):\n    return x\n", "heuristic")
    assert extract("no code", "cpp") == ("", "empty")
    assert strip_entry("int f() { return 1; }\nint main() { }", "cpp") == "int f() { return 1; }"
    assert insert("x = 1", "a\n#<INSERT>\nb", as_literal=True) == "a\n'x = 1'\nb"
    assert same_output("Yes \n3.0000001\n", "yes\n3") and same_output("1\n2\n\n", "1\n2")
    assert not same_output("1\n2", "1\n2\n3") and not same_output("3.1", "3") and not same_output("abc", "abd")
