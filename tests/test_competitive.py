"""Competitive-programming sets as published (execeval/tasks/competitive.py): APPS, TACO, CodeContests, open-r1's
Codeforces. Each fixture's reference passes and a wrong program fails; the Codeforces checker accepts another
right answer that plain comparison rejects; a time limit read from the file is honoured; errors name file:line.
Fixtures and their origins: tests/competitive_fixtures/README.md.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import shutil
import warnings
from pathlib import Path

import pytest

from execeval.errors import TaskFormatError
from execeval.evaluation.programs import TimePolicy, plan_build_and_run
from execeval.judges import judge
from execeval.languages import get_language
from execeval.sandbox import CommandSandbox
from execeval.sandbox.base import Call, CaseStatus, Status
from execeval.sandbox.limits import Limits
from execeval.samples.matching import program_for
from execeval.samples.model import Sample
from execeval.tasks import load_tasks
from execeval.tasks.competitive import APPS_CALL, load_apps, load_codecontests, load_codeforces, load_taco
from execeval.tasks.model import Task
from execeval.values import encode

FIXTURES = Path(__file__).parent / "competitive_fixtures"
LIMITS = Limits(wall_s=10, cpu_s=2, memory_mb=512, output_bytes=64 << 10)
P, F, E, T, N = CaseStatus.PASSED, CaseStatus.FAILED, CaseStatus.ERROR, CaseStatus.TIMEOUT, CaseStatus.NOT_RUN


@pytest.fixture(scope="module")
def cmd():
    with CommandSandbox(workers=2) as sb:
        yield sb



def load(name: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_tasks(FIXTURES / f"{name}.jsonl").by_id()


def statuses(result):
    return [c.status for c in result.cases]


def run_io(task: Task, program: str, cmd, cache, limits: Limits = LIMITS, language: str = "python", **kw):
    task = dataclasses.replace(task, language=language)
    return judge(task, program, cmd, limits=limits, cache=cache, **kw)


# ---------------------------------------------------------------- loading
def test_formats_are_detected_and_registered():
    from execeval.tasks.registry import BENCHMARKS, LOADERS

    for name in ("apps", "codecontests", "taco", "codeforces"):
        assert name in BENCHMARKS and BENCHMARKS[name].format in LOADERS
    assert set(load("apps")) == {"4000", "4001"}
    assert set(load("taco")) == {"0", "1"}  # TACO has no id column: the row's index
    assert set(load("codecontests")) == {"4_A. Watermelon"}
    assert set(load("codeforces")) == {"852/A"}


def test_limits_and_shapes_from_the_files():
    apps, taco = load("apps"), load("taco")
    assert apps["4000"].tests.compare == "float" and apps["4000"].tests.atol == 1e-5
    assert "time_limit_s" not in apps["4000"].metadata  # APPS gives no limits
    assert taco["0"].metadata["time_limit_s"] == 0.5 and taco["0"].metadata["memory_limit_mb"] == 64
    assert apps["4001"].entry_point == APPS_CALL and all(isinstance(c, Call) for c in apps["4001"].tests.cases)
    cc = load("codecontests")["4_A. Watermelon"]
    assert (len(cc.tests), len(cc.plus_tests)) == (1, 7)  # public; private + generated
    assert cc.metadata["time_limit_s"] == 1.0 and cc.metadata["memory_limit_mb"] == 61  # 64,000,000 bytes
    assert cc.reference.startswith("w = int(input())")  # the first PYTHON3 solution (language 3)
    cf = load("codeforces")["852/A"]
    assert cf.tests.compare == "checker" and cf.metadata["time_limit_s"] == 1.0
    assert cf.metadata["memory_limit_mb"] == 256
    plan = plan_build_and_run(cf, TimePolicy(speed=2.0))
    assert plan.limits.cpu_s == 2.0 and plan.limits.memory_mb == 256  # scaled by the machine's speed; memory as is


def test_left_out_problems_are_counted_in_one_warning():
    with pytest.warns(UserWarning, match=r"codeforces.jsonl: problems left out: 1 reading input.txt"):
        load_codeforces(FIXTURES / "codeforces.jsonl")


def test_gzip_and_json_array(tmp_path):
    rows = [json.loads(line) for line in (FIXTURES / "apps.jsonl").read_text().splitlines()]
    (tmp_path / "apps.json").write_text(json.dumps(rows, indent=1))
    (tmp_path / "apps.jsonl.gz").write_bytes(gzip.compress((FIXTURES / "apps.jsonl").read_bytes()))
    assert len(load_apps(tmp_path / "apps.json").tasks) == 2
    assert len(load_apps(tmp_path / "apps.jsonl.gz").tasks) == 2


def test_by_name_from_the_data_dir(tmp_path):
    shutil.copy(FIXTURES / "codecontests.jsonl", tmp_path / "code_contests_test.jsonl")
    assert load_tasks("codecontests", data_dir=tmp_path).name == "codecontests"


@pytest.mark.parametrize("loader, line, match", [
    (load_apps, '{"problem_id": 1, "question": "q", "input_output": "{\\"inputs\\": [\\"1\\"]"}', "not valid JSON text"),
    (load_apps, '{"problem_id": 1, "question": "q", "input_output": {"inputs": ["1"], "outputs": []}}',
     "1 inputs but 0 outputs"),
    (load_taco, '{"question": "q", "input_output": {"inputs": ["1"], "outputs": [3]}}', r"outputs\[0\] should be"),
    (load_codecontests, '{"name": "x", "description": "d", "public_tests": {"input": ["1"], "output": []}}',
     "same length"),
    (load_codeforces, '{"id": "1/A", "official_tests": [{"input": "1"}], "input_mode": "stdio"}',
     r"official_tests\[0\]: missing key 'output'"),
])
def test_errors_name_file_and_line(tmp_path, loader, line, match):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n" + line + "\n")
    with pytest.raises(TaskFormatError, match=rf"bad.jsonl:2: .*{match}"):
        loader(path)


# ---------------------------------------------------------------- stdin/stdout: references pass, wrong fails
def test_apps_and_taco_stdio(cmd, cache):
    for task in (load("apps")["4000"], load("taco")["0"]):
        assert statuses(run_io(task, task.reference, cmd, cache)) == [P] * 5
        wrong = "import math\nn = int(input())\nprint(math.comb(n, 5) * 120)\n"
        assert statuses(run_io(task, wrong, cmd, cache)) == [P, F, N, N, N]  # n=5 is right by chance
        assert statuses(run_io(task, wrong, cmd, cache, stop_on_failure=False)) == [P, F, F, F, F]


def test_apps_compares_tokens_and_floats(cmd, cache):
    task = load("apps")["4000"]
    spaced = "n = int(input())\nimport math\nprint('  ', math.comb(n, 5) ** 2 * 120, '\\n\\n')\n"
    assert statuses(run_io(task, spaced, cmd, cache)) == [P] * 5
    # an answer printed as a float within APPS's tolerance (np.allclose's rtol 1e-5) passes as in testing_util.py
    floaty = "n = int(input())\nimport math\nprint(float(math.comb(n, 5) ** 2 * 120) * (1 + 1e-7))\n"
    assert statuses(run_io(task, floaty, cmd, cache))[:4] == [P] * 4


def test_codecontests(cmd, cache):
    task = load("codecontests")["4_A. Watermelon"]
    assert statuses(run_io(task, task.reference, cmd, cache)) == [P] * 8
    cpp = "#include <iostream>\nint main(){int w;std::cin>>w;std::cout<<(w%2==0&&w>2?\"YES\":\"NO\")<<\"\\n\";}\n"
    if get_language("cpp").toolchain().available:
        assert statuses(run_io(task, cpp, cmd, cache, language="cpp")) == [P] * 8
    wrong = "w = int(input())\nprint('YES' if w % 2 == 0 else 'NO')\n"  # the record's incorrect solution
    assert statuses(run_io(task, wrong, cmd, cache)) == [P, P, P, F, N, N, N, N]


# ---------------------------------------------------------------- a checker for problems with several answers
DIGITS_ALL_PLUS = """n = int(input()); a = input().strip()
for _ in range(3):
    print('+'.join(a)); a = str(sum(map(int, a)))
