"""Fault injection for the stand-in servers: slow answers, error statuses, hangs, dropped links,
and refusals (a documented business error, as when the system turns a request down for good).

Shared by every stand-in that offers fault injection (provincial platform, SMS gateway, app
push); each one gives its own API prefix as the default ``pathPrefix`` and its own error body.
A test sets one fault at a time through the control API. The first ``afterRequests`` matching
requests pass, the next ``times`` matching requests (all of them when ``times`` is null) get
the fault. Control endpoints and the health check are never faulted.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from collections.abc import Callable
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from sandbox.http import error_response, json_response

FaultMode = Literal["latency", "error", "timeout", "reset", "refuse"]

TIMEOUT_SECONDS = 300.0
REFUSAL_MESSAGE = "申请信息未通过平台校验（注入拒绝）"
EXEMPT_PREFIXES = ("/_control/", "/healthz")


class FaultSpec(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    mode: FaultMode
    latency_ms: Annotated[int, msgspec.Meta(ge=0, le=600_000)] = 0
    # None: 503 (``error``), 400 (``refuse``, which takes 400..499 only).
    status: Annotated[int, msgspec.Meta(ge=400, le=599)] | None = None
    # ``refuse``: the error code and message of the refusal body.
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = "INVALID_PARAMETER"
    message: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] = REFUSAL_MESSAGE
    after_requests: Annotated[int, msgspec.Meta(ge=0)] = 0
    times: Annotated[int, msgspec.Meta(ge=1)] | None = None
    # None: the stand-in's own API prefix (``FaultInjector.default_prefix``).
    path_prefix: str | None = None

    def __post_init__(self) -> None:
        # Raised while decoding, this is a validation error (400 from the control API).
        if self.mode == "refuse" and self.status is not None and self.status >= 500:
            raise ValueError("status: a refusal is a 4xx (400..499)")


def _default_error_body(status: int) -> dict[str, Any]:
    return {"code": "INJECTED_FAULT", "message": f"服务暂时不可用（注入故障，HTTP {status}）"}


def _default_refusal_body(code: str, message: str) -> dict[str, Any]:
    return {"code": code, "message": message}


def _abort_connection(request: web.Request) -> None:
    """Drop the TCP connection with a RST so the client sees a reset, not a clean close."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


class FaultInjector:
    """Holds the current fault and applies it from an aiohttp middleware."""

    def __init__(
        self,
        default_prefix: str,
        error_body: Callable[[int], Any] | None = None,
        refusal_body: Callable[[str, str], Any] | None = None,
    ) -> None:
        self.default_prefix = default_prefix
        # The body of an ``error`` fault for a status; default ``{"code": "INJECTED_FAULT", …}``.
        self.error_body = error_body or _default_error_body
        # The body of a ``refuse`` fault for a code and message; default ``{"code", "message"}``.
        self.refusal_body = refusal_body or _default_refusal_body
        self._spec: FaultSpec | None = None
        self._matched = 0
        self._faulted = 0
        self._released = asyncio.Event()

    @property
    def spec(self) -> FaultSpec | None:
        return self._spec

    def set(self, spec: FaultSpec) -> None:
        self.clear()
        if spec.path_prefix is None:
            spec = msgspec.structs.replace(spec, path_prefix=self.default_prefix)
        if spec.status is None:
            spec = msgspec.structs.replace(spec, status=400 if spec.mode == "refuse" else 503)
        self._spec = spec

    def clear(self) -> None:
        """Remove the fault and let requests held by a previous fault go on."""
        self._spec = None
        self._matched = 0
        self._faulted = 0
        self.release()

    def release(self) -> None:
        """Wake every request sleeping in a fault (used on clear and at shutdown)."""
        self._released.set()
        self._released = asyncio.Event()

    def describe(self) -> dict[str, Any]:
        if self._spec is None:
            return {"fault": None}
        return {
            "fault": msgspec.to_builtins(self._spec),
            "matchedRequests": self._matched,
            "faultedRequests": self._faulted,
        }

    def add_control_routes(self, app: web.Application) -> None:
        """``GET``/``POST``/``DELETE /_control/faults`` (see, set, clear the fault); requests
        held by a fault go on when the server shuts down."""

        async def get_fault(request: web.Request) -> web.Response:
            return json_response(self.describe())

        async def set_fault(request: web.Request) -> web.Response:
            try:
                spec = msgspec.json.decode(await request.read(), type=FaultSpec)
            except msgspec.DecodeError as exc:
                return error_response(400, "INVALID_PARAMETER", str(exc))
            self.set(spec)
            return json_response(self.describe())

        async def clear_fault(request: web.Request) -> web.Response:
            self.clear()
            return json_response(self.describe())

        async def release(app: web.Application) -> None:
            self.release()

        app.router.add_get("/_control/faults", get_fault)
        app.router.add_post("/_control/faults", set_fault)
        app.router.add_delete("/_control/faults", clear_fault)
        app.on_shutdown.append(release)

    def _pick(self, path: str) -> FaultSpec | None:
        spec = self._spec
        if (
            spec is None
            or path.startswith(EXEMPT_PREFIXES)
            or not path.startswith(spec.path_prefix or self.default_prefix)
        ):
            return None
        index = self._matched
        self._matched += 1
        if index < spec.after_requests:
            return None
        if spec.times is not None and index >= spec.after_requests + spec.times:
            return None
        self._faulted += 1
        return spec

    async def _sleep(self, seconds: float) -> bool:
        """Sleep, returning early (True) when the fault is cleared or the server stops."""
        released = self._released
        try:
            await asyncio.wait_for(released.wait(), timeout=seconds)
        except TimeoutError:
            return False
        return True

    def middleware(self) -> Middleware:
        @web.middleware
        async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
            spec = self._pick(request.path)
            if spec is None:
                return await handler(request)
            if spec.mode == "latency":
                await self._sleep(spec.latency_ms / 1000)
                return await handler(request)
            if spec.mode == "error":
                return json_response(self.error_body(spec.status or 503), spec.status or 503)
            if spec.mode == "refuse":
                return json_response(self.refusal_body(spec.code, spec.message), spec.status or 400)
            if spec.mode == "timeout":
                await self._sleep(TIMEOUT_SECONDS)
            _abort_connection(request)
            # Nothing reaches the client: aiohttp fails to write this answer to the aborted
            # transport and drops it quietly.
            return web.Response(status=500)

        return inject_faults
