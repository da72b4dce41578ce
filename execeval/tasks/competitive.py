"""Competitive-programming sets as they are published (issue #27): APPS, CodeContests, TACO, open-r1's Codeforces.

Why here: RL pipelines train on these files; reading them as published (JSONL, one JSON array, gzip; errors name
file:line) saves a conversion step that would lose each problem's own limits and checker. Every record becomes a
stdin/stdout `Task` of `IOTest`s (judged by `execeval.judges.stdio`), except APPS/TACO problems with an `fn_name`,
which are call-based (`Call` cases on the function; expected values from the reference solution, as for every
`Call` task; the entry point that finds the function is appended to each program:
`metadata["program_suffix"]`). The schemas come from the projects' own code, not from guesses:

- APPS (hendrycks/apps, `eval/testing_util.py`): problem_id, question, solutions (JSON text: a list of programs),
  input_output (JSON text: {"inputs", "outputs", optional "fn_name"}), starter_code, difficulty, url.
- TACO (FlagOpen/TACO, `metrics/testing_util.py`): APPS's fields (no problem_id: the row's index is the id) plus
  time_limit / memory_limit as text ("2 seconds", "256 megabytes"), name, source, tags, skill_types.
- CodeContests (google-deepmind/code_contests, `contest_problem.proto`, as the Hugging Face export writes it):
  name, description, public_tests / private_tests / generated_tests ({"input": [...], "output": [...]}),
  time_limit ({"seconds", "nanos"}), memory_limit_bytes, solutions ({"language": [...], "solution": [...]}),
  input_file / output_file.
- open-r1/codeforces (huggingface/open-r1 `cf_scoring.py` and its piston `codeforces` run script): id, title,
  description, input_format, output_format, official_tests ([{"input", "output"}]), time_limit (seconds),
  memory_limit (MB), input_mode ("stdio" or "file"), generated_checker (Python; prints "1" or "100" to accept),
  interaction_format.

Each problem's own time limit goes to `metadata["time_limit_s"]` and its memory limit to
`metadata["memory_limit_mb"]`; `execeval.evaluation.programs.plan_build_and_run` applies them (the time scaled
by this machine's measured speed, like every limit). Problems this judge cannot run as published (file I/O,
interactive, no tests, call-based without a reference) are left out with one warning per file saying how many.
Nothing here runs code from the files.
"""

from __future__ import annotations

import json
import re
import warnings
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.model import Call, IOTest, Task, TaskSet, TestSuite
from execeval.tasks.records import Raw, compact_json, make_taskset, need, objects, optional, read_raw, sha256

__all__ = ["load_apps", "load_taco", "load_codecontests", "load_codeforces", "competitive_format",
           "APPS_FLOAT_TOL", "CODECONTESTS_FLOAT_TOL", "APPS_CALL", "apps_call_suffix", "codeforces_checker"]

APPS_FLOAT_TOL = 1e-5  # testing_util.py's np.allclose (rtol 1e-5) on the output's tokens
CODECONTESTS_FLOAT_TOL = 1e-5  # tester_sandboxer.cc's ValuesMatch: kDoublePrecision
APPS_CALL = "__apps_call__"  # the entry point of call-based APPS/TACO tasks (defined by the suite's setup)
# CodeContests' Solution.Language enum (contest_problem.proto)
_CC_LANGUAGES = {0: "unknown", 1: "python2", 2: "cpp", 3: "python3", 4: "java"}

Skips = Counter[str]


def competitive_format(rec: Mapping[str, Any]) -> str | None:
    """Which of this module's formats a file's first record is in (a key of `execeval.tasks.registry.LOADERS`),
    or None."""
    keys = set(rec)
    if "official_tests" in keys and ("generated_checker" in keys or "input_mode" in keys):
        return "codeforces"
    if keys & {"public_tests", "private_tests", "generated_tests"} and "description" in keys:
        return "codecontests"
    if "input_output" in keys and "question" in keys:
        return "taco" if keys & {"skill_types", "raw_tags", "memory_limit", "time_limit"} else "apps"
    return None


