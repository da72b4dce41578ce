"""SandboxFusion's `POST /run_code`, served by execeval's sandbox: what verl's code reward and the SandboxFusion SDK
call, per rollout and per test case, without a change on their side (docs/scale.md, "SandboxFusion-compatible API").

    POST /run_code            {"code", "language", "compile_timeout": 10, "run_timeout": 10, "memory_limit_MB": -1,
    POST /t/TOKEN/run_code     "stdin", "files": {path: base64}, "fetch_files": [path]}
      -> {"status": "Success" | "Failed" | "SandboxError", "message", "compile_result", "run_result",
          "executor_pod_name", "files": {path: base64}}
         each result {"status": "Finished" | "Error" | "TimeLimitExceeded", "execution_time", "return_code",
                      "stdout", "stderr"}

The overall status follows SandboxFusion's rule: a result in `Error` (a harness fault, never the code's) makes it
`SandboxError`; else a time-out or a non-zero return code makes it `Failed`; else `Success`. So a crash, a kill, a
memory or output limit is `Finished` with a non-zero `return_code` (minus the signal when killed), a time-out is
`TimeLimitExceeded`, and a compile error is a `Finished` compile result with return code 1 and no run.

Compiled languages go through execeval's build cache (the same program compiled once, whoever asks); a run is one
`Command` (or a Python `Script`) in the sandbox with `stdin` on its pipe. `files` are written into the job's private
work dir and `fetch_files` are read back from it: paths are relative, without `..` (an absolute path gets 400).

Clients of this protocol cannot all send headers, so the token may be in the path (`/t/TOKEN/run_code`; uvicorn's
access log is off in `execeval serve`). Overload is answered 504 with `Retry-After`, not 429: verl retries a 504
only, and scores any other failure as a failed test.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import os
import posixpath
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

import orjson
from prometheus_client import CollectorRegistry, Counter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from execeval.errors import ExecevalError
from execeval.languages import BuildCache, Language, get_language
from execeval.languages.base import Interpreted
from execeval.languages.build import Build, build
from execeval.sandbox.base import Command, ExecResult, Script, Status
from execeval.sandbox.limits import COMPILE_LIMITS, DEFAULT_LIMITS
from execeval.service.schema import Ceilings

if TYPE_CHECKING:
    from execeval.service.engine import Verifier

#: SandboxFusion's language names -> execeval's; any other name gets 400 listing these
LANGUAGES = {"python": "python", "cpp": "cpp", "c": "c", "java": "java", "nodejs": "javascript", "bash": "bash",
             "sql": "sql", "go": "go", "go_test": "go", "rust": "rust"}  # go_test: a test file is told by its content
OUTPUT_ENV = "EXECEVAL_RUN_CODE_OUTPUT_BYTES"  # the operator's cap on stdout and on stderr, each (bytes)
DEFAULT_OUTPUT_BYTES = DEFAULT_LIMITS.output_bytes
KILLED_CODE = -9  # the return code of a run killed at a limit whose signal the sandbox does not report
_GLOB = set("*?[")


class Admission(Protocol):
    """What this endpoint uses of app.py's admission queue (app.py imports this module, not the other way)."""

    def enter(self, n: int) -> bool: ...

    def leave(self, n: int) -> None: ...

    def retry_after(self) -> int: ...


class Metrics(Protocol):
    """app.py's metrics: its registry, its per-HTTP-status counter and the cached way to count."""

    registry: CollectorRegistry
    requests: Counter

    def count(self, counter: Counter, label: str) -> None: ...


class Settings(Protocol):
    """app.py's `ServiceSettings`, read-only."""

    @property
    def token(self) -> str | None: ...

    @property
    def max_body_bytes(self) -> int: ...

    @property
    def ceilings(self) -> Ceilings: ...


class BadRequest(ValueError):
    """A request this endpoint refuses (400): the field and why."""


@dataclass(frozen=True)
class RunCode:
    """One parsed `/run_code` request."""

    code: str
    language: str  # SandboxFusion's name
    compile_timeout: float
    run_timeout: float
    memory_mb: int | None  # None: the server's default
    stdin: bytes
    files: dict[str, bytes]
    fetch_files: tuple[str, ...]


