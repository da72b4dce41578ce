"""stdin/stdout problems: real programs on real pipes (Python, C++, Java) through `judge_io`, per-test verdicts,
every compare mode and the checker, and the task loader (execeval's layout and LiveCodeBench's).

One CommandSandbox and one BuildCache for the module: each C++/Java fixture compiles once.
"""

from __future__ import annotations

import base64
import importlib
import json
import pickle
import zlib

import pytest

from execeval.errors import TaskFormatError
from execeval.judges.stdio import compile_error_cases, judge_io
from execeval.languages import LANGUAGES, build, get_language
from execeval.sandbox import CommandSandbox
from execeval.sandbox.base import CaseStatus
from execeval.sandbox.limits import Limits
from execeval.tasks.model import IOTest
from execeval.tasks.model import TestSuite as Suite  # not collected by pytest
from execeval.tasks.stdio import load_stdio_tasks, looks_like_stdio

LIMITS = Limits(wall_s=10, cpu_s=1, memory_mb=512, output_bytes=64 << 10)
P, F, E, T, N = CaseStatus.PASSED, CaseStatus.FAILED, CaseStatus.ERROR, CaseStatus.TIMEOUT, CaseStatus.NOT_RUN

# the problem every "reads correctly" fixture solves: first line n, second line n integers: print their sum.
# Inputs cover a final newline, none, and CRLF line ends (the bytes go down the pipe unchanged).
SUM = Suite(cases=(IOTest("3\n1 2 3\n", "6\n"), IOTest("2\n-5 7", "2\n"), IOTest("2\r\n10 20\r\n", "30\n")))

PY_READERS = {
    "buffer.readline twice": "import sys\nsys.stdin.buffer.readline()\n"
                             "print(sum(map(int, sys.stdin.buffer.readline().split())))\n",
    "for line in sys.stdin": "import sys\nlines = [line for line in sys.stdin]\nprint(sum(map(int, lines[1].split())))\n",
    "input()": "input()\nprint(sum(map(int, input().split())))\n",
}
CPP_READERS = {
    "getline twice": "#include <bits/stdc++.h>\nint main(){std::string a,b;std::getline(std::cin,a);"
                     "std::getline(std::cin,b);std::istringstream s(b);long t=0,x;while(s>>x)t+=x;"
                     "std::cout<<t<<\"\\n\";}",
    "while getline": "#include <bits/stdc++.h>\nint main(){std::string l;std::vector<std::string> v;"
                     "while(std::getline(std::cin,l))v.push_back(l);std::istringstream s(v[1]);long t=0,x;"
                     "while(s>>x)t+=x;std::cout<<t<<std::endl;}",
    "cin loop": "#include <iostream>\nint main(){long n,t=0,x;std::cin>>n;while(std::cin>>x)t+=x;"
                "std::cout<<t<<'\\n';}",
}
JAVA_READERS = {
    "readLine twice": "import java.io.*;\npublic class Main{public static void main(String[] a)throws IOException{"
                      "BufferedReader r=new BufferedReader(new InputStreamReader(System.in));r.readLine();long t=0;"
                      "for(String s:r.readLine().trim().split(\"\\\\s+\"))t+=Long.parseLong(s);"
                      "System.out.println(t);}}",
    "Scanner loop": "import java.util.*;\npublic class Main{public static void main(String[] a){"
                    "Scanner s=new Scanner(System.in);s.nextInt();long t=0;while(s.hasNextLong())t+=s.nextLong();"
                    "System.out.println(t);}}",
    "lines()": "import java.io.*;import java.util.*;\npublic class Main{public static void main(String[] a){"
               "List<String> l=new BufferedReader(new InputStreamReader(System.in)).lines().toList();long t=0;"
               "for(String s:l.get(1).trim().split(\"\\\\s+\"))t+=Long.parseLong(s);System.out.println(t);}}",
}


@pytest.fixture(scope="module")
def sandbox():
    with CommandSandbox(workers=2) as sb:
        yield sb



