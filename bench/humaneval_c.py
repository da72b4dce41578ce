#!/usr/bin/env python3
"""HumanEval in C, converted from HumanEval-X's C++: the task set of Guaranteed Guess's protocol (`execeval gg`).

    python bench/humaneval_c.py --source humaneval_cpp.jsonl.gz            # rewrite execeval/tasks/humaneval_c/
    python bench/humaneval_c.py --source FILE --out /tmp/tasks.jsonl       # somewhere else

FILE is HumanEval-X's C++ set, `codegeex/benchmark/humaneval-x/cpp/data/humaneval_cpp.jsonl.gz` of THUDM/CodeGeeX
(Apache-2.0). A task is converted only when its function's signature uses scalars (`int`, `long long`, `float`,
`double`, `bool`), C++ strings read as C strings (`string s` -> `const char *s`) and int vectors read as arrays
(`vector<int> v` -> `const int *v, int v_n`); its return type must be a scalar. The body and the tests are rewritten
by a few textual rules (`s.size()` -> `(int)strlen(s)`, `v.size()` -> `v_n`, `int(x)` -> `(int)(x)`, a `{...}` argument -> a compound
literal and its length, `abs` -> `fabs` where floats are compared) and the result kept only when gcc compiles it
as C and its tests pass with the gold in execeval's sandbox. Every task left out is printed with the reason, and
the counts go to the README beside the tasks (docs/guaranteed-guess.md).
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from execeval.judges.program_tests import judge_test_program
from execeval.sandbox.base import Status
from execeval.sandbox.factory import open_sandbox

OUT = Path(__file__).resolve().parent.parent / "execeval" / "tasks" / "humaneval_c" / "tasks.jsonl"
SCALARS = {"int", "long long", "float", "double", "bool"}
# <iso646.h>: C++'s `and`, `or`, `not` as macros, so bodies written with them compile as C
INCLUDES = ("#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <stdbool.h>\n"
            "#include <math.h>\n#include <iso646.h>\n")
ARRAYS = {f"vector<{t}>": t for t in ("int", "long long", "float", "double")}  # read as `const T *v, int v_n`
_SIGNATURE = re.compile(r"^([\w<>:, ]+?)\s*\b(\w+)\s*\(([^)]*)\)\s*\{\s*$")
_PARAM = re.compile(r"^(vector<(?:int|long long|float|double)>|string|int|long long|float|double|bool)\s*(\w+)$")


class Skip(Exception):
    """Why a task is left out."""


def convert(task: dict) -> dict:
    """One HumanEval-X C++ task as a C task: gold (includes + function), header (includes + prototype), tests."""
    decl = task["declaration"].rstrip("\n")
    lines = decl.split("\n")
    sig = _SIGNATURE.match(lines[-1].strip())
    if sig is None:
        raise Skip("more than one function, or the signature over several lines")
    ret, name, params = sig.group(1).strip(), sig.group(2), sig.group(3)
    if ret not in SCALARS:
        raise Skip(f"returns {ret}")
    c_params, strings, arrays = _params(params)
    body = task["canonical_solution"]
    for s in strings:
        body = re.sub(rf"\b{s}\s*\.\s*(?:size|length)\s*\(\s*\)", f"(int)strlen({s})", body)
    for v in arrays:
        body = re.sub(rf"\b{v}\s*\.\s*size\s*\(\s*\)", f"{v}_n", body)
    prototype = f"{ret} {name}({', '.join(c_params)})"
    body = re.sub(r"(?<![\w.])(int|float|double)\((?=[^()]*\))", r"(\1)(", body)  # C++'s int(x): (int)(x)
    gold_fn = f"{prototype}{{\n{body}"
    if re.search(r"\b(?:float|double)\b", gold_fn):
        gold_fn = re.sub(r"(?<![\w.])abs\s*\(", "fabs(", gold_fn)
    tests = task["test"].replace("#undef NDEBUG\n", "").replace("#include<assert.h>\n", "")
    tests = re.sub(r"(?<![\w.])abs\s*\(", "fabs(", tests)
    if arrays:
        if len(set(arrays.values())) > 1:
            raise Skip("arrays of different element types")
        tests = _array_literals(tests, next(iter(arrays.values())))
    return {"task_id": "HumanEval-C/" + task["task_id"].split("/")[1], "origin": "HumanEval-X " + task["task_id"],
            "function": name, "gold": INCLUDES + gold_fn.rstrip() + "\n",
            "header": INCLUDES + "#include <assert.h>\n" + prototype + ";\n",
            "tests": tests.strip() + "\n"}


def _params(params: str) -> tuple[list[str], list[str], dict[str, str]]:
    out: list[str] = []
    strings: list[str] = []
    arrays: dict[str, str] = {}
    for p in (p.strip() for p in params.split(",") if p.strip()):
        m = _PARAM.match(p)
        if m is None:
            raise Skip(f"parameter '{p}'")
        kind, pname = m.groups()
        if kind == "string":
            out.append(f"const char *{pname}")
            strings.append(pname)
        elif kind in ARRAYS:
            out.append(f"const {ARRAYS[kind]} *{pname}, int {pname}_n")
            arrays[pname] = ARRAYS[kind]
        else:
            out.append(f"{kind} {pname}")
    return out, strings, arrays


def _array_literals(tests: str, element: str) -> str:
    """`f({1, 2}, 3)` -> `f((int[]){1, 2}, 2, 3)` (`element` int); `f({})` -> `f(NULL, 0)`. Braces that open an argument only."""
    out, i = [], 0
    while i < len(tests):
        c = tests[i]
        prev = "".join(out).rstrip()[-1:]
        if c == "{" and prev in ("(", ","):
            depth, j = 0, i
            while j < len(tests):
                depth += {"{": 1, "}": -1}.get(tests[j], 0)
                if depth == 0:
                    break
                j += 1
            inner = tests[i + 1:j]
            if "{" in inner:
                raise Skip("nested braces in the tests")
            n = len([x for x in inner.split(",") if x.strip()])
            out.append(f"({element}[]){{{inner}}}, {n}" if n else "NULL, 0")
            i = j + 1
            continue
        out.append(c)
        i += 1
    return "".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--source", type=Path, required=True, help="HumanEval-X's humaneval_cpp.jsonl(.gz)")
    ap.add_argument("--out", type=Path, default=OUT, help="tasks.jsonl to write (a README.md is written beside it)")
    ap.add_argument("--commit", default="2838420b7b4492cf3d16bce5320e26e65960c9e2",
                    help="the THUDM/CodeGeeX commit the source file came from (for the README)")
    args = ap.parse_args()
    opener = gzip.open if args.source.suffix == ".gz" else open
    with opener(args.source, "rt", encoding="utf-8") as f:
        tasks = [json.loads(line) for line in f if line.strip()]
    kept, left_out = [], []
    with open_sandbox(2) as sandbox:
        for task in tasks:
            try:
                c_task = convert(task)
            except Skip as e:
                left_out.append((task["task_id"], f"signature: {e}"))
                continue
            result = judge_test_program("c", c_task["gold"], c_task["header"] + c_task["tests"], sandbox)
            if result.status is Status.OK and result.completed:
                kept.append(c_task)
            else:
                why = (result.cases[0].message if result.cases else result.detail).split("\n")[0][:100]
                left_out.append((task["task_id"], f"{result.error_type or result.status.value}: {why}"))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("".join(json.dumps(t) + "\n" for t in kept), encoding="utf-8")
    (args.out.parent / "README.md").write_text(readme(len(kept), left_out, args.commit), encoding="utf-8")
    for tid, why in left_out:
        print(f"left out {tid}: {why}")
    print(f"{len(kept)} of {len(tasks)} tasks converted to {args.out} ({len(left_out)} left out)")


WHY = (("signature: returns", "returns a string, a vector or another type with no caller-owned C form"),
       ("signature: more than one", "several functions before the entry point, or a signature over several lines"),
       ("signature: parameter", "a parameter that is not a scalar, string or number vector (a map, "
                                "`vector<string>`, nested vectors)"),
       ("CompileError", "the body or tests use C++ beyond the rules (`std::string` locals and methods, `std::vector` "
                        "locals, `<algorithm>`, a function named `strlen`)"),
       ("", "its C gold did not pass its C tests"))


def readme(n_kept: int, left_out: list[tuple[str, str]], commit: str) -> str:
    """The README beside the tasks: where they came from, the licence, and every task left out with why."""
    groups: dict[str, list[str]] = {}
    for tid, why in left_out:
        reason = next(text for prefix, text in WHY if why.startswith(prefix))
        groups.setdefault(reason, []).append(tid.split("/")[1])
    rows = "".join(f"| {len(ids)} | {reason} | {', '.join(ids)} |\n" for reason, ids in groups.items())
    return f"""# HumanEval in C (Guaranteed Guess task set)

