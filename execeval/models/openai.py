"""Any server that speaks the OpenAI wire format: OpenAI itself, vLLM, llama.cpp, TGI, Ollama, LM Studio.

Prompts go to `/completions`, chat messages to `/chat/completions`. Servers differ, so the backend trusts
nothing: it asks for `n` samples and requests the rest when fewer come back (many local servers ignore `n`),
cuts at every stop sequence itself (OpenAI takes at most 4), retries what is transient (429, 5xx, timeouts,
dropped connections, malformed JSON) with exponential backoff and jitter while honouring `Retry-After`, and turns
what is not (a server that is not there, a wrong model name, a rejected key) into a one-line `ModelError`.
"""

from __future__ import annotations

import asyncio
import email.utils
import json
import os
import random
import re
import socket
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt

from execeval.errors import ModelError
from execeval.models.base import Backend, Generation, GenerationRequest, cut_at_stop

__all__ = ["OpenAIBackend", "DEFAULT_BASE_URL"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_RETRY_STATUS = frozenset({408, 409, 429})
_SHARD = 8  # connections per httpx client (see OpenAIBackend._http)
_MODEL_MISSING = re.compile(r"not (?:be )?found|does not exist|doesn't exist|unknown model|no such model|"
                            r"invalid model", re.I)


class _Transient(Exception):
    """A failure worth another attempt; becomes a `ModelError` when attempts run out."""

    def __init__(self, message: str, *, hint: str | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.hint = hint
        self.retry_after = retry_after


Choice = tuple[str, str | None]  # (text, finish_reason)


class OpenAIBackend(Backend):
    """A model behind an OpenAI-compatible HTTP API.

    base_url:        ends in /v1 (default: $OPENAI_BASE_URL, else OpenAI's)
    api_key_env:     where the key is read from; no key means no Authorization header (fine for local servers)
    max_connections: requests in flight at once, across everything this backend does
    timeout:         seconds for one HTTP request; a hung server counts as a transient failure
    max_retries:     further attempts after a transient failure; backoff doubles from `backoff` to `backoff_max`
    max_n:           most samples asked for in one request
    server_stops:    how many stop sequences the server is sent (the rest are cut client-side)
    extra_body:      more JSON fields for every request (e.g. vLLM's `top_k`)
    transport, sleep: for tests (an httpx transport; the coroutine that waits between attempts)
    """

    def __init__(self, model: str, *, base_url: str | None = None, api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", max_connections: int = 32, timeout: float = 120.0,
                 max_retries: int = 6, backoff: float = 0.5, backoff_max: float = 30.0,
                 max_retry_after: float = 300.0, max_n: int = 128, server_stops: int = 4,
                 extra_body: Mapping[str, Any] | None = None, transport: httpx.AsyncBaseTransport | None = None,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        if not model:
            raise ModelError("no model name given", hint="use a spec like openai:MODEL")
        if max_connections < 1 or max_n < 1 or max_retries < 0:
            raise ModelError("max_connections and max_n must be >= 1, max_retries >= 0")
        self.model = model
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.api_key_env = api_key_env
        key = api_key if api_key is not None else os.environ.get(api_key_env)
        if not key and httpx.URL(self.base_url).host == "api.openai.com":
            raise ModelError(f"no API key for {self.base_url}: {api_key_env} is not set",
                             hint=f"export {api_key_env}, or point --base-url at a local server")
        self._headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.name = f"openai:{model}@{self.base_url}"
        self.max_connections, self.timeout, self.max_n = max_connections, timeout, max_n
        self.max_retries, self.backoff, self.backoff_max = max_retries, backoff, backoff_max
        self.max_retry_after, self.server_stops = max_retry_after, server_stops
        self.extra_body = dict(extra_body or {})
        self._transport, self._sleep = transport, sleep
        self._clients: list[httpx.AsyncClient] = []
        self._slots: asyncio.Queue[httpx.AsyncClient] | None = None  # one entry per free connection
        self._answered = False  # fail fast when the server has never been reached; retry once it has

    # ------------------------------------------------------------------ public
    async def generate(self, request: GenerationRequest) -> AsyncIterator[Generation]:
        """Yield samples `request.indices` as responses arrive; ask again for any the server left out."""
        todo = list(request.indices)
        cap = min(self.max_n, request.n)
        while todo:
            chunks = [todo[i:i + cap] for i in range(0, len(todo), cap)]
            tasks = [asyncio.create_task(self._chunk(request, chunk)) for chunk in chunks]
            todo, progress = [], 0
            try:
                for next_done in asyncio.as_completed(tasks):
                    chunk, gens = await next_done
                    for g in gens:
                        yield g
                    progress += len(gens)
                    if len(gens) < len(chunk):  # the server ignores or caps `n`: ask for the rest
                        todo.extend(chunk[len(gens):])
                        cap = max(1, min(cap, len(gens)))
            finally:
                for t in tasks:
                    t.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            if todo and not progress:
                raise ModelError(f"{self.base_url} returned no choices for {request.task_id}",
                                 hint="does the server support this endpoint and model?")
            todo.sort()

    async def list_models(self) -> list[str]:
        """The model ids the server lists at GET /models (one attempt; raises ModelError)."""
        try:
            resp = await self._http()[0].get("/models", timeout=min(self.timeout, 10.0))
            data = resp.json()
            return [str(m["id"]) for m in data["data"]]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
            raise ModelError(f"cannot list models at {self.base_url}/models: {type(exc).__name__}") from None

    async def aclose(self) -> None:
        clients, self._clients, self._slots = self._clients, [], None
        for client in clients:
            await client.aclose()

    # ------------------------------------------------------------------ one request
    async def _chunk(self, request: GenerationRequest, chunk: list[int]) -> tuple[list[int], list[Generation]]:
        """Ask for len(chunk) samples in one request; return the generations for the first ones that came."""
        p = request.params
        body: dict[str, Any] = {"model": self.model, "n": len(chunk), "temperature": p.temperature,
                                "top_p": p.top_p, "max_tokens": p.max_tokens}
        if p.stop and self.server_stops:
            body["stop"] = list(p.stop[: self.server_stops])
        if p.seed is not None:  # seed + first index: follow-up requests (ignored `n`) do not repeat the first
            body["seed"] = p.seed + chunk[0]
        body.update(self.extra_body)
        if request.messages is not None:
            path, body["messages"] = "/chat/completions", [dict(m) for m in request.messages]
        else:
            path, body["prompt"] = "/completions", request.prompt
        choices, usage = await self._post(path, body, chat=request.messages is not None)
        taken = choices[: len(chunk)]
        completion, extra = divmod(usage.get("completion_tokens", 0), max(1, len(choices)))
        gens = []
        for j, (index, (raw, finish)) in enumerate(zip(chunk, taken)):
            text, was_cut = cut_at_stop(raw, p.stop)
            use = {}
            if usage:  # prompt tokens counted once per request, completion tokens shared: sums stay exact
                use = {"prompt_tokens": usage.get("prompt_tokens", 0) if j == 0 else 0,
                       "completion_tokens": completion + (extra if j == 0 else 0)}
            gens.append(Generation(request.task_id, index, text, "stop" if was_cut else finish, use, raw))
        return chunk, gens

    async def _post(self, path: str, body: dict[str, Any], *, chat: bool) -> tuple[list[Choice], dict[str, int]]:
        retrying = AsyncRetrying(stop=stop_after_attempt(self.max_retries + 1), wait=self._wait,
                                 retry=retry_if_exception_type(_Transient), reraise=True, sleep=self._sleep)
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._attempt(path, body, chat)
        except _Transient as exc:
            n = self.max_retries + 1
            raise ModelError(f"{exc} (after {n} attempt{'s' * (n > 1)})", hint=exc.hint) from None
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, path: str, body: dict[str, Any], chat: bool) -> tuple[list[Choice], dict[str, int]]:
        self._http()
        slots = self._slots
        assert slots is not None
        client = await slots.get()  # bounded concurrency: a request holds one connection slot
        try:
            try:
                resp = await client.post(path, json=body)
            except httpx.TimeoutException:
                raise _Transient(f"no answer from {self.base_url} within {self.timeout:g} s",
                                 hint="is the server overloaded? raise --request-timeout") from None
            except httpx.ConnectError as exc:
                message = f"cannot reach {self.base_url}: {_reason(exc)}"
                if not self._answered:
                    raise ModelError(message, hint="is the server running? check --base-url") from None
                raise _Transient(message, hint="is the server still running?") from None
            except httpx.TransportError as exc:
                raise _Transient(f"connection to {self.base_url} failed: {_reason(exc)}") from None
        finally:
            slots.put_nowait(client)
        self._answered = True
        if resp.status_code != 200:
            await self._fail(resp, path)
        try:
            data = resp.json()
            usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}  # optional: never retried
            return _parse(data, chat), {k: int(v) for k, v in usage.items() if isinstance(v, (int, float))}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _Transient(f"malformed response from {self.base_url}{path}: {_snippet(resp.text)!r}",
                             hint="is --base-url an OpenAI-compatible API?") from None

    async def _fail(self, resp: httpx.Response, path: str) -> None:
        """Raise for a non-200 answer: transient ones to be retried, the rest as a one-line ModelError."""
        code, detail = resp.status_code, _detail(resp)
        if code in _RETRY_STATUS or code >= 500:
            what = "rate limited by" if code == 429 else "server error at"
            hint = "lower --max-connections" if code == 429 else None
            raise _Transient(f"{what} {self.base_url} (HTTP {code}: {detail})", hint=hint,
                             retry_after=_retry_after(resp.headers))
        if code in (401, 403):
            raise ModelError(f"{self.base_url} refused the request (HTTP {code}: {detail})",
                             hint=f"check {self.api_key_env}")
        if code == 404 or (code in (400, 422) and self.model in detail and _MODEL_MISSING.search(detail)):
            try:
                models = await self.list_models()
            except ModelError:
                models = None
            if models is not None and self.model not in models:
                shown = ", ".join(models[:20]) + (f", … ({len(models) - 20} more)" if len(models) > 20 else "")
                raise ModelError(f"model '{self.model}' not found at {self.base_url}; the server lists: "
                                 f"{shown or '(nothing)'}")
            if models is None and "model" in detail.lower():
                raise ModelError(f"model '{self.model}' not found at {self.base_url} (HTTP {code}: {detail})")
            if code == 404:
                raise ModelError(f"{self.base_url}{path} does not exist (HTTP 404: {detail})",
                                 hint="does the server speak the OpenAI API? --base-url usually ends in /v1")
        raise ModelError(f"{self.base_url}{path} rejected the request (HTTP {code}: {detail})")

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with jitter, or the server's Retry-After when it asks for longer."""
        base = min(self.backoff_max, self.backoff * 2 ** (state.attempt_number - 1))
        wait = base * (0.5 + random.random() / 2)
        exc = state.outcome.exception() if state.outcome is not None else None
        after = getattr(exc, "retry_after", None)
        return min(max(wait, after), self.max_retry_after) if after is not None else wait

    def _http(self) -> list[httpx.AsyncClient]:
        """The clients, made on first use: shards of at most `_SHARD` connections, because httpcore's pool does
        work proportional to connections x waiting requests for every request (32 connections in one pool
        spent ~2 ms of CPU per request against an instant server; shards of 8 cut that several-fold)."""
        if not self._clients:
            self._slots = asyncio.Queue()
            # one TLS context for all shards (loading CA certificates costs ~20 ms per client); none for http
            tls: ssl.SSLContext | bool = (httpx.create_ssl_context() if self.base_url.startswith("https:")
                                          else False)
            for first in range(0, self.max_connections, _SHARD):
                size = min(_SHARD, self.max_connections - first)
                client = httpx.AsyncClient(base_url=self.base_url, headers=self._headers, transport=self._transport,
                                           verify=tls,
                                           limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
                                           timeout=httpx.Timeout(self.timeout))
                self._clients.append(client)
                for _ in range(size):
                    self._slots.put_nowait(client)
        return self._clients


def _parse(data: Any, chat: bool) -> list[Choice]:
    """The choices of a response, in index order; raises KeyError/TypeError when it is not the wire format."""
    choices = data["choices"]
    if not isinstance(choices, list):
        raise TypeError("choices")
    out = []
    for c in sorted(choices, key=lambda c: c.get("index", 0)):
        text = c["message"]["content"] if chat else c["text"]
        if text is not None and not isinstance(text, str):
            raise TypeError("text")
        out.append((text or "", c.get("finish_reason")))
    return out


def _reason(exc: BaseException) -> str:
    """Why a connection failed, in words, from the OS error under httpx's wrapping."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, socket.gaierror):
            return "unknown host"
        seen = seen.__cause__ or seen.__context__
    return str(exc) or type(exc).__name__


def _detail(resp: httpx.Response) -> str:
    """The server's error message on one line."""
    try:
        data = resp.json()
        err = data.get("error", data) if isinstance(data, dict) else data
        msg = err.get("message") or err.get("detail") or err if isinstance(err, dict) else err
        text = msg if isinstance(msg, str) else json.dumps(msg)
    except ValueError:
        text = resp.text
    return _snippet(text) or resp.reason_phrase


def _snippet(text: str, limit: int = 200) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks us to wait: `retry-after-ms`, or `Retry-After` as seconds or an HTTP date."""
    try:
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        try:
            return max(0.0, float(value))
        except ValueError:
            return max(0.0, email.utils.parsedate_to_datetime(value).timestamp() - time.time())
    except (ValueError, TypeError):
        return None
