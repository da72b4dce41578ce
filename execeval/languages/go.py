"""Go with the `go` tool: a program is built once (`go build`), a test file (`*_test.go`, MultiPL-E's and
HumanEval-X's tests are `testing` functions) into a test binary (`go test -c`); either binary is run per input.

The compile job is offline and self-contained: the go tool's cache and GOPATH live in the job's work dir, its
HOME, and it builds in GOPATH mode (`GO_ENV`: no module, nothing fetched; a go.mod would be ignored anyway, the
work dir being the job's TMPDIR). The one third-party package the published Go tests import,
`github.com/stretchr/testify/assert` (HumanEval-X), is execeval's small stand-in (`go_testify_assert.go` here:
`New` and `Equal`, with testify's equality) put in that GOPATH, so it is one of the compile job's files and part
of the build key, as Java's javafx stand-in is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from execeval.languages.base import BaseLanguage, Toolchain, find_toolchain, packaged_source
from execeval.sandbox.base import Command
from execeval.sandbox.limits import Limits

BINARY = "main"
TEST_SOURCE = "main_test.go"
TESTIFY = "github.com/stretchr/testify"
TESTIFY_ASSERT = "go/src/github.com/stretchr/testify/assert/assert.go"  # under GOPATH, $HOME/go
# everything the go tool writes goes to the work dir (the sandbox's HOME: the defaults of GOCACHE and GOPATH are
# under it); no VCS stamping (no repository), no network; no -trimpath: it would rebuild the standard library
GO_ENV = {"GOPROXY": "off", "GOFLAGS": "-buildvcs=false", "GO111MODULE": "off",
          "GOTOOLCHAIN": "local", "CGO_ENABLED": "0", "GOTELEMETRY": "off"}
# the go tool runs the compiler and linker as child processes, several at a time, each with a few threads; its
# runtime reserves address space in large arenas
GO_BUILD_PROCESSES = 128
GO_RESERVE_MB = 1024
GO_THREADS = 16  # a Go program's runtime threads (GC workers, sysmon), counted by RLIMIT_NPROC
_TESTING = re.compile(r'(?m)^\s*(?:import\s+)?(?:\w+\s+)?"testing"')
_TEST_FUNC = re.compile(r"(?m)^func\s+Test\w*\s*\(\s*\w+\s+\*testing\.T\s*\)")
# a Go test binary: tests that call os.Exit(0) fail (what `go test` asks of it), no caching of results
TEST_FLAGS = ("-test.paniconexit0", "-test.count=1")
# "panic: runtime error: index out of range [5] with length 3" -> the error's kind
_PANIC = re.compile(rb"(?m)^panic: (?:runtime error: )?([a-z][\w ]*?)(?: \[|:|$)")


def is_test_file(source: bytes) -> bool:
    """A Go source whose tests are `testing` functions (built with `go test -c`), not a `main` program."""
    text = source.decode("utf-8", "replace")
    return bool(_TESTING.search(text) and _TEST_FUNC.search(text))


class Go(BaseLanguage):
    name = "go"
    source_name = "main.go"

    def toolchain(self) -> Toolchain:
        return find_toolchain(self.name, ("go",), "apt-get install golang-go")

    def build_command(self, toolchain: Toolchain, source: bytes) -> Command | None:
        files = {TESTIFY_ASSERT: packaged_source("go_testify_assert.go")} if b'"' + TESTIFY.encode() in source else {}
        test = is_test_file(source)
        name, binary = (TEST_SOURCE, f"{BINARY}.test") if test else (self.source_name, BINARY)
        files[name] = source
        verb = ("test", "-c") if test else ("build",)
        return Command((toolchain["go"], *verb, "-o", binary, name), files=files, env=GO_ENV, collect=(binary,))

    def run_command(self, toolchain: Toolchain, artifacts: Mapping[str, bytes], stdin: bytes = b"",
                    args: tuple[str, ...] = (), limits: Limits | None = None) -> Command:
        if f"{BINARY}.test" in artifacts:
            return Command((f"./{BINARY}.test", *TEST_FLAGS, *args), stdin=stdin, files=artifacts)
        return Command((f"./{BINARY}", *args), stdin=stdin, files=artifacts)

    def run_limits(self, limits: Limits) -> Limits:
        return limits.with_(memory_mb=limits.memory_mb + GO_RESERVE_MB, processes=limits.processes + GO_THREADS)

    def build_limits(self, limits: Limits) -> Limits:
        """The go tool's children and their threads count against RLIMIT_NPROC."""
        return limits.with_(processes=max(limits.processes, GO_BUILD_PROCESSES))

    def error_type(self, stderr: bytes) -> str | None:
        m = _PANIC.search(stderr)
        if m is None:
            return None
        words = m.group(1).decode("ascii", "replace").split()
        return "".join(w.capitalize() for w in words) or None
