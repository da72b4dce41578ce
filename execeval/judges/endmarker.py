"""The end-of-tests marker: how a program in any language proves that its tests ran to their end.

Why: tests written in the task's own language (MultiPL-E, TransCoder scripts) run inside the candidate's process,
so neither the exit status nor anything printed can be trusted on its own: `exit(0)` before the first assert exits
cleanly, and a candidate can print whatever a results line looks like. So the harness appends an epilogue that runs
only after the tests' `main` returned, and prints a token drawn at random for each run and handed to the process
at run time (`END_TOKEN_ENV`, never in the source, so a build is cached and the token is not in anything the
candidate can read at compile time). A run passes only when it exits 0 *and* the token is on a line of its own.

Per language:
    c, cpp   the tests' `main` is renamed (`execeval_tests_main`; in C++ with a deduced return type, so a `main`
             without `return` stays defined behaviour) and a real `main` calls it, flushes, then prints the token;
             `NDEBUG` is undefined and <assert.h> re-included before the tests, so a candidate cannot switch
             `assert` off
    java     the class holding `main` loses `public`; a public wrapper class named after the source file enables
             assertions (as `java -ea` would, before the tests' class is initialised), calls its `main`, prints
    fortran  the tests' `program` becomes a subroutine, and a new main program takes the token, calls it, prints
             the token (Fortran cannot change its environment: the token stays readable there, like JS's)
    js, python, bash   one epilogue statement after the tests
    go       a test file (`testing` functions): a `TestMain` that prints the token after `m.Run()` returned 0 (the
             binary runs with -test.paniconexit0, so `os.Exit(0)` in a test fails); a program: `main` renamed and
             called from a real one, as in C
    rust     `main` renamed and called from a real one, which then calls every `#[test]` function itself (made a
             plain `pub fn`, its `#[cfg(test)]` module compiled in): libtest's harness has no hook after the last
             test. Limit: a `#[should_panic]` test, or one returning `Result`, is not judged as libtest would

An emulated run (assembly under qemu-user) gets the token in a work-dir file (`END_TOKEN_FILE`) instead, which the
C harness reads and deletes: qemu keeps its own copy of the environment, which the guest cannot clear.
The token leaves the environment before the tests run (C/C++ overwrite its value in the environment block, Java
removes it from `System.getenv`'s map, JS, Python and bash unset it), so a candidate's `getenv` finds nothing.
Limit (docs/multilang.md, docs/threat-model.md): the token is still in the process's memory (and, for JS, Python and
bash, in /proc/self/environ); a candidate that searches its own memory for it, or runs before `main` (a C
constructor, a C++ static initializer), can print it and forge a pass. It defeats accidents, early exits and a
plain `getenv`, not a candidate written to search its own process.
"""

from __future__ import annotations

import re
import secrets
from pathlib import PurePath

from execeval.errors import UsageError
from execeval.languages import ALIASES, SERIAL

__all__ = ["END_TOKEN_ENV", "END_TOKEN_FILE", "new_token", "add_end_marker", "lines_before_token", "marker_language"]

END_TOKEN_ENV = "EXECEVAL_END_TOKEN"
END_TOKEN_FILE = ".execeval_end_token"  # where an emulated run finds it instead (`Language.token_in_file`)
_TESTS_MAIN = "execeval_tests_main"

_C_MAIN = re.compile(r"\b(?:int|signed)\s+main\s*\(")
_C_MAIN_NO_ARGS = re.compile(r"\b(?:int|signed)\s+main\s*\(\s*(?:void)?\s*\)")
_JAVA_CLASS = re.compile(r"^(public\s+)?((?:(?:final|abstract|static)\s+)*)class\s+(\w+)", re.MULTILINE)


def new_token() -> str:
    """A fresh token for one run: 128 random bits, so it cannot be guessed or printed by accident."""
    return "execeval-end-" + secrets.token_hex(16)


def marker_language(name: str) -> str:
    """The epilogue family for a language name (`c++` and `cpp` share one, as do `js` and `javascript`)."""
    key = ALIASES.get(name.lower(), name.lower())  # the languages' own names: one table of aliases
    key = SERIAL.get(key, key)  # an OpenMP build runs the same tests as its serial language
    if key not in _EPILOGUES:
        raise UsageError(f"{name}: execeval cannot tell when tests written in this language have finished",
                         hint="supported: " + ", ".join(sorted(_EPILOGUES)))
    return key


def add_end_marker(language: str, source: str, *, source_name: str = "Main.java") -> str:
    """`source` (candidate + tests, or a filled-in translation script) with the end-of-tests epilogue.

    `source_name` is the file the language writes the source to: Java's wrapper class must carry its name."""
    return _EPILOGUES[marker_language(language)](source, source_name)


