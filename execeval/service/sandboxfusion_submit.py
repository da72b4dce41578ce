"""SandboxFusion's `POST /submit`: grade one completion against the tests the request carries, on `/run_code`'s
machinery (docs/scale.md, "SandboxFusion-compatible API").

    POST /submit            {"dataset", "id", "completion", "config": {"language", "dataset_type", "compile_timeout",
    POST /t/TOKEN/submit     "run_timeout", "provided_data": {...}, "extra": {...}}}
      -> {"id", "accepted", "extracted_code", "full_code", "test_code", "extracted_type", "extra",
          "tests": [{"passed", "exec_info": a /run_code answer, "test_info"}]}

This server has no dataset tables: the problem comes in `config.provided_data` (one row), in one of two shapes.

* CommonOJ (`dataset_type` "CommonOJDataset", or `test` a list): `{"test": [{"input": {"stdin"}, "output":
  {"stdout"}}]}` and `config.language`. The extracted code runs once per case with its stdin; a case passes when
  the run succeeds and its stdout matches line by line: both sides stripped and split on newlines (one trailing
  empty line forgiven), each pair of lines equal after lower-casing and stripping, or both numbers within a
  relative 1e-5. Cases after the first failure are dropped from the answer unless `extra.run_all_cases`.
  Timeouts default to 10 s (compile and run) for compiled languages, 20 s (run) otherwise.
* AutoEval (`dataset_type` "AutoEvalDataset", or `test` an object): `{"test": {"code", "asset": {path: base64}},
  "labels": {"programming_language", "execution_language"}}`. The extracted code (cut before a Python
  `if __name__ == "__main__":`, a C++ `int main()` and a `# Example usage` line) goes where `test.code` says
  `#<INSERT>`, or before it when it has none; one run, accepted when it succeeds. `extra.repr_code` inserts the
  code as a Python string literal; `extra.append_flag` (Python) also needs a random line printed at the end, so a
  program that exits early with status 0 is not accepted. Timeouts default to 40 s compile, 20 s run.

Defaults above this server's ceiling are lowered to it. Code is taken from the completion the way SandboxFusion
does: closed fences first, then an unclosed one, then (Python, Bash, SQL) code-looking lines; among the blocks of
the best kind, the first tagged with the language, else the first; nothing found is empty code.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from execeval.service.sandboxfusion import (BadRequest, RunCode, RunCodeService, language_field,
                                           seconds_field)

ONLINE_JUDGE = {"CommonOJDataset"}
AUTO_EVAL = {"AutoEvalDataset", "AutoEvalV4Dataset", "AutoEvalV5Dataset", "AutoEvalV6Dataset"}
COMPILED = {"cpp", "c", "java"}
INSERT = "#<INSERT>"
#: fence tags (lower-cased) -> SandboxFusion's language name
TAGS = {"python": "python", "py": "python", "python3": "python", "cpp": "cpp", "c++": "cpp", "c": "c",
        "java": "java", "javascript": "nodejs", "js": "nodejs", "nodejs": "nodejs", "bash": "bash", "sh": "bash",
        "shell": "bash", "sql": "sql"}
_CLOSED = re.compile(r"```([^\n]*)\n(.*?)\n\s*```", re.S)
_OPEN = re.compile(r"```([^\n]*)\n(.*)", re.S)
_PY_DEF = re.compile(r"(?:^(?:import|from|#)[^\n]+\n)*^(?:def|class) [^\n]+\n(?:\s+[^\n]+\n)+", re.M)
_SQL = re.compile(r"^\s*(?:select|with\s[^\n]+as)[^;]*", re.M | re.I)


# ---------------------------------------------------------------- code out of a completion
def extract(completion: str, language: str) -> tuple[str, str]:
    """(code, how it was found: "fenced" | "incomplete_fenced" | "heuristic" | "empty")."""
    for kind, blocks in (("fenced", _fences(_CLOSED, completion)), ("incomplete_fenced", _fences(_OPEN, completion)),
                         ("heuristic", [(language, c) for c in _heuristic(completion, language)])):
        if blocks:
            tagged = [code for tag, code in blocks if tag == language]
            return (tagged or [blocks[0][1]])[0], kind
    return "", "empty"


def _fences(pattern: re.Pattern[str], text: str) -> list[tuple[str, str]]:
    return [(TAGS.get(m.group(1).strip().lower(), ""), m.group(2)) for m in pattern.finditer(text)]


def _heuristic(text: str, language: str) -> list[str]:
    dense = "\n".join(line for line in text.split("\n") if line.strip()) + "\n"
    if language == "python":
        return _PY_DEF.findall(dense)
    if language == "sql":
        return _SQL.findall(dense)
    return [dense] if language == "bash" else []


def strip_entry(code: str, language: str) -> str:
    """The code before its own entry point and demo, so the test's harness is what runs."""
    marker = {"python": 'if __name__ == "__main__":', "cpp": "int main()"}.get(language)
    for cut in (marker, "# Example usage"):
        if cut and cut in code:
            code = code[:code.index(cut)].strip()
    return code