@pytest.fixture(scope="module")
def judge(sandbox, cache):
    def run(language: str, source: str, suite: Suite = SUM, limits: Limits = LIMITS, **kw):
        if language not in LANGUAGES:
            pytest.skip(f"no {language} runner registered in execeval.languages")
        lang = get_language(language)
        if not lang.toolchain().available:
            pytest.skip(f"{language} toolchain not installed")
        return judge_io(lang, build(lang, source, sandbox, cache=cache), suite, sandbox, limits, cache=cache, **kw)
    return run


def statuses(cases):
    return [c.status for c in cases]


# ---------------------------------------------------------------- correct programs pass, however they read
@pytest.mark.parametrize("language, source", [*(("python", s) for s in PY_READERS.values()),
                                              *(("cpp", s) for s in CPP_READERS.values()),
                                              *(("java", s) for s in JAVA_READERS.values())],
                         ids=[*PY_READERS, *CPP_READERS, *JAVA_READERS])
def test_correct_readers_pass(judge, language, source, monkeypatch):
    build_module = importlib.import_module("execeval.languages.build")
    real, batches = getattr(build_module, "run_batch", None), []
    if real is not None:  # record what the one-process mode returned: Java's must be every input, in one run
        monkeypatch.setattr(build_module, "run_batch", lambda *a, **k: batches.append(real(*a, **k)) or batches[-1])
    assert statuses(judge(language, source)) == [P, P, P]
    if language == "java" and real is not None:
        assert [len(b) for b in batches] == [3]


def test_bytes_go_through_unchanged(judge):
    """CRLF, no final newline, a NUL, invalid UTF-8 in the expected bytes: echoed byte for byte, judged exactly."""
    data = "a\r\nb\r\n\x00 \u00e9\n\nno newline"
    suite = Suite(cases=(IOTest(data, data),), compare="exact")
    assert statuses(judge("python", "import sys\nsys.stdout.buffer.write(sys.stdin.buffer.read())", suite)) == [P]
    echo = "#include <cstdio>\nint main(){int c;while((c=getchar())!=EOF)putchar(c);}"
    assert statuses(judge("cpp", echo, suite)) == [P]
    # the same program, judged against input whose CRLFs were turned into LF, fails exactly there
    lf = Suite(cases=(IOTest(data, data.replace("\r\n", "\n")),), compare="exact")
    [case] = judge("cpp", echo, lf)
    assert case.status is F and case.message == \
        r"line 1, column 2: expected '\nb\n\x00 é\n\nno newline', got '\r\nb\r\n\x00 é\n\nno newline'"


def test_trailing_newline_passes_whitespace_but_fails_exact(judge):
    no_newline = "import sys\nsys.stdin.buffer.readline()\nprint(sum(map(int, input().split())), end='')"
    assert statuses(judge("python", no_newline)) == [P, P, P]
    [case, *rest] = judge("python", no_newline, Suite(SUM.cases, compare="exact"))
    assert case.error_type == "WrongAnswer" and "expected '\\n', got end of output" in case.message
    assert statuses(rest) == [N, N]


# ---------------------------------------------------------------- each failure gets its own verdict
def test_wrong_answer_names_the_first_difference(judge):
    [first, *rest] = judge("python", "input()\nprint(sum(map(int, input().split())) + 1)")
    assert (first.status, first.error_type) == (F, "WrongAnswer")
    assert first.message == "line 1, column 1, token 1: expected '6', got '7'"
    assert statuses(rest) == [N, N]


