"""Clients of `execeval serve`, sync and async, that retry what is worth retrying.

    from execeval.service.client import VerifyClient
    with VerifyClient("http://127.0.0.1:8731") as client:
        rows = client.verify([{"task": "demo/0", "completion": "    return ' '.join(text.split())\\n"}])
        rows[0]["passed"]                                            # results.jsonl rows, in request order

A full queue (429), an unavailable server (502-504) and a refused or dropped connection are retried with
exponential backoff and jitter, waiting what `Retry-After` asks when the server says; a request the server
rejects (400, 401, 413) is raised at once as a `UsageError` with the server's message. Jobs are idempotent (a
verdict depends only on the job), so a retry after a dropped connection is safe.
"""

from __future__ import annotations

from typing import Any, Self

import httpx
from tenacity import AsyncRetrying, Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

from execeval.errors import SandboxError, UsageError
from execeval.service.schema import DEFAULT_URL, VERIFY_PATH

RETRY_STATUS = {429, 502, 503, 504}


class _Retryable(Exception):
    def __init__(self, status: int, message: str, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.retry_after = retry_after


def _policy(attempts: int, max_wait_s: float) -> dict:
    backoff = wait_random_exponential(multiplier=0.1, max=max_wait_s)  # full jitter

    def wait(state: Any) -> float:
        exc = state.outcome.exception()
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return min(exc.retry_after, max_wait_s)
        return backoff(state)

    return {"retry": retry_if_exception_type((_Retryable, httpx.TransportError)), "wait": wait,
            "stop": stop_after_attempt(attempts), "reraise": True}


def _body(jobs: dict | list[dict], limits: dict | None) -> dict:
    body: dict = {"jobs": [jobs] if isinstance(jobs, dict) else list(jobs)}
    if limits:
        body["limits"] = limits
    return body


def _rows(response: httpx.Response) -> list[dict]:
    try:
        data = response.json()
    except ValueError:
        data = {"error": response.text[:300]}
    if response.status_code == 200:
        return data["results"]
    message = str(data.get("error", "")) if isinstance(data, dict) else str(data)
    if response.status_code in RETRY_STATUS:
        after = response.headers.get("retry-after", "")
        raise _Retryable(response.status_code, message, float(after) if after.replace(".", "", 1).isdigit() else None)
    if 400 <= response.status_code < 500:
        raise UsageError(f"the verification service refused the request (HTTP {response.status_code}): {message}",
                         hint=data.get("hint") if isinstance(data, dict) else None)
    raise SandboxError(f"the verification service failed (HTTP {response.status_code}): {message}")


def _gave_up(url: str, e: Exception) -> SandboxError:
    if isinstance(e, httpx.TransportError):
        return SandboxError(f"cannot reach the verification service at {url}: {type(e).__name__} {e}",
                            hint="start it with `execeval serve`, or check the URL")
    return SandboxError(f"the verification service at {url} stayed busy: {e}", hint="retry later, or add workers")


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


class VerifyClient:
    """Blocking client; `verify` returns one results.jsonl row per job. One instance keeps its connections."""

    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, timeout_s: float = 600.0,
                 attempts: int = 8, max_wait_s: float = 30.0) -> None:
        self.url = url
        self._http = httpx.Client(base_url=url, timeout=timeout_s, headers=_headers(token))
        self._policy = _policy(attempts, max_wait_s)

    def verify(self, jobs: dict | list[dict], limits: dict | None = None) -> list[dict]:
        body = _body(jobs, limits)
        try:
            for attempt in Retrying(**self._policy):
                with attempt:
                    return _rows(self._http.post(VERIFY_PATH, json=body))
        except (_Retryable, httpx.TransportError) as e:
            raise _gave_up(self.url, e) from e
        raise AssertionError("unreachable")  # pragma: no cover - Retrying either returns or raises

    def health(self) -> dict:
        try:
            return self._http.get("/healthz").raise_for_status().json()
        except httpx.TransportError as e:  # one line with the fix, as `verify` says it
            raise _gave_up(self.url, e) from e

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncVerifyClient:
    """The same for asyncio: many `verify` calls may be in flight at once on one client."""

    def __init__(self, url: str = DEFAULT_URL, *, token: str | None = None, timeout_s: float = 600.0,
                 attempts: int = 8, max_wait_s: float = 30.0, max_connections: int = 256) -> None:
        self.url = url
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        self._http = httpx.AsyncClient(base_url=url, timeout=timeout_s, headers=_headers(token), limits=limits)
        self._policy = _policy(attempts, max_wait_s)

    async def verify(self, jobs: dict | list[dict], limits: dict | None = None) -> list[dict]:
        body = _body(jobs, limits)
        try:
            async for attempt in AsyncRetrying(**self._policy):
                with attempt:
                    return _rows(await self._http.post(VERIFY_PATH, json=body))
        except (_Retryable, httpx.TransportError) as e:
            raise _gave_up(self.url, e) from e
        raise AssertionError("unreachable")  # pragma: no cover

    async def health(self) -> dict:
        try:
            return (await self._http.get("/healthz")).raise_for_status().json()
        except httpx.TransportError as e:
            raise _gave_up(self.url, e) from e

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
