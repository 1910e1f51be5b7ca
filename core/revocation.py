"""Revoked things (token families, licences whose display codes are void), known to every API
process within milliseconds.

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


class RevocationList:
    """``name``: the channel, and the prefix of the keys (``name:<id>``)."""

    def __init__(
        self, redis: Redis, ttl_s: int, reconcile_s: float = 10.0, *, name: str = "revoked:family"
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._prefix = name + ":"
        self._revoked: dict[str, float] = {}
        # False until the first reload and while the subscription is down (revocations may be
        # missed meanwhile): a user of the list that can fall back on its database does.
        self.current = False
        self._listener = ChannelListener(
            redis,
            name,
            on_message=lambda data: self._remember([data.decode()]),
            resync=self._reload,
            reconcile_s=reconcile_s,
            on_lost=self._lost,
        )

    async def revoke(self, family_ids: Iterable[str]) -> None:
        ids = list(family_ids)
        if not ids:
            return
        async with self._redis.pipeline(transaction=False) as pipe:
            for family_id in ids:
                pipe.set(self._prefix + family_id, b"1", ex=self._ttl_s)
                pipe.publish(self._listener.channel, family_id)
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
        prefix = self._prefix
        found = [
            key.decode()[len(prefix) :] if isinstance(key, bytes) else key[len(prefix) :]
            async for key in self._redis.scan_iter(match=prefix + "*", count=1000)
        ]
        now = time.monotonic()
        self._revoked = {k: v for k, v in self._revoked.items() if v > now}
        self._remember(found)
        self.current = True

    def _lost(self) -> None:
        self.current = False

    async def start(self) -> None:
        await self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()
