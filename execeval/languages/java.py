"""Java with javac/java: compiled once per source, and all of a program's inputs run in one JVM (`batch_command`).

The source file is named after its public top-level class (javac insists), `Main.java` when there is none; the
class to launch is the one whose bytecode has `public static void main(String[])` (`classfile.main_class`), so
MultiPL-E's package-private `class Problem` and a contest's `public class Main` both work.

A source that mentions `javafx.util` (every TransCoder GfG script imports `javafx.util.Pair`) is compiled with
execeval's own small `javafx.util.Pair` (`javafx.util.Pair.java` here; the JDK has no JavaFX): its source is one
of the compile job's files, so its hash is in the build key, and its class is one of the build's artifacts.

JVM flags are chosen for many small, short programs under RLIMIT_AS: see `JVM_FLAGS` and `run_limits`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain, packaged_source
from execeval.languages.classfile import main_class
from execeval.sandbox.base import Command
from execeval.sandbox.crashes import JVM_UNCAUGHT
from execeval.sandbox.limits import Limits

# Start fast and small: serial GC (no GC threads), C1 only (no C2 compile threads; start-up dominates short runs),
# the class-data-sharing archive, no /tmp/hsperfdata file, a 64 MiB compressed-class reservation instead of 1 GiB
# (RLIMIT_AS counts reservations), VM messages on stderr (never in the judged stdout), assertions on (MultiPL-E's
# tests are `assert` statements, run with `java -ea`).
JVM_FLAGS = ("-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData",
             "-XX:CompressedClassSpaceSize=64m", "-XX:+DisplayVMOutputToStderr", "-Xlog:disable",
             "-Xlog:all=warning:stderr", "-ea", "-Dfile.encoding=UTF-8")
JAVAC_FLAGS = ("-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto", "-J-XX:-UsePerfData",
               "-encoding", "UTF-8", "-nowarn", "-d", ".")
MAIN_STACK_MB = 64  # the program's main thread, as contest judges give Java (deep recursion is common)
# Address space the JVM reserves beyond the heap (-Xmx = the task's memory_mb): code cache, metaspace, CDS
# archive, thread stacks (-Xss for every JVM thread in a plain run), malloc arenas. Measured: about 1 GiB with
# -Xss64m and MALLOC_ARENA_MAX=2 (Java 17); RSS stays ~30 MiB, this is reservation, not use.
JVM_RESERVE_MB = 1536
JVM_THREADS = 32  # VM, compiler, reference handler, finalizer, signal, cleaner... counted by RLIMIT_NPROC
JVM_ENV = {"MALLOC_ARENA_MAX": "2"}  # each thread's 64 MiB malloc arena would count against RLIMIT_AS
DRIVER_DIR = ".execeval"
DRIVER_CLASS = "ExecevalBatch"
DEFAULT_SOURCE = "Main.java"
JAVAFX_PAIR = "javafx.util.Pair.java"  # the stand-in's resource name; below, where it goes in the compile job
JAVAFX_SOURCE = f"{DRIVER_DIR}/javafx/util/Pair.java"
JAVAFX_CLASSES = "javafx/util/*.class"  # javac -d . writes the class by its package
_PUBLIC_TYPE = re.compile(rb"(?m)^[ \t]*public\s+(?:(?:final|abstract|sealed|non-sealed|strictfp)\s+)*"
                          rb"(?:class|interface|enum|record)\s+([A-Za-z_$][\w$]*)")
_COMMENT = re.compile(rb"/\*.*?\*/|//[^\n]*", re.S)


def source_file(source: bytes) -> str:
    """`X.java` for the first public top-level type `X` (javac requires it), else `Main.java`."""
    m = _PUBLIC_TYPE.search(_COMMENT.sub(b"", source))
    return f"{m.group(1).decode()}.java" if m else DEFAULT_SOURCE


class Java(BaseLanguage):
    name = "java"
    source_name = DEFAULT_SOURCE  # the usual name; `source_file` picks the real one per source
    error_line = JVM_UNCAUGHT

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, ("javac", "java"), "apt-get install default-jdk-headless")

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        name = source_file(source)
        files, sources, collect = {name: source}, (name,), ("*.class",)
        if b"javafx.util" in source:
            files[JAVAFX_SOURCE] = javafx_pair_source()
            sources, collect = (name, JAVAFX_SOURCE), (*collect, JAVAFX_CLASSES)  # type: ignore[assignment]  # one or two sources
        return Command((toolchain["javac"], *JAVAC_FLAGS, *sources), files=files, collect=collect)

    def jvm(self, toolchain: Toolchain, limits: Limits | None) -> tuple[str, ...]:
        heap = (limits or Limits()).memory_mb
        return (toolchain["java"], *JVM_FLAGS, f"-Xmx{heap}m")

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        main = main_class(artifacts) or DEFAULT_SOURCE.removesuffix(".java")  # none: java says so, clearly
        return Command((*self.jvm(toolchain, limits), f"-Xss{MAIN_STACK_MB}m", "-cp", ".", main, *args),
                       stdin=stdin, files=artifacts, env=JVM_ENV)

    def run_limits(self, limits: Limits) -> Limits:
        return limits.with_(memory_mb=limits.memory_mb + JVM_RESERVE_MB, processes=limits.processes + JVM_THREADS)

    def batch_driver_source(self) -> bytes | None:
        return packaged_source(f"{DRIVER_CLASS}.java")

    def batch_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], inputs: Sequence[bytes],
                      limits: Limits | None = None, driver: Mapping[str, bytes] | None = None) -> Command | None:
        if driver is None:
            raise ValueError("the Java batch needs its driver's classes (build batch_driver_source())")
        limits = limits or Limits()
        main = main_class(artifacts) or DEFAULT_SOURCE.removesuffix(".java")
        files = {**artifacts, **{f"{DRIVER_DIR}/{k}": v for k, v in driver.items()},
                 **{f"in/{i}": data for i, data in enumerate(inputs)}}
        argv = (*self.jvm(toolchain, limits), "-Djava.security.manager=allow", "-cp", DRIVER_DIR, DRIVER_CLASS,
                main, str(len(inputs)), str(int(limits.cpu_s * 1000)), str(int(limits.wall_s * 1000)),
                str(limits.output_bytes), str(MAIN_STACK_MB << 20))
        return Command(argv, files=files, env=JVM_ENV, collect=("out/*",))


def javafx_pair_source() -> bytes:
    """The source of execeval's `javafx.util.Pair` (what programs written for JavaFX's get instead)."""
    return packaged_source(JAVAFX_PAIR)