# ---------------------------------------------------------------- the four loaders
def load_apps(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """APPS (codeparrot/apps JSONL, or one JSON array): stdin problems and `fn_name` (call-based) ones."""
    return _load(path, name, lambda rec, where, i, skips: _apps_task(rec, where, i, skips, taco=False))


def load_taco(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """TACO (BAAI/TACO): APPS's layout plus each problem's time and memory limits; the id is the row's index."""
    return _load(path, name, lambda rec, where, i, skips: _apps_task(rec, where, i, skips, taco=True))


def load_codecontests(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """CodeContests (deepmind/code_contests rows): public tests are the base tests, private and generated ones the
    plus tests (so base+plus is CodeContests' own score)."""
    return _load(path, name, _codecontests_task)


def load_codeforces(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """open-r1/codeforces rows: official tests, the problem's limits, and its generated checker when it has one."""
    return _load(path, name, _codeforces_task)


def _load(path: str | Path | Raw, name: str | None,
          make: Callable[[Mapping[str, Any], str, int, Skips], Task | None]) -> TaskSet:
    raw = read_raw(path)
    located: list[tuple[str, Task]] = []
    skips: Skips = Counter()
    for i, (where, rec) in enumerate(objects(raw)):
        task = make(rec, where, i, skips)
        if task is not None:
            located.append((where, task))
    if skips:
        said = "; ".join(f"{n} {why}" for why, n in sorted(skips.items()))
        warnings.warn(f"{raw.label}: problems left out: {said}", stacklevel=3)
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))


# ---------------------------------------------------------------- APPS and TACO
def _apps_task(rec: Mapping[str, Any], where: str, index: int, skips: Skips, *, taco: bool) -> Task | None:
    task_id = str(index) if taco else str(need(rec, "problem_id", (int, str), where))
    io = _json_field(rec, "input_output", where)
    if not io:
        skips["without tests"] += 1
        return None
    if not isinstance(io, dict):
        raise TaskFormatError(f"{where}: key 'input_output' should hold an object, not {type(io).__name__}")
    inputs, outputs = need(io, "inputs", list, f"{where}: input_output"), need(io, "outputs", list,
                                                                                 f"{where}: input_output")
    if len(inputs) != len(outputs):
        raise TaskFormatError(f"{where}: input_output has {len(inputs)} inputs but {len(outputs)} outputs")
    if not inputs:
        skips["without tests"] += 1
        return None
    solutions = _json_field(rec, "solutions", where) or []
    if not isinstance(solutions, list) or not all(isinstance(s, str) for s in solutions):
        raise TaskFormatError(f"{where}: key 'solutions' should hold a list of programs")
    metadata: dict[str, Any] = {k: rec[k] for k in ("difficulty", "url", "starter_code", "name", "source", "tags",
                                                   "skill_types", "time_limit", "memory_limit")
                                if rec.get(k) not in (None, "", [])}
    metadata["solutions"] = len(solutions)
    if taco:
        seconds, mb = _taco_seconds(rec.get("time_limit")), _taco_megabytes(rec.get("memory_limit"))
        if seconds:
            metadata["time_limit_s"] = seconds
        if mb:
            metadata["memory_limit_mb"] = mb
    prompt = optional(rec, "question", str, where, "")
    reference = solutions[0] if solutions else ""
    fn_name = io.get("fn_name")
    if fn_name is not None:
        if not isinstance(fn_name, str) or not fn_name.isidentifier():
            raise TaskFormatError(f"{where}: input_output's fn_name should be a Python name, not {fn_name!r}")
        if not reference:  # a Call's expected value is the reference's return value
            skips["call-based without a reference solution"] += 1
            return None
        bad = [i for i, args in enumerate(inputs) if not isinstance(args, list)]
        if bad:
            raise TaskFormatError(f"{where}: input_output inputs[{bad[0]}] should be a list of arguments "
                                  f"(fn_name {fn_name!r})")
        metadata["fn_name"] = fn_name
        metadata["expected_outputs"] = outputs  # APPS compares with these; execeval with the reference's values
        # the entry point is looked up among the program's own names: it is appended to every program (also the
        # reference), by `execeval.samples.matching.program_for`
        metadata["program_suffix"] = apps_call_suffix(fn_name)
        suite = TestSuite(cases=tuple(Call(compact_json(args)) for args in inputs))
        return Task(task_id=task_id, prompt=prompt, entry_point=APPS_CALL,
                    reference=reference + metadata["program_suffix"], tests=suite, completion_mode=False,
                    metadata=metadata)
    cases = tuple(IOTest(_apps_text(x, f"{where}: inputs[{i}]"), _apps_text(y, f"{where}: outputs[{i}]"))
                  for i, (x, y) in enumerate(zip(inputs, outputs)))
    return Task(task_id=task_id, prompt=prompt, entry_point="", reference=reference,
                tests=TestSuite(cases=cases, compare="float", atol=APPS_FLOAT_TOL), completion_mode=False,
                metadata=metadata)


def apps_call_suffix(fn_name: str) -> str:
    """The call-based entry point, as testing_util.py finds it: `Solution().fn_name` when the program defines a
    class Solution (LeetCode style), else the module's `fn_name`; a tuple result is compared as a list."""
    return (f"\n\ndef {APPS_CALL}(*args):\n"
            f"    cls = globals().get('Solution')\n"
            f"    if isinstance(cls, type) and hasattr(cls, {fn_name!r}):\n"
            f"        result = getattr(cls(), {fn_name!r})(*args)\n"
            f"    else:\n"
            f"        result = globals()[{fn_name!r}](*args)\n"
            f"    return list(result) if isinstance(result, tuple) else result\n")


def _apps_text(value: Any, where: str) -> str:
    """An APPS input or output: a string, or a list of lines (joined with "\\n", as testing_util.py does)."""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return "\n".join(value)
    raise TaskFormatError(f"{where} should be a string or a list of strings, not {type(value).__name__}")


def _json_field(rec: Mapping[str, Any], key: str, where: str) -> Any:
    """A field the hub stores as JSON text (APPS's input_output and solutions), or already decoded."""
    value = rec.get(key)
    if not isinstance(value, str):
        return value
    if not value.strip():
        return None
    try:
        return json.loads(value)
    except (json.JSONDecodeError, RecursionError) as e:
        raise TaskFormatError(f"{where}: key '{key}' is not valid JSON text ({e})") from None


_NUMBER_UNIT = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]*)")
_SECONDS = {"": 1.0, "s": 1.0, "sec": 1.0, "secs": 1.0, "second": 1.0, "seconds": 1.0, "ms": 1e-3,
            "millisecond": 1e-3, "milliseconds": 1e-3}