def parse(body: bytes, max_timeout_s: float, max_memory_mb: int, max_code_chars: int) -> RunCode:
    """The request, or `BadRequest` naming the field. Unknown fields are ignored, as SandboxFusion does."""
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as e:
        raise BadRequest(f"the body is not JSON: {e}") from None
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    code = data.get("code")
    if not isinstance(code, str):
        raise BadRequest('"code" is required and must be a string')
    if len(code) > max_code_chars:
        raise BadRequest(f'"code" is over {max_code_chars} characters')
    language = language_field(data.get("language"), '"language"')
    timeouts = [seconds_field(data, name, 10.0, max_timeout_s, f'"{name}"')
                for name in ("compile_timeout", "run_timeout")]
    memory = data.get("memory_limit_MB", -1)
    if memory is None:
        memory = -1
    if not isinstance(memory, int) or isinstance(memory, bool) or memory == 0 or memory < -1 or memory > max_memory_mb:
        raise BadRequest(f'"memory_limit_MB" must be -1 (the server\'s default) or 1..{max_memory_mb}')
    stdin = data.get("stdin")
    if stdin is not None and not isinstance(stdin, str):
        raise BadRequest('"stdin" must be a string or null')
    files = data.get("files") or {}
    if not isinstance(files, dict):
        raise BadRequest('"files" must be an object {path: base64 content}')
    decoded = {}
    for path, content in files.items():
        if content is None:  # SandboxFusion's schema allows it: nothing to write
            continue
        if not isinstance(content, str):
            raise BadRequest(f'"files"[{path!r}] must be base64 text')
        try:
            decoded[_relative(path, "files")] = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest(f'"files"[{path!r}] is not valid base64') from None
    fetch = data.get("fetch_files") or []
    if not isinstance(fetch, list) or not all(isinstance(p, str) for p in fetch):
        raise BadRequest('"fetch_files" must be a list of paths')
    for path in fetch:
        if _GLOB & set(path):
            raise BadRequest(f'"fetch_files": {path!r}: name files, not patterns')
    return RunCode(code, language, timeouts[0], timeouts[1], None if memory == -1 else memory,
                   (stdin or "").encode(), decoded, tuple(dict.fromkeys(_relative(p, "fetch_files") for p in fetch)))


def seconds_field(data: dict, name: str, default: float, most: float, label: str) -> float:
    """A time-out in seconds: the default when absent (lowered to the server's ceiling, so an operator's lower
    ceiling never refuses a request that asked for nothing), else a number in (0, most]."""
    value = data.get(name)
    if value is None:
        return min(default, most)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 < value <= most:
        raise BadRequest(f"{label} must be a number of seconds in (0, {most:g}]")
    return float(value)


def language_field(name: Any, label: str) -> str:
    """A SandboxFusion language name this server runs, or a 400 naming the ones it does."""
    if name not in LANGUAGES:
        raise BadRequest(f'{label} {name!r} is not supported here; supported: {", ".join(LANGUAGES)}')
    return str(name)


def _relative(path: object, field: str) -> str:
    """A path inside the job's work dir, normalized; anything else is refused (a job sees only its own dir)."""
    if not isinstance(path, str) or not path:
        raise BadRequest(f'"{field}": a path must be a non-empty string')
    norm = posixpath.normpath(path)
    if posixpath.isabs(path) or norm == ".." or norm.startswith("../") or norm == "." or "\0" in path:
        raise BadRequest(f'"{field}": {path!r} is not a relative path inside the job\'s directory')
    return norm


# ---------------------------------------------------------------- results, as SandboxFusion reports them
def command_result(result: ExecResult) -> dict[str, Any]:
    """A run's `CommandRunResult`: a time-out is TimeLimitExceeded, a harness fault Error, anything else Finished
    with its return code (never 0 for a run that did not end well)."""
    status, code = "Finished", result.exit_code
    if result.status in (Status.TIMEOUT, Status.CPU_LIMIT):
        status, code = "TimeLimitExceeded", None
    elif result.status is Status.SANDBOX_ERROR:
        status, code = "Error", None
    elif result.status is not Status.OK:
        code = -result.signal if result.signal else code if code else KILLED_CODE
    else:
        code = code or 0
    stderr = result.stderr.decode("utf-8", "replace")
    if result.status is Status.SANDBOX_ERROR and not stderr:
        stderr = result.detail or "the sandbox could not run the program"
    return {"status": status, "execution_time": round(result.wall_s, 6), "return_code": code,
            "stdout": result.stdout.decode("utf-8", "replace"), "stderr": stderr}


