"""SandboxFusion's `POST /run_code` on a real `execeval serve` app on loopback: SandboxFusion's own runner examples,
verl's request shape, the SandboxFusion SDK itself, the token in the path, 504 under overload, files in and out.

The runner examples are adapted from SandboxFusion's tests (github.com/bytedance/SandboxFusion,
sandbox/tests/runners/test_{python,cpp,java,nodejs,bash}.py): the programs and what each asserts about the answer.
"""

from __future__ import annotations

import base64
import json
import threading
import time

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

from execeval.service.app import ServiceSettings  # noqa: E402
from execeval.service.engine import Verifier  # noqa: E402
from execeval.service.sandboxfusion import LANGUAGES, command_result, overall, parse, BadRequest  # noqa: E402
from execeval.sandbox.base import ExecResult, Status  # noqa: E402
from execeval.tasks import load_tasks  # noqa: E402
from tests.test_service import CONFIG, served  # noqa: E402

TOKEN = "s3cret-token"

CPP_PRINT = "#include <iostream>\nint main() {\n    std::cout << \"123\" << std::endl;\n    return 0;\n}\n"
CPP_SLEEP = ("#include <chrono>\n#include <thread>\nint main() {\n"
             "    std::this_thread::sleep_for(std::chrono::milliseconds(1000));\n    return 0;\n}\n")
CPP_ASSERT = "#include <cassert>\nint main() {\n    assert(1 == 2);\n    return 0;\n}\n"
CPP_BROKEN = "int main() {\n    object i = ?;\n    return 0;\n}\n"
CPP_STDIN = "#include <iostream>\nint main() {\n    int num;\n    std::cin >> num;\n    std::cout << num << std::endl;\n}\n"
JAVA_PRINT = "public class Main {\n    public static void main(String[] args) {\n        System.out.println(123);\n    }\n}\n"
JAVA_BROKEN = JAVA_PRINT.replace("System.out", "System.uto")
JAVA_THROW = ("public class Main {\n    public static void main(String[] args) {\n"
              "        throw new AssertionError(\"Intentional assertion error\");\n    }\n}\n")
JAVA_ASSERT = "public class Main {\n    public static void main(String[] args) {\n        assert 1 == 2;\n    }\n}\n"
NODE_SLEEP = ("const util = require('util');\nconst sleep = util.promisify(setTimeout);\n"
              "async function main() { await sleep(1000); }\nmain();\n")
NODE_STDIN = ("process.stdin.on('data', (input) => {\n    const num = parseInt(input.toString());\n"
              "    console.log(num);\n    process.exit();\n});\n")
SECRET = "ImhlbGxvLCB0aGlzIGlzIGEgdGVzdCI="  # base64 of '"hello, this is a test"', as their file test sends

