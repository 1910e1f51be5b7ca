"""A worker started while the database is away (a replacement for one that died during an
outage) waits for it with backoff instead of exiting, then runs its jobs."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
from redis.asyncio import Redis

from tests.fixtures.outages import OwnServers
from tests.fixtures.settings import settings_env
from tests.fixtures.waiting import eventually

WORKER_ENV = {
    "HANDHELD_JOBS_RECONNECT_INITIAL_S": "0.1",
    "HANDHELD_JOBS_RECONNECT_MAX_S": "0.5",
    "HANDHELD_JOBS_GIVE_UP_AFTER_S": "120",
    "HANDHELD_LOG_JSON": "false",
}


@contextlib.asynccontextmanager
async def worker_process(own: OwnServers, log: Path) -> AsyncIterator[subprocess.Popen[bytes]]:
    """``handheld worker`` on ``own``'s servers, logging to ``log``; stopped with SIGTERM at
    the end, which it must obey cleanly (exit 0)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDHELD_")}
    env |= settings_env(own.settings) | WORKER_ENV
    with log.open("ab") as out:
        worker = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        yield worker
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            await asyncio.to_thread(worker.wait, 30)
    assert worker.returncode == 0, log.read_text()[-5000:]


async def catalogue_synced(own: OwnServers) -> bool:
    """The sync job the worker enqueues at start has run."""
    try:
        conn = await asyncpg.connect(own.postgres.admin_url)
    except (OSError, asyncpg.PostgresError):
        return False
    try:
        return bool(await conn.fetchval("SELECT count(*) > 0 FROM catalog_items"))
    finally:
        await conn.close()


async def subscribed(own: OwnServers, channel: str) -> bool:
    redis = Redis.from_url(own.valkey.url)
    try:
        return any(count > 0 for _, count in await redis.pubsub_numsub(channel))
    finally:
        await redis.aclose()


async def test_a_worker_started_during_a_database_outage_waits_and_then_works(
    own: OwnServers, tmp_path: Path
) -> None:
    log = tmp_path / "worker.log"
    await asyncio.to_thread(own.postgres.stop)
    async with worker_process(own, log) as worker:
        waiting = lambda: "database unavailable" in log.read_text()  # noqa: E731
        await eventually(lambda: asyncio.sleep(0, waiting() or worker.poll() is not None), 60)
        await asyncio.sleep(1.0)  # several reconnect attempts
        assert worker.poll() is None, log.read_text()[-5000:]

        await asyncio.to_thread(own.postgres.start)
        await eventually(lambda: catalogue_synced(own), timeout=60)
        assert worker.poll() is None, log.read_text()[-5000:]


async def test_a_worker_started_while_valkey_is_away_runs_its_jobs(
    own: OwnServers, tmp_path: Path
) -> None:
    """Jobs need only the database: the worker runs them with Valkey away, and its cache and
    revocation channels catch up once Valkey is back (saying so in the log meanwhile)."""
    log = tmp_path / "worker.log"
    await asyncio.to_thread(own.valkey.stop)
    async with worker_process(own, log) as worker:
        await eventually(lambda: catalogue_synced(own), timeout=60)
        assert worker.poll() is None, log.read_text()[-5000:]
        await asyncio.to_thread(own.valkey.start)
        await eventually(lambda: subscribed(own, "cache-version:catalog"), timeout=30)
        assert worker.poll() is None, log.read_text()[-5000:]
