"""Checks every `Language` must pass (run by tests/test_languages.py for each language whose toolchain is here).

Each check takes a language, a sandbox that runs `Command`s and a build cache, and raises AssertionError with the
result when it fails, or `NotApplicable` when the language cannot express its program (SQL has no compile
step; the fake language only echoes). The programs are in `SAMPLES`, one small set per language, all doing the
same thing, so the same expectations hold for every language: exact bytes, stdin read line by line, exit
status, a runtime error with its detail, a loop stopped by the limits, compile errors, and the build cache.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import dataclass

from execeval.languages.base import Language
from execeval.languages.build import BuildCache, build, run
from execeval.sandbox.base import Sandbox, Status
from execeval.sandbox.limits import Limits

HELLO = b"hello,world\n"  # no space: SQLite's CSV would quote it
TWO_LINES_STDIN = b"3 4\n5\n"
TWO_LINES_OUT = b"7\n10\n"  # a + b from the first line, 2 * c from the second
FAST = Limits(wall_s=10, cpu_s=5, memory_mb=512, output_bytes=64 * 1024)
LOOP = Limits(wall_s=4, cpu_s=1, memory_mb=512)


@dataclass(frozen=True)
class Samples:
    """One language's programs for the checks; None where the language cannot express one.

    error_type / error_signal: the detail a runtime error must carry (an exception name, or a signal)."""

    hello: str
    two_lines: str | None = None
    exit_3: str | None = None
    runtime_error: str | None = None
    error_type: str | None = None
    error_signal: int | None = None
    infinite_loop: str | None = None
    compile_error: str | None = None
    two_lines_stdin: bytes = TWO_LINES_STDIN


SQL_TABLES = b"CREATE TABLE t(a INTEGER, b INTEGER); INSERT INTO t VALUES (3, 4); CREATE TABLE u(c INTEGER); " \
             b"INSERT INTO u VALUES (5);"

SAMPLES: dict[str, Samples] = {
    "python": Samples(
        hello="import sys\nsys.stdout.write('hello,world\\n')\n",
        two_lines="import sys\na, b = map(int, sys.stdin.buffer.readline().split())\n"
                  "c = int(sys.stdin.buffer.readline())\nprint(a + b)\nprint(2 * c)\n",
        exit_3="import sys\nsys.exit(3)\n", runtime_error="print(1 // 0)\n", error_type="ZeroDivisionError",
        infinite_loop="while True:\n    pass\n"),
    "c": Samples(
        hello='#include <stdio.h>\nint main(void) { fputs("hello,world\\n", stdout); return 0; }\n',
        two_lines='#include <stdio.h>\n#include <stdlib.h>\nint main(void) {\n  char l1[64], l2[64]; int a, b;\n'
                  '  if (!fgets(l1, sizeof l1, stdin) || !fgets(l2, sizeof l2, stdin)) return 1;\n'
                  '  sscanf(l1, "%d %d", &a, &b);\n  printf("%d\\n%d\\n", a + b, 2 * atoi(l2));\n  return 0;\n}\n',
        exit_3="int main(void) { return 3; }\n",
        runtime_error="#include <stdio.h>\nint main(void) { volatile int *p = 0; printf(\"%d\\n\", *p); return 0; }\n",
        error_signal=signal.SIGSEGV, infinite_loop="int main(void) { volatile unsigned x = 0; for (;;) x++; }\n",
        compile_error="int main(void) { return undeclared_name; }\n"),
    "cpp": Samples(
        hello='#include <iostream>\nint main() { std::cout << "hello,world\\n"; }\n',
        two_lines='#include <iostream>\n#include <sstream>\n#include <string>\nint main() {\n  std::string l1, l2;\n'
                  '  std::getline(std::cin, l1); std::getline(std::cin, l2);\n  std::istringstream s(l1); int a, b;'
                  ' s >> a >> b;\n  std::cout << a + b << "\\n" << 2 * std::stoi(l2) << "\\n";\n}\n',
        exit_3="int main() { return 3; }\n",
        runtime_error="#include <iostream>\nint main() { volatile int a = 7, z = 0; std::cout << a / z << std::endl; }\n",
        error_signal=signal.SIGFPE, infinite_loop="int main() { volatile unsigned x = 0; for (;;) x++; }\n",
        compile_error="int main() { std::vector<int> v; }\n"),
    "java": Samples(
        hello='public class Main {\n  public static void main(String[] args) {\n    System.out.print("hello,world\\n");\n'
              '  }\n}\n',
        two_lines="import java.io.*;\npublic class Main {\n  public static void main(String[] args) throws IOException {\n"
                  "    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));\n"
                  "    String[] ab = in.readLine().trim().split(\" \");\n    int c = Integer.parseInt(in.readLine().trim());\n"
                  "    System.out.print((Integer.parseInt(ab[0]) + Integer.parseInt(ab[1])) + \"\\n\" + 2 * c + \"\\n\");\n"
                  "  }\n}\n",
        exit_3="public class Main {\n  public static void main(String[] args) { System.exit(3); }\n}\n",
        runtime_error="public class Main {\n  static int z = 0;\n  public static void main(String[] args) {\n"
                      "    System.out.println(1 / z);\n  }\n}\n",
        error_type="ArithmeticException",
        infinite_loop="public class Main {\n  static volatile long x;\n  public static void main(String[] args) {\n"
                      "    for (;;) x++;\n  }\n}\n",
        compile_error="public class Main {\n  public static void main(String[] args) { int x = \"no\"; }\n}\n"),
    "javascript": Samples(
        hello="process.stdout.write('hello,world\\n');\n",
        two_lines="const rl = require('readline').createInterface({ input: process.stdin });\nconst lines = [];\n"
                  "rl.on('line', (l) => lines.push(l));\nrl.on('close', () => {\n"
                  "  const [a, b] = lines[0].split(' ').map(Number);\n"
                  "  process.stdout.write(`${a + b}\\n${2 * Number(lines[1])}\\n`);\n});\n",
        exit_3="process.exit(3);\n", runtime_error="const o = null;\nconsole.log(o.field);\n", error_type="TypeError",
        infinite_loop="let x = 0;\nfor (;;) { x++; }\n"),
    "bash": Samples(
        hello="printf 'hello,world\\n'\n", two_lines="read -r a b\nread -r c\necho $((a + b))\necho $((2 * c))\n",
        exit_3="exit 3\n", runtime_error="set -u\necho \"$undefined_name\"\necho unreachable\n",
        infinite_loop="while :; do :; done\n"),
    "sql": Samples(
        hello="SELECT 'hello', 'world';\n", two_lines="SELECT a + b FROM t;\nSELECT 2 * c FROM u;\n",
        two_lines_stdin=SQL_TABLES, exit_3="SELECT 1 WHERE 0;\n.exit 3\n", runtime_error="SELECT * FROM missing;\n",
        infinite_loop="WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n;\n"),
    "fortran": Samples(
        hello="program p\n  write(*, '(A)') 'hello,world'\nend program p\n",
        two_lines="program p\n  integer :: a, b, c\n  read(*, *) a, b\n  read(*, *) c\n  write(*, '(I0)') a + b\n"
                  "  write(*, '(I0)') 2 * c\nend program p\n",
        exit_3="program p\n  stop 3\nend program p\n", runtime_error="program p\n  error stop 'boom'\nend program p\n",
        infinite_loop="program p\n  integer, volatile :: x\n  x = 0\n  do\n    x = x + 1\n  end do\nend program p\n",
        compile_error="program p\n  implicit none\n  x = undeclared_name(\nend program p\n"),
    "go": Samples(
        hello='package main\n\nimport "fmt"\n\nfunc main() { fmt.Print("hello,world\\n") }\n',
        two_lines='package main\n\nimport (\n\t"bufio"\n\t"fmt"\n\t"os"\n)\n\nfunc main() {\n'
                  '\tin := bufio.NewReader(os.Stdin)\n\tvar a, b, c int\n\tfmt.Fscanln(in, &a, &b)\n\tfmt.Fscanln(in, &c)\n'
                  '\tfmt.Printf("%d\\n%d\\n", a+b, 2*c)\n}\n',
        exit_3='package main\n\nimport "os"\n\nfunc main() { os.Exit(3) }\n',
        runtime_error='package main\n\nimport "fmt"\n\nfunc main() {\n\tvar xs []int\n\tfmt.Println(xs[len(xs)+2])\n}\n',
        error_type="IndexOutOfRange",
        infinite_loop="package main\n\nvar x uint\n\nfunc main() {\n\tfor {\n\t\tx++\n\t}\n}\n",
        compile_error="package main\n\nfunc main() { return undeclaredName }\n"),
    "rust": Samples(
        hello='fn main() {\n    print!("hello,world\\n");\n}\n',
        two_lines="use std::io::BufRead;\nfn main() {\n    let mut lines = std::io::stdin().lock().lines();\n"
                  "    let first: Vec<i64> = lines.next().unwrap().unwrap().split(' ').map(|x| x.parse().unwrap())"
                  ".collect();\n    let c: i64 = lines.next().unwrap().unwrap().trim().parse().unwrap();\n"
                  '    println!("{}\\n{}", first[0] + first[1], 2 * c);\n}\n',
        exit_3="fn main() {\n    std::process::exit(3);\n}\n",
        runtime_error='fn main() {\n    let z = std::env::args().count() - 1;\n    println!("{}", 7 / z);\n}\n',
        error_type="Panic",
        infinite_loop="fn main() {\n    let mut x: u64 = 0;\n    loop {\n        unsafe { std::ptr::write_volatile(&mut x, x + 1) };\n"
                      "    }\n}\n",
        compile_error="fn main() {\n    let x: i32 = \"no\";\n}\n"),
    "fake": Samples(hello=HELLO.decode()),
}
# assembly: whole programs (their own `main`, calling the static libc), no harness; per ISA the instructions of
# main that print (via puts), return 3, load from address 0, loop
_ASM_MAIN = {
    "x86_64": ("subq $8, %rsp\n leaq msg(%rip), %rdi\n call puts\n xorl %eax, %eax\n addq $8, %rsp\n ret",
               "movl $3, %eax\n ret", "xorl %eax, %eax\n movl (%rax), %eax\n ret", "jmp main"),
    "aarch64": ("stp x29, x30, [sp, -16]!\n adrp x0, msg\n add x0, x0, :lo12:msg\n bl puts\n mov w0, 0\n"
                " ldp x29, x30, [sp], 16\n ret", "mov w0, 3\n ret", "mov x0, 0\n ldr w0, [x0]\n ret", "b main"),
    "riscv64": ("addi sp, sp, -16\n sd ra, 8(sp)\n lla a0, msg\n call puts\n li a0, 0\n ld ra, 8(sp)\n"
                " addi sp, sp, 16\n ret", "li a0, 3\n ret", "lw a0, 0(zero)\n ret", "j main"),
}


def _asm_program(body: str) -> str:
    return f'\t.section .rodata\nmsg:\t.string "hello,world"\n\t.text\n\t.globl main\nmain:\n {body}\n'


for _isa, (_hello, _exit_3, _crash, _loop) in _ASM_MAIN.items():
    SAMPLES[f"asm-{_isa}"] = Samples(
        hello=_asm_program(_hello), exit_3=_asm_program(_exit_3), runtime_error=_asm_program(_crash),
        error_signal=signal.SIGSEGV, infinite_loop=_asm_program(_loop),
        compile_error=_asm_program("no_such_instruction 1, 2"))


class NotApplicable(Exception):
    """The language has no program for this check (SQL has no compile step)."""


def _samples(language: Language) -> Samples:
    """The language's programs; an OpenMP build runs its serial language's."""
    from execeval.languages import SERIAL

    return SAMPLES[SERIAL.get(language.name, language.name)]


def _sample(language: Language, field: str) -> str:
    value = getattr(_samples(language), field)
    if value is None:
        raise NotApplicable(f"{language.name} has no {field} program")
    return value


def _run(language: Language, sb: Sandbox, cache: BuildCache, field: str, stdin: bytes = b"",
         limits: Limits = FAST):
    built = build(language, _sample(language, field), sb, cache=cache)
    assert built.ok, (field, built)
    return run(language, built, sb, stdin=stdin, limits=limits)


def check_hello_exact_bytes(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    r = _run(language, sb, cache, "hello")
    assert r.status is Status.OK and r.exit_code == 0, r
    assert r.stdout == HELLO, r


def check_reads_two_lines(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    r = _run(language, sb, cache, "two_lines", _samples(language).two_lines_stdin)
    assert r.status is Status.OK and r.stdout == TWO_LINES_OUT, r


def check_exit_status(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    r = _run(language, sb, cache, "exit_3")
    assert r.status is Status.FAILED and r.exit_code == 3, r


def check_runtime_error(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    samples = _samples(language)
    r = _run(language, sb, cache, "runtime_error")
    if samples.error_signal is not None:
        assert r.status is Status.KILLED and r.signal == samples.error_signal, r
    else:
        assert r.status is Status.FAILED and r.exit_code not in (0, None), r
        assert samples.error_type is None or r.error_type == samples.error_type, r


def check_infinite_loop_is_stopped(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    r = _run(language, sb, cache, "infinite_loop", limits=LOOP)
    assert r.status in (Status.TIMEOUT, Status.CPU_LIMIT), r
    assert r.wall_s <= LOOP.wall_s + 1.0, r


def check_compile_error(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    source = _sample(language, "compile_error")
    first = build(language, source, sb, cache=cache)
    assert not first.ok and first.status is Status.FAILED and first.diagnostics and not first.artifacts, first
    again = build(language, source, sb, cache=cache)
    assert again.cached and not again.ok and again.diagnostics == first.diagnostics, again


def check_build_cache_round_trip(language: Language, sb: Sandbox, cache: BuildCache) -> None:
    if language.build_command(language.toolchain(), b"") is None:
        raise NotApplicable(f"{language.name} has nothing to build: its source is run as is")
    source = _sample(language, "hello") + "\n"  # not built by another check
    first = build(language, source, sb, cache=cache)
    second = build(language, source, sb, cache=cache)
    assert first.ok and not first.cached and second.cached, (first, second)
    assert second.key == first.key and dict(second.artifacts) == dict(first.artifacts), second
    r = run(language, second, sb, limits=FAST)
    assert r.status is Status.OK and r.stdout == (source.encode() if language.name == "fake" else HELLO), r


CHECKS: tuple[Callable[[Language, Sandbox, BuildCache], None], ...] = (
    check_hello_exact_bytes, check_reads_two_lines, check_exit_status, check_runtime_error,
    check_infinite_loop_is_stopped, check_compile_error, check_build_cache_round_trip,
)