def insert(code: str, test: str, as_literal: bool) -> str:
    """`test` with the code at its placeholder, or the code (before any main guard) followed by `test`."""
    if INSERT in test:
        before, after = test.split(INSERT, 1)
        return before + (repr(code) if as_literal else code) + after.replace(INSERT, "")
    if "if __name__ ==" in code:
        code = code[:code.index("if __name__ ==")]
    return (repr(code) if as_literal else code) + "\n" + test


# ---------------------------------------------------------------- CommonOJ's comparison
def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def same_output(got: str, expected: str) -> bool:
    """CommonOJ's stdout check: line by line, case- and edge-space-insensitive, numbers within a relative 1e-5."""
    ours, theirs = got.strip().split("\n"), expected.strip().split("\n")
    if len(ours) == len(theirs) + 1 and ours[-1] == "":
        ours.pop()
    if len(theirs) == len(ours) + 1 and theirs[-1] == "":
        theirs.pop()
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs):
        a, b = a.lower().strip(), b.lower().strip()
        if a == b:
            continue
        x, y = _number(a), _number(b)
        if x is None or y is None or not abs(x - y) / max(abs(y), 1e-10) < 1e-5:
            return False
    return True


# ---------------------------------------------------------------- the request
@dataclass
class Submission:
    """One parsed `/submit` request."""

    id: int | str
    kind: str  # "oj" | "autoeval"
    completion: str
    language: str  # the language the code is extracted as
    run_language: str  # the language it runs as (AutoEval's execution_language)
    compile_timeout: float
    run_timeout: float
    extra: dict[str, Any]
    cases: list[dict[str, Any]] = field(default_factory=list)  # CommonOJ
    test: str = ""  # AutoEval
    asset: dict[str, bytes] = field(default_factory=dict)


def _json(value: Any) -> Any:
    """SandboxFusion's rows may hold JSON as text."""
    if isinstance(value, (str, bytes)):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            raise BadRequest("config.provided_data holds text that is not JSON") from None
    return value