_MEGABYTES = {"": 1.0, "mb": 1.0, "megabyte": 1.0, "megabytes": 1.0, "mib": 1.0, "kb": 1 / 1024,
              "kilobyte": 1 / 1024, "kilobytes": 1 / 1024, "gb": 1024.0, "gigabyte": 1024.0, "gigabytes": 1024.0}


def _taco_seconds(text: Any) -> float | None:
    """TACO's time_limit ("1 second", "2.0 seconds", "0.5 s", "None") in seconds; None when absent or unreadable."""
    return _with_unit(text, _SECONDS)


def _taco_megabytes(text: Any) -> int | None:
    mb = _with_unit(text, _MEGABYTES)
    return max(1, round(mb)) if mb else None


def _with_unit(text: Any, units: Mapping[str, float]) -> float | None:
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        return float(text) if text > 0 else None
    m = _NUMBER_UNIT.match(text) if isinstance(text, str) else None
    if m is None or m.group(2).lower() not in units:
        return None
    value = float(m.group(1)) * units[m.group(2).lower()]
    return value if value > 0 else None


# ---------------------------------------------------------------- CodeContests
def _codecontests_task(rec: Mapping[str, Any], where: str, index: int, skips: Skips) -> Task | None:
    task_id = need(rec, "name", str, where)
    if rec.get("input_file") or rec.get("output_file"):
        skips["reading or writing named files"] += 1
        return None
    public = _cc_tests(rec, "public_tests", where)
    plus = _cc_tests(rec, "private_tests", where) + _cc_tests(rec, "generated_tests", where)
    if not public and not plus:
        skips["without tests"] += 1
        return None
    metadata: dict[str, Any] = {k: rec[k] for k in ("source", "difficulty", "cf_contest_id", "cf_index", "cf_rating",
                                                   "cf_tags", "cf_points") if rec.get(k) not in (None, "", [])}
    limit = rec.get("time_limit")
    if isinstance(limit, dict):
        seconds = float(limit.get("seconds") or 0) + float(limit.get("nanos") or 0) / 1e9
        if seconds > 0:
            metadata["time_limit_s"] = seconds
    elif limit is not None:
        raise TaskFormatError(f"{where}: key 'time_limit' should be an object {{\"seconds\", \"nanos\"}}")
    memory = optional(rec, "memory_limit_bytes", int, where, 0)
    if memory > 0:
        metadata["memory_limit_mb"] = max(1, round(memory / (1 << 20)))
    solutions = _cc_solutions(rec, where)
    metadata["solutions"] = Counter(lang for lang, _ in solutions)
    reference = next((code for lang, code in solutions if lang == "python3"), "")
    suite = TestSuite(cases=public or plus, compare="float", atol=CODECONTESTS_FLOAT_TOL)
    return Task(task_id=task_id, prompt=optional(rec, "description", str, where, ""), entry_point="",
                reference=reference, tests=suite, completion_mode=False,
                plus_tests=TestSuite(cases=plus, compare="float", atol=CODECONTESTS_FLOAT_TOL) if public and plus
                else None, metadata=metadata)


