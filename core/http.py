"""One aiohttp session per process, the base of every typed client of an outside system, and
the one retry mechanism for calls to outside systems (``call_with_retries``, on stamina)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar, cast

import aiohttp
import msgspec
import stamina
from prometheus_client import Counter, Histogram
from stamina.instrumentation import RetryDetails
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
OUTSIDE_CALL_RETRIES = Counter(
    "handheld_outside_call_retries",
    "Calls to outside systems tried again after a transient failure",
    ["system", "operation"],
)

# Each (system, operation, outcome)'s histogram, looked up once: ``labels()`` takes a lock and
# checks its arguments on every call, a few percent of a notice send.
_CALL_SECONDS: dict[tuple[str, str, str], Histogram] = {}


def observe_call(system: str, operation: str, outcome: str, elapsed_s: float) -> None:
    """One outside call's duration into ``OUTSIDE_CALL_SECONDS``."""
    key = (system, operation, outcome)
    histogram = _CALL_SECONDS.get(key)
    if histogram is None:
        histogram = _CALL_SECONDS[key] = OUTSIDE_CALL_SECONDS.labels(*key)
    histogram.observe(elapsed_s)


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

# Set while a job runs (core.jobs): once the event is set (the worker is stopping and the job's
# grace period is over), the job's next outside call does not start and the job is handed back.
# A call already under way is never cut here: its answer is what the job records next.
_HAND_BACK: ContextVar[asyncio.Event | None] = ContextVar("handheld_hand_back", default=None)


class HandBack(BaseException):
    """Raised where a job being handed back would start an outside call: nothing has been sent
    for it, so running the job again sends it once. A BaseException, so that no handler's
    ``except Exception`` keeps the job going."""


@contextlib.contextmanager
def handing_back_on(event: asyncio.Event) -> Iterator[None]:
    """Outside calls made inside (and in tasks started inside) stop once ``event`` is set."""
    token = _HAND_BACK.set(event)
    try:
        yield
    finally:
        _HAND_BACK.reset(token)


def _check_hand_back() -> None:
    if (event := _HAND_BACK.get()) is not None and event.is_set():
        raise HandBack


# The longest pause between two tries of one call: past it the citizen's request is better
# answered with the failure than held.
MAX_BACKOFF_S = 5.0


@contextlib.contextmanager
def single_attempt() -> Iterator[None]:
    """Every outside call made inside (and in tasks started inside) is tried once."""
    token = _RETRIES_ALLOWED.set(False)
    try:
        yield
    finally:
        _RETRIES_ALLOWED.reset(token)


@dataclass(slots=True)
class CallSummary:
    """The successful calls made inside ``summarised``: counted and timed, logged as one line
    by whoever opened it (a failed call is still logged on its own)."""

    calls: int = 0
    total_ms: float = 0.0
    max_ms: float = 0.0

    def add(self, elapsed_ms: float) -> None:
        self.calls += 1
        self.total_ms += elapsed_ms
        self.max_ms = max(self.max_ms, elapsed_ms)


_SUMMARY: ContextVar[CallSummary | None] = ContextVar("handheld_http_summary", default=None)


@contextlib.contextmanager
def summarised() -> Iterator[CallSummary]:
    """Successful outside calls made inside (and in tasks started inside) are summed up rather
    than logged one by one: a notice's batch makes thousands of identical calls, and a log line
    each cost the worker a tenth of its time. Every call is still timed in the metrics."""
    summary = CallSummary()
    token = _SUMMARY.set(summary)
    try:
        yield summary
    finally:
        _SUMMARY.reset(token)


def attempts_for(retry: bool, retries: int) -> int:
    """How many times to try a call: 1 + ``retries`` for an idempotent one, except in a job."""
    return max(1, retries + 1) if retry and _RETRIES_ALLOWED.get() else 1


def backoff_delay(attempt: int, base: float, cap: float) -> float:
    """Full-jitter exponential backoff (AWS architecture blog): uniform in [0, min(cap, b·2^n)].
    The job queue's delay between attempts of a job (calls to outside systems are retried by
    ``call_with_retries``)."""
    return random.uniform(0, min(cap, base * (2**attempt)))


