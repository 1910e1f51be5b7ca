"""JSON answers shared by the stand-ins."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import msgspec
from aiohttp import web


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


def error_response(status: int, code: str, message: str) -> web.Response:
    """``{"code", "message"}``: the errors of every control endpoint (``/_control/…``) and of
    the APIs that answer in that shape (the provincial platform, the SMS gateway)."""
    return json_response({"code": code, "message": message}, status)