# (request, expected overall status, run status or None for no run, what the answer must also hold)
RUNNER_EXAMPLES = {
    "python_print": ({"language": "python", "code": "print(123)", "run_timeout": 5}, "Success", "Finished",
                     lambda a: a["run_result"]["stdout"].strip() == "123"),
    "python_timeout": ({"language": "python", "code": "import time; time.sleep(2)", "run_timeout": 0.5}, "Failed",
                       "TimeLimitExceeded", lambda a: True),
    "python_assertion_error": ({"language": "python", "code": "assert 1 == 2", "run_timeout": 5}, "Failed",
                               "Finished", lambda a: "AssertionError" in a["run_result"]["stderr"]),
    "python_syntax_error": ({"language": "python", "code": "int a = 1", "run_timeout": 5}, "Failed", "Finished",
                            lambda a: "SyntaxError: invalid syntax" in a["run_result"]["stderr"]),
    "python_file_read": ({"language": "python", "code": 'print(open("dir1/dir2/dir3/secret_flag").read())',
                          "run_timeout": 5, "files": {"dir1/dir2/dir3/secret_flag": SECRET}}, "Success", "Finished",
                         lambda a: "hello, this is a test" in a["run_result"]["stdout"]),
    "python_stdin": ({"language": "python", "code": "print(int(input()))", "run_timeout": 5, "stdin": "65535"},
                     "Success", "Finished", lambda a: a["run_result"]["stdout"] == "65535\n"),
    "cpp_print": ({"language": "cpp", "code": CPP_PRINT, "run_timeout": 5}, "Success", "Finished",
                  lambda a: a["compile_result"]["status"] == "Finished" and a["run_result"]["stdout"].strip() == "123"),
    "cpp_timeout": ({"language": "cpp", "code": CPP_SLEEP, "run_timeout": 0.5, "compile_timeout": 30}, "Failed",
                    "TimeLimitExceeded", lambda a: True),
    "cpp_assertion_error": ({"language": "cpp", "code": CPP_ASSERT}, "Failed", "Finished",
                            lambda a: "Assertion" in a["run_result"]["stderr"]),
    "cpp_compile_error": ({"language": "cpp", "code": CPP_BROKEN}, "Failed", None,
                          lambda a: a["compile_result"]["status"] == "Finished"
                          and a["compile_result"]["return_code"] != 0),
    "cpp_stdin": ({"language": "cpp", "code": CPP_STDIN, "run_timeout": 5, "stdin": "65535"}, "Success", "Finished",
                  lambda a: a["run_result"]["stdout"] == "65535\n"),
    "go_print": ({"language": "go", "code": 'package main\n\nimport "fmt"\n\nfunc main() { fmt.Println(123) }\n'},
                 "Success", "Finished", lambda a: a["run_result"]["stdout"] == "123\n"),
    "go_test_fails": ({"language": "go_test", "code": 'package main\n\nimport "testing"\n\n'
                       'func TestX(t *testing.T) { t.Fatal("no") }\n'}, "Failed", "Finished",
                      lambda a: a["run_result"]["return_code"] != 0),
    "rust_print": ({"language": "rust", "code": 'fn main() {\n    println!("{}", 123);\n}\n'}, "Success", "Finished",
                   lambda a: a["run_result"]["stdout"] == "123\n"),
    "java_print": ({"language": "java", "code": JAVA_PRINT}, "Success", "Finished",
                   lambda a: a["compile_result"]["status"] == "Finished" and a["run_result"]["stdout"].strip() == "123"),
    "java_compile_error": ({"language": "java", "code": JAVA_BROKEN}, "Failed", None,
                           lambda a: a["compile_result"]["return_code"] != 0),
    "java_assertion_error": ({"language": "java", "code": JAVA_THROW}, "Failed", "Finished",
                             lambda a: "java.lang.AssertionError" in a["run_result"]["stderr"]),
    "java_assert": ({"language": "java", "code": JAVA_ASSERT}, "Failed", "Finished", lambda a: True),
    "nodejs_print": ({"language": "nodejs", "code": "console.log(123)", "run_timeout": 5}, "Success", "Finished",
                     lambda a: a["run_result"]["stdout"].strip() == "123"),
    "nodejs_timeout": ({"language": "nodejs", "code": NODE_SLEEP, "run_timeout": 0.5}, "Failed", "TimeLimitExceeded",
                       lambda a: True),
    "nodejs_assertion_error": ({"language": "nodejs", "code": "const assert = require('assert');\n"
                                "assert.strictEqual(1, 2, '1 !== 2');\n"}, "Failed", "Finished",
                               lambda a: "AssertionError" in a["run_result"]["stderr"]),
    "nodejs_console_assert": ({"language": "nodejs", "code": "console.assert(1 === 2);"}, "Success", "Finished",
                              lambda a: "Assertion failed" in a["run_result"]["stderr"]),
    "nodejs_stdin": ({"language": "nodejs", "code": NODE_STDIN, "run_timeout": 5, "stdin": "65535"}, "Success",
                     "Finished", lambda a: a["run_result"]["stdout"] == "65535\n"),
    "bash_echo": ({"language": "bash", "code": 'echo "Hello World"', "run_timeout": 5}, "Success", "Finished",
                  lambda a: a["run_result"]["stdout"].strip() == "Hello World"),
    "bash_sleep_timeout": ({"language": "bash", "code": "sleep 2", "run_timeout": 0.5}, "Failed", "TimeLimitExceeded",
                           lambda a: True),
    "bash_false_condition": ({"language": "bash", "code": "test 1 -eq 2", "run_timeout": 5}, "Failed", "Finished",
                             lambda a: a["run_result"]["return_code"] == 1),
    "bash_syntax_error": ({"language": "bash", "code": "if [", "run_timeout": 5}, "Failed", "Finished",
                          lambda a: "syntax error" in a["run_result"]["stderr"]),
    "bash_file_read": ({"language": "bash", "code": "cat dir1/dir2/dir3/secret_flag", "run_timeout": 5,
                        "files": {"dir1/dir2/dir3/secret_flag": SECRET}}, "Success", "Finished",
                       lambda a: "hello, this is a test" in a["run_result"]["stdout"]),
}


@pytest.fixture(scope="module")
def verifier(sandbox, tmp_path_factory):
    with Verifier([load_tasks("demo")], tmp_path_factory.mktemp("sf"), CONFIG, sandbox=sandbox) as v:
        yield v


