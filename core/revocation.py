"""Revoked token families, known to every API process within milliseconds.

A revocation is a Redis key with a TTL as long as an access token lives (after that the token
is dead anyway) and a pub/sub message. Each process keeps the live set in memory, so checking
a request costs a dict lookup; it reloads the whole set on every (re)subscribe and every
``reconcile_s`` seconds, so a lost message delays a revocation by seconds, never forever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable

from redis.asyncio import Redis

log = logging.getLogger(__name__)

_PREFIX = "revoked:family:"
_CHANNEL = "revoked:family"


class RevocationList:
    def __init__(self, redis: Redis, ttl_s: int, reconcile_s: float = 10.0) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._reconcile_s = reconcile_s
        self._revoked: dict[str, float] = {}
        self._listener: asyncio.Task[None] | None = None

    async def revoke(self, family_ids: Iterable[str]) -> None:
        ids = list(family_ids)
        if not ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for family_id in ids:
                pipe.set(_PREFIX + family_id, b"1", ex=self._ttl_s)
                pipe.publish(_CHANNEL, family_id)
            await pipe.execute()
        self._remember(ids)

    def is_revoked(self, family_id: str) -> bool:
        expiry = self._revoked.get(family_id)
        return expiry is not None and expiry > time.monotonic()

    def _remember(self, ids: Iterable[str]) -> None:
        expiry = time.monotonic() + self._ttl_s
        for family_id in ids:
            self._revoked[family_id] = expiry

    async def _reload(self) -> None:
        found = [
            key.decode()[len(_PREFIX) :] if isinstance(key, bytes) else key[len(_PREFIX) :]
            async for key in self._redis.scan_iter(match=_PREFIX + "*", count=1000)
        ]
        now = time.monotonic()
        self._revoked = {k: v for k, v in self._revoked.items() if v > now}
        self._remember(found)

    async def start(self) -> None:
        ready = asyncio.Event()
        self._listener = asyncio.create_task(self._listen(ready), name="revocations")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(ready.wait(), timeout=5)

    async def stop(self) -> None:
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._listener
            self._listener = None

    async def _listen(self, ready: asyncio.Event) -> None:
        while True:
            try:
                async with self._redis.pubsub() as pubsub:
                    await pubsub.subscribe(_CHANNEL)
                    await self._reload()
                    ready.set()
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=self._reconcile_s
                        )
                        if message is None:
                            await self._reload()
                        elif message["type"] == "message":
                            data = message["data"]
                            self._remember([data.decode() if isinstance(data, bytes) else data])
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("revocation subscription lost; retrying", exc_info=True)
                await asyncio.sleep(1)