@pytest.mark.parametrize("language, source, error_type, words", [
    ("python", "input()\nraise ValueError('bad input')", "RuntimeError", "ValueError: bad input (exit code 1)"),
    ("python", "import sys\nprint(6)\nsys.exit(3)", "RuntimeError", "exit code 3"),  # right output, non-zero exit
    ("cpp", "int main(){volatile int*p=nullptr;return *p;}", "RuntimeError", "killed by SIGSEGV"),
    ("cpp", "#include <stdexcept>\nint main(){throw std::out_of_range(\"idx\");}", "RuntimeError",
     "std::out_of_range: idx (killed by SIGABRT)"),
    ("java", "public class Main{public static void main(String[] a){System.out.println(1/(a.length));}}",
     "RuntimeError", "ArithmeticException: / by zero (exit code 1)"),
    # the language's own words (MemoryError, bad_alloc) where RLIMIT_AS refuses the allocation; under a memory
    # cgroup (no RLIMIT_AS) the process is killed at the cap instead: the message names the limit either way
    ("python", "x = bytearray(1 << 30)", "MemoryLimit", "memory limit of 512 MB"),
    ("cpp", "#include <vector>\nint main(){std::vector<char> v(1L<<31, 1);return v[7];}", "MemoryLimit",
     "memory limit of 512 MB"),
    ("python", "while True: print('y' * 1000)", "OutputLimit", "65536 bytes"),
])
def test_crashes_and_limits(judge, language, source, error_type, words):
    [first, *rest] = judge(language, source)
    assert (first.status, first.error_type) == (E, error_type) and words in first.message, first
    assert statuses(rest) == [N, N]


@pytest.mark.parametrize("language, source", [
    ("python", "while True: pass"),
    ("cpp", "int main(){volatile unsigned long i=0;for(;;)++i;}"),
    ("java", "public class Main{public static void main(String[] a){long i=0;while(true)i++;}}"),
])
def test_infinite_loop_is_a_time_limit(judge, language, source):
    [case] = judge(language, source, Suite((IOTest("1\n1\n", "1\n"),)), LIMITS.with_(cpu_s=0.5))
    assert (case.status, case.error_type, case.message) == (T, "TimeLimit", "CPU time limit of 0.5 s")


def test_stop_on_failure_or_judge_every_test(judge):
    wrong_second = "import sys\nd = sys.stdin.read().split()\nprint(6 if d[0] == '2' and d[1] == '-5' else " \
                   "sum(map(int, d[1:])))"  # wrong on test 1 only
    assert statuses(judge("python", wrong_second)) == [P, F, N]
    assert statuses(judge("python", wrong_second, stop_on_failure=False)) == [P, F, P]
    crash_first = "import sys\nd = sys.stdin.read().split()\nassert d[0] != '3'\nprint(sum(map(int, d[1:])))"
    assert statuses(judge("python", crash_first, stop_on_failure=False)) == [E, P, P]


def test_compile_error_is_a_clear_result(judge, sandbox, cache):
    cases = judge("cpp", "int main(){ return undeclared; }")
    assert [(c.status, c.error_type) for c in cases] == [(E, "CompileError"), (N, None), (N, None)]
    assert "error" in cases[0].message and "undeclared" in cases[0].message
    with pytest.raises(ValueError):
        compile_error_cases(1, build(get_language("python"), "print()", sandbox, cache=cache))


# ---------------------------------------------------------------- compare modes through real runs
def test_float_mode_tolerance(judge):
    third = "print(1 / 3)"  # 0.3333333333333333
    cases = (IOTest("", "0.333333\n"),)
    assert statuses(judge("python", third, Suite(cases, compare="float", atol=1e-6))) == [P]
    assert statuses(judge("python", third, Suite(cases, compare="whitespace"))) == [F]
    [case] = judge("python", third, Suite(cases, compare="float", atol=1e-9))
    assert case.status is F and "off by more than 1e-09" in case.message


PERMUTATION_CHECKER = """import sys
inp, out, exp = (open(name).read().split() for name in sys.argv[1:4])
if sorted(out) != sorted(exp):
    print(f"not a permutation of the expected tokens: got {len(out)} tokens")
    sys.exit(1)
"""


def test_checker_accepts_any_permutation(judge, sandbox):
    cases = (IOTest("3\n1 2 3\n", "1 2 3\n"), IOTest("2\n5 9\n", "5 9\n"))
    suite = Suite(cases, compare="checker", checker=PERMUTATION_CHECKER)
    reverse = "input()\nprint(*reversed(input().split()))"
    assert statuses(judge("python", reverse, suite)) == [P, P]
    assert statuses(judge("python", reverse, Suite(cases))) == [F, N]  # whitespace: order matters
    [bad, rest] = judge("python", "input()\nprint(*input().split()[1:])", suite)
    assert (bad.status, bad.error_type, rest.status) == (F, "WrongAnswer", N)
    assert bad.message == "not a permutation of the expected tokens: got 2 tokens"