def lines_before_token(stdout: bytes, token: str) -> list[bytes] | None:
    """The lines printed before the token's line, or None when no line is exactly the token."""
    lines = stdout.split(b"\n")
    want = token.encode()
    for i in range(len(lines) - 1, -1, -1):
        if lines[i].rstrip(b"\r") == want:
            return lines[:i]
    return None


def _c_family(source: str, real_main_body: str, header: str, retype: str, run_tests: str) -> str:
    if not _C_MAIN.search(source):
        return source  # no main to run: the build fails on its own, with the linker's message
    call = f"{_TESTS_MAIN}()" if _C_MAIN_NO_ARGS.search(source) else f"{_TESTS_MAIN}(argc, argv)"
    renamed = _C_MAIN.sub(f"{retype} {_TESTS_MAIN}(", source)
    guard = "\n#undef NDEBUG\n#include <assert.h>\n"  # assert.h honours NDEBUG anew at each inclusion
    cut = renamed.find(f"{retype} {_TESTS_MAIN}(")
    renamed = renamed[:cut] + guard + renamed[cut:]
    return (f"{renamed}\n{header}\nint main(int argc, char **argv) {{\n    (void)argc; (void)argv;\n"
            f"{run_tests.format(call=call)}{real_main_body}    return 0;\n}}\n")


# The token leaves the environment before the tests run: copied out, then its value overwritten in place (the
# environment block itself, so neither getenv nor /proc/self/environ finds it; `unsetenv` is not in strict C17).
_C_TAKE_TOKEN = ("    {{ char *t = {ns}getenv(\"%s\");\n      if (t) {{ size_t n = {ns}strlen(t);\n"  # noqa: UP031 - then .format
                 "        if (n >= sizeof execeval_end_token) n = sizeof execeval_end_token - 1;\n"
                 "        {ns}memcpy(execeval_end_token, t, n); {ns}memset(t, 0, n); }}\n"
                 # no variable: the token is in a file (an emulated run), read and deleted before the tests
                 "      else {{ {ns}FILE *f = {ns}fopen(\"%s\", \"r\");\n"
                 "        if (f) {{ size_t n = {ns}fread(execeval_end_token, 1, sizeof execeval_end_token - 1, f);\n"
                 "          execeval_end_token[n] = 0; {ns}fclose(f); {ns}remove(\"%s\"); }} }} }}\n"
                 ) % (END_TOKEN_ENV, END_TOKEN_FILE, END_TOKEN_FILE)
_C_TOKEN_BUFFER = "static char execeval_end_token[160];"


def _take_token(ns: str) -> str:
    """The C/C++ statement that takes the token, braces escaped for `_c_family`'s format."""
    return _C_TAKE_TOKEN.format(ns=ns).replace("{", "{{").replace("}", "}}")


def _c(source: str, _: str) -> str:
    body = '    fflush(stdout);\n    printf("\\n%s\\n", execeval_end_token);\n    fflush(stdout);\n'
    # C: a renamed `main` that falls off its end returns garbage, so its value is not read
    return _c_family(source, body, f"#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n{_C_TOKEN_BUFFER}",
                     "int", _take_token("") + "    {call};\n")


def _cpp(source: str, _: str) -> str:
    body = ('    std::cout.flush();\n    std::fflush(stdout);\n'
            '    std::printf("\\n%s\\n", execeval_end_token);\n    std::fflush(stdout);\n')
    # C++: `auto` deduces void for a `main` without `return`; a non-zero return still fails the run
    header = ("#include <cstdio>\n#include <cstdlib>\n#include <cstring>\n#include <iostream>\n#include <type_traits>\n"
              "template <class F> int execeval_status_of(F f) {\n"
              "    if constexpr (std::is_void_v<decltype(f())>) { f(); return 0; } else { return f(); }\n}\n"
              + _C_TOKEN_BUFFER)
    run_tests = (_take_token("std::") + "    if (int rc = execeval_status_of([&] {{ return {call}; }}); rc != 0) return rc;\n")
    return _c_family(source, body, header, "auto", run_tests)


