"""Hostile input refused at the edge, before any handler or the database sees it.

One Litestar middleware, registered once by the composition root, for every route:

- **NUL characters** in the path, the query string, a header or a request body (a raw byte, the
  JSON escape ``\\u0000``, or ``%00`` in a form) answer 400 ``INVALID_PARAMETER``: PostgreSQL
  refuses ``\\x00`` in text, so such a value would otherwise surface as a 500 wherever it
  reached SQL.
- **Deeply nested bodies** (``[[[[…]]]]`` thousands deep) answer 400 ``BODY_TOO_DEEP`` before
  the decoder recurses into them, from a scan of the raw bytes.
- **The client's address** is the one ``core.client_address`` vouches for (the direct peer
  unless it is a trusted proxy); it replaces ``scope["client"]``, which the server fills with
  the bare peer (uvicorn's own proxy-header handling is off).
- **A client that goes away mid-body** (an aborted upload) raises ``ClientDisconnected`` from
  ``receive``: answered — and logged, and counted — as 499, not as a server error.
- **Caching.** An answer without a ``Cache-Control`` of its own is ``no-store`` (with
  ``Pragma: no-cache``): tokens, signed links and errors are never kept by a cache. An answer to
  a request that carried credentials is ``private, no-store``; for routes that need a signed-in
  principal this replaces whatever the handler said (the answer is personal whatever it is),
  while public reads (the catalogue's ETag revalidation) keep their own.

The body is read once, through Litestar's request (which keeps it for the handler and enforces
the route's size limit), and only for handlers that decode one (a ``data`` parameter) — never
for multipart uploads, which are streamed.
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
from collections.abc import Callable, Iterable
from typing import Any

from litestar import Request
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from core.client_address import TrustedProxies
from core.errors import DomainError, InvalidParameter

MAX_BODY_DEPTH = 32

_PRIVATE = b"private, no-store"
_NO_STORE = b"no-store"
_CACHE_HEADERS = frozenset({b"cache-control", b"pragma"})

# An escaped NUL inside a JSON string: ``\u0000`` after an even number of other backslashes
# (``\\u0000`` is a backslash followed by the text ``u0000``).
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# For the depth scan: escapes first (so an escaped quote ends no string), then strings, each
# with a pattern that cannot backtrack beyond one pass.
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_OPEN_CLOSE = bytes.maketrans(b"[{]}", b"\x02\x02\x00\x00")
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


class ClientDisconnected(HTTPException):
    """The client closed the connection before it finished sending its request (nginx's 499).

    Not a server error: nothing is logged above INFO and nothing is kept (the request's
    transaction rolls back and upload handlers delete what they stored)."""

    status_code = 499
    detail = "client closed the request"


class BodyTooDeep(DomainError, status=400, code="BODY_TOO_DEEP"): ...


def nested_deeper_than(body: bytes, limit: int) -> bool:
    """Whether ``[``/``{`` nest deeper than ``limit`` outside JSON strings, in linear time
    and without decoding. A body that is not JSON may be answered either way (here or by the
    decoder): both are a 400."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    marks = _STRING.sub(b"", _ESCAPE.sub(b"", body)).translate(_OPEN_CLOSE, _NOT_BRACKETS)
    # Dropping every empty pair (the leaves) lowers the deepest point by exactly one, at the
    # speed of a byte search: wide bodies (``[[],[],…]``) shrink to nothing here.
    marks = marks.replace(b"\x02\x00", b"")
    limit -= 1
    if len(marks) <= limit:
        return False
    # Running depth after each bracket: 2 per opener and 0 per closer, minus one per position.
    depths = map(operator.sub, itertools.accumulate(marks), itertools.count(1))
    return next(filter(functools.partial(operator.lt, limit), depths), None) is not None


def refuse_nul(body: bytes, *, form: bool) -> None:
    if b"\x00" in body:
        raise InvalidParameter("NUL byte in the request body", where="body")
    if form:
        if b"%00" in body:
            raise InvalidParameter("NUL character in a form field", where="body")
    elif b"u0000" in body and _JSON_NUL.search(body):
        raise InvalidParameter("NUL character in a JSON string", where="body")


def edge_guard(
    *,
    trusted_proxies: TrustedProxies,
    principals: Iterable[str],
    max_body_depth: int = MAX_BODY_DEPTH,
) -> Callable[[ASGIApp], ASGIApp]:
    """The middleware; ``principals`` names the dependencies that mean "signed in" (a handler
    asking for one answers personal data)."""
    principal_names = frozenset(principals)
    # Per route handler: (decodes a body, needs a principal). Handlers are fixed at start-up.
    traits: dict[int, tuple[bool, bool]] = {}

    def handler_traits(handler: Any) -> tuple[bool, bool]:
        known = traits.get(id(handler))
        if known is None:
            signature = getattr(handler, "parsed_fn_signature", None)
            names = set(signature.parameters) if signature is not None else set()
            known = traits[id(handler)] = ("data" in names, bool(names & principal_names))
        return known

    def middleware(app: ASGIApp) -> ASGIApp:
        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            credentials = False
            has_body = False
            content_type = b""
            forwarded: list[str] = []
            for name, value in scope["headers"]:
                if b"\x00" in value:
                    raise InvalidParameter("NUL character in a header", where="header")
                if name == b"authorization":
                    credentials = True
                elif name == b"content-type":
                    content_type = value.lower()
                elif name == b"content-length":
                    has_body = value.strip() not in (b"0", b"")
                elif name == b"transfer-encoding":
                    has_body = True
                elif name == b"x-forwarded-for":
                    forwarded.append(value.decode("latin-1"))
            query = scope["query_string"]
            if "\x00" in scope["path"] or b"%00" in query or b"\x00" in query:
                raise InvalidParameter("NUL character in the URL", where="url")
            if trusted_proxies and (peer := scope.get("client")):
                address = trusted_proxies.client_address(peer[0], forwarded)
                if address is not None and address != peer[0]:
                    scope["client"] = (address, 0)

            body_done = False

            async def watched_receive() -> ReceiveMessage:
                nonlocal body_done
                message = await receive()
                if message["type"] == "http.request":
                    if not message.get("more_body", False):
                        body_done = True
                elif message["type"] == "http.disconnect" and not body_done:
                    raise ClientDisconnected()
                return message

            decodes_body, personal = handler_traits(scope.get("route_handler"))
            if has_body and decodes_body and not content_type.startswith(b"multipart/"):
                body = await Request[Any, Any, Any](scope, receive=watched_receive).body()
                form = content_type.startswith(b"application/x-www-form-urlencoded")
                refuse_nul(body, form=form)
                if not form and nested_deeper_than(body, max_body_depth):
                    raise BodyTooDeep(f"nested deeper than {max_body_depth}")

            async def send_guarded(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers") or ())
                    own = any(name.lower() == b"cache-control" for name, _ in headers)
                    if (personal and credentials) or not own:
                        headers = [h for h in headers if h[0].lower() not in _CACHE_HEADERS]
                        headers.append((b"cache-control", _PRIVATE if credentials else _NO_STORE))
                        headers.append((b"pragma", b"no-cache"))
                        message["headers"] = headers
                await send(message)

            await app(scope, watched_receive, send_guarded)

        return guarded

    return middleware


__all__ = [
    "MAX_BODY_DEPTH",
    "BodyTooDeep",
    "ClientDisconnected",
    "edge_guard",
    "nested_deeper_than",
    "refuse_nul",
]