def _cc_tests(rec: Mapping[str, Any], key: str, where: str) -> tuple[IOTest, ...]:
    tests = rec.get(key)
    if tests is None:
        return ()
    at = f"{where}: {key}"
    if isinstance(tests, list):  # a list of {"input", "output"} (the proto's JSON form)
        return tuple(IOTest(need(t, "input", str, f"{at}[{i}]"), need(t, "output", str, f"{at}[{i}]"))
                     for i, t in enumerate(tests))
    if not isinstance(tests, dict):
        raise TaskFormatError(f"{at} should be an object {{\"input\": [...], \"output\": [...]}}")
    inputs, outputs = optional(tests, "input", list, at, []), optional(tests, "output", list, at, [])
    if len(inputs) != len(outputs) or not all(isinstance(x, str) for x in inputs + outputs):
        raise TaskFormatError(f"{at}: 'input' and 'output' should be lists of strings of the same length")
    return tuple(IOTest(x, y) for x, y in zip(inputs, outputs))


def _cc_solutions(rec: Mapping[str, Any], where: str) -> list[tuple[str, str]]:
    sols = rec.get("solutions")
    if not sols:
        return []
    if isinstance(sols, dict):  # the hub's columnar form
        langs, codes = sols.get("language") or [], sols.get("solution") or []
        pairs = list(zip(langs, codes))
    elif isinstance(sols, list):
        pairs = [(s.get("language"), s.get("solution")) for s in sols if isinstance(s, dict)]
    else:
        raise TaskFormatError(f"{where}: key 'solutions' should be an object {{\"language\", \"solution\"}}")
    out = []
    for lang, code in pairs:
        name = _CC_LANGUAGES.get(lang, "unknown") if isinstance(lang, int) else str(lang).lower()
        if isinstance(code, str):
            out.append((name, code))
    return out


# ---------------------------------------------------------------- open-r1/codeforces
def _codeforces_task(rec: Mapping[str, Any], where: str, index: int, skips: Skips) -> Task | None:
    task_id = need(rec, "id", str, where)
    if optional(rec, "input_mode", str, where, "stdio") != "stdio":
        skips["reading input.txt (input_mode 'file')"] += 1
        return None
    if rec.get("interaction_format"):
        skips["interactive"] += 1
        return None
    tests = optional(rec, "official_tests", list, where, [])
    cases = tuple(IOTest(need(t, "input", str, f"{where}: official_tests[{i}]"),
                         need(t, "output", str, f"{where}: official_tests[{i}]")) for i, t in enumerate(tests))
    if not cases:
        skips["without official tests"] += 1
        return None
    metadata: dict[str, Any] = {k: rec[k] for k in ("title", "contest_id", "index", "rating", "tags",
                                                   "official_tests_complete", "generated_tests")
                                if rec.get(k) not in (None, "", [])}
    seconds = optional(rec, "time_limit", (int, float), where, 0)
    if seconds > 0:
        metadata["time_limit_s"] = float(seconds)
    mb = optional(rec, "memory_limit", (int, float), where, 0)
    if mb > 0:
        metadata["memory_limit_mb"] = max(1, round(mb))
    checker = optional(rec, "generated_checker", str, where, "")
    suite = TestSuite(cases=cases, compare="checker", checker=codeforces_checker(checker)) if checker.strip() else \
        TestSuite(cases=cases, compare="whitespace")
    parts = [optional(rec, k, str, where, "") for k in ("description", "input_format", "output_format", "note")]
    prompt = "\n\n".join(p for p in parts if p)
    return Task(task_id=task_id, prompt=prompt, entry_point="", reference="", tests=suite, completion_mode=False,
                metadata=metadata)


def codeforces_checker(source: str) -> str:
    """open-r1's generated checker under execeval's checker contract (docs/stdio.md).

    open-r1's run script calls `python3 checker.py INPUT CORRECT_OUTPUT SOLUTION_OUTPUT` after deleting empty lines
    (and "\\r") from the outputs, and accepts when what the checker prints is "1" or "100"; its exit status does not
    count. This wrapper does the same from execeval's `input output expected` arguments: exit 0 accepts."""
    return f'''import contextlib, io, os, sys
SOURCE = {source!r}
def clean(src, dst, drop_empty):
    try:
        with open(src, "rb") as f:
            text = f.read().replace(b"\\r\\n", b"\\n")
        if drop_empty:
            text = b"".join(line for line in text.splitlines(keepends=True) if line.strip(b"\\n"))
        with open(dst, "wb") as f:
            f.write(text)
        return dst
    except OSError:
        return src
inp, out, exp = sys.argv[1:4]
args = [clean(inp, "cf_input.txt", False), clean(exp, "cf_correct_output.txt", True), clean(out, "cf_output.txt", True)]
said = io.StringIO()
sys.argv = ["checker.py", *args]
with contextlib.redirect_stdout(said):
    try:
        exec(compile(SOURCE, "checker.py", "exec"), {{"__name__": "__main__", "__file__": "checker.py"}})
    except SystemExit:
        pass
verdict = "".join(said.getvalue().split())
if verdict in ("1", "100"):
    sys.exit(0)
print("the checker printed " + repr(said.getvalue()[-200:]) + ", not 1 or 100")
sys.exit(1)
'''