"""
DIGITS_OTHER = """n = int(input()); a = input().strip()
print('58+0+6' if a == '5806' else '+'.join(a))
print('6+4' if a == '5806' else '+'.join(str(sum(map(int, a)))))
print('1+0' if a == '5806' else '+'.join(str(sum(map(int, str(sum(map(int, a))))))))
"""


def test_codeforces_checker_accepts_other_right_answers(cmd, cache):
    task = load("codeforces")["852/A"]
    assert statuses(run_io(task, DIGITS_ALL_PLUS, cmd, cache)) == [P, P]
    assert statuses(run_io(task, DIGITS_OTHER, cmd, cache)) == [P, P]  # 58+0+6 -> 64 -> 10: also right
    wrong = "input(); a = input().strip()\nprint(a); print(a); print(a)\n"
    result = run_io(task, wrong, cmd, cache, stop_on_failure=False)
    assert statuses(result) == [P, F] and "not 1 or 100" in result.cases[1].message
    # without its checker, the same right answer is a wrong answer
    plain = dataclasses.replace(task, tests=dataclasses.replace(task.tests, compare="whitespace", checker=None))
    assert statuses(run_io(plain, DIGITS_OTHER, cmd, cache)) == [P, F]
    assert statuses(run_io(plain, DIGITS_ALL_PLUS, cmd, cache)) == [P, P]


# ---------------------------------------------------------------- the file's time limit is honoured
def burn(seconds: float) -> str:
    return (f"import math, time\nn = int(input())\nend = time.process_time() + {seconds!r}\n"
            "while time.process_time() < end:\n    pass\nprint(math.comb(n, 5) ** 2 * 120)\n")


def test_time_limit_from_the_file(cmd, cache):
    task = load("taco")["0"]  # TACO: "0.5 seconds", "64 megabytes"
    one = dataclasses.replace(task, tests=dataclasses.replace(task.tests, cases=task.tests.cases[:1]))
    limits = plan_build_and_run(one, TimePolicy(speed=1.0)).limits
    assert limits.cpu_s == 0.5 and limits.memory_mb == 64
    assert statuses(run_io(one, burn(0.25), cmd, cache, limits=limits)) == [P]
    slow = run_io(one, burn(1.0), cmd, cache, limits=limits)
    assert statuses(slow) == [T] and slow.cases[0].error_type == "TimeLimit"


# ---------------------------------------------------------------- APPS call-based (fn_name)
def reference_outputs(task: Task) -> list[str]:
    """What `evaluate` fills in: the reference's return values (the fixture is ours, so run here)."""
    space: dict = {}
    exec(task.reference, space)  # a fixture's own reference (with the entry point appended)
    return [encode(space[APPS_CALL](*json.loads(c.args_json))) for c in task.tests.cases]


