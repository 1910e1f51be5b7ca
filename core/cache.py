"""Rendered responses cached in process, invalidated across processes through Redis.

A hit costs no network round trip at all: the namespace's version is held in memory and
kept current by a Redis pub/sub subscription (``core.pubsub.ChannelListener``; ``bump``
increments the version key and publishes it). Should a message be lost (a dropped
subscription), the version is re-read on every resubscribe and every ``reconcile_s`` seconds,
so staleness is bounded; while the subscription is down nothing is served from the cache.
ETags are content hashes, so a client's If-None-Match survives a bump that did not change its
page.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

import msgspec
from litestar import Request, Response
from litestar.status_codes import HTTP_200_OK
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)
from redis.asyncio import Redis

from core.i18n import DEFAULT_LOCALE, negotiate
from core.pubsub import ChannelListener

if TYPE_CHECKING:
    from core.db import Connection


class ConnectionSource(Protocol):
    """Where a miss is rendered: a pool, or ``core.replica.FencedReads``."""

    def acquire(self) -> AbstractAsyncContextManager[Connection]: ...


# Below this, gzip's framing costs more than it saves.
GZIP_MIN_BYTES = 1024


@dataclass(frozen=True, slots=True)
class CachedBody:
    etag: str
    body: bytes
    # Compressed once when cached, not on every response.
    gzipped: bytes | None
    # The route template the body was rendered under: a hit, answered before routing, is
    # counted in the request metrics under it (else under "unmatched").
    template: str | None = None


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class VersionedCache:
    def __init__(
        self, redis: Redis, namespace: str, max_entries: int, reconcile_s: float = 5.0
    ) -> None:
        self._redis = redis
        self._key = f"cache-version:{namespace}"
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[bytes, CachedBody]] = OrderedDict()
        # Until the subscription is up, an unknown version never matches a stored entry.
        self._version: bytes | None = None
        self._listener = ChannelListener(
            redis,
            self._key,
            on_message=self._on_bump,
            resync=self._resync,
            reconcile_s=reconcile_s,
            on_lost=self._forget_version,
        )

    @property
    def version(self) -> bytes | None:
        return self._version

    def get(self, key: str) -> CachedBody | None:
        entry = self._entries.get(key)
        if entry is None or self._version is None or entry[0] != self._version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(
        self, version: bytes | None, key: str, body: bytes, template: str | None = None
    ) -> CachedBody:
        """Store ``body`` under the version read *before* it was rendered: should a bump land
        while rendering, the entry is already stale and the next request re-renders."""
        gzipped = gzip.compress(body, 6) if len(body) >= GZIP_MIN_BYTES else None
        cached = CachedBody(etag_for(body), body, gzipped, template)
        if version is not None:
            self._entries[key] = (version, cached)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries:
                self._entries.popitem(last=False)
        return cached

    async def bump(self) -> None:
        version = await self._redis.incr(self._key)
        await self._redis.publish(self._key, str(version))

    async def start(self) -> None:
        await self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()

    async def _resync(self) -> None:
        value = await self._redis.get(self._key)
        self._version = (value if isinstance(value, bytes) else value.encode()) if value else b"0"

    def _on_bump(self, version: bytes) -> None:
        self._version = version

    def _forget_version(self) -> None:
        # Bumps may be missed while unsubscribed: serve nothing from the cache until resynced.
        self._version = None


@dataclass(frozen=True, slots=True)
class CachedResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def conditional_response(
    hit: CachedBody,
    if_none_match: str | None,
    accept_encoding: str | None,
    locale: str = DEFAULT_LOCALE,
) -> CachedResponse:
    """304 for a client holding the current ETag; the pre-compressed body when accepted.

    Bodies are rendered in the language the request negotiated (``core.i18n``): a shared cache
    keeps one per language, and the ETag (a hash of the body) differs where the text does."""
    headers = [
        ("etag", hit.etag),
        ("cache-control", "no-cache"),
        ("vary", "Accept-Encoding, Accept-Language"),
        ("content-language", locale),
    ]
    if if_none_match == hit.etag:
        return CachedResponse(304, headers, b"")
    headers.append(("content-type", "application/json"))
    if hit.gzipped is not None and accept_encoding and "gzip" in accept_encoding:
        headers.append(("content-encoding", "gzip"))
        return CachedResponse(200, headers, hit.gzipped)
    return CachedResponse(200, headers, hit.body)


def cache_key(path: str, query_string: bytes, locale: str = DEFAULT_LOCALE) -> str:
    """One entry per URL and language (a Chinese entry keeps the bare URL)."""
    key = path + "?" + query_string.decode("latin-1")
    return key if locale == DEFAULT_LOCALE else key + "#" + locale


T = TypeVar("T")
_encoder = msgspec.json.Encoder()


async def cached_read(
    request: Request[Any, Any, Any],
    cache: VersionedCache,
    pool: ConnectionSource,
    load: Callable[[Connection], Awaitable[Any]],
    _: type[T],
    locale: str = DEFAULT_LOCALE,
) -> Response[T]:
    """A cached read's handler: on a miss, ``load`` renders the answer on a pooled connection
    of its own and fills the cache at the version read before it (a bump meanwhile makes the
    entry stale, never wrong); the hit or the new entry is answered with its ETag, 304 or
    gzip as the request allows. Later hits are answered before routing (``serve_from_cache``).
    The last argument is the answer's type: the body is pre-encoded, the annotation keeps the
    OpenAPI schema exact. ``locale`` is the negotiated language ``load`` renders in: one entry
    per URL and language."""
    key = cache_key(request.scope["path"], request.scope["query_string"], locale)
    version = cache.version
    hit = cache.get(key)
    if hit is None:
        async with pool.acquire() as conn:
            body = _encoder.encode(await load(conn))
            hit = cache.put(version, key, body, request.scope.get("path_template"))
    response = conditional_response(
        hit, request.headers.get("if-none-match"), request.headers.get("accept-encoding"), locale
    )
    return cast(
        "Response[T]",
        Response(
            response.body,
            status_code=response.status,
            headers=dict(response.headers),
            media_type="application/json" if response.status == HTTP_200_OK else None,
        ),
    )


def serve_from_cache(app: ASGIApp, cache_for: Callable[[str], VersionedCache | None]) -> ASGIApp:
    """An in-process HTTP cache in front of the application, for GETs of cached reads.

    Only URLs the application itself rendered (and therefore validated) are ever in the
    cache; everything else, and every miss, goes to the application, which fills it.
    """

    async def cached(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            cache = cache_for(scope["path"])
            hit = None
            if cache is not None:
                if_none_match = accept_encoding = accept_language = None
                for name, value in scope["headers"]:
                    if name == b"if-none-match":
                        if_none_match = value.decode("latin-1")
                    elif name == b"accept-encoding":
                        accept_encoding = value.decode("latin-1")
                    elif name == b"accept-language":
                        accept_language = value.decode("latin-1")
                locale = negotiate(accept_language)
                hit = cache.get(cache_key(scope["path"], scope["query_string"], locale))
            if hit is not None:
                scope["path_template"] = hit.template  # for the request metrics
                response = conditional_response(hit, if_none_match, accept_encoding, locale)
                headers = [(k.encode(), v.encode()) for k, v in response.headers]
                headers.append((b"content-length", str(len(response.body)).encode()))
                start: HTTPResponseStartEvent = {
                    "type": "http.response.start",
                    "status": response.status,
                    "headers": headers,
                }
                await send(start)
                body: HTTPResponseBodyEvent = {
                    "type": "http.response.body",
                    "body": response.body,
                    "more_body": False,
                }
                await send(body)
                return
        await app(cast("Scope", scope), receive, send)

    return cast("ASGIApp", cached)
