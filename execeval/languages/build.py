"""Build once, run many times: compile through the sandbox and cache the artifacts by content.

A build is keyed by (language, toolchain identity, compile command, source): the same program compiled for 200
samples or rerun tomorrow is compiled once. Compile failures are cached too (a program that does not compile today
will not compile tomorrow with the same compiler).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import execeval
from execeval.errors import SandboxError
from execeval.languages.base import Language
from execeval.sandbox.base import Command, ExecResult, Sandbox, Status
from execeval.sandbox.limits import COMPILE_LIMITS, DEFAULT_LIMITS, Limits

DIAGNOSTICS_CHARS = 2000  # how much of a compiler's complaint a verdict keeps


@dataclass(frozen=True)
class Build:
    """A program made runnable, or why it could not be.

    ok:          it compiled (always True for interpreted languages)
    artifacts:   the files a run needs (the binary, the classes, or the source itself)
    status:      the compile job's status (`Status.FAILED` for a compile error, `TIMEOUT`, ...)
    diagnostics: the tail of the compiler's output when it failed
    """

    language: str
    key: str
    ok: bool
    artifacts: Mapping[str, bytes] = field(default_factory=dict)
    status: Status = Status.OK
    diagnostics: str = ""
    cached: bool = False
    compile_s: float = 0.0


class BuildCache:
    """Artifacts on disk, one directory per build key; safe to share between processes (atomic renames)."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root)

    @classmethod
    def default(cls) -> "BuildCache":
        """EXECEVAL_CACHE_DIR/builds, else ~/.cache/execeval/builds (the reference cache's neighbour)."""
        base = os.environ.get("EXECEVAL_CACHE_DIR") or os.path.join(
            os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "execeval")
        return cls(Path(base) / "builds")

    def get(self, key: str) -> Build | None:
        entry = self.root / key[:2] / key
        try:
            meta = json.loads((entry / "build.json").read_text())
            artifacts = {name: (entry / "files" / name).read_bytes() for name in meta["artifacts"]}
        except (OSError, ValueError, KeyError):
            return None
        return Build(meta["language"], key, meta["ok"], artifacts, Status(meta["status"]), meta["diagnostics"],
                     cached=True, compile_s=meta["compile_s"])

    def put(self, build: Build) -> None:
        final = self.root / build.key[:2] / build.key
        if final.exists():
            return
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=final.parent, prefix=".tmp-"))
        for name, data in build.artifacts.items():
            path = tmp / "files" / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        (tmp / "build.json").write_text(json.dumps({
            "language": build.language, "ok": build.ok, "status": build.status.value, "artifacts": list(build.artifacts),
            "diagnostics": build.diagnostics, "compile_s": build.compile_s}))
        try:
            os.rename(tmp, final)
        except OSError:  # another process stored the same build first
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def build_key(language: Language, source: bytes) -> str:
    toolchain = language.toolchain()
    command = language.build_command(toolchain, source)
    recipe = [execeval.__version__, language.name, toolchain.identity,
              list(command.argv) if command else None, list(command.collect) if command else None]
    return hashlib.sha256(json.dumps(recipe).encode() + b"\0" + source).hexdigest()


def build(language: Language, source: str | bytes, sandbox: Sandbox, *, cache: BuildCache | None = None,
          limits: Limits = COMPILE_LIMITS) -> Build:
    """Compile `source` in the sandbox (or take it from `cache`). A missing toolchain raises `SandboxError`."""
    data = source.encode() if isinstance(source, str) else source
    toolchain = language.toolchain()
    if not toolchain.available:
        raise SandboxError(f"{language.name}: toolchain not installed ({', '.join(toolchain.missing)})",
                           hint="install it, then check with `execeval doctor`")
    key = build_key(language, data)
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    command = language.build_command(toolchain, data)
    if command is None:
        return Build(language.name, key, True, {language.source_name: data})
    start = time.monotonic()
    result = sandbox.run(command, limits)
    elapsed = time.monotonic() - start
    if result.status is Status.SANDBOX_ERROR:
        raise SandboxError(f"{language.name}: the compile job failed in the harness: {result.detail}")
    ok = result.status is Status.OK and set(result.files) >= _required(command)
    status = Status.OK if ok else Status.FAILED if result.status is Status.OK else result.status  # exit 0, no output
    built = Build(language.name, key, ok, dict(result.files) if ok else {}, status,
                  "" if ok else _diagnostics(result), False, elapsed)
    if cache is not None and result.status in (Status.OK, Status.FAILED):  # limits hit: maybe load, not the code
        cache.put(built)
    return built


def run(language: Language, built: Build, sandbox: Sandbox, *, stdin: bytes = b"", args: tuple[str, ...] = (),
        limits: Limits = DEFAULT_LIMITS) -> ExecResult:
    """Run a successful build once with `stdin`."""
    if not built.ok:
        raise ValueError("cannot run a failed build")
    command = language.run_command(language.toolchain(), built.artifacts, stdin, args)
    return sandbox.run(command, language.run_limits(limits))


def _required(command: Command) -> set[str]:
    """Collect patterns without wildcards name files that must exist after a successful build."""
    return {p for p in command.collect if not any(ch in p for ch in "*?[")}


def _diagnostics(result: ExecResult) -> str:
    text = (result.stderr or result.stdout).decode("utf-8", "replace")
    return (text[-DIAGNOSTICS_CHARS:] or result.detail or result.status.value).strip()
