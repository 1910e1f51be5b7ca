"""JSON answers, errors and API-key checks shared by the stand-ins."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=msgspec.json.encode(body),
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )


async def healthz(_: web.Request) -> web.Response:
    """``GET /healthz``: ``{"status": "ok"}`` (every stand-in has it)."""
    return json_response({"status": "ok"})


def error_response(status: int, code: str, message: str) -> web.Response:
    """``{"code", "message"}``: the errors of every control endpoint (``/_control/…``) and of
    the APIs that answer in that shape (the provincial platform, the SMS gateway)."""
    return json_response({"code": code, "message": message}, status)


class ApiError(Exception):
    """Raised by a handler; the ``errors_as_json`` middleware turns it into ``{"code","message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """``ApiError``, unknown paths and wrong methods as ``{"code", "message"}``."""
    try:
        return await handler(request)
    except ApiError as exc:
        return error_response(exc.status, exc.code, exc.message)
    except web.HTTPNotFound:
        return error_response(404, "NOT_FOUND", f"no endpoint {request.path}")
    except web.HTTPMethodNotAllowed:
        return error_response(
            405, "METHOD_NOT_ALLOWED", f"{request.method} not allowed on {request.path}"
        )


def require_api_key(prefix: str, api_key: str) -> Middleware:
    """Requests under ``prefix`` need ``Authorization: Bearer <api_key>``; else 401."""

    @web.middleware
    async def check_api_key(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(prefix):
            scheme, _, token = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode(), api_key.encode()
            ):
                return error_response(
                    401, "UNAUTHORIZED", "missing or invalid API key (Authorization: Bearer)"
                )
        return await handler(request)

    return check_api_key