{n_kept} of HumanEval's 164 problems as C functions with a C unit-test harness, for `execeval gg`
(docs/guaranteed-guess.md). Each line of `tasks.jsonl`: `task_id` (`HumanEval-C/N`, N as in HumanEval),
`origin` (the HumanEval-X task it came from), `function`, `gold` (includes + the C function), `header` (includes +
its prototype) and `tests` (a C `main` with asserts); `header + tests` is the harness a candidate is linked with.

**Origin and licence.** Converted by `bench/humaneval_c.py` from HumanEval-X's C++ set,
`codegeex/benchmark/humaneval-x/cpp/data/humaneval_cpp.jsonl.gz` of
[THUDM/CodeGeeX](https://github.com/THUDM/CodeGeeX) at commit {commit},
Apache License 2.0 (HumanEval itself: OpenAI, MIT). The gold is HumanEval-X's `canonical_solution`, the tests its
`test`, both rewritten to C by the script's rules; rerun it to rebuild this file and this README:

    python bench/humaneval_c.py --source humaneval_cpp.jsonl.gz --commit COMMIT

Kept: the {n_kept} tasks whose signature uses only scalars, C strings and number arrays, and whose rewritten gold
passes its rewritten tests in execeval's sandbox. Left out ({len(left_out)}):

| tasks | why | HumanEval-X ids (CPP/…) |
| --- | --- | --- |
{rows}"""

if __name__ == "__main__":
    main()
