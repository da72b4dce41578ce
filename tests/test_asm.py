"""Assembly languages judged with a C harness: gcc's own assembly passes on every ISA, mutated assembly fails.

The candidate is what each ISA's gcc makes of a C function at -O1 (compiled in the sandbox, like any build); the
mutations are the two the issue names, applied to that text: a wrong condition code and an off-by-one loop bound.
"""

from __future__ import annotations

import re

import pytest

from execeval.judges.program_tests import judge_test_program
from execeval.languages import build, get_language, run
from execeval.sandbox import Limits, Status
from execeval.sandbox.base import CaseStatus, Command
from test_languages import sandbox  # noqa: F401 - the same module-scoped fixture (`cache` is conftest.py's)

ISAS = ("x86_64", "aarch64", "riscv64")
LIMITS = Limits(wall_s=20, cpu_s=5, memory_mb=256)

FUNCTION = """int count_below(const int *a, int n, int limit) {
    int count = 0;
    for (int i = 0; i < n; i++)
        if (a[i] < limit) count++;
    return count;
}
"""
# a[3] is past n = 3 and below every limit: a loop that reads one element too many counts it
HARNESS = """#include <assert.h>
int count_below(const int *a, int n, int limit);
int main(void) {
    int a[] = {1, 5, 3, 0};
    assert(count_below(a, 3, 4) == 2);
    assert(count_below(a, 3, 3) == 1);
    assert(count_below(a, 0, 9) == 0);
    return 0;
}
"""
# (pattern in gcc 12's -O1 output, replacement) per ISA
WRONG_CONDITION = {"x86_64": (r"\bsetl\b", "setle"), "aarch64": (r"(cinc\s+w0, w0, )lt\b", r"\1le"),
                   "riscv64": (r"\bbge(\s+a4,a2,)", r"bgt\1")}
OFF_BY_ONE_BOUND = {"x86_64": (r"leaq\s+\((%rdi,%rsi,4)\), %rdi", r"leaq\t4(\1), %rdi"),
                    "aarch64": (r"(add\s+x4, x0, w1, sxtw 2)", r"\1\n\tadd\tx4, x4, 4"),
                    "riscv64": (r"(add\s+a3,a0,a1)", r"\1\n\taddi\ta3,a3,4")}


def require(isa: str):
    language = get_language(f"asm-{isa}")
    if not language.toolchain().available:
        pytest.skip(language.toolchain().missing_message())
    return language


def gcc_assembly(isa: str, c_source: str, sandbox) -> str:  # noqa: F811
    """`<target>-gcc -S -O1` of `c_source`, run in the sandbox like any compile."""
    language = require(isa)
    compiler = language.toolchain()[language.compiler]  # type: ignore[attr-defined]  # an Assembly
    r = sandbox.run(Command((compiler, "-S", "-O1", "-o", "f.s", "f.c"), files={"f.c": c_source.encode()},
                            collect=("f.s",)), Limits(wall_s=60, cpu_s=30, memory_mb=2048))
    assert r.status is Status.OK, r
    return r.files["f.s"].decode()


def mutated(text: str, mutation: tuple[str, str]) -> str:
    new, n = re.subn(mutation[0], mutation[1], text, count=1)
    assert n == 1, f"gcc's output no longer holds {mutation[0]!r}: update the mutation\n{text}"
    return new


@pytest.mark.parametrize("isa", ISAS)
def test_gcc_assembly_passes_and_mutations_fail(sandbox, cache, isa):  # noqa: F811
    gold = gcc_assembly(isa, FUNCTION, sandbox)
    r = judge_test_program(f"asm-{isa}", gold, HARNESS, sandbox, limits=LIMITS, cache=cache)
    assert r.status is Status.OK and r.cases[0].status is CaseStatus.PASSED, r
    for mutation in (WRONG_CONDITION[isa], OFF_BY_ONE_BOUND[isa]):
        bad = judge_test_program(f"asm-{isa}", mutated(gold, mutation), HARNESS, sandbox, limits=LIMITS, cache=cache)
        assert bad.status is Status.FAILED and bad.cases[0].error_type == "AssertionError", (mutation, bad)


@pytest.mark.parametrize("isa", ISAS)
def test_assembly_that_does_not_assemble_is_a_compile_error(sandbox, cache, isa):  # noqa: F811
    require(isa)
    r = judge_test_program(f"asm-{isa}", "count_below:\n\tno_such_instruction 1\n", HARNESS, sandbox, limits=LIMITS,
                           cache=cache)
    assert r.status is Status.FAILED and r.error_type == "CompileError", r


def test_the_harness_is_part_of_the_build_key(sandbox, cache):  # noqa: F811
    """Two harnesses, same candidate: two builds, each running its own harness."""
    language = require("aarch64")
    gold = gcc_assembly("aarch64", FUNCTION, sandbox)
    outputs = []
    for limit in (4, 9):
        harness = ('#include <stdio.h>\nint count_below(const int *a, int n, int limit);\n'
                   f'int main(void) {{ int a[] = {{1, 5, 3}}; printf("%d\\n", count_below(a, 3, {limit})); }}\n')
        built = build(language, gold, sandbox, cache=cache, with_files={language.harness_name: harness.encode()})
        assert built.ok, built.diagnostics
        outputs.append(run(language, built, sandbox, limits=LIMITS).stdout)
    assert outputs == [b"2\n", b"3\n"], outputs


def test_doctor_lists_the_three_toolchains():
    from execeval.languages import toolchains

    found = {tc.language: tc for tc in toolchains()}
    for isa in ISAS:
        assert f"asm-{isa}" in found and found[f"asm-{isa}"].install.startswith("apt-get install"), found
    assert "qemu-aarch64" in found["asm-aarch64"].install.replace("qemu-user", "qemu-aarch64") and \
        "qemu-riscv64" in {*found["asm-riscv64"].paths, *found["asm-riscv64"].missing}


def test_a_task_carries_its_harness_as_a_test_program(sandbox, cache):  # noqa: F811
    """The shape a GG-style task set takes: `language` is the target ISA, the one `TestProgram` is the C harness;
    `execeval.judges.judge` (what `evaluate` uses for such tasks) builds and runs them as above."""
    from execeval.judges import judge
    from execeval.tasks.model import Task, TestProgram, TestSuite

    require("riscv64")
    gold = gcc_assembly("riscv64", FUNCTION, sandbox)
    task = Task("gg/count_below", "", "count_below", gold, TestSuite((TestProgram(HARNESS),)), language="asm-riscv64")
    assert judge(task, gold, sandbox, limits=LIMITS, cache=cache).completed
    bad = judge(task, mutated(gold, WRONG_CONDITION["riscv64"]), sandbox, limits=LIMITS, cache=cache)
    assert not bad.completed and bad.cases[0].error_type == "AssertionError", bad