def test_checker_that_fails_itself_or_does_not_compile(judge):
    cases = (IOTest("1\n", "1\n"),)
    killed = Suite(cases, compare="checker", checker="import os, signal\nos.kill(os.getpid(), signal.SIGKILL)")
    [case] = judge("python", "print(1)", killed)
    assert (case.status, case.error_type) == (E, "CheckerError") and "SIGKILL" in case.message
    broken = Suite(cases, compare="checker", checker="int main( {", checker_language="cpp")
    with pytest.raises(TaskFormatError, match="cpp checker does not compile"):
        judge("python", "print(1)", broken)


# ---------------------------------------------------------------- one-process batch mode (Java's), or not
def test_batch_results_are_used_and_completed(judge, monkeypatch):
    """`run_batch` results are judged as given (against their own tests); a short list is completed by
    per-input runs; None (no batch mode for this language) means per-input runs."""
    build_module = importlib.import_module("execeval.languages.build")  # the package's `build` is the function

    calls, program = [], "input()\nprint(sum(map(int, input().split())))"

    def batch_of(keep: int | None, same_input: bool = False):
        def run_batch(language, built, sandbox, inputs, limits, cache=None):
            calls.append(len(inputs))
            results = [build_module.run(language, built, sandbox, stdin=inputs[0] if same_input else i,
                                        limits=limits) for i in inputs]
            return None if keep is None else results[:keep]
        return run_batch

    for keep, expected_calls in ((None, [3]), (1, [3, 3]), (3, [3, 3, 3])):
        monkeypatch.setattr(build_module, "run_batch", batch_of(keep), raising=False)
        assert statuses(judge("python", program)) == [P, P, P]
        assert calls == expected_calls
    monkeypatch.setattr(build_module, "run_batch", batch_of(3, same_input=True), raising=False)
    assert statuses(judge("python", program)) == [P, F, N]  # each result is judged against its own test


# ---------------------------------------------------------------- task files
def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_native_layout_loads_and_its_reference_passes(tmp_path, judge):
    path = write_jsonl(tmp_path / "stdio.jsonl", [
        {"task_id": "sum", "prompt": "Sum the numbers.", "tests": [{"input": t.stdin, "output": t.stdout}
                                                                   for t in SUM.cases],
         "reference": PY_READERS["for line in sys.stdin"]},
        {"task_id": "third", "prompt": "1/3", "language": "C++", "compare": "float",
         "tests": [{"input": "", "output": "0.333333"}]},
        {"task_id": "perm", "prompt": "", "checker": PERMUTATION_CHECKER, "tests": [{"input": "", "output": "a b"}]},
    ])
    assert looks_like_stdio(json.loads(path.read_text().splitlines()[0]))
    ts = load_stdio_tasks(path)
    first, third, perm = ts.tasks
    assert first.tests.cases == SUM.cases and (first.language, first.completion_mode, first.entry_point) == \
        ("python", False, "")
    assert (third.language, third.tests.compare, third.tests.atol) == ("cpp", "float", 1e-6)
    assert (perm.tests.compare, perm.tests.checker_language) == ("checker", "python")
    assert statuses(judge("python", first.reference, first.tests)) == [P, P, P]


