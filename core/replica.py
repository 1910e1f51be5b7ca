"""Reads that may lag behind the primary, from a streaming replica when one is configured.

Catalogue pages (read by everyone, written by the hourly sync) and staff figures (reports over
rollups) are the reads a province has most of and the ones that can be a moment old. With
``database.replica_url`` set they go to a hot standby of the primary, which keeps the primary's
connections and CPU for writes and for what a person must see at once. Nothing a citizen wrote
is ever read here: declarations, payments, licences and the inbox are read on the request's own
primary connection, so a lagging replica cannot show anyone their own past.

Two guards keep a lagging or absent replica from showing what it should not:

- **Fences.** A writer whose readers must not go back in time records, after its commit, the
  primary's WAL insert position in Valkey under a fence name (``fence``). A read under that
  fence goes to the replica only once the replica has replayed past it, else to the primary.
  The catalogue sync fences before it bumps the cache version: without it, a process
  re-rendering a page after the bump could read the old catalogue from the replica and keep it
  under the new version until the next sync.
- **An unreachable replica** (down, restarting, refusing connections) sends the read to the
  primary; so does a ``replica_url`` that names a server which is not a standby (its replay
  position is NULL).

Without a replica every read goes to the primary pool, and ``fence`` does nothing.
``handheld_replica_reads_total{source, reason}`` counts where each read went and why.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from litestar.di import NamedDependency
from prometheus_client import Counter
from redis.asyncio import Redis
from redis.exceptions import RedisError

from core.db import Connection, Pool

log = logging.getLogger(__name__)

REPLICA_READS = Counter(
    "handheld_replica_reads",
    "Reads that may lag, by where they went (replica or primary) and why",
    ["source", "reason"],
)
FENCE_KEY = "replica-fence:{}"
# The longest a read waits for a free replica connection before it goes to the primary
# (opening one is bounded by database.connect_timeout).
REPLICA_ACQUIRE_TIMEOUT_S = 1.0
# After a failure to reach it, reads stay on the primary this long before the replica is
# tried again: a replica that is down costs one failed connection per interval, not per read.
REPLICA_RETRY_S = 5.0
_UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ReplicaReads:
    """Where reads that may lag are made: ``acquire()`` a connection (replica or primary)."""

    def __init__(self, primary: Pool, replica: Pool | None, redis: Redis) -> None:
        self._primary = primary
        self._replica = replica
        self._redis = redis
        self._skip_until = 0.0

    async def fence(self, name: str) -> None:
        """Readers under ``name`` see at least what the primary has committed until now."""
        if self._replica is None:
            return
        async with self._primary.acquire() as conn:
            # The insert position, not the write position: with asynchronous commit a commit
            # record can be inserted and not yet written.
            position = await conn.fetchval("SELECT pg_current_wal_insert_lsn()::text")
        await self._redis.set(FENCE_KEY.format(name), position)

    def fenced(self, name: str) -> FencedReads:
        """A source of connections for reads under the fence ``name`` (``acquire()``, as a
        pool's)."""
        return FencedReads(self, name)

    @contextlib.asynccontextmanager
    async def acquire(self, fence: str | None = None) -> AsyncIterator[Connection]:
        pool, conn = await self._choose(fence)
        try:
            yield conn
        finally:
            await pool.release(conn)

    async def _choose(self, fence: str | None) -> tuple[Pool, Any]:
        replica = self._replica
        if replica is None:
            return self._primary, await self._primary.acquire()
        if time.monotonic() < self._skip_until:
            return await self._on_primary("replica_unreachable")
        try:
            conn = await replica.acquire(timeout=REPLICA_ACQUIRE_TIMEOUT_S)
        except _UNREACHABLE as exc:
            self._skip_until = time.monotonic() + REPLICA_RETRY_S
            log.warning("replica unreachable, reads on the primary", extra={"error": repr(exc)})
            return await self._on_primary("replica_unreachable")
        try:
            reason = await self._behind(conn, fence)
        except BaseException:
            await replica.release(conn)
            raise
        if reason is not None:
            await replica.release(conn)
            return await self._on_primary(reason)
        REPLICA_READS.labels("replica", "caught_up" if fence else "any").inc()
        return replica, conn

    async def _behind(self, conn: Connection, fence: str | None) -> str | None:
        """Why the read cannot be made on ``conn`` (the replica), or None when it can."""
        try:
            wanted = await self._redis.get(FENCE_KEY.format(fence)) if fence else None
        except RedisError:
            return "fence_unknown"  # the position cannot be checked: the primary is right
        try:
            caught_up = await conn.fetchval(
                "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn",
                wanted.decode() if isinstance(wanted, bytes) else (wanted or "0/0"),
            )
        except _UNREACHABLE:
            return "replica_unreachable"
        return None if caught_up else "replica_behind"

    async def _on_primary(self, reason: str) -> tuple[Pool, Any]:
        REPLICA_READS.labels("primary", reason).inc()
        return self._primary, await self._primary.acquire()


class FencedReads:
    """``ReplicaReads.acquire`` under one fence, shaped as a pool for ``core.cache``."""

    def __init__(self, reads: ReplicaReads, fence: str) -> None:
        self._reads, self._fence = reads, fence

    def acquire(self) -> contextlib.AbstractAsyncContextManager[Connection]:
        return self._reads.acquire(self._fence)


async def provide_replica_read(
    replica_reads: NamedDependency[ReplicaReads],
) -> AsyncIterator[Connection]:
    """Litestar generator dependency: a connection for reads that may lag (figures), from the
    replica when one is configured and reachable, no transaction around them."""
    async with replica_reads.acquire() as conn:
        yield conn


__all__ = [
    "REPLICA_READS",
    "FencedReads",
    "ReplicaReads",
    "provide_replica_read",
]