def _java(source: str, source_name: str) -> str:
    wrapper = PurePath(source_name).stem
    classes = list(_JAVA_CLASS.finditer(source))
    if not classes:
        return source  # nothing to run: javac or the JVM says so
    target = next((m for m in classes if m.group(1)), None) or next(
        (m for m in classes if m.group(3) == "Problem"), classes[0])
    name = target.group(3)
    source = source[:target.start()] + target.group(2) + f"class {name}" + source[target.end():]
    if name == wrapper:  # the tests' class has the file's name: give it another, the file's belongs to the wrapper
        name = f"{name}ExecevalTests"
        source = re.sub(rf"\b{wrapper}\b", name, source)
    return (f"{source}\n\npublic class {wrapper} {{\n    public static void main(String[] args) throws Throwable {{\n"
            "        ClassLoader.getSystemClassLoader().setDefaultAssertionStatus(true);\n"
            f'        String execevalEnd = System.getenv("{END_TOKEN_ENV}");\n'
            f"        execevalForgetToken();\n        {name}.main(args);\n        System.out.flush();\n"
            '        System.out.print("\\n" + execevalEnd + "\\n");\n'
            f"        System.out.flush();\n    }}\n{_JAVA_FORGET}}}\n")


# System.getenv's map is unmodifiable and java.util is not open to this class: sun.misc.Unsafe (jdk.unsupported)
# reaches the map behind it. Where that fails (another JVM), the token stays readable, as documented.
_JAVA_FORGET = f"""\
    private static void execevalForgetToken() {{
        try {{
            java.util.Map<String, String> env = System.getenv();
            java.lang.reflect.Field inner = env.getClass().getDeclaredField("m");
            java.lang.reflect.Field field = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            field.setAccessible(true);
            sun.misc.Unsafe unsafe = (sun.misc.Unsafe) field.get(null);
            ((java.util.Map<?, ?>) unsafe.getObject(env, unsafe.objectFieldOffset(inner))).remove("{END_TOKEN_ENV}");
        }} catch (Throwable e) {{
        }}
    }}
"""
_JS_DIRECTIVE = re.compile(r"""\A(#![^\n]*\n)?(\s*(["'])use strict\3;?)?""")


def _js(source: str, _: str) -> str:
    # taken before the tests, on the first line (line numbers stay), after a hashbang and a "use strict"
    take = f"var __execeval_end = process.env.{END_TOKEN_ENV}; delete process.env.{END_TOKEN_ENV}; "
    cut = _JS_DIRECTIVE.match(source).end()  # type: ignore[union-attr]
    return (f"{source[:cut]}{' ' if cut else ''}{take}{source[cut:]}\n"
            ';process.stdout.write("\\n" + __execeval_end + "\\n");\n')


_PY_FUTURE = re.compile(r"^from\s+__future__\s+import[^\n]*\n", re.MULTILINE)


def _python(source: str, _: str) -> str:
    futures = list(_PY_FUTURE.finditer(source))
    cut = futures[-1].end() if futures else 0  # `from __future__` must stay first
    take = f'import os as _execeval_os; _execeval_end = _execeval_os.environ.pop("{END_TOKEN_ENV}", "")\n'
    return (f"{source[:cut]}{take}{source[cut:]}\n\nimport sys as _execeval_sys\n_execeval_sys.stdout.flush()\n"
            '_execeval_sys.stdout.write("\\n" + _execeval_end + "\\n")\n')


def _bash(source: str, _: str) -> str:
    cut = source.find("\n") + 1 if source.startswith("#!") else 0
    take = f'__execeval_end="${END_TOKEN_ENV}"; unset {END_TOKEN_ENV}\n'
    return f"{source[:cut]}{take}{source[cut:]}\nprintf '\\n%s\\n' \"$__execeval_end\"\n"


_F_PROGRAM = re.compile(r"^[ \t]*program[ \t]+(\w+)[ \t]*(?:!.*)?$", re.IGNORECASE | re.MULTILINE)


def _fortran(source: str, _: str) -> str:
    found = _F_PROGRAM.search(source)
    if found is None:
        return source  # no main program to run: the linker says so
    name = found.group(1)
    end = re.compile(rf"^[ \t]*end[ \t]*program(?:[ \t]+{name})?[ \t]*(?:!.*)?$", re.IGNORECASE | re.MULTILINE)
    body = source[found.end():]
    closing = end.search(body)
    if closing is None:
        return source  # an unterminated program: the compiler says so
    renamed = (f"{source[:found.start()]}subroutine {_TESTS_MAIN}{body[:closing.start()]}"
               f"end subroutine {_TESTS_MAIN}{body[closing.end():]}")
    return (f"{renamed}\nprogram execeval_main\n  implicit none\n  character(len=160) :: execeval_end_token\n"
            f'  call get_environment_variable("{END_TOKEN_ENV}", execeval_end_token)\n  call {_TESTS_MAIN}()\n'
            "  flush(6)\n  write(*, '(/,A)') trim(execeval_end_token)\nend program execeval_main\n")




