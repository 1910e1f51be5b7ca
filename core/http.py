"""One aiohttp session per process, and the base of every typed client of an outside system."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar, cast

import aiohttp
import msgspec
from prometheus_client import Histogram
from yarl import URL

from core.errors import OutsideSystemError
from core.settings import HttpClientSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTSIDE_CALL_SECONDS = Histogram(
    "handheld_outside_call_seconds",
    "Duration of calls to outside systems",
    ["system", "operation", "outcome"],
)


def create_http_session(settings: HttpClientSettings) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=settings.total_timeout, connect=settings.connect_timeout)
    connector = aiohttp.TCPConnector(limit=100, ttl_dns_cache=300)
    return aiohttp.ClientSession(timeout=timeout, connector=connector, raise_for_status=False)


class OutsideSystemHttpError(OutsideSystemError):
    def __init__(self, system: str, operation: str, status: int | None, message: str) -> None:
        super().__init__(f"{system}.{operation}: {status or '-'} {message}")
        self.status = status


@dataclass(frozen=True, slots=True)
class RawResponse:
    """An answer as it came. ``JsonApiClient._call`` returns one, undecoded, when it is asked for
    ``RawResponse``: a download that is not JSON, or a body whose signature the caller checks
    before decoding it."""

    status: int
    headers: Mapping[str, str]
    body: bytes


# False inside a job: the job's backoff is the one retry layer, so an outage costs one request
# per job attempt (retries here on top of the job's multiplied the load on a system that was
# already down). Request handlers keep the quick retry of idempotent calls.
_RETRIES_ALLOWED: ContextVar[bool] = ContextVar("handheld_http_retries", default=True)


@contextlib.contextmanager
def single_attempt() -> Iterator[None]:
    """Every outside call made inside (and in tasks started inside) is tried once."""
    token = _RETRIES_ALLOWED.set(False)
    try:
        yield
    finally:
        _RETRIES_ALLOWED.reset(token)


def attempts_for(retry: bool, retries: int) -> int:
    """How many times to try a call: 1 + ``retries`` for an idempotent one, except in a job."""
    return max(1, retries + 1) if retry and _RETRIES_ALLOWED.get() else 1


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff (AWS architecture blog): uniform in [0, min(cap, b·2^n)]."""
    return random.uniform(0, min(cap, base * (2**attempt)))


class JsonApiClient:
    """Calls a JSON HTTP API: timed, logged, decoded into Structs; idempotent calls retried
    quickly on the request path, tried once inside a job (the job retries)."""

    system: str = "outside"

    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, settings: HttpClientSettings
    ) -> None:
        self._session = session
        self._base_url = base_url.rstrip("/")
        self._settings = settings

    def _headers(self) -> Mapping[str, str]:
        return {}

    def _url(self, path: str) -> str | URL:
        """Where a call to ``path`` goes; override to follow absolute links or send a URL as
        encoded."""
        return self._base_url + path

    def _request_headers(
        self, method: str, url: str | URL, body: bytes | None
    ) -> Mapping[str, str]:
        """Headers of one request, given what it sends; override to sign each request."""
        return self._headers()

    def _error(self, operation: str, response: RawResponse) -> OutsideSystemHttpError:
        """The exception for an error answer; override to read the system's documented error
        body. Its ``status`` decides a retry as the base error's does."""
        return OutsideSystemHttpError(
            self.system, operation, response.status, response.body[:200].decode("utf-8", "replace")
        )

    async def _get_json(
        self,
        operation: str,
        path: str,
        response_type: type[T],
        *,
        params: Mapping[str, str] | None = None,
        not_found: type[Exception] | None = None,
    ) -> T:
        """GET is idempotent, so transport errors and 5xx are retried with jittered backoff."""
        return await self._call(
            "GET", operation, path, response_type, params=params, not_found=not_found, retry=True
        )

    async def _call(
        self,
        method: str,
        operation: str,
        path: str,
        response_type: type[T],
        *,
        params: Mapping[str, str] | None = None,
        json: object = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: type[Exception] | None = None,
        error_statuses: frozenset[int] = frozenset(),
        retry: bool = False,
    ) -> T:
        """One call; ``retry`` only for idempotent ones (and never inside a job). Statuses in ``error_statuses`` are
        decoded into ``response_type`` (an outside system's documented error body) instead of
        raising; ``response_type`` ``RawResponse`` is the answer undecoded."""
        attempts = attempts_for(retry, self._settings.retries)
        last_error: Exception | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(backoff_delay(attempt, self._settings.backoff_base, 5.0))
            try:
                return await self._call_once(
                    method, operation, path, response_type, params, json, form, headers,
                    not_found, error_statuses,
                )  # fmt: skip
            except OutsideSystemHttpError as exc:
                if exc.status is not None and exc.status < 500:
                    raise
                last_error = exc
        assert last_error is not None
        raise last_error

    async def _call_once(
        self,
        method: str,
        operation: str,
        path: str,
        response_type: type[T],
        params: Mapping[str, str] | None,
        json: object,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        not_found: type[Exception] | None,
        error_statuses: frozenset[int],
    ) -> T:
        started = time.perf_counter()
        outcome = "error"
        body_bytes = msgspec.json.encode(json) if json is not None else None
        url = self._url(path)
        all_headers = {**self._request_headers(method, url, body_bytes), **(headers or {})}
        if body_bytes is not None:
            all_headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(
                method,
                url,
                params=params,
                data=body_bytes if body_bytes is not None else form,
                headers=all_headers,
            ) as response:
                body = await response.read()
                if response.status == 404 and not_found is not None:
                    outcome = "not_found"
                    raise not_found(path)
                if response.status >= 400 and response.status not in error_statuses:
                    outcome = f"http_{response.status}"
                    raise self._error(
                        operation, RawResponse(response.status, response.headers, body)
                    )
                if response_type is RawResponse:
                    outcome = "ok" if response.status < 400 else f"http_{response.status}"
                    return cast(T, RawResponse(response.status, response.headers, body))
                try:
                    result = msgspec.json.decode(body, type=response_type)
                except msgspec.ValidationError as exc:
                    outcome = "bad_response"
                    raise OutsideSystemHttpError(
                        self.system, operation, response.status, f"unexpected response: {exc}"
                    ) from exc
                outcome = "ok" if response.status < 400 else f"http_{response.status}"
                return result
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
            raise OutsideSystemHttpError(self.system, operation, None, repr(exc)) from exc
        finally:
            elapsed = time.perf_counter() - started
            OUTSIDE_CALL_SECONDS.labels(self.system, operation, outcome).observe(elapsed)
            log.info(
                "outside call",
                extra={
                    "system": self.system,
                    "operation": operation,
                    "outcome": outcome,
                    "duration_ms": round(elapsed * 1000, 1),
                },
            )


__all__ = [
    "JsonApiClient",
    "OutsideSystemHttpError",
    "RawResponse",
    "attempts_for",
    "backoff_delay",
    "create_http_session",
    "single_attempt",
]
