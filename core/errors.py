"""Domain errors and their rendering as RFC 9457 problem details with stable codes."""

from __future__ import annotations

import errno
import logging
import socket
from collections.abc import Mapping
from typing import Any, ClassVar

import asyncpg
import redis.exceptions
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from core import i18n
from core.logging import current_request_id

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_BASE = "https://errors.handheld.gov.cn/"


class DomainError(Exception):
    """An expected failure of a business rule: always a 4xx with a stable code.

    A subclass is declared by its status and code as class keywords (either one may be left to
    its base's): ``class ItemNotFound(NotFound, code="ITEM_NOT_FOUND"): ...``; its Chinese
    title is ``core.i18n``'s text for the code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "BAD_REQUEST"

    def __init_subclass__(
        cls, *, status: int | None = None, code: str | None = None, **kwargs: Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if status is not None:
            cls.status_code = status
        if code is not None:
            cls.code = code

    def __init__(
        self, detail: str | None = None, *, keep_changes: bool = False, **extra: Any
    ) -> None:
        super().__init__(detail or self.code)
        self.detail = detail
        self.extra = extra
        # The refusal is itself a decision to record (a failed login counted, a stolen token's
        # family revoked): the request's transaction commits before the error is answered.
        self.keep_changes = keep_changes


class NotFound(DomainError, status=404, code="NOT_FOUND"): ...


class Conflict(DomainError, status=409, code="CONFLICT"): ...


class IdempotencyKeyReused(DomainError, status=422, code="IDEMPOTENCY_KEY_REUSED"):
    """The same Idempotency-Key came with a different request (another body or target).

    422, as Stripe answers it: the request cannot be processed as sent (its key belongs to
    another request), and no retry of it will ever succeed, unlike a 409 state conflict."""


class InvalidParameter(DomainError, status=400, code="INVALID_PARAMETER"): ...


class OutsideSystemError(Exception):
    """An outside system failed or timed out; jobs retry, requests answer 503."""


# How long a client is asked to wait when we answer 503 (a restart of the database or Redis).
RETRY_AFTER_S = 5

# Our own infrastructure (PostgreSQL, Redis) down, restarting or unreachable, or the pool
# exhausted past its acquire timeout: "try again", never a bug.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    socket.gaierror,
)
# The transaction lost a race it can win when tried again (it was rolled back, nothing
# changed): a deadlock PostgreSQL settled by aborting it, a serialization failure, a lock it
# was not allowed to wait for. The client is asked to try again at once.
_CONFLICTS: tuple[type[BaseException], ...] = (
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.LockNotAvailableError,
)
RETRY_CONFLICT_AFTER_S = 1
_NETWORK_ERRNOS = frozenset(
    {
        errno.ECONNREFUSED,
        errno.ECONNRESET,
        errno.ECONNABORTED,
        errno.EHOSTUNREACH,
        errno.ENETUNREACH,
        errno.ENETDOWN,
        errno.ETIMEDOUT,
        errno.EPIPE,
        errno.EADDRNOTAVAIL,
    }
)


def is_unavailable(exc: BaseException) -> bool:
    """The database or Redis cannot be reached right now (the same error later may succeed)."""
    if isinstance(exc, BaseExceptionGroup):
        return all(is_unavailable(inner) for inner in exc.exceptions)
    if isinstance(exc, _UNAVAILABLE):
        return True
    if isinstance(exc, asyncpg.InterfaceError):
        # "connection is closed", "the underlying connection is closed": lost under our feet.
        return "connection is closed" in str(exc)
    if isinstance(exc, asyncpg.InternalClientError):
        # The server ended the connection (shutdown, terminated backend) while it was idle: its
        # FATAL error came with no query running, and until the close is read asyncpg refuses
        # the next statement (a request's COMMIT) as "another operation (2) is in progress",
        # state 2 being the wait for a ReadyForQuery that never comes.
        return "another operation (2) is in progress" in str(exc)
    if isinstance(exc, OSError):
        # asyncpg reports a host with several addresses all refusing as one plain OSError.
        return exc.errno in _NETWORK_ERRNOS or str(exc).startswith("Multiple exceptions")
    return False


_STATUS_CODES: Mapping[int, str] = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    429: "TOO_MANY_REQUESTS",
    503: "SERVICE_UNAVAILABLE",
}


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    detail: str | None = None,
    extra: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response[dict[str, Any]]:
    locale = i18n.negotiate(request.headers.get("accept-language"))
    # Extension members first: they never override the standard ones or our code.
    body: dict[str, Any] = dict(extra or {})
    body |= {
        "type": PROBLEM_TYPE_BASE + code.lower().replace("_", "-"),
        "title": i18n.text(code, locale),
        "status": status,
        "code": code,
        "instance": request.url.path,
    }
    if detail:
        body["detail"] = detail
    if request_id := current_request_id():
        body["requestId"] = request_id
    # The title is in the negotiated language: caches must keep one answer per language.
    language_headers = {"Content-Language": locale, "Vary": "Accept-Language"}
    return Response(
        body,
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=language_headers | dict(headers or {}),
    )


def _domain_error_handler(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    return problem_response(
        request, status=exc.status_code, code=exc.code, detail=exc.detail, extra=exc.extra
    )


def _validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = exc.extra if isinstance(exc.extra, list) else []
    # Guide: 422 only when the request *body* fails validation; bad query/path/header → 400.
    from_body = any(isinstance(e, dict) and e.get("source") == "body" for e in errors)
    return problem_response(
        request,
        status=422 if from_body else 400,
        code="VALIDATION_FAILED" if from_body else "INVALID_PARAMETER",
        detail=str(exc.detail),
        extra={"errors": errors},
    )


def _http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status >= 500:
        log.error("http exception %s: %s", status, exc.detail)
    code = _STATUS_CODES.get(status, "INTERNAL_ERROR" if status >= 500 else "BAD_REQUEST")
    return problem_response(request, status=status, code=code, headers=exc.headers)


def _unavailable(
    request: Request[Any, Any, Any], retry_after_s: int = RETRY_AFTER_S
) -> Response[Any]:
    return problem_response(
        request,
        status=503,
        code="SERVICE_UNAVAILABLE",
        headers={"Retry-After": str(retry_after_s)},
    )


def _outside_system_handler(
    request: Request[Any, Any, Any], exc: OutsideSystemError
) -> Response[Any]:
    log.warning("outside system unavailable: %s", exc)
    return _unavailable(request)


def _unexpected_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if is_unavailable(exc):
        # The database or Redis is down or restarting: the client is told to try again.
        log.warning("service unavailable: %r", exc)
        return _unavailable(request)
    if isinstance(exc, _CONFLICTS):
        log.warning("transaction conflict; the client tries again: %r", exc)
        return _unavailable(request, RETRY_CONFLICT_AFTER_S)
    log.exception("unhandled error", exc_info=exc)
    return problem_response(request, status=500, code="INTERNAL_ERROR")


def exception_handlers() -> ExceptionHandlersMap:
    return {
        DomainError: _domain_error_handler,
        ValidationException: _validation_handler,
        HTTPException: _http_exception_handler,
        OutsideSystemError: _outside_system_handler,
        Exception: _unexpected_handler,
    }


__all__ = [
    "PROBLEM_MEDIA_TYPE",
    "Conflict",
    "DomainError",
    "InvalidParameter",
    "NotFound",
    "OutsideSystemError",
    "exception_handlers",
    "is_unavailable",
    "problem_response",
]
