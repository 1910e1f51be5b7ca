"""Revoked token families, known to every API process within milliseconds.

A revocation is a Redis key with a TTL as long as an access token lives (after that the token
is dead anyway) and a pub/sub message (followed by ``core.pubsub.ChannelListener``). Each
process keeps the live set in memory, so checking a request costs a dict lookup; it reloads
the whole set on every (re)subscribe and every ``reconcile_s`` seconds, so a lost message
delays a revocation by seconds, never forever.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from redis.asyncio import Redis

from core.pubsub import ChannelListener

_PREFIX = "revoked:family:"
_CHANNEL = "revoked:family"


class RevocationList:
    def __init__(self, redis: Redis, ttl_s: int, reconcile_s: float = 10.0) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._revoked: dict[str, float] = {}
        self._listener = ChannelListener(
            redis,
            _CHANNEL,
            on_message=lambda data: self._remember([data.decode()]),
            resync=self._reload,
            reconcile_s=reconcile_s,
        )

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
        await self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()
