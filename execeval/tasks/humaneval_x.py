"""HumanEval-X (THUDM/CodeGeeX, `codegeex/benchmark/humaneval-x/LANG/data/humaneval_LANG.jsonl.gz`): HumanEval's
164 problems in C++, Go, Java, JavaScript, Python and Rust, tests in each language.

A record: {"task_id": "CPP/0", "prompt", "declaration", "canonical_solution", "test", "example_test"} (+ "text" in
Java and Python; Go also has "import", "docstring", "test_setup"). Samples complete the prompt, and the program is
assembled as HumanEval-X's `evaluate_humaneval_x.process_humaneval_test` does, then judged as a `TestProgram`
(end-of-tests token, `execeval.judges.program_tests`):

    cpp     the `IMPORT_HELPER` headers the prompt lacks + prompt + completion + test (its `main`)
    go      test_setup (package, `testing`, testify) + the helper packages the completion names + the prompt
            without its `import` + completion + test (`func TestX(t *testing.T)`), built with `go test -c`
    java    prompt + completion + test (`public class Main`)
    js      prompt + completion + test; its `console.assert` (which only prints) is made to throw, as a failure
            printed on stderr fails in HumanEval-X's harness
    python  the `IMPORT_HELPER` imports (numpy's left out) + prompt + completion + test (`check(...)`)
    rust    `fn main(){}` + declaration + completion + test (`#[cfg(test)] mod tests`); the model is shown the
            docstring (`prompt`) and the declaration's signature. The declaration's `use` of the crates
            HumanEval-X's Cargo project provides (rand, regex, md5) is left out: execeval builds with plain rustc

Where the program differs from HumanEval-X's, and which canonical solutions do not pass: docs/task-format.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from execeval.errors import TaskFormatError
from execeval.tasks.model import Task, TaskSet, TestProgram, TestSuite
from execeval.tasks.records import Raw, make_taskset, need, objects, optional, read_raw, sha256

__all__ = ["KEYS", "LANGUAGES", "looks_like_humaneval_x", "task_from_record", "load_humaneval_x", "go_program"]

KEYS = frozenset({"task_id", "prompt", "declaration", "canonical_solution", "test"})
#: task-id prefix -> execeval language (and the file's LANG: humaneval_LANG.jsonl.gz)
LANGUAGES = {"CPP": "cpp", "Go": "go", "Java": "java", "JavaScript": "javascript", "Python": "python",
             "Rust": "rust"}
FILE_LANGUAGES = {"cpp": "cpp", "go": "go", "java": "java", "js": "javascript", "python": "python", "rust": "rust"}
# codegeex/benchmark/utils.py IMPORT_HELPER, as published (Python's numpy imports left out: not a dependency here)
CPP_HEADERS = ("#include<stdlib.h>", "#include<algorithm>", "#include<math.h>", "#include<stdio.h>",
               "#include<vector>", "#include<string>", "#include<climits>", "#include<cstring>", "#include<iostream>")
PYTHON_IMPORTS = ("import math", "import re", "import sys", "import copy", "import datetime", "import itertools",
                  "import collections", "import heapq", "import statistics", "import functools", "import hashlib",
                  "import string", "from typing import *", "from collections import *")
GO_PACKAGES = ("math", "strings", "fmt", "strconv", "time", "bytes", "regexp", "sort", "math/rand", "crypto/md5")
RUST_MAIN = "\nfn main(){ \n } \n"
_RUST_CRATES = re.compile(r"(?m)^use (?:rand|regex|md5)\b[^;\n]*;\n?")  # HumanEval-X's Cargo.toml dependencies
# console.assert only prints; HumanEval-X fails a run that prints on stderr. Throwing keeps that meaning here, and
# defineProperty fails loudly if a candidate has made console.assert read-only.
JS_ASSERT = ('Object.defineProperty(console, "assert", { value: function (ok, ...msg) {\n'
             '  require("assert").ok(ok, msg.length ? msg.join(" ") : "console.assert failed");\n} });\n')
_ENTRY = re.compile(r"(\w+)\s*(?:=\s*)?\(")


def looks_like_humaneval_x(rec: Mapping[str, Any]) -> bool:
    return KEYS <= set(rec) and "entry_point" not in rec


def _entry_point(declaration: str, task_id: str) -> str:
    lines = [line for line in declaration.splitlines() if line.strip()]
    m = _ENTRY.search(lines[-1]) if lines else None
    return m.group(1) if m else task_id


def _language(task_id: str, where: str) -> str:
    prefix = task_id.split("/", 1)[0]
    if prefix not in LANGUAGES:
        raise TaskFormatError(f"{where}: task_id {task_id!r} does not name a HumanEval-X language",
                              hint="ids are LANG/N with LANG one of " + ", ".join(LANGUAGES))
    return LANGUAGES[prefix]


def task_from_record(rec: Mapping[str, Any], where: str) -> Task:
    """One HumanEval-X record as a `Task` whose program is assembled as HumanEval-X's harness does."""
    task_id = need(rec, "task_id", str, where)
    language = _language(task_id, where)
    prompt, declaration = need(rec, "prompt", str, where), need(rec, "declaration", str, where)
    solution, test = need(rec, "canonical_solution", str, where), need(rec, "test", str, where)
    metadata: dict[str, Any] = {"humaneval_x_language": language}
    example = optional(rec, "example_test", (str, type(None)), where)
    if example:
        metadata["example_test"] = example
    if language == "cpp":
        metadata["prelude"] = "".join(h + "\n" for h in CPP_HEADERS if h not in prompt) + "\n"
    elif language == "python":
        metadata["prelude"] = "\n".join(PYTHON_IMPORTS) + "\n"
    elif language == "javascript":
        test = JS_ASSERT + test
    elif language == "go":
        metadata["go_test_setup"] = need(rec, "test_setup", str, where)
        metadata["go_import"] = need(rec, "import", str, where)
    elif language == "rust":
        metadata["prelude"] = RUST_MAIN
        prompt = prompt + _RUST_CRATES.sub("", declaration)
    reference = prompt + solution
    if language == "go":
        reference = go_program(metadata, prompt, solution)
    return Task(task_id=task_id, prompt=prompt, entry_point=_entry_point(declaration, task_id),
                reference=metadata.get("prelude", "") + reference, tests=TestSuite(cases=(TestProgram(test),)),
                completion_mode=True, language=language, metadata=metadata)


def go_program(metadata: Mapping[str, Any], prompt: str, completion: str) -> str:
    """HumanEval-X's Go program before its test: the test setup (package clause, `testing`, testify), an import of
    each helper package the completion names that the setup does not import, the prompt without its own `import`
    (so a package the completion no longer uses is not an unused-import error), the completion."""
    setup = metadata["go_test_setup"]
    extra = [f'"{p}"' for p in GO_PACKAGES if p not in setup and p.rsplit("/", 1)[-1] + "." in completion]
    imports = "import (\n" + "    ".join(p + "\n" for p in extra) + ")" if extra else ""
    body = prompt.replace(metadata["go_import"], "") + completion
    return f"{setup}\n{imports}\n{body}" if extra else f"{setup}\n{body}"


def load_humaneval_x(path: str | Path | Raw, *, name: str | None = None) -> TaskSet:
    """Read a HumanEval-X file (gzipped or not). Nothing in it is executed."""
    raw = read_raw(path)
    located = [(where, task_from_record(rec, where)) for where, rec in objects(raw)]
    return make_taskset(name or raw.label, located, str(raw.path), sha256(raw.data))
