"""Every language passes the same conformance checks (execeval/languages/conformance.py), through the real
sandbox and real toolchains; a language whose toolchain is missing here is skipped with the reason. Then what is
particular to some: the Java batch (one JVM for all inputs), finding Java's main class, SQL's set-up, the build
cache for multi-file artifacts, and a missing toolchain giving a verdict instead of a crash."""

from __future__ import annotations

import pytest

from execeval.errors import UsageError
from execeval.languages import LANGUAGES, build, get_language, run, run_batch, toolchains
from execeval.languages.conformance import CHECKS, FAST, NotApplicable
from execeval.languages.fake import Fake
from execeval.languages.java import source_file
from execeval.sandbox import CommandSandbox, Limits, Status

ALL = {**LANGUAGES, "fake": Fake()}


@pytest.fixture(scope="module")
def sandbox():
    sb = CommandSandbox(workers=2)
    yield sb
    sb.close()



def require(name: str):
    language = ALL[name]
    toolchain = language.toolchain()
    if not toolchain.available:
        pytest.skip(toolchain.missing_message())
    return language


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
@pytest.mark.parametrize("name", sorted(ALL))
def test_conformance(sandbox, cache, name, check):
    language = require(name)
    try:
        check(language, sandbox, cache)
    except NotApplicable as e:
        pytest.skip(str(e))


@pytest.mark.parametrize("check", CHECKS, ids=[c.__name__.removeprefix("check_") for c in CHECKS])
def test_python_conformance_in_the_fork_server(cache, check):
    """Python runs are `Script`s: the same checks hold when the pool's pre-warmed server runs them (forked, not a
    fresh interpreter: what `evaluate` and `translate` use)."""
    with CommandSandbox(workers=1, fresh_python=False) as forked:
        try:
            check(get_language("python"), forked, cache)
        except NotApplicable as e:
            pytest.skip(str(e))


def test_python_runs_fork_from_the_warm_server_only_when_asked(cache):
    """`fresh_python=False` really forks the pre-warmed server (its modules are already imported); the default
    starts a fresh interpreter. Both give the program its arguments."""
    python = get_language("python")
    probe = "import sys\nprint('textwrap' in sys.modules, sys.argv[1:])\n"  # pre-warmed (process.py PREWARM)
    built = build(python, probe, None, cache=cache)  # nothing to build: no sandbox needed
    with CommandSandbox(workers=1, fresh_python=False) as forked, CommandSandbox(workers=1) as fresh:
        warm = run(python, built, forked, args=("a",))
        cold = run(python, built, fresh, args=("a",))
    assert warm.stdout == b"True ['a']\n", warm
    assert cold.stdout == b"False ['a']\n", cold


# ---------------------------------------------------------------- missing toolchains, names
def test_missing_toolchain_is_a_verdict_not_a_crash(sandbox, cache):
    lang = Fake(cp="execeval-no-such-compiler")
    built = build(lang, "x", sandbox, cache=cache)
    assert not built.ok and built.status is Status.SANDBOX_ERROR, built
    assert "execeval-no-such-compiler" in built.diagnostics and "apt-get install" in built.diagnostics, built
    assert not any(cache.root.rglob("build.json")) or build(Fake(), "x", sandbox, cache=cache).ok  # not cached


def test_toolchains_and_their_table():
    from rich.console import Console

    found = {tc.language: tc for tc in toolchains()}
    assert set(found) == set(LANGUAGES) and found["python"].available
    console = Console(record=True, width=200)
    from execeval.report.terminal import print_toolchains

    print_toolchains([*found.values(), Fake(cat="execeval-no-such-runner").toolchain()], console)
    text = console.export_text()
    assert "execeval-no-such-runner" in text and "missing" in text and "installed" in text, text


def test_language_names_and_aliases():
    assert get_language("C++").name == "cpp" and get_language("js").name == "javascript"
    assert get_language("sqlite").name == "sql" and get_language("java").name == "java"
    with pytest.raises(UsageError):
        get_language("cobol")


# ---------------------------------------------------------------- Java
def test_java_source_is_named_after_its_public_class():
    assert source_file(b"// public class Wrong {}\n/* public class Nope */\npublic final class Solution {}\n") \
        == "Solution.java"
    assert source_file(b"import java.util.*;\nclass Problem {\n  public static class Inner {}\n}\n") == "Main.java"


MULTI_CLASS = """import java.util.*;
class Problem {
    static class Pair { final int a, b; Pair(int a, int b) { this.a = a; this.b = b; } }
    interface Op { int apply(Pair p); }
    public static int add(int a, int b) { Op op = p -> p.a + p.b; return op.apply(new Pair(a, b)); }
    public static void main(String[] args) {
        assert add(2, 3) == 5;
        System.out.println("ok " + add(20, 22));
    }
}
"""


def test_java_multiclass_build_round_trips_the_cache_and_finds_main(sandbox, cache):
    java = require("java")
    first = build(java, MULTI_CLASS, sandbox, cache=cache)
    second = build(java, MULTI_CLASS, sandbox, cache=cache)
    classes = sorted(first.artifacts)
    assert first.ok and len(classes) >= 3 and "Problem$Pair.class" in classes, first
    assert second.cached and dict(second.artifacts) == dict(first.artifacts)
    r = run(java, second, sandbox, limits=FAST)
    assert r.status is Status.OK and r.stdout == b"ok 42\n", r


