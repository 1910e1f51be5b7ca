"""Rendered responses cached in process, invalidated across processes by a Redis counter.

A hit costs one Redis GET (the namespace's version) and no database round trip. Whoever
changes the underlying data calls ``bump`` after commit; every process then misses once and
re-renders. ETags are content hashes, so a client's If-None-Match survives a bump that did
not change its page.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from redis.asyncio import Redis


@dataclass(frozen=True, slots=True)
class CachedBody:
    etag: str
    body: bytes


def etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


class VersionedCache:
    def __init__(self, redis: Redis, namespace: str, max_entries: int) -> None:
        self._redis = redis
        self._version_key = f"cache-version:{namespace}"
        self._max_entries = max_entries
        self._entries: OrderedDict[str, tuple[bytes, CachedBody]] = OrderedDict()

    async def version(self) -> bytes:
        version = await self._redis.get(self._version_key)
        if not version:
            return b"0"
        return version if isinstance(version, bytes) else version.encode()

    def get(self, version: bytes, key: str) -> CachedBody | None:
        entry = self._entries.get(key)
        if entry is None or entry[0] != version:
            return None
        self._entries.move_to_end(key)
        return entry[1]

    def put(self, version: bytes, key: str, body: bytes) -> CachedBody:
        cached = CachedBody(etag_for(body), body)
        self._entries[key] = (version, cached)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)
        return cached

    async def bump(self) -> None:
        await self._redis.incr(self._version_key)
