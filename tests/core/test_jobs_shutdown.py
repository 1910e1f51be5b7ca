"""A stopping worker (SIGTERM in a rolling update) loses no job and doubles none: the running jobs
finish within the grace period, and those that cannot are handed back to the queue, each at its
next outside call, for another worker to run (the attempt not counted)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
import msgspec
import pytest
from aiohttp import web

from core.db import Pool, connect, create_pool
from core.http import JsonApiClient
from core.jobs import JobRegistry, run_jobs
from core.jobs import enqueue as enqueue_job
from core.settings import DatabaseSettings, HttpClientSettings, JobSettings, Secret
from sandbox.runner import start_app

JOBS = JobSettings(max_attempts=3, initial_delay_s=0.05, max_delay_s=0.2, batch_size=5)


class Item(msgspec.Struct):
    n: int


class Empty(msgspec.Struct):
    pass


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[Pool]:
    opened = await create_pool(DatabaseSettings(url=Secret(database_url), pool_min_size=1))
    try:
        yield opened
    finally:
        await opened.close()


@contextlib.asynccontextmanager
async def worker(
    pool: Pool, database_url: str, registry: JobRegistry, grace_s: float
) -> AsyncIterator[asyncio.Event]:
    """``run_jobs`` as the worker process runs it; yields its stop event, waits for its end."""
    stop = asyncio.Event()
    settings = DatabaseSettings(url=Secret(database_url))
    task = asyncio.create_task(
        run_jobs(
            lambda: connect(settings),
            pool,
            registry,
            JOBS,
            stop,
            dequeue_timeout=timedelta(seconds=0.5),
            grace_s=grace_s,
        )
    )
    try:
        yield stop
    finally:
        stop.set()
        await task


async def enqueue(pool: Pool, entrypoint: str, n: int = 1) -> None:
    async with pool.acquire() as conn, conn.transaction():
        await enqueue_job(conn, entrypoint, Item(n))


async def job_row(pool: Pool, entrypoint: str) -> tuple[str, int] | None:
    row = await pool.fetchrow(
        "SELECT status::text, attempts FROM pgqueuer WHERE entrypoint = $1", entrypoint
    )
    return None if row is None else (row["status"], row["attempts"])


async def successful(pool: Pool, entrypoint: str) -> int:
    return int(
        await pool.fetchval(
            "SELECT count(*) FROM pgqueuer_log WHERE entrypoint = $1 AND status = 'successful'",
            entrypoint,
        )
    )


async def test_running_job_finishes_within_the_grace_period(pool: Pool, database_url: str) -> None:
    started, release = asyncio.Event(), asyncio.Event()
    ran: list[int] = []

    async def slow(item: Item) -> None:
        started.set()
        await release.wait()
        ran.append(item.n)

    registry = JobRegistry()
    registry.register("test.slow", slow, Item)
    await enqueue(pool, "test.slow")
    async with worker(pool, database_url, registry, grace_s=600) as stop:
        await started.wait()
        stop.set()  # the worker stops while the job runs
        await asyncio.sleep(0.5)
        assert ran == []
        release.set()
    assert ran == [1]
    assert await job_row(pool, "test.slow") is None
    assert await successful(pool, "test.slow") == 1


async def test_job_past_the_grace_period_is_handed_back_and_run_once_elsewhere(
    pool: Pool, database_url: str
) -> None:
    """The job waits on something that is not an outside call: it is cut once the grace
    period and the wait for a call under way are over, and queued again, attempt uncounted."""
    started = asyncio.Event()
    cancelled: list[int] = []

    async def stuck(item: Item) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(item.n)
            raise

    registry = JobRegistry()
    registry.register("test.work", stuck, Item)
    await enqueue(pool, "test.work")
    async with worker(pool, database_url, registry, grace_s=0.1) as stop:
        await started.wait()
        stop.set()
    assert cancelled == [1]
    assert await job_row(pool, "test.work") == ("queued", 0)  # back in the queue, not counted

    done: list[int] = []

    async def finish(item: Item) -> None:
        done.append(item.n)

    replacement = JobRegistry()
    replacement.register("test.work", finish, Item)
    async with worker(pool, database_url, replacement, grace_s=600):
        while await job_row(pool, "test.work") is not None:
            await asyncio.sleep(0.1)
    assert done == [1]
    assert await successful(pool, "test.work") == 1


async def test_handed_back_at_the_next_outside_call_never_in_the_middle_of_one(
    pool: Pool, database_url: str
) -> None:
    """A job sending one message after another (each recorded as it goes): the message under way
    when the grace period ends is finished, the next is not started; the replacement worker
    sends the rest. Every message reaches the outside system exactly once."""
    received: list[int] = []
    first_arrived, answer_first = asyncio.Event(), asyncio.Event()

    async def send(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        received.append(n)
        if n == 0:
            first_arrived.set()
            await answer_first.wait()  # held until the worker is handing back
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/send/{n}", send)
    server = await start_app(app, "127.0.0.1", 0)
    sent: set[int] = set()

    class Outside(JsonApiClient):
        async def send(self, n: int) -> None:
            await self._call("POST", "send", f"/send/{n}", Empty, json={})

    try:
        async with aiohttp.ClientSession() as session:
            client = Outside(session, server.url, HttpClientSettings(total_timeout=60))

            async def messages(_: Item) -> None:
                for n in range(3):
                    if n not in sent:
                        await client.send(n)
                        sent.add(n)  # what the push domain's per-message transaction records

            registry = JobRegistry()
            registry.register("test.messages", messages, Item)
            await enqueue(pool, "test.messages")
            async with worker(pool, database_url, registry, grace_s=0.1) as stop:
                await first_arrived.wait()
                stop.set()
                await asyncio.sleep(0.5)  # past the grace period: the call under way finishes
                answer_first.set()
            assert received == [0]
            assert await job_row(pool, "test.messages") == ("queued", 0)

            async with worker(pool, database_url, registry, grace_s=600):
                while await job_row(pool, "test.messages") is not None:
                    await asyncio.sleep(0.1)
    finally:
        await server.close()
    assert received == [0, 1, 2]
    assert await successful(pool, "test.messages") == 1