_GO_PACKAGE = re.compile(r"(?m)^package\s+\w+[^\n]*\n")
_GO_MAIN = re.compile(r"(?m)^func\s+main\s*\(\s*\)")
_GO_IMPORTS = 'import (\n\texecevalOS "os"\n\texecevalFmt "fmt"\n\texecevalTesting "testing"\n)\n'
_GO_PRINT = ('\texecevalOS.Stdout.Sync()\n\texecevalFmt.Printf("\\n%s\\n", execevalEnd)\n')


def _go(source: str, _: str) -> str:
    from execeval.languages.go import is_test_file

    package = _GO_PACKAGE.search(source)
    if package is None:
        return source  # no package clause: the compiler says so
    tests = is_test_file(source.encode())
    imports = _GO_IMPORTS if tests else _GO_IMPORTS.replace('\texecevalTesting "testing"\n', "")
    take = (f'\texecevalEnd := execevalOS.Getenv("{END_TOKEN_ENV}")\n'
            f'\texecevalOS.Unsetenv("{END_TOKEN_ENV}")\n')
    head, rest = source[:package.end()], source[package.end():]
    if tests:  # a failed test's report is on stdout: a line on stderr says so, for the verdict
        return (f"{head}{imports}{rest}\n\nfunc TestMain(m *execevalTesting.M) {{\n{take}\tcode := m.Run()\n"
                f"\tif code == 0 {{\n{_GO_PRINT}\t}} else {{\n"
                '\t\texecevalFmt.Fprintln(execevalOS.Stderr, "--- FAIL: a test failed")\n\t}\n'
                "\texecevalOS.Exit(code)\n}\n")
    if not _GO_MAIN.search(rest):
        return source
    rest = _GO_MAIN.sub(f"func {_TESTS_MAIN}()", rest, count=1)
    return f"{head}{imports}{rest}\n\nfunc main() {{\n{take}\t{_TESTS_MAIN}()\n{_GO_PRINT}}}\n"


_RUST_MAIN = re.compile(r"\bfn\s+main\s*\(\s*\)")
# `#[test]`, then any other attributes, comments and blank space before its `fn`
_RUST_TEST = re.compile(r"#\[test\]((?:\s|//[^\n]*|#\[[^\]]*\])*?)(?:pub\s+)?fn\s+(\w+)")
_RUST_SKIP = re.compile(r'"(?:\\.|[^"\\])*"|/\*.*?\*/|//[^\n]*', re.S)  # strings, then the comments to skip
_RUST_MOD = re.compile(r"\bmod\s+(\w+)\s*\{")


def _rust_test_path(source: str, at: int) -> str:
    """`module::name` of the module enclosing `at` (one level: HumanEval-X's `mod tests`), else ``."""
    for m in reversed(list(_RUST_MOD.finditer(source, 0, at))):
        if source.count("{", m.end() - 1, at) > source.count("}", m.end() - 1, at):
            return f"{m.group(1)}::"
    return ""


def _rust_tests(source: str) -> list[re.Match[str]]:
    """The `#[test]` functions of `source`, not those in a comment (HumanEval-X's Rust/32 comments its test out)."""
    comments = [m.span() for m in _RUST_SKIP.finditer(source) if not m.group().startswith('"')]
    return [m for m in _RUST_TEST.finditer(source) if not any(a <= m.start() < b for a, b in comments)]


def _rust(source: str, _: str) -> str:
    tests = _rust_tests(source)
    calls = [f"    {_rust_test_path(source, m.start())}{m.group(2)}();\n" for m in tests]
    for m in reversed(tests):  # each test a plain function the epilogue's `main` can call
        source = f"{source[:m.start()]}{m.group(1)}pub fn {m.group(2)}{source[m.end():]}"
    source = source.replace("#[cfg(test)]", "")
    run_main = f"    {_TESTS_MAIN}();\n" if _RUST_MAIN.search(source) else ""
    source = _RUST_MAIN.sub(f"fn {_TESTS_MAIN}()", source, count=1)
    return (f"{source}\n\nfn main() {{\n    use std::io::Write;\n"
            f'    let execeval_end = std::env::var("{END_TOKEN_ENV}").unwrap_or_default();\n'
            f'    std::env::remove_var("{END_TOKEN_ENV}");\n'
            f"{run_main}{''.join(calls)}"
            '    std::io::stdout().flush().ok();\n    print!("\\n{}\\n", execeval_end);\n'
            "    std::io::stdout().flush().ok();\n}\n")


_EPILOGUES = {"c": _c, "cpp": _cpp, "java": _java, "javascript": _js, "python": _python, "bash": _bash, "go": _go,
              "rust": _rust, "fortran": _fortran}
