"""The one pub/sub listener (``core.pubsub.ChannelListener``) on a real Valkey, and the two
states that follow a channel through it: the response cache's version and the revoked token
families. A subscription the server drops is taken up again, and what was published while it
was down is recovered by the resync, not lost."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from core.cache import VersionedCache
from core.embedded import free_port
from core.pubsub import ChannelListener
from core.revocation import RevocationList

CHANNEL = "test:channel"
STATE_KEY = "test:state"


async def eventually(check: Callable[[], bool | Awaitable[bool]], what: str) -> None:
    for _ in range(2000):
        result = check()
        if result if isinstance(result, bool) else await result:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"never happened: {what}")


async def drop_subscriptions(redis: Redis) -> None:
    """What a Valkey restart or a failover does to every subscriber."""
    await redis.client_kill_filter(_type="pubsub")


class Follower:
    """State kept from the channel: messages seen, and the value read from Redis by resync."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.messages: list[bytes] = []
        self.state: bytes | None = None
        self.resyncs = 0
        self.lost = 0

    async def resync(self) -> None:
        value = await self.redis.get(STATE_KEY)
        self.state = value if value is None or isinstance(value, bytes) else value.encode()
        self.resyncs += 1

    def on_lost(self) -> None:
        self.lost += 1


def following(follower: Follower) -> ChannelListener:
    """A listener keeping ``follower`` on CHANNEL, taken up again 50 ms after a drop."""
    return ChannelListener(
        follower.redis,
        CHANNEL,
        on_message=follower.messages.append,
        resync=follower.resync,
        # No quiet-channel resync during a test: a resync seen here follows a subscribe.
        reconcile_s=3600,
        on_lost=follower.on_lost,
        reconnect_s=0.05,
    )


@pytest.fixture
async def follower(redis: Redis) -> AsyncIterator[tuple[Follower, ChannelListener]]:
    follower = Follower(redis)
    listener = following(follower)
    await listener.start()
    try:
        yield follower, listener
    finally:
        await listener.stop()


async def test_start_returns_subscribed_and_resynced(
    redis: Redis, follower: tuple[Follower, ChannelListener]
) -> None:
    state, _ = follower
    assert state.resyncs == 1
    # Subscribed before start returned: nothing published from now on is missed.
    assert await redis.publish(CHANNEL, "one") == 1
    await eventually(lambda: state.messages == [b"one"], "the message")


async def test_a_quiet_channel_is_resynced(redis: Redis) -> None:
    follower = Follower(redis)
    listener = ChannelListener(
        redis,
        CHANNEL,
        on_message=follower.messages.append,
        resync=follower.resync,
        reconcile_s=0.05,
    )
    await listener.start()
    try:
        await redis.set(STATE_KEY, b"changed without a message")
        await eventually(lambda: follower.state == b"changed without a message", "a resync")
        assert follower.messages == []
    finally:
        await listener.stop()


async def test_a_dropped_subscription_is_taken_up_and_resynced(
    redis: Redis, follower: tuple[Follower, ChannelListener]
) -> None:
    state, _ = follower
    # Changed while nobody listens (the message, if any, is lost): only a resync finds it.
    await drop_subscriptions(redis)
    await redis.set(STATE_KEY, b"set while down")
    await eventually(lambda: state.lost == 1, "the loss noticed")
    await eventually(lambda: state.state == b"set while down", "the resync after resubscribing")
    assert state.resyncs >= 2
    await redis.publish(CHANNEL, "after")
    await eventually(lambda: state.messages == [b"after"], "a message on the new subscription")


async def test_stop_ends_the_subscription(
    redis: Redis, follower: tuple[Follower, ChannelListener]
) -> None:
    _, listener = follower
    await listener.stop()
    assert await redis.publish(CHANNEL, "nobody") == 0
    await listener.stop()  # twice is harmless


async def test_the_cache_version_follows_bumps_across_a_dropped_subscription(
    redis: Redis,
) -> None:
    cache = VersionedCache(redis, "test", max_entries=10, reconcile_s=3600)
    other_process = VersionedCache(redis, "test", max_entries=10)
    await cache.start()
    try:
        assert cache.version == b"0"
        cache.put(cache.version, "/page", b"body")
        assert cache.get("/page") is not None
        await other_process.bump()
        await eventually(lambda: cache.version == b"1", "the bump")
        assert cache.get("/page") is None

        await drop_subscriptions(redis)
        await eventually(lambda: cache.version is None, "the cache off while unsubscribed")
        await redis.incr("cache-version:test")  # a bump whose message nobody heard
        await eventually(lambda: cache.version == b"2", "the version re-read on resubscribe")
    finally:
        await cache.stop()


async def test_revocations_reach_every_process_across_a_dropped_subscription(
    redis: Redis,
) -> None:
    revocations = RevocationList(redis, ttl_s=60, reconcile_s=3600)
    other_process = RevocationList(redis, ttl_s=60)
    await revocations.start()
    try:
        await other_process.revoke(["family-1"])
        await eventually(lambda: revocations.is_revoked("family-1"), "the revocation")

        await drop_subscriptions(redis)
        # Revoked while the subscription is down: the key is there, the message is lost.
        await redis.set("revoked:family:family-2", b"1", ex=60)
        await eventually(lambda: revocations.is_revoked("family-2"), "the reload on resubscribe")
        assert not revocations.is_revoked("family-3")
    finally:
        await revocations.stop()


async def test_start_with_redis_away_returns_after_the_first_try_and_keeps_trying() -> None:
    """A process follows several channels: with Redis away its start must not wait the ready
    timeout for each of them in turn."""
    away = Redis.from_url(f"redis://127.0.0.1:{free_port('127.0.0.1')}/0")
    follower = Follower(away)
    listener = following(follower)
    try:
        await listener.start(ready_timeout_s=3600)  # returns: the first try failed
        assert follower.lost >= 1 and follower.resyncs == 0
        await eventually(lambda: follower.lost >= 3, "tries again while Redis is away")
    finally:
        await listener.stop()
        await away.aclose()