def compile_result(built: Build, seconds: float) -> dict[str, Any]:
    """A build's `CommandRunResult` (execeval keeps a failed build's diagnostics, not its exit code: 1)."""
    if built.ok:
        return {"status": "Finished", "execution_time": round(seconds, 6), "return_code": 0, "stdout": "",
                "stderr": ""}
    status = {Status.TIMEOUT: "TimeLimitExceeded", Status.CPU_LIMIT: "TimeLimitExceeded",
              Status.SANDBOX_ERROR: "Error"}.get(built.status, "Finished")
    code = None if status != "Finished" else 1 if built.status is Status.FAILED else KILLED_CODE
    return {"status": status, "execution_time": round(seconds, 6), "return_code": code, "stdout": "",
            "stderr": built.diagnostics}


def overall(results: list[dict[str, Any]]) -> tuple[str, str]:
    """SandboxFusion's rule, in order: an Error result, then a time-out or a non-zero code, else Success."""
    for r in results:
        if r["status"] == "Error":
            return "SandboxError", r["stderr"] or "the sandbox failed"
    if any(r["status"] == "TimeLimitExceeded" or (r["return_code"] not in (None, 0)) for r in results):
        return "Failed", ""
    return "Success", ""


# ---------------------------------------------------------------- the endpoint
T = TypeVar("T")
CLIENT_GONE = "ClientGone"  # the outcome counted when the client hung up before its answer


