"""Revoked things (token families, licences whose display codes are void), known to every
process by the time the revocation returns.

A revocation is a Redis key with a TTL as long as an access token lives (after that the token
is dead anyway) and a pub/sub message (followed by ``core.pubsub.ChannelListener``). Each
process keeps the live set in memory, so checking a request costs a dict lookup; it reloads
the whole set on every (re)subscribe and every ``reconcile_s`` seconds.

"At once", not "within milliseconds": every process that receives the message applies it and
then acknowledges it (a push onto a list named in the message), and ``revoke`` waits, bounded
by ``confirm_s``, until as many acknowledgements came back as PUBLISH counted receivers. So
when a logout answers, every subscribed process already refuses the token. A process whose
subscription is down is not counted, and does not know what it missed: it says so
(``current`` is False) until it has subscribed again and reloaded the set, and a user of the
list that cannot fall back on its database refuses to decide meanwhile
(``RevocationsUnknown``, answered 503 with Retry-After like any Redis outage).
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Iterable

import msgspec
from redis.asyncio import Redis

from core.pubsub import ChannelListener

# A blocking pop must answer before the Redis client's socket timeout (2 s) gives up on it.
_POP_SLICE_S = 1.0

log = logging.getLogger(__name__)


class RevocationsUnknown(ConnectionError):
    """This process cannot tell whether something was revoked (its subscription is down or
    not yet reloaded): the caller answers "try again" rather than guess."""


class _Message(msgspec.Struct, frozen=True):
    ids: list[str]
    ack: str


_decode_message = msgspec.json.Decoder(_Message).decode


class RevocationList:
    """``name``: the channel, and the prefix of the keys (``name:<id>``)."""

    def __init__(
        self,
        redis: Redis,
        ttl_s: int,
        reconcile_s: float = 10.0,
        *,
        name: str = "revoked:family",
        confirm_s: float = 5.0,
    ) -> None:
        self._redis = redis
        self._ttl_s = ttl_s
        self._confirm_s = confirm_s
        self._prefix = name + ":"
        self._revoked: dict[str, float] = {}
        # False until the first reload and while the subscription is down (revocations may be
        # missed meanwhile): a user of the list that can fall back on its database does.
        self.current = False
        self._listener = ChannelListener(
            redis,
            name,
            on_message=self._received,
            resync=self._reload,
            reconcile_s=reconcile_s,
            on_lost=self._lost,
        )

    async def revoke(self, family_ids: Iterable[str]) -> None:
        """Revoked in Redis, then applied by every subscribed process (this one included)
        before this returns; a process that has not acknowledged within ``confirm_s`` (stalled)
        is logged and left to its reload. The wait is made of blocking pops of at most
        ``_POP_SLICE_S`` each, under the client's socket timeout (2 s), so ``confirm_s`` may be
        longer than that: long enough that a process merely slowed down (a loaded machine, a
        long collection) is waited for, as only a stalled one should not be."""
        ids = list(family_ids)
        if not ids:
            return
        ack = f"{self._prefix}ack:{uuid.uuid4().hex}"
        async with self._redis.pipeline(transaction=False) as pipe:
            for family_id in ids:
                pipe.set(self._prefix + family_id, b"1", ex=self._ttl_s)
            pipe.publish(self._listener.channel, msgspec.json.encode(_Message(ids, ack)))
            receivers = int((await pipe.execute())[-1])
        self._remember(ids)
        await self._confirmed(ack, receivers)

    async def _confirmed(self, ack: str, receivers: int) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._confirm_s
        for confirmed in range(receivers):
            remaining = deadline - loop.time()
            while remaining > 0:
                if await self._redis.blpop([ack], timeout=min(remaining, _POP_SLICE_S)):
                    break
                remaining = deadline - loop.time()
            else:
                log.warning(
                    "revocation not acknowledged by every process in time",
                    extra={"channel": self._listener.channel, "receivers": receivers,
                           "acknowledged": confirmed},
                )  # fmt: skip
                return

    def is_revoked(self, family_id: str) -> bool:
        expiry = self._revoked.get(family_id)
        return expiry is not None and expiry > time.monotonic()

    async def _received(self, data: bytes) -> None:
        if data.startswith(b"{"):
            message = _decode_message(data)
            self._remember(message.ids)
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.rpush(message.ack, b"1")
                pipe.expire(message.ack, max(1, int(self._confirm_s) * 10))
                await pipe.execute()
        else:  # a bare id, as published before acknowledgements existed
            self._remember([data.decode()])

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
        self.current = False  # no longer following: what is revoked from now on is not seen
