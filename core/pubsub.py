"""A Redis pub/sub channel followed by a background task, for in-process state that every
process must keep current (cache versions, revoked tokens).

Pub/sub delivers at most once: a message published while the subscription is down is lost.
So the state is also rebuilt from Redis itself (``resync``) right after every (re)subscribe,
read once the server has confirmed the subscription so nothing can fall between the two, and
whenever the channel has been quiet for ``reconcile_s`` seconds; a lost message delays a change
by that much, never forever.

The subscription has a connection pool of its own, without redis-py's retries: a retried
read reconnects and subscribes again *silently*, so a drop would never be seen and what was
published while the connection was down would be missed with the state still taken as
current. Without them the drop raises here, ``on_lost`` tells the owner at once, and the
subscription is taken up again (and the state resynced) by this loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from redis.asyncio import ConnectionPool, Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

log = logging.getLogger(__name__)

# How long the server may take to confirm a subscribe before we try again.
_CONFIRM_TIMEOUT_S = 5.0
_STOP_TIMEOUT_S = 5.0


class ChannelListener:
    """Follows ``channel``: ``on_message(data)`` for each message (awaited before the next one
    when it returns an awaitable), ``resync()`` after each subscribe and after ``reconcile_s``
    seconds of quiet, ``on_lost()`` when the subscription drops (it is taken up again after
    ``reconnect_s``)."""

    def __init__(
        self,
        redis: Redis,
        channel: str,
        *,
        on_message: Callable[[bytes], Awaitable[None] | None],
        resync: Callable[[], Awaitable[None]],
        reconcile_s: float,
        on_lost: Callable[[], None] | None = None,
        reconnect_s: float = 1.0,
    ) -> None:
        self._redis = redis
        self.channel = channel
        self._on_message = on_message
        self._resync = resync
        self._reconcile_s = reconcile_s
        self._on_lost = on_lost
        self._reconnect_s = reconnect_s
        self._task: asyncio.Task[None] | None = None

    async def start(self, ready_timeout_s: float = 5.0) -> None:
        """Start following; returns once subscribed and resynced, or once the first try has
        failed or ``ready_timeout_s`` passed (Redis away: the task keeps trying, and the state
        stays as its owner left it). Not the timeout each time: a process follows several
        channels, and its start would wait for each in turn."""
        settled = asyncio.Event()  # set once subscribed and resynced, or on the first failure
        self._task = asyncio.create_task(self._follow(settled), name=f"pubsub:{self.channel}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(settled.wait(), timeout=ready_timeout_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            # Bounded: a subscription connection that does not close (a server gone silent)
            # must not hang the process's shutdown.
            await asyncio.wait({self._task}, timeout=_STOP_TIMEOUT_S)
            self._task = None

    async def _follow(self, settled: asyncio.Event) -> None:
        shared = self._redis.connection_pool
        pool = ConnectionPool(
            connection_class=shared.connection_class,
            **{**shared.connection_kwargs, "retry": Retry(NoBackoff(), 0)},
        )
        try:
            await self._follow_with(Redis(connection_pool=pool), settled)
        finally:
            await pool.disconnect()

    async def _follow_with(self, redis: Redis, settled: asyncio.Event) -> None:
        while True:
            try:
                async with redis.pubsub() as pubsub:
                    await pubsub.subscribe(self.channel)
                    # Once the server confirms, no publish is missed: the resync after it sees
                    # every change made before, the channel every change made after.
                    confirmed = await pubsub.get_message(timeout=_CONFIRM_TIMEOUT_S)
                    if confirmed is None or confirmed["type"] != "subscribe":
                        raise ConnectionError(f"subscription not confirmed: {confirmed!r}")
                    await self._resync()
                    settled.set()
                    while True:
                        message = await pubsub.get_message(
                            ignore_subscribe_messages=True, timeout=self._reconcile_s
                        )
                        if message is None:
                            await self._resync()
                        elif message["type"] == "message":
                            data = message["data"]
                            handled = self._on_message(
                                data if isinstance(data, bytes) else str(data).encode()
                            )
                            if handled is not None:
                                await handled
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning(
                    "pub/sub subscription lost; retrying",
                    extra={"channel": self.channel},
                    exc_info=True,
                )
                if self._on_lost is not None:
                    self._on_lost()
                settled.set()
                await asyncio.sleep(self._reconnect_s)


__all__ = ["ChannelListener"]
