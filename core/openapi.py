"""OpenAPI pieces shared by every controller."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from core.errors import PROBLEM_MEDIA_TYPE

# A client-chosen key that makes a POST safe to retry (submissions, payment orders).
IdempotencyKey = Annotated[
    str, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=128)
]


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details, with our stable ``code`` and the request id."""

    type: str
    title: str
    status: int
    code: str
    instance: str | None = None
    detail: str | None = None
    request_id: str | None = msgspec.field(default=None, name="requestId")
    errors: list[dict[str, Any]] | None = None


_DESCRIPTIONS = {
    400: "Invalid parameters",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Invalid request body",
    429: "Too many requests",
    503: "An outside system is unavailable",
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS.get(status, "Problem"),
            media_type=PROBLEM_MEDIA_TYPE,
        )
        for status in statuses
    }