def is_transient(exc: Exception) -> bool:
    """A failure worth another try: no answer (timeout, dropped connection) or a 5xx. Any other
    answer (a 4xx, a documented refusal, "not found") is final: asking again gets it again."""
    return isinstance(exc, OutsideSystemHttpError) and (exc.status is None or exc.status >= 500)


async def _outside_call(call: Callable[[], Awaitable[T]], *, system: str, operation: str) -> T:
    # What stamina retries; ``system`` and ``operation`` reach the retry hook as its kwargs.
    return await call()


async def call_with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    system: str,
    operation: str,
    settings: HttpClientSettings,
    retry: bool = True,
    on: Callable[[Exception], bool] = is_transient,
) -> T:
    """``call()`` (one request), tried again after a failure that ``on`` deems transient: up to
    ``settings.retries`` more times when ``retry`` (idempotent calls) and not inside a job
    (``single_attempt``), else once. The pause before try n+1 is
    min(MAX_BACKOFF_S, backoff_base·2^(n-1) + uniform(0, backoff_base)) (stamina's exponential
    backoff with jitter). Every retry is counted and logged by ``_count_retry``."""
    attempts = attempts_for(retry, settings.retries)
    if attempts == 1:
        return await call()
    retrying = stamina.retry(
        on=on,
        attempts=attempts,
        timeout=None,  # the attempts bound it, each under the session's total timeout
        wait_initial=settings.backoff_base,
        wait_max=MAX_BACKOFF_S,
        wait_jitter=settings.backoff_base,
    )(_outside_call)
    return await retrying(call, system=system, operation=operation)


def _count_retry(details: RetryDetails) -> None:
    """The one place retries of outside calls are observed (stamina's on-retry hook)."""
    system = str(details.kwargs.get("system", "outside"))
    operation = str(details.kwargs.get("operation", details.name))
    OUTSIDE_CALL_RETRIES.labels(system, operation).inc()
    log.warning(
        "outside call retried",
        extra={
            "system": system,
            "operation": operation,
            "retry": details.retry_num,
            "wait_ms": round(details.wait_for * 1000, 1),
            "reason": repr(details.caused_by)[:300],
        },
    )


# Replaces stamina's default hooks (its own Prometheus counter and log line, which name the
# retried callable but not the outside system and operation).
stamina.instrumentation.set_on_retry_hooks([_count_retry])


class JsonApiClient:
    """Calls a JSON HTTP API: timed, logged, decoded into Structs; idempotent calls retried
    quickly on the request path (``call_with_retries``), tried once inside a job (the job
    retries)."""

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
        body: bytes | None = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        not_found: type[Exception] | None = None,
        error_statuses: frozenset[int] = frozenset(),
        retry: bool = False,
    ) -> T:
        """One call; ``retry`` only for idempotent ones (and never inside a job: see
        ``call_with_retries``). Statuses in ``error_statuses`` are decoded into ``response_type``
        (an outside system's documented error body) instead of raising, so a refusal is an
        answer and is never retried; ``response_type`` ``RawResponse`` is the answer undecoded.
        ``body``: JSON already encoded (instead of ``json``)."""
        if body is None and json is not None:
            body = msgspec.json.encode(json)
        return await call_with_retries(
            lambda: self._call_once(
                method,
                operation,
                path,
                response_type,
                params,
                body,
                form,
                headers,
                not_found,
                error_statuses,
            ),
            system=self.system,
            operation=operation,
            settings=self._settings,
            retry=retry,
        )

    async def _call_once(
        self,
        method: str,
        operation: str,
        path: str,
        response_type: type[T],
        params: Mapping[str, str] | None,
        body_bytes: bytes | None,
        form: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        not_found: type[Exception] | None,
        error_statuses: frozenset[int],
    ) -> T:
        _check_hand_back()
        started = time.perf_counter()
        outcome = "error"
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
            observe_call(self.system, operation, outcome, elapsed)
            summary = _SUMMARY.get()
            if summary is not None and outcome == "ok":
                summary.add(elapsed * 1000)
            else:
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
    "MAX_BACKOFF_S",
    "OUTSIDE_CALL_RETRIES",
    "OUTSIDE_CALL_SECONDS",
    "CallSummary",
    "JsonApiClient",
    "OutsideSystemHttpError",
    "RawResponse",
    "attempts_for",
    "backoff_delay",
    "call_with_retries",
    "create_http_session",
    "is_transient",
    "observe_call",
    "single_attempt",
    "summarised",
]