async def _client_gone(request: Request) -> None:
    """Returns when the client disconnects (after the body, the next ASGI message is `http.disconnect`)."""
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def unless_client_left(request: Request, work: Awaitable[T]) -> T | None:
    """`work`'s result, or None when the client hung up first. verl gives up on a request after its own timeout
    and sends it again: a job nobody waits for would still hold a worker and delay every later request, so it is
    cancelled (a queued job is dropped; one already running ends at its limits)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_client_gone(request))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        gone.cancel()
    if task.done():
        return task.result()
    task.cancel()
    return None


class RunCodeService:
    """`/run_code` over a `Verifier`'s sandbox, admitted through the app's queue."""

    def __init__(self, verifier: Verifier, settings: Settings, admission: Admission, metrics: Metrics,
                 read_body: Callable[[Request], Awaitable[bytes | Response]], *, output_bytes: int | None = None) -> None:
        self.sandbox, self.settings, self.admission, self.metrics = verifier.sandbox, settings, admission, metrics
        self.read_body = read_body
        self.cache = verifier.config.build_cache or BuildCache.default()
        self.output_bytes = output_bytes or int(os.environ.get(OUTPUT_ENV) or DEFAULT_OUTPUT_BYTES)
        self.pod = os.environ.get("MY_POD_NAME") or socket.gethostname()
        r = metrics.registry
        self.outcomes = Counter("execeval_run_code", "/run_code answers, by SandboxFusion status", ["status"],
                                registry=r)
        self.builds = Counter("execeval_run_code_builds", "/run_code builds of compiled languages, by source",
                              ["source"], registry=r)

    def routes(self) -> list[Route]:
        return [Route("/run_code", self.handle, methods=["POST"]),
                Route("/t/{token}/run_code", self.handle, methods=["POST"])]

    def respond(self, code: int, body: dict, headers: dict | None = None) -> Response:
        self.metrics.count(self.metrics.requests, str(code))
        return Response(orjson.dumps(body), code, headers, media_type="application/json")

    def authorized(self, request: Request) -> bool:
        token = self.settings.token
        if token is None:
            return True
        given = request.path_params.get("token")
        if given is not None:
            return hmac.compare_digest(given.encode(), token.encode())
        return hmac.compare_digest(request.headers.get("authorization", "").encode(), f"Bearer {token}".encode())

    async def admitted_body(self, request: Request, route: str) -> bytes | Response:
        """The request's body, or the 401, 408 or 413 answer: the app's gate, for every SandboxFusion route."""
        if not self.authorized(request):
            return self.respond(401, {"error": "missing or wrong token",
                                      "hint": f"POST /t/TOKEN/{route}, or send Authorization: Bearer TOKEN"})
        return await self.read_body(request)

    async def handle(self, request: Request) -> Response:
        body = await self.admitted_body(request, "run_code")
        if isinstance(body, Response):
            return body
        c = self.settings.ceilings
        try:
            job = parse(body, c.timeout_s, c.memory_mb, c.max_code_chars)
        except BadRequest as e:
            return self.respond(400, {"error": str(e)})
        if not self.admission.enter(1):
            retry = self.admission.retry_after()  # 504: the one status verl retries
            return self.respond(504, {"error": "the queue is full", "retry_after_s": retry},
                                {"Retry-After": str(retry)})
        try:
            answer = await unless_client_left(request, self.run(job))
        finally:
            self.admission.leave(1)
        if answer is None:
            self.metrics.count(self.outcomes, CLIENT_GONE)
            return Response(status_code=499)  # nobody reads it (nginx's "client closed request")
        self.metrics.count(self.outcomes, answer["status"])
        return self.respond(200, answer)

    async def run(self, job: RunCode) -> dict[str, Any]:
        """The whole SandboxFusion answer; a harness fault is a `SandboxError` answer, never an HTTP error."""
        answer: dict[str, Any] = {"status": "SandboxError", "message": "", "compile_result": None,
                                  "run_result": None, "executor_pod_name": self.pod, "files": {}}
        lang = get_language(LANGUAGES[job.language])
        try:
            if isinstance(lang, Interpreted):
                built = build(lang, job.code, self.sandbox)  # nothing to compile: the source is the artifact
            else:
                started = time.monotonic()
                built = await run_in_threadpool(self._build, lang, job)
                self.metrics.count(self.builds, "cache" if built.cached else "compiled")
                answer["compile_result"] = compile_result(built, time.monotonic() - started)
            if not built.ok:
                if built.status is Status.SANDBOX_ERROR:  # a missing toolchain: not the code's fault
                    answer["message"] = built.diagnostics
                    answer["compile_result"] = answer["compile_result"] or compile_result(built, 0.0)
                    return answer
                answer["status"], _ = overall([answer["compile_result"]])
                return answer
            result = await asyncio.wrap_future(self.sandbox.submit(*self._program(lang, built, job)))
        except ExecevalError as e:
            answer["message"] = f"{e}"
            return answer
        except Exception as e:  # noqa: BLE001  # the contract: any fault here is a SandboxError answer
            answer["message"] = f"{type(e).__name__}: {e}"
            return answer
        answer["run_result"] = command_result(result)
        answer["files"] = {path: base64.b64encode(result.files[path]).decode("ascii")
                           for path in job.fetch_files if path in result.files}
        answer["status"], answer["message"] = overall([r for r in (answer["compile_result"], answer["run_result"])
                                                       if r is not None])
        cut = [name for name, over in (("stdout", result.stdout_truncated), ("stderr", result.stderr_truncated))
               if over] or (["output"] if result.status is Status.OUTPUT_LIMIT else [])
        if cut and answer["status"] != "SandboxError":
            answer["message"] = (f"{' and '.join(cut)} cut at {self.output_bytes} bytes (this server's cap, "
                                 f"{OUTPUT_ENV}); the program was stopped there")
        return answer

    def _build(self, lang: Language, job: RunCode) -> Build:
        limits = COMPILE_LIMITS.with_cpu_budget(job.compile_timeout)
        return build(lang, job.code, self.sandbox, cache=self.cache, limits=limits)

    def _program(self, lang: Language, built: Build, job: RunCode) -> tuple[Command | Script, Any]:
        limits = DEFAULT_LIMITS.with_cpu_budget(job.run_timeout).with_(output_bytes=self.output_bytes)
        if job.memory_mb is not None:
            limits = limits.with_(memory_mb=job.memory_mb)
        program = lang.run_command(lang.toolchain(), built.artifacts, job.stdin, limits=limits)
        files = {**job.files, **program.files}  # the program's own files win over a same-named upload
        if isinstance(program, Script):
            if job.fetch_files:  # a Script hands no files back: run the interpreter as a command instead
                program = Interpreted.run_command(lang, lang.toolchain(), built.artifacts, job.stdin,  # type: ignore[arg-type]  # Python is an Interpreted
                                                  limits=limits)
            else:
                return Script(program.code, program.stdin, files, program.env, program.args), lang.run_limits(limits)
        assert isinstance(program, Command)
        return (Command(program.argv, program.stdin, files, program.env,
                        (*program.collect, *job.fetch_files)), lang.run_limits(limits))


__all__ = ["LANGUAGES", "RunCodeService", "parse", "seconds_field", "language_field", "command_result", "compile_result", "overall",
           "BadRequest"]