def test_java_asserts_are_enabled(sandbox, cache):
    java = require("java")
    built = build(java, MULTI_CLASS.replace("add(2, 3) == 5", "add(2, 3) == 6"), sandbox, cache=cache)
    r = run(java, built, sandbox, limits=FAST)
    assert r.status is Status.FAILED and r.error_type == "AssertionError" and not r.stdout, r


BATCH = """import java.io.*;
public class Main {
    static int runs = 0;
    static final StringBuilder seen = new StringBuilder();
    public static void main(String[] args) throws IOException {
        runs++;
        String line = new BufferedReader(new InputStreamReader(System.in)).readLine().trim();
        seen.append(line);
        switch (line) {
            case "boom": throw new IllegalStateException("boom");
            case "exit0": System.out.println("bye"); System.exit(0);
            case "exit2": System.exit(2);
            case "loop": for (;;) { }
            case "flood": for (;;) System.out.print("xxxxxxxx");
            case "catch-exit":
                try { System.exit(4); } catch (Exception e) { System.out.println("caught"); }
                return;
            default:
                System.err.print("err " + line);
                System.out.print(line + " runs=" + runs + " seen=" + seen + "\\n");
        }
    }
}
"""


@pytest.fixture(scope="module")
def batch_build(sandbox, cache):
    java = require("java")
    built = build(java, BATCH, sandbox, cache=cache)
    assert built.ok, built
    return java, built


def test_java_batch_fresh_statics_and_failures_do_not_stop_it(sandbox, cache, batch_build):
    java, built = batch_build
    inputs = [b"a\n", b"boom\n", b"b\n", b"exit0\n", b"exit2\n", b"catch-exit\n", b"c\n"]
    results = run_batch(java, built, sandbox, inputs, FAST, cache=cache)
    assert [r.status for r in results] == [Status.OK, Status.FAILED, Status.OK, Status.OK, Status.FAILED,
                                           Status.FAILED, Status.OK], results
    assert results[0].stdout == b"a runs=1 seen=a\n" and results[0].stderr == b"err a", results[0]
    assert results[2].stdout == b"b runs=1 seen=b\n" and results[6].stdout == b"c runs=1 seen=c\n", results
    assert results[1].error_type == "IllegalStateException" and b"boom" in results[1].stderr, results[1]
    assert results[3].exit_code == 0 and results[3].stdout == b"bye\n", results[3]
    assert results[4].exit_code == 2 and results[5].exit_code == 4 and results[5].stdout == b"", results
    # the same program run alone, one JVM per input, gives the same verdicts and bytes
    for data, batched in zip(inputs, results):
        alone = run(java, built, sandbox, stdin=data, limits=FAST)
        assert (alone.status, alone.exit_code, alone.stdout) == (batched.status, batched.exit_code,
                                                                 batched.stdout), (data, alone, batched)


def test_java_batch_stops_at_the_first_timeout(sandbox, cache, batch_build):
    java, built = batch_build
    results = run_batch(java, built, sandbox, [b"a\n", b"loop\n", b"b\n"], Limits(wall_s=5, cpu_s=1,
                                                                                  memory_mb=512), cache=cache)
    assert [r.status for r in results] == [Status.OK, Status.TIMEOUT], results
    assert results[1].cpu_s <= 2.0, results[1]


def test_java_batch_caps_each_inputs_output(sandbox, cache, batch_build):
    java, built = batch_build
    limits = FAST.with_(output_bytes=1000)
    results = run_batch(java, built, sandbox, [b"flood\n", b"a\n"], limits, cache=cache)
    assert results[0].status is Status.OUTPUT_LIMIT and len(results[0].stdout) == 1000, results[0]
    assert results[0].stdout_truncated and results[1].status is Status.OK, results


def test_batch_is_none_where_a_process_per_input_is_cheap(sandbox, cache):
    cpp = require("cpp")
    built = build(cpp, "int main() { return 0; }\n", sandbox, cache=cache)
    assert run_batch(cpp, built, sandbox, [b""], FAST, cache=cache) is None


# ---------------------------------------------------------------- SQL
def test_sql_setup_output_is_not_the_answer(sandbox, cache):
    sql = require("sql")
    setup = b"CREATE TABLE p(name TEXT, n INT); INSERT INTO p VALUES ('a,b', 1), (NULL, 2); SELECT 'setup noise';"
    built = build(sql, "SELECT name, n FROM p ORDER BY n;", sandbox, cache=cache)
    r = run(sql, built, sandbox, stdin=setup, limits=FAST)
    assert r.status is Status.OK and r.stdout == b'"a,b",1\n,2\n', r


def test_doctor_lists_toolchains_and_how_to_install_the_missing_ones(monkeypatch):
    """`execeval doctor --json` reports every language; with nothing on PATH, compiled languages are missing and
    say how to install them (Python is the running interpreter, always there)."""
    import json

    from typer.testing import CliRunner

    from execeval.cli import app

    monkeypatch.setenv("PATH", "/nonexistent")
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output  # 1 would mean isolation is not full
    report = json.loads(result.stdout)["toolchains"]
    assert report["python"]["available"], report
    assert not report["cpp"]["available"] and report["cpp"]["missing"] == ["g++"], report
    assert report["cpp"]["install"], report