@pytest.fixture(scope="module")
def url(verifier):
    with served(verifier, ServiceSettings(token=TOKEN)) as u:
        yield u


def post(url: str, body: dict, path: str = f"/t/{TOKEN}/run_code", **kw) -> httpx.Response:
    return httpx.post(url + path, json=body, timeout=60, **kw)


@pytest.mark.parametrize("name", list(RUNNER_EXAMPLES))
def test_sandboxfusion_runner_examples(url, name):
    request, status, run_status, holds = RUNNER_EXAMPLES[name]
    r = post(url, request)
    assert r.status_code == 200, r.text
    answer = r.json()
    assert set(answer) == {"status", "message", "compile_result", "run_result", "executor_pod_name", "files"}
    assert answer["status"] == status, answer
    assert (answer["run_result"] or {}).get("status") == run_status, answer
    for result in (answer["compile_result"], answer["run_result"]):
        if result is not None:
            assert set(result) == {"status", "execution_time", "return_code", "stdout", "stderr"}
    assert holds(answer), answer


def test_verl_request_shape_and_scoring_fields(url):
    """verl's `call_sandbox_api` body (verl/utils/reward_score/sandbox_fusion/utils.py): every field, stdin may be
    null, timeouts as ints; it reads status, compile_result and run_result's status/stdout/return_code."""
    body = {"compile_timeout": 10, "run_timeout": 10, "code": "import sys\nprint(sum(map(int, sys.stdin.read().split())))",
            "stdin": "1 2\n", "memory_limit_MB": 1024, "language": "python", "files": {}, "fetch_files": []}
    r = httpx.post(f"{url}/t/{TOKEN}/run_code", content=json.dumps(body),
                   headers={"Content-Type": "application/json", "Accept": "application/json"}, timeout=60)
    assert r.status_code == 200
    a = r.json()
    assert (a["status"], a["compile_result"], a["run_result"]["status"], a["run_result"]["stdout"],
            a["run_result"]["return_code"]) == ("Success", None, "Finished", "3\n", 0)
    body.update(stdin=None, code="print('no input')")
    assert post(url, body).json()["run_result"]["stdout"] == "no input\n"


def test_the_sandbox_fusion_sdk_unchanged(url):
    sdk = pytest.importorskip("sandbox_fusion")
    answer = sdk.run_code(sdk.RunCodeRequest(code="print(int(input()) * 2)", language="python", stdin="21"),
                          endpoint=f"{url}/t/{TOKEN}", max_attempts=1)
    assert answer.status == sdk.RunStatus.Success and answer.run_result.stdout == "42\n"
    failed = sdk.run_code(sdk.RunCodeRequest(code=CPP_BROKEN, language="cpp"), endpoint=f"{url}/t/{TOKEN}",
                          max_attempts=1)
    assert failed.status == sdk.RunStatus.Failed and failed.run_result is None
    assert failed.compile_result.return_code != 0