@pytest.mark.parametrize("record, words", [
    ({"task_id": "a", "tests": []}, "stdio.jsonl:2: task 'a' has no tests"),
    ({"task_id": "a", "tests": [{"input": "1"}]}, "stdio.jsonl:2: tests[0]: missing key 'output'"),
    ({"task_id": "a", "tests": [["1", "2"]]}, "stdio.jsonl:2: tests[0] should be an object"),
    ({"task_id": "a", "tests": [{"input": "", "output": ""}], "compare": "fuzzy"}, "one of exact, whitespace"),
    ({"task_id": "a", "tests": [{"input": "", "output": ""}], "compare": "checker"}, "needs a 'checker'"),
    ({"task_id": "a", "tests": [{"input": "", "output": ""}], "compare": "exact", "checker": "x"}, "compare is"),
    ({"task_id": "a", "tests": [{"input": "", "output": ""}], "atol": -1}, "non-negative"),
    ({"task_id": "a", "tests": [{"input": "", "output": ""}], "language": "cobol"}, "unknown language 'cobol'"),
    ({"task_id": "a", "tests": [{"input": "", "output": ""}], "entry_point": "f"}, "unknown keys: entry_point"),
    ({"task_id": "ok", "tests": [{"input": "", "output": ""}]}, "duplicate task_id 'ok' (first at stdio.jsonl:1)"),
])
def test_bad_records_name_file_and_line(tmp_path, record, words):
    path = write_jsonl(tmp_path / "stdio.jsonl", [{"task_id": "ok", "tests": [{"input": "", "output": ""}]}, record])
    with pytest.raises(TaskFormatError) as err:
        load_stdio_tasks(path)
    assert words in str(err.value)


def lcb_compress(tests: list[dict]) -> str:
    """How LiveCodeBench stores its larger private tests."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests)))).decode()


def test_livecodebench_layout(tmp_path):
    stdin = [{"input": "1 2\n", "output": "3\n", "testtype": "stdin"}]
    functional = [{"input": "[1, 2]", "output": "3", "testtype": "functional"}]
    path = write_jsonl(tmp_path / "lcb.jsonl", [
        {"question_id": "abc301_a", "question_title": "Sum", "question_content": "Print A+B.", "platform": "atcoder",
         "public_test_cases": json.dumps(stdin), "starter_code": "",
         "private_test_cases": lcb_compress([{"input": "5 5\n", "output": "10\n", "testtype": "stdin"}] * 2)},
        {"question_id": "2999", "question_content": "LeetCode", "public_test_cases": json.dumps(functional),
         "private_test_cases": json.dumps(functional), "metadata": json.dumps({"func_name": "add"})},
        {"question_id": "3000", "question_content": "no tests", "public_test_cases": "[]", "private_test_cases": ""},
    ])
    assert looks_like_stdio(json.loads(path.read_text().splitlines()[0]))
    with pytest.warns(UserWarning, match="1 LiveCodeBench task"):
        ts = load_stdio_tasks(path)
    task, leetcode = ts.tasks
    assert leetcode.entry_point == "__lcb_call__" and len(leetcode.tests.cases) == 1  # tests/test_livecodebench.py
    assert (task.task_id, task.prompt, task.metadata) == ("abc301_a", "Print A+B.",
                                                           {"benchmark": "livecodebench", "question_title": "Sum",
                                                            "platform": "atcoder"})
    assert task.tests.cases == (IOTest("1 2\n", "3\n"),) and task.plus_tests.cases == (IOTest("5 5\n", "10\n"),) * 2
    assert ts.has_plus


def test_livecodebench_pickle_cannot_run_code(tmp_path):
    marker = tmp_path / "ran"

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    evil = base64.b64encode(zlib.compress(pickle.dumps(Evil()))).decode()
    path = write_jsonl(tmp_path / "lcb.jsonl", [{"question_id": "x", "question_content": "",
                                                 "public_test_cases": "[]", "private_test_cases": evil}])
    with pytest.raises(TaskFormatError, match="lcb.jsonl:1: key 'private_test_cases'.*refusing to load"):
        load_stdio_tasks(path)
    assert not marker.exists()


def test_other_formats_are_not_stdio():
    assert not looks_like_stdio({"task_id": "t", "tests": ["assert f(1) == 2"], "prompt": "", "entry_point": "f"})
    assert not looks_like_stdio({"task_id": "HumanEval/0", "prompt": "", "test": "", "entry_point": "f"})
    assert not looks_like_stdio({"task_id": "t", "tests": []})
