"""JSON answers and the API error shared by the provincial stand-in's route modules."""

from __future__ import annotations

from typing import Any

import msgspec
from aiohttp import web


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=msgspec.json.encode(body),
        content_type="application/json",
        charset="utf-8",
    )


def error_response(status: int, code: str, message: str) -> web.Response:
    return json_response({"code": code, "message": message}, status=status)


class ApiError(Exception):
    """Raised by a handler; the ``errors_as_json`` middleware turns it into ``{"code","message"}``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
