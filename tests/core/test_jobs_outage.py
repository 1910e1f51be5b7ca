"""The worker rides out a database restart; waits that are not failures; one retry layer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import msgspec
import pytest

from core.db import Pool, connect, create_pool
from core.embedded import EmbeddedPostgres
from core.jobs import DatabaseGone, JobRegistry, run_jobs
from core.jobs import enqueue as enqueue_job
from core.migrate import apply_migrations
from core.settings import DatabaseSettings, JobSettings, Secret


class Item(msgspec.Struct):
    n: int


FAST = JobSettings(
    max_attempts=1000,
    initial_delay_s=0.05,
    max_delay_s=0.5,
    batch_size=5,
    heartbeat_timeout_s=2,
    reconnect_initial_s=0.1,
    reconnect_max_s=0.5,
)


@pytest.fixture
async def own_postgres(tmp_path: Path) -> AsyncIterator[EmbeddedPostgres]:
    """A PostgreSQL of this test's own, to stop and start (never the session's)."""
    server = EmbeddedPostgres(tmp_path / "pg", durable=False)
    await asyncio.to_thread(server.start)
    try:
        conn = await asyncpg.connect(server.admin_url)
        try:
            await apply_migrations(conn)
            await conn.execute("CREATE TABLE done (n integer PRIMARY KEY)")
        finally:
            await conn.close()
        yield server
    finally:
        await asyncio.to_thread(server.stop)


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 90) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.1)
    return result


async def _count(pool: Pool) -> int:
    try:
        return int(await pool.fetchval("SELECT count(*) FROM done"))
    except Exception:
        return -1  # the database is still coming back


async def _enqueue(pool: Pool, numbers: range) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for n in numbers:
            await enqueue_job(conn, "test.record", Item(n))


async def test_worker_rides_out_a_database_restart_under_load(
    own_postgres: EmbeddedPostgres,
) -> None:
    settings = DatabaseSettings(url=Secret(own_postgres.admin_url), pool_min_size=1)
    pool = await create_pool(settings)

    async def record(item: Item) -> None:
        await asyncio.sleep(0.02)
        async with pool.acquire() as conn:
            await conn.execute("INSERT INTO done VALUES ($1) ON CONFLICT DO NOTHING", item.n)

    registry = JobRegistry()
    registry.register("test.record", record, Item)
    await _enqueue(pool, range(80))
    stop = asyncio.Event()
    jobs = run_jobs(
        lambda: connect(settings), pool, registry, FAST, stop, dequeue_timeout=timedelta(seconds=1)
    )
    worker = asyncio.create_task(jobs)
    try:
        await eventually(lambda: _count_at_least(pool, 10))
        await asyncio.to_thread(own_postgres.stop)  # mid-load: jobs are running
        await asyncio.sleep(3)  # the worker finds its connection gone, and retries
        assert not worker.done(), worker
        await asyncio.to_thread(own_postgres.start)
        await _enqueue(pool, range(80, 120))  # new jobs after the restart

        async def all_done() -> bool:
            return await _count(pool) == 120

        await eventually(all_done)
        assert not worker.done()  # the same worker, never restarted
        assert await pool.fetchval("SELECT count(*) FROM pgqueuer WHERE status = 'failed'") == 0
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)
        await pool.close()


async def _count_at_least(pool: Pool, n: int) -> bool:
    return await _count(pool) >= n


async def test_worker_gives_up_when_the_database_stays_away(
    own_postgres: EmbeddedPostgres,
) -> None:
    settings = DatabaseSettings(url=Secret(own_postgres.admin_url), pool_min_size=1)
    pool = await create_pool(settings)

    async def nothing(_: None) -> None:
        return None

    registry = JobRegistry()
    registry.register("test.nothing", nothing)
    stop = asyncio.Event()
    patient = msgspec.structs.replace(FAST, give_up_after_s=2)
    worker = asyncio.create_task(run_jobs(lambda: connect(settings), pool, registry, patient, stop))
    try:
        await asyncio.sleep(0.5)
        await asyncio.to_thread(own_postgres.stop)
        with pytest.raises(DatabaseGone):
            await asyncio.wait_for(worker, 60)
    finally:
        stop.set()
        pool.terminate()
