"""One ASGI wrapper per request for what every request needs: an id, metrics, an access log.

It wraps the whole application (outside the router), so unrouted 404s and 405s get a request
id and are counted too. Done in one layer rather than three middlewares: on a cached read the
layers cost more than the handler.
"""

from __future__ import annotations

import time
from typing import Any, cast

from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import Counter, Histogram

from core.logging import bind_request_id, log_request, unbind_request_id

REQUESTS = Counter("handheld_requests", "HTTP requests served", ["method", "path", "status"])
REQUEST_SECONDS = Histogram(
    "handheld_request_duration_seconds",
    "HTTP request duration",
    ["method", "path"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Not measured: scraping and probes would drown the figures that matter.
_UNMEASURED = frozenset({"/metrics", "/healthz", "/readyz"})
# The metric children of each (method, route template, status) seen: ``labels()`` checks
# and joins its labels and takes a lock each time, a few microseconds twice per request.
# Bounded as the labels are (route templates, not paths); past the bound, looked up anew.
_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
_MAX_CHILDREN = 10_000


def _metrics(method: str, template: str, status: int) -> tuple[Any, Any]:
    key = (method, template, status)
    found = _children.get(key)
    if found is None:
        found = (
            REQUESTS.labels(method, template, str(status)),
            REQUEST_SECONDS.labels(method, template),
        )
        if len(_children) < _MAX_CHILDREN:
            _children[key] = found
    return found


def observe_requests(app: ASGIApp) -> ASGIApp:
    # Typed as plain mappings: this layer also sees lifespan scopes, which Litestar's
    # Scope union does not describe.
    async def observed(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(cast("Scope", scope), receive, send)
            return
        incoming = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id, token = bind_request_id(incoming)
        header = (b"x-request-id", request_id.encode())
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        try:
            await app(cast("Scope", scope), receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            path = scope["path"]
            if path not in _UNMEASURED:
                # The route template (set by the router) keeps label cardinality bounded.
                template = scope.get("path_template") or "unmatched"
                count, duration = _metrics(scope["method"], template, status)
                count.inc()
                duration.observe(elapsed)
            log_request(scope["method"], path, status, round(elapsed * 1000, 2))
            unbind_request_id(token)

    return cast("ASGIApp", observed)
