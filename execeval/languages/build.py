"""Build once, run many times: compile through the sandbox and cache the artifacts by content.

A build is keyed by (language, toolchain identity, compile command and every file it is given, source): the same
program compiled for 200 samples or rerun tomorrow is compiled once. Compile failures are cached too (a program
that does not compile today will not compile tomorrow with the same compiler).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from execeval.errors import SandboxError
from execeval.languages.base import Language, Toolchain
from execeval.codeid import judging_code_id
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


def build_key(language: Language, toolchain: Toolchain, command: Command | None, source: bytes) -> str:
    files = sorted((n, hashlib.sha256(data).hexdigest()) for n, data in command.files.items()) if command else None
    recipe = [judging_code_id(), language.name, toolchain.identity,
              list(command.argv) if command else None, list(command.collect) if command else None, files]
    return hashlib.sha256(json.dumps(recipe).encode() + b"\0" + source).hexdigest()


def build(language: Language, source: str | bytes, sandbox: Sandbox, *, cache: BuildCache | None = None,
          limits: Limits = COMPILE_LIMITS, with_files: Mapping[str, bytes] | None = None) -> Build:
    """Compile `source` in the sandbox (or take it from `cache`).

    `with_files` are more files the compile job gets beside the source, by name (a test harness in another
    language, `Language.harness_name`); they are part of the build key.

    A missing toolchain is not the code's fault and not a crash: the build fails with `Status.SANDBOX_ERROR` and
    diagnostics naming the tool and how to install it (never cached: installing it fixes the next build)."""
    data = source.encode() if isinstance(source, str) else source
    toolchain = language.toolchain()
    if not toolchain.available:
        return Build(language.name, "", False, {}, Status.SANDBOX_ERROR, toolchain.missing_message())
    command = language.build_command(toolchain, data)
    if command is not None and with_files:
        command = dataclasses.replace(command, files={**command.files, **with_files})
    key = build_key(language, toolchain, command, data)
    if cache is not None and (hit := cache.get(key)) is not None:
        return hit
    if command is None:
        return Build(language.name, key, True, {language.source_name: data})
    start = time.monotonic()
    result = sandbox.run(command, language.build_limits(limits))
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
        limits: Limits = DEFAULT_LIMITS, env: Mapping[str, str] | None = None,
        files: Mapping[str, bytes] | None = None) -> ExecResult:
    """Run a successful build once with `stdin`; `limits` are what the program gets (its runtime's own needs are
    added by `Language.run_limits`); `env` adds variables and `files` work-dir files (the ways a value reaches
    the process at run time, never its build)."""
    if not built.ok:
        raise ValueError("cannot run a failed build")
    command = language.run_command(language.toolchain(), built.artifacts, stdin, args, limits=limits)
    if env or files:
        command = dataclasses.replace(command, env={**command.env, **(env or {})},
                                      files={**command.files, **(files or {})})
    return _with_error_type(language, sandbox.run(command, language.run_limits(limits)))


# ---------------------------------------------------------------- batch: every input in one process (Java's JVM)
# A batch command writes, for input i, `out/i.stdout`, `out/i.stderr` and `out/i.status`: one line
# `KIND EXIT_CODE CPU_MS WALL_MS ERROR_TYPE` ("-" for none), KIND one of `BATCH_KINDS` or "exited" (the
# program ended the whole process; its exit status is the process's, and the rest are run in a new batch).
BATCH_KINDS = {"ok": Status.OK, "failed": Status.FAILED, "timeout": Status.TIMEOUT,
               "memory_limit": Status.MEMORY_LIMIT, "output_limit": Status.OUTPUT_LIMIT}
BATCH_SLACK_S = 10.0  # the batch's own start-up (a JVM's) on top of its inputs' budgets
_EXITED = "exited"


def run_batch(language: Language, built: Build, sandbox: Sandbox, inputs: Sequence[bytes],
              limits: Limits = DEFAULT_LIMITS, *, cache: BuildCache | None = None) -> list[ExecResult] | None:
    """Run a successful build on every input in one process, when its language has a batch mode (Java: one JVM
    for all of a program's tests); None when it has none (then `run` each input).

    Each input gets `limits` as its own budget (cpu_s, wall_s, output_bytes each; memory for the process).
    Returns one result per input that ran, in order. A shorter list means an input ended the batch (a timeout,
    or the process died during it): its result is the last one, and the inputs after it were not run.
    The batch's driver program is built once through `sandbox` and kept in `cache` (default: the user's)."""
    if not built.ok:
        raise ValueError("cannot run a failed build")
    toolchain = language.toolchain()
    driver = _batch_driver(language, sandbox, cache)
    results: list[ExecResult] = []
    while True:
        rest = inputs[len(results):]
        command = language.batch_command(toolchain, built.artifacts, rest, limits=limits, driver=driver)
        if command is None:
            return None
        if not rest:
            return results
        needed_mb = (sum(map(len, rest)) + 2 * len(rest) * limits.output_bytes) // (1 << 20) + 16
        whole = limits.with_(wall_s=limits.wall_s * len(rest) + BATCH_SLACK_S,
                             cpu_s=limits.cpu_s * len(rest) + BATCH_SLACK_S, disk_mb=max(limits.disk_mb, needed_mb))
        got = _batch_results(language, sandbox.run(command, language.run_limits(whole)), len(rest), limits)
        results += got
        if not got or len(got) == len(rest) or got[-1].detail != _EXITED:  # "exited": resume after it
            return results


def _batch_driver(language: Language, sandbox: Sandbox, cache: BuildCache | None) -> Mapping[str, bytes] | None:
    source = language.batch_driver_source()
    if source is None:
        return None
    built = build(language, source, sandbox, cache=cache if cache is not None else BuildCache.default())
    if not built.ok:
        raise SandboxError(f"{language.name}: the batch driver did not build: {built.diagnostics}")
    return built.artifacts


def _batch_results(language: Language, whole: ExecResult, n: int, limits: Limits) -> list[ExecResult]:
    if whole.status is Status.SANDBOX_ERROR:
        return [whole] * n
    results = []
    for i in range(n):
        stdout, stderr = whole.files.get(f"out/{i}.stdout", b""), whole.files.get(f"out/{i}.stderr", b"")
        fields = whole.files.get(f"out/{i}.status", b"").decode("ascii", "replace").split()
        if len(fields) != 5 or fields[0] not in (*BATCH_KINDS, _EXITED):  # the process ended during this input
            status = whole.status if whole.status is not Status.OK else Status.FAILED
            results.append(_with_error_type(language, ExecResult(
                status, whole.exit_code, whole.signal, whole.wall_s, whole.cpu_s, whole.peak_memory_mb, stdout,
                stderr or whole.stderr, detail=whole.detail or f"the {language.name} process ended during this input")))
            break
        kind, code, cpu_ms, wall_ms, error_type = fields
        exit_code = whole.exit_code if kind == _EXITED else None if code == "-" else int(code)
        status = BATCH_KINDS.get(kind) or (Status.OK if exit_code == 0 else Status.FAILED)  # type: ignore[assignment]  # any Status, not only the batch kinds
        over = status is Status.OUTPUT_LIMIT
        results.append(ExecResult(
            status, exit_code, None, int(wall_ms) / 1000, int(cpu_ms) / 1000, whole.peak_memory_mb, stdout, stderr,
            over and len(stdout) >= limits.output_bytes, over and len(stderr) >= limits.output_bytes,
            None if error_type == "-" else error_type, stderr[-2000:].decode("utf-8", "replace"),
            detail=_EXITED if kind == _EXITED else ""))
        if status is Status.TIMEOUT:
            break
    return results


def _with_error_type(language: Language, result: ExecResult) -> ExecResult:
    """The exception a failed run died of, as its language prints it (the sandbox knows Python's only)."""
    if result.status is Status.OK or not result.stderr:
        return result
    found = language.error_type(result.stderr)
    return dataclasses.replace(result, error_type=found) if found else result


def _required(command: Command) -> set[str]:
    """Collect patterns without wildcards name files that must exist after a successful build."""
    return {p for p in command.collect if not any(ch in p for ch in "*?[")}


def _diagnostics(result: ExecResult) -> str:
    text = (result.stderr or result.stdout).decode("utf-8", "replace")
    if len(text) > DIAGNOSTICS_CHARS:  # keep whole lines: a cut one starts mid-path ("va:86: error")
        text = text[-DIAGNOSTICS_CHARS:].split("\n", 1)[-1]
    return (text or result.detail or result.status.value).strip()
