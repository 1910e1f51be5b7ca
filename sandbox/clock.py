"""A wall clock that tests can move forward (or back) through the control API.

Every stand-in that has expiring things (authorization codes, tokens, login codes, flow-control
windows) reads the time from one ``Clock``. ``POST /_control/clock {"offsetSeconds": n}`` sets
the offset; ``POST /_control/reset`` sets it back to 0.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import msgspec
from aiohttp import web

from sandbox.http import error_response, json_response


class ClockBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    offset_seconds: int


class Clock:
    """``time.time()`` plus an offset in seconds."""

    def __init__(self) -> None:
        self.offset = 0

    def now(self) -> float:
        return time.time() + self.offset

    def set_offset(self, seconds: int) -> None:
        self.offset = seconds

    def reset(self) -> None:
        self.offset = 0

    def rfc3339(self, moment: float | None = None) -> str:
        """``moment`` (default: now) as RFC 3339 UTC with second precision."""
        value = dt.datetime.fromtimestamp(self.now() if moment is None else moment, dt.UTC)
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")

    def describe(self) -> dict[str, Any]:
        return {"offsetSeconds": self.offset, "now": self.rfc3339()}


def parse_clock_body(raw: bytes) -> int:
    """The offset from a ``/_control/clock`` body; ValueError when it is not one."""
    try:
        body = msgspec.json.decode(raw, type=ClockBody, strict=True)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise ValueError(f'expected {{"offsetSeconds": int}}: {exc}') from exc
    return body.offset_seconds


def add_clock_routes(app: web.Application, clock_of: Callable[[web.Application], Clock]) -> None:
    """``GET /_control/clock`` (the offset and the time now) and ``POST`` (set the offset)."""

    async def get_clock(request: web.Request) -> web.Response:
        return json_response(clock_of(request.app).describe())

    async def set_clock(request: web.Request) -> web.Response:
        clock = clock_of(request.app)
        try:
            clock.set_offset(parse_clock_body(await request.read()))
        except ValueError as exc:
            return error_response(400, "INVALID_PARAMETER", str(exc))
        return json_response(clock.describe())

    app.router.add_get("/_control/clock", get_clock)
    app.router.add_post("/_control/clock", set_clock)