def parse_submit(body: bytes, max_timeout_s: float, max_code_chars: int) -> Submission:
    """The request, or `BadRequest` naming the field."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise BadRequest(f"the body is not JSON: {e}") from None
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise BadRequest('the body must be a JSON object with a "config" object')
    ident, completion, config = data.get("id"), data.get("completion"), data["config"]
    if not isinstance(ident, (int, str)) or isinstance(ident, bool) or not isinstance(data.get("dataset"), str):
        raise BadRequest('"dataset" (a string) and "id" (an int or string) are required')
    if not isinstance(completion, str) or len(completion) > max_code_chars:
        raise BadRequest(f'"completion" is required: a string of at most {max_code_chars} characters')
    row = config.get("provided_data")
    if not isinstance(row, dict) or "test" not in row:
        raise BadRequest('this server has no dataset tables: send the problem as "config"."provided_data" '
                         '{"test": ...}')
    test, kind = _json(row["test"]), config.get("dataset_type")
    if kind is None:
        kind = "CommonOJDataset" if isinstance(test, list) else "AutoEvalDataset"
    extra = config.get("extra") or {}
    if not isinstance(extra, dict):
        raise BadRequest('"config"."extra" must be an object')
    if kind in ONLINE_JUDGE:
        return _online_judge(ident, completion, config, test, extra, max_timeout_s)
    if kind in AUTO_EVAL:
        return _auto_eval(ident, completion, config, row, test, extra, max_timeout_s)
    raise BadRequest(f'"dataset_type" {kind!r} is not served here; served: CommonOJDataset, AutoEvalDataset')


def _online_judge(ident: int | str, completion: str, config: dict, test: Any, extra: dict,
                  most: float) -> Submission:
    language = language_field(config.get("language"), '"config"."language" (required for CommonOJ)')
    if not isinstance(test, list) or not test:
        raise BadRequest('CommonOJ: "provided_data"."test" must be a non-empty list of cases')
    for i, case in enumerate(test):
        ok = isinstance(case, dict) and all(isinstance(case.get(side), dict) for side in ("input", "output"))
        if not ok or not isinstance(case["input"].get("stdin"), str) or not isinstance(
                case["output"].get("stdout"), str):
            raise BadRequest(f'CommonOJ: test {i} must be {{"input": {{"stdin": str}}, "output": {{"stdout": str}}}}')
    compiled = language in COMPILED
    return Submission(ident, "oj", completion, language, language, _seconds(config, "compile_timeout", 10, most),
                      _seconds(config, "run_timeout", 10 if compiled else 20, most), extra, cases=test)


def _auto_eval(ident: int | str, completion: str, config: dict, row: dict, test: Any, extra: dict,
               most: float) -> Submission:
    if not isinstance(test, dict) or not isinstance(test.get("code"), str):
        raise BadRequest('AutoEval: "provided_data"."test" must be {"code": str, "asset": {path: base64}}')
    labels = _json(row.get("labels")) or {}
    if not isinstance(labels, dict):
        raise BadRequest('AutoEval: "provided_data"."labels" must be an object')
    language = language_field(labels.get("programming_language") or config.get("language"),
                         '"labels"."programming_language" (or "config"."language")')
    run_language = language_field(labels.get("execution_language") or language, '"labels"."execution_language"')
    if language == "java":
        raise BadRequest("AutoEval: Java problems run under JUnit in SandboxFusion, which this server does not have")
    asset = _json(test.get("asset")) or {}
    if not isinstance(asset, dict):
        raise BadRequest('AutoEval: "test"."asset" must be an object {path: base64}')
    try:
        files = {str(p): base64.b64decode(c, validate=True) for p, c in asset.items() if c is not None}
    except (binascii.Error, ValueError, TypeError):
        raise BadRequest('AutoEval: "test"."asset" holds content that is not base64') from None
    return Submission(ident, "autoeval", completion, language, run_language,
                      _seconds(config, "compile_timeout", 40, most), _seconds(config, "run_timeout", 20, most),
                      extra, test=test["code"], asset=files)


# ---------------------------------------------------------------- the endpoint
class SubmitService:
    """`/submit` over `/run_code`'s service: its sandbox, build cache, admission, token and metrics."""

    def __init__(self, runner: RunCodeService) -> None:
        self.runner = runner

    def routes(self) -> list[Route]:
        return [Route("/submit", self.handle, methods=["POST"]),
                Route("/t/{token}/submit", self.handle, methods=["POST"])]

    async def handle(self, request: Request) -> Response:
        r = self.runner
        body = await r.admitted_body(request, "submit")
        if isinstance(body, Response):
            return body
        c = r.settings.ceilings
        try:
            job = parse_submit(body, c.timeout_s, c.max_code_chars)
        except BadRequest as e:
            return r.respond(400, {"error": str(e)})
        runs = len(job.cases) or 1
        if not r.admission.enter(runs):
            retry = r.admission.retry_after()
            return r.respond(504, {"error": "the queue is full", "retry_after_s": retry}, {"Retry-After": str(retry)})
        try:
            answer = await (self.judge(job) if job.kind == "oj" else self.auto_eval(job))
        finally:
            r.admission.leave(runs)
        return r.respond(200, answer)

    def _run(self, code: str, job: Submission, stdin: str = "", files: dict[str, bytes] | None = None) -> RunCode:
        return RunCode(code, job.run_language, job.compile_timeout, job.run_timeout, None, stdin.encode(),
                       files or {}, ())

    async def judge(self, job: Submission) -> dict[str, Any]:
        """CommonOJ: every case on the same extracted program; the first runs alone (a compiled program is then
        in the build cache for the rest), the others together."""
        code, kind = extract(job.completion, job.language)
        runs = [self._run(code, job, case["input"]["stdin"]) for case in job.cases]
        answers = [await self.runner.run(runs[0])]
        everything = bool(job.extra.get("run_all_cases"))
        if len(runs) > 1 and (everything or self._passed(answers[0], job.cases[0])):
            answers += await asyncio.gather(*(self.runner.run(run) for run in runs[1:]))
        tests = []
        for answer, case in zip(answers, job.cases):
            tests.append({"passed": self._passed(answer, case), "exec_info": answer, "test_info": case})
            if not tests[-1]["passed"] and not everything:
                break
        return {"id": job.id, "accepted": len(tests) == len(job.cases) and all(t["passed"] for t in tests),
                "extracted_code": code, "full_code": None, "test_code": None, "tests": tests,
                "extracted_type": kind, "extra": None}

    @staticmethod
    def _passed(answer: dict[str, Any], case: dict[str, Any]) -> bool:
        return answer["status"] == "Success" and same_output(answer["run_result"]["stdout"], case["output"]["stdout"])

    async def auto_eval(self, job: Submission) -> dict[str, Any]:
        """AutoEval: the code inside the test program, one run."""
        code, kind = extract(job.completion, job.language)
        code = strip_entry(code, job.language)
        full = insert(code, job.test, bool(job.extra.get("repr_code")))
        flag = secrets.token_hex(10) if job.extra.get("append_flag") and job.run_language == "python" else None
        if flag:
            full += f'\n\nprint("{flag}")'
        answer = await self.runner.run(self._run(full, job, files=job.asset))
        accepted = answer["status"] == "Success" and (
            flag is None or flag in (answer["run_result"] or {}).get("stdout", ""))
        return {"id": job.id, "accepted": accepted, "extracted_code": code, "full_code": full,
                "test_code": job.test, "tests": [{"passed": accepted, "exec_info": answer, "test_info": None}],
                "extracted_type": kind, "extra": {}}


__all__ = ["SubmitService", "parse_submit", "extract", "same_output", "insert", "strip_entry", "Submission"]


def _seconds(config: dict, name: str, default: float, most: float) -> float:
    return seconds_field(config, name, default, most, f'"config"."{name}"')

