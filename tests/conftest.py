"""Real PostgreSQL and a real Redis-protocol server for every test run.

Embedded ones (from the pip wheels) by default; HANDHELD_TEST_DATABASE_URL (an admin URL on a
server where we may create databases) and HANDHELD_TEST_REDIS_URL switch to real services.
The schema is built only by running the migrations, once, into a template database; each
test gets its own database cloned from it, and a flushed Redis.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from api.app import asgi_app, create_app
from core.embedded import EmbeddedPostgres, EmbeddedValkey
from core.migrate import apply_migrations
from core.settings import Settings, load_settings

if TYPE_CHECKING:
    from sandbox.runner import RunningApp

TEMPLATE_DB = "handheld_test_template"
PROVINCIAL_KEY = "test-provincial-key"


def _with_database(url: str, database: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + database))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    if url := os.environ.get("HANDHELD_TEST_DATABASE_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="handheld-pg-") as tmp:
        server = EmbeddedPostgres(Path(tmp) / "pg", durable=False)
        server.start()
        try:
            yield server.admin_url
        finally:
            server.stop()


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    if url := os.environ.get("HANDHELD_TEST_REDIS_URL"):
        yield url
        return
    with tempfile.TemporaryDirectory(prefix="handheld-valkey-") as tmp:
        server = EmbeddedValkey(Path(tmp), durable=False)
        server.start()
        try:
            yield server.url
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def template_database(pg_admin_url: str) -> str:
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{TEMPLATE_DB}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{TEMPLATE_DB}"')
    finally:
        await admin.close()
    conn = await asyncpg.connect(_with_database(pg_admin_url, TEMPLATE_DB))
    try:
        await apply_migrations(conn)
    finally:
        await conn.close()
    return TEMPLATE_DB


@pytest.fixture
async def database_url(pg_admin_url: str, template_database: str) -> AsyncIterator[str]:
    name = "t_" + uuid.uuid4().hex[:16]
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
        yield _with_database(pg_admin_url, name)
        await admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(database_url)
    try:
        yield conn
    finally:
        await conn.close()


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushall()
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture
async def provincial(tmp_path: Path) -> AsyncIterator[RunningApp]:
    """The provincial platform stand-in on a loopback port, fresh for each test."""
    from sandbox.provincial.app import build_provincial_app
    from sandbox.runner import start_app

    running = await start_app(build_provincial_app(api_key=PROVINCIAL_KEY), "127.0.0.1", 0)
    try:
        yield running
    finally:
        await running.runner.cleanup()


@pytest.fixture
def settings(database_url: str, redis: Redis, redis_url: str, provincial: RunningApp) -> Settings:
    return load_settings(
        {},
        env="test",
        log_json=True,
        database={"url": database_url, "pool_min_size": 1, "pool_max_size": 5},
        redis={"url": redis_url},
        provincial={"base_url": provincial.url, "api_key": PROVINCIAL_KEY, "feed_page_size": 7},
        http={"retries": 1, "backoff_base": 0.01, "total_timeout": 3.0},
        jobs={"initial_delay_s": 0.05, "max_delay_s": 0.2, "max_attempts": 3},
    )


@contextlib.asynccontextmanager
async def serve_in_process(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan, on the test's own event loop, spoken to over ASGI.

    The lifespan runs in a task of its own: it holds an anyio cancel scope, which must be
    left by the task that entered it (fixture setup and teardown run in different tasks).
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        waiter.cancel()
        task.result()
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app(app)), base_url="http://testserver"
        ) as client:
            yield client
    finally:
        stop.set()
        await task


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(create_app(settings, configure_logs=False)) as test_client:
        yield test_client
