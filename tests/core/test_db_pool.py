"""``core.db``'s pool: connections handed out in the order they were asked for, a bounded
wait when every connection is taken, and a connection that has gone away replaced."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from core.db import create_pool
from core.settings import DatabaseSettings, Secret


def pool_settings(database_url: str, **overrides: object) -> DatabaseSettings:
    fields: dict[str, object] = {
        "url": Secret(database_url),
        "pool_min_size": 1,
        "pool_max_size": 2,
        "acquire_timeout": 0.5,
        **overrides,
    }
    return DatabaseSettings(**fields)  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_waiting_requests_get_connections_in_the_order_they_asked(database_url: str) -> None:
    pool = await create_pool(pool_settings(database_url, acquire_timeout=10.0))
    try:
        served: list[int] = []
        held = [await pool.acquire(), await pool.acquire()]

        async def ask(n: int) -> None:
            async with pool.acquire() as conn:
                served.append(n)
                await conn.fetchval("SELECT 1")
                await asyncio.sleep(0.01)

        waiting = []
        for n in range(6):
            waiting.append(asyncio.create_task(ask(n)))
            await asyncio.sleep(0.01)  # each asks after the one before
        for conn in held:
            await pool.release(conn)
        await asyncio.gather(*waiting)
        assert served == list(range(6))
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_a_full_pool_answers_within_the_acquire_timeout(database_url: str) -> None:
    pool = await create_pool(pool_settings(database_url))
    try:
        held = [await pool.acquire(), await pool.acquire()]
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(TimeoutError):
            await pool.acquire()
        assert 0.4 <= loop.time() - started < 5
        await pool.release(held.pop())
        async with pool.acquire() as conn:  # the permit given back serves the next one
            assert await conn.fetchval("SELECT 1") == 1
        await pool.release(held.pop())
        # Every permit came back: both connections can be taken again, without waiting.
        both = [await pool.acquire(timeout=0.1), await pool.acquire(timeout=0.1)]
        for conn in both:
            await pool.release(conn)
    finally:
        await pool.close()


@pytest.mark.asyncio
async def test_a_connection_closed_by_the_server_is_replaced(database_url: str) -> None:
    pool = await create_pool(pool_settings(database_url, pool_max_size=1))
    try:
        async with pool.acquire() as conn:
            gone = await conn.fetchval("SELECT pg_backend_pid()")
        admin = await asyncpg.connect(database_url)
        try:
            assert await admin.fetchval("SELECT pg_terminate_backend($1)", gone)
            while await admin.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", gone
            ):
                await asyncio.sleep(0.01)
        finally:
            await admin.close()
        await asyncio.sleep(0.05)  # the pool's socket sees the server close it
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT pg_backend_pid()") != gone
    finally:
        await pool.close()