@pytest.mark.parametrize("bench, task_id", [("apps", "4001"), ("taco", "1")])
def test_call_based(sandbox, bench, task_id):
    task = load(bench)[task_id]
    expected = reference_outputs(task)
    # the reference agrees with the file's outputs, which APPS wraps in a list
    assert expected == [encode(o[0]) for o in task.metadata["expected_outputs"]]
    cases = tuple(dataclasses.replace(c, expected=e) for c, e in zip(task.tests.cases, expected))
    task = dataclasses.replace(task, tests=dataclasses.replace(task.tests, cases=cases))
    assert judge(task, task.reference, sandbox).status is Status.OK

    def program(code: str) -> str:
        return program_for(task, Sample(task.task_id, 0, code, "solution", "test"))

    leetcode = ("class Solution:\n    def findNumber(self, n):\n        s = ''\n        while n:\n"
                "            n, r = divmod(n - 1, 5)\n            s = '13579'[r] + s\n        return s\n")
    assert judge(task, program(leetcode), sandbox).status is Status.OK  # `class Solution`, as testing_util.py
    wrong = "def findNumber(n):\n    return str(2 * n - 1)\n"  # right up to n = 10 (19), wrong at 11 (21, not 31)
    result = judge(task, program(wrong), sandbox)
    assert result.status is not Status.OK and [c.status for c in result.cases][:10] == [P] * 9 + [F]


# ---------------------------------------------------------------- the whole pipeline
def test_evaluate_apps_end_to_end(tmp_path, sandbox):
    """`evaluate` on the APPS file: the reference run fills the call-based expectations, each sample gets the
    entry point appended, the stdin problem is judged with the file's tests."""
    from execeval.evaluate import EvalConfig, evaluate
    from execeval.runs.files import read_results

    apps = load("apps")
    samples = [
        {"task_id": "4000", "solution": apps["4000"].reference},
        {"task_id": "4000", "solution": "import math\nn = int(input())\nprint(math.comb(n, 5) * 120)\n"},
        {"task_id": "4001", "solution": "def findNumber(n):\n    return str(2 * n - 1)\n"},
        {"task_id": "4001", "solution": "class Solution:\n    def findNumber(self, n):\n        s = ''\n"
                                        "        while n:\n            n, r = divmod(n - 1, 5)\n"
                                        "            s = '13579'[r] + s\n        return s\n"},
    ]
    path = tmp_path / "samples.jsonl"
    path.write_text("".join(json.dumps(s) + "\n" for s in samples))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        evaluate(path, FIXTURES / "apps.jsonl", tmp_path / "run",
                 EvalConfig(k=(1,), policy=TimePolicy(speed=1.0)), sandbox=sandbox)
    rows = sorted(read_results(tmp_path / "run"), key=lambda r: (r["task_id"], r["completion_id"]))
    assert [r["passed"] for r in rows] == [True, False, False, True], rows