def test_token_in_the_path_or_the_header_and_nowhere_else(url):
    body = {"language": "bash", "code": "echo hi"}
    assert post(url, body, "/run_code").status_code == 401
    assert post(url, body, "/t/wrong/run_code").status_code == 401
    assert post(url, body, "/run_code", headers={"Authorization": "Bearer wrong"}).status_code == 401
    ok = post(url, body, "/run_code", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200 and ok.json()["run_result"]["stdout"] == "hi\n"


def test_unsupported_language_and_bad_fields_get_400_naming_them(url):
    r = post(url, {"language": "kotlin_script", "code": "println(1)"})
    assert r.status_code == 400 and "kotlin_script" in r.json()["error"] and "python" in r.json()["error"]
    for body, word in [({"language": "python"}, "code"), ({"language": "python", "code": "1", "run_timeout": -1},
                                                            "run_timeout"),
                       ({"language": "python", "code": "1", "files": {"../x": SECRET}}, "files"),
                       ({"language": "python", "code": "1", "files": {"/etc/x": SECRET}}, "files"),
                       ({"language": "python", "code": "1", "fetch_files": ["/etc/passwd"]}, "fetch_files"),
                       ({"language": "python", "code": "1", "files": {"a": "not base64!"}}, "base64")]:
        r = post(url, body)
        assert r.status_code == 400 and word in r.json()["error"], (body, r.text)


def test_files_in_and_fetch_files_out(url):
    for language, code in [("python", 'import os; os.mkdir("out"); open("out/a.txt", "w").write(open("in.txt").read().upper())'),
                           ("bash", "mkdir -p out && tr a-z A-Z < in.txt > out/a.txt")]:
        a = post(url, {"language": language, "code": code, "files": {"in.txt": base64.b64encode(b"secret").decode()},
                       "fetch_files": ["out/a.txt", "missing.txt"]}).json()
        assert a["status"] == "Success", a
        assert {k: base64.b64decode(v) for k, v in a["files"].items()} == {"out/a.txt": b"SECRET"}


def test_crash_and_memory_are_finished_with_a_nonzero_code(url):
    a = post(url, {"language": "python", "code": "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"}).json()
    assert (a["status"], a["run_result"]["status"]) == ("Failed", "Finished") and a["run_result"]["return_code"] != 0
    a = post(url, {"language": "python", "code": "x = bytearray(600 << 20)", "memory_limit_MB": 256}).json()
    assert (a["status"], a["run_result"]["status"]) == ("Failed", "Finished") and a["run_result"]["return_code"] != 0


def test_output_over_the_cap_says_so(url):
    a = post(url, {"language": "python", "code": "print('x' * (3 << 20))"}).json()
    assert a["status"] == "Failed" and "cut at" in a["message"], a["message"]
    assert 0 < len(a["run_result"]["stdout"]) <= 1 << 20


def test_c_and_sql_too():
    assert {"python", "cpp", "c", "java", "nodejs", "bash", "sql"} <= set(LANGUAGES)


def test_c_and_sql_run(url):
    a = post(url, {"language": "c", "code": '#include <stdio.h>\nint main(){int n; scanf("%d",&n); printf("%d\\n",n+1);}',
                   "stdin": "41"}).json()
    assert a["status"] == "Success" and a["run_result"]["stdout"] == "42\n", a
    a = post(url, {"language": "sql", "code": "SELECT 6 * 7;"}).json()
    assert a["status"] == "Success" and a["run_result"]["stdout"] == "42\n", a


def test_overload_is_504_with_retry_after(verifier):
    """verl retries 504 only: a full queue answers that (a 429 would be scored as a failed test)."""
    with served(verifier, ServiceSettings(max_queue=1)) as u:
        slow = threading.Thread(target=post, args=(u, {"language": "bash", "code": "sleep 2"}, "/run_code"))
        slow.start()
        try:
            deadline = time.monotonic() + 10
            while httpx.get(f"{u}/healthz").json()["queue"] == 0:  # the slow run is admitted
                assert time.monotonic() < deadline
                time.sleep(0.01)
            r = post(u, {"language": "bash", "code": "echo hi"}, "/run_code")
            assert r.status_code == 504 and int(r.headers["Retry-After"]) >= 1
        finally:
            slow.join()


class _Recording:
    """The real sandbox, keeping every future it hands out (to see which jobs were dropped)."""

    def __init__(self, inner):
        self.inner, self.futures = inner, []

    def submit(self, *args, **kw):
        future = self.inner.submit(*args, **kw)
        self.futures.append(future)
        return future

    def __getattr__(self, name):
        return getattr(self.inner, name)


def test_a_request_whose_client_hung_up_is_dropped_from_the_queue(tmp_path):
    """verl gives up on a request after its own timeout and sends it again: the abandoned job must not hold a
    worker that later requests wait for. One worker, five 1 s CPU burners abandoned by their clients at 0.3 s:
    the queued ones are cancelled before they start, each counted as ClientGone, and the server answers next."""
    from execeval.sandbox import ForkServerSandbox

    with ForkServerSandbox(workers=1) as real:
        sandbox = _Recording(real)
        with Verifier([load_tasks("demo")], tmp_path, CONFIG, sandbox=sandbox) as v, served(v) as u:
            burn = {"language": "python", "code": "while True: pass", "run_timeout": 1}

            def abandon():
                with pytest.raises(httpx.ReadTimeout):
                    httpx.post(f"{u}/run_code", json=burn, timeout=httpx.Timeout(10, read=0.3))

            threads = [threading.Thread(target=abandon) for _ in range(5)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            r = post(u, {"language": "python", "code": "print(7)", "run_timeout": 5}, "/run_code")
            assert r.json()["run_result"]["stdout"] == "7\n"
            burners = sandbox.futures[:5]
            assert len(burners) == 5 and sum(f.cancelled() for f in burners) >= 3, burners
            metrics = httpx.get(f"{u}/metrics").text
            assert 'execeval_run_code_total{status="ClientGone"} 5.0' in metrics, metrics


def test_status_rules_follow_sandboxfusion():
    assert command_result(ExecResult(Status.KILLED, signal=11))["return_code"] == -11
    assert command_result(ExecResult(Status.MEMORY_LIMIT))["return_code"] != 0
    assert command_result(ExecResult(Status.CPU_LIMIT))["status"] == "TimeLimitExceeded"
    harness = command_result(ExecResult(Status.SANDBOX_ERROR, detail="worker lost"))
    assert harness["status"] == "Error" and overall([harness]) == ("SandboxError", "worker lost")
    with pytest.raises(BadRequest):
        parse(b'{"language": "python", "code": "1", "memory_limit_MB": 0}', 60, 8192, 1000)


def test_verl_many_threads_one_request_per_test_case(url):
    """verl posts one request per test case from a thread pool; every answer is scored from the same fields."""
    from concurrent.futures import ThreadPoolExecutor

    code = "n = int(input())\nprint(n * n)"
    cases = [(str(i), str(i * i) + ("" if i % 5 else "x")) for i in range(40)]  # every fifth expected is wrong

    def one(case: tuple[str, str]) -> bool:
        a = post(url, {"compile_timeout": 10, "run_timeout": 10, "code": code, "stdin": case[0],
                       "memory_limit_MB": 1024, "language": "python", "files": {}, "fetch_files": []}).json()
        return a["status"] == "Success" and a["run_result"]["stdout"].strip() == case[1]

    with ThreadPoolExecutor(16) as pool:
        passed = list(pool.map(one, cases))
    assert passed == [i % 5 != 0 for i in range(40)]


def test_metrics_count_answers_and_build_cache_hits(url):
    program = CPP_PRINT.replace("123", "cache-me")
    for _ in range(2):
        assert post(url, {"language": "cpp", "code": program}).json()["status"] == "Success"
    text = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).text
    hits = [line for line in text.splitlines() if line.startswith('execeval_run_code_builds_total{source="cache"}')]
    assert hits and float(hits[0].split()[-1]) >= 1, text
    assert 'execeval_run_code_total{status="Success"}' in text


def test_verl_check_correctness_itself_when_installed(url):
    """verl's own scorer, where verl is installed (it is heavy: torch); without it the replays above stand in.
    Its codes: True passed, -3 a run error or time-out, -4 a compile error."""
    verl = pytest.importorskip("verl.utils.reward_score.sandbox_fusion.utils")
    io = {"inputs": ["1 2\n", "3 4\n"], "outputs": ["3\n", "7\n"]}
    endpoint = f"{url}/t/{TOKEN}/run_code"
    assert verl.check_correctness(endpoint, io, "a, b = map(int, input().split())\nprint(a + b)")[0] == [True, True]
    assert verl.check_correctness(endpoint, io, "int main(){", language="cpp")[0] == [-4, -4]
    assert verl.check_correctness(endpoint, io, "while True: pass", timeout=1)[0] == [-3, -3]


def test_a_request_that_names_no_timeout_fits_a_lower_server_ceiling():
    """SandboxFusion's 10 s default is lowered to an operator's ceiling, not refused (a 400 verl would score 0)."""
    job = parse(b'{"language": "python", "code": "print(1)"}', 5, 8192, 1000)
    assert (job.compile_timeout, job.run_timeout) == (5.0, 5.0)
    with pytest.raises(BadRequest, match="run_timeout"):
        parse(b'{"language": "python", "code": "1", "run_timeout": 6}', 5, 8192, 1000)


def test_a_busy_machine_never_turns_a_pass_into_a_time_out(url):
    """run_timeout is CPU time: a program that needs 40% of it passes while six CPU hogs share the two cores with
    it (it then takes well over run_timeout of wall time); a program that sleeps past it still times out, at
    run_timeout, as under SandboxFusion's wall-clock limit."""
    import subprocess
    import sys

    spin = "import time\nwhile time.process_time() < 0.4: pass\nprint('done')"
    # each in a session of its own: with autogroup scheduling a session shares the CPUs as one
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], start_new_session=True) for _ in range(6)]
    try:
        time.sleep(0.2)
        busy = post(url, {"language": "python", "code": spin, "run_timeout": 1}).json()
        asleep = post(url, {"language": "python", "code": "import time; time.sleep(5)", "run_timeout": 1}).json()
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    assert busy["status"] == "Success" and busy["run_result"]["stdout"] == "done\n", busy
    assert busy["run_result"]["execution_time"] > 1.0, "the machine was not busy: the test shows nothing"
    assert asleep["run_result"]["status"] == "TimeLimitExceeded" and asleep["run_result"]["execution_time"] < 2, asleep
