"""The revocation list (``core.revocation``) on a real Valkey: a revocation has reached every
subscribed process when ``revoke`` returns, a process that never acknowledges delays it by
``confirm_s`` and no more, and a list that does not follow the channel says it is not current.
Each list here stands for one process (its own subscription on the channel)."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from redis.asyncio import Redis

from core.errors import is_unavailable
from core.revocation import RevocationList, RevocationsUnknown

T = TypeVar("T")


@pytest.fixture
def name() -> str:
    return f"test-revoked:{uuid.uuid4().hex}"


@pytest.fixture
async def processes(redis: Redis, name: str) -> AsyncIterator[list[RevocationList]]:
    # A generous wait for acknowledgements (this client has no socket timeout): a busy process
    # here is busy for a fraction of it, however loaded the machine.
    lists = [
        RevocationList(redis, ttl_s=60, reconcile_s=3600, name=name, confirm_s=30) for _ in range(4)
    ]
    for each in lists:
        await each.start()
    try:
        yield lists
    finally:
        for each in lists:
            await each.stop()


class OwnLoop:
    """An event loop on a thread of its own, like another process's: busy when told to be."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=60)

    def busy(self, seconds: float) -> None:
        """Its loop does nothing else for ``seconds`` (a CPU-heavy request, say)."""
        self.loop.call_soon_threadsafe(time.sleep, seconds)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


@pytest.fixture
def busy_process(redis_url: str, name: str) -> Iterator[tuple[OwnLoop, RevocationList]]:
    own = OwnLoop()
    client = Redis.from_url(redis_url)
    revocations = RevocationList(client, ttl_s=60, reconcile_s=3600, name=name)
    own.run(revocations.start())
    try:
        yield own, revocations
    finally:
        own.run(revocations.stop())
        own.run(client.aclose())
        own.close()


async def test_a_revocation_has_reached_every_process_when_revoke_returns(
    redis: Redis,
    name: str,
    processes: list[RevocationList],
    busy_process: tuple[OwnLoop, RevocationList],
) -> None:
    revoking, *others = processes
    busy, busy_list = busy_process
    busy.busy(0.5)  # the message reaches it while it is busy
    await revoking.revoke(["family-1", "family-2"])
    # No waiting: each process applied it and said so before revoke returned, the busy one too.
    assert busy_list.is_revoked("family-1") and busy_list.is_revoked("family-2")
    assert [p.is_revoked("family-1") and p.is_revoked("family-2") for p in processes] == [
        True
    ] * len(processes)
    assert not any(p.is_revoked("family-3") for p in others)

    # From a process that does not follow the channel itself (a CLI command, a worker).
    outsider = RevocationList(redis, ttl_s=60, name=name)
    await outsider.revoke(["family-3"])
    assert all(p.is_revoked("family-3") for p in processes)


async def test_a_process_that_never_acknowledges_delays_a_revocation_by_confirm_s_at_most(
    redis: Redis, name: str, processes: list[RevocationList], caplog: pytest.LogCaptureFixture
) -> None:
    # Subscribed, counted by PUBLISH, but never answering (a stalled process).
    async with redis.pubsub() as stalled:
        await stalled.subscribe(name)
        assert (await stalled.get_message(timeout=5))["type"] == "subscribe"  # type: ignore[index]
        revoking = RevocationList(redis, ttl_s=60, name=name, confirm_s=0.2)
        with caplog.at_level(logging.WARNING, logger="core.revocation"):
            await revoking.revoke(["family-9"])
        assert all(p.is_revoked("family-9") for p in processes)
        assert await redis.exists(f"{name}:family-9") == 1  # the stalled one finds it on reload
        assert "not acknowledged by every process" in caplog.text


async def test_a_list_not_following_the_channel_is_not_current(redis: Redis, name: str) -> None:
    revocations = RevocationList(redis, ttl_s=60, name=name)
    assert not revocations.current  # before its first reload
    await revocations.start()
    assert revocations.current
    await revocations.stop()
    assert not revocations.current  # what is revoked from now on, it would not see
    # What a caller raises meanwhile is answered like Redis down: 503 with Retry-After.
    assert is_unavailable(RevocationsUnknown("not current"))


async def test_a_message_of_a_process_from_before_acknowledgements_is_still_applied(
    redis: Redis, name: str, processes: list[RevocationList]
) -> None:
    """During a rolling update an old process publishes the bare id."""
    assert await redis.publish(name, b"family-old") == len(processes)
    outsider = RevocationList(redis, ttl_s=60, name=name)
    await outsider.revoke(["family-new"])  # handled after the bare one, on every process
    assert all(p.is_revoked("family-old") and p.is_revoked("family-new") for p in processes)
