"""`handheld migrate --wait`: what a Kubernetes init container runs while the release's migration
Job applies the migrations (docker/k8s/). It applies nothing, and returns once all are applied."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from core.migrate import apply_migrations, discover, pending_migrations
from tests.fixtures.databases import with_database


@pytest.fixture
async def empty_database(pg_admin_url: str) -> AsyncIterator[str]:
    name = f"empty_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(pg_admin_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield with_database(pg_admin_url, name)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _start_wait(url: str, timeout_s: float) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDHELD_")}
    env["HANDHELD_DATABASE_URL"] = url
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "api.cli", "migrate", "--wait", "--timeout", str(timeout_s),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip


async def _finish(process: asyncio.subprocess.Process) -> tuple[int, str]:
    try:
        out, _ = await asyncio.wait_for(process.communicate(), 120)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return process.returncode, out.decode()


async def test_pending_migrations_reads_without_creating(empty_database: str) -> None:
    conn = await asyncpg.connect(empty_database)
    try:
        assert await pending_migrations(conn) == discover()
        # Asking created nothing: no bookkeeping table on a database nobody migrated.
        assert await conn.fetchval("SELECT to_regclass('schema_migrations')") is None
        await apply_migrations(conn)
        assert await pending_migrations(conn) == []
    finally:
        await conn.close()


async def test_wait_applies_nothing_and_gives_up_after_its_timeout(empty_database: str) -> None:
    code, out = await _finish(await _start_wait(empty_database, 0.5))
    assert code != 0 and "still pending" in out, out
    conn = await asyncpg.connect(empty_database)
    try:
        assert await conn.fetchval("SELECT to_regclass('schema_migrations')") is None
    finally:
        await conn.close()


async def test_wait_returns_once_another_process_migrated(empty_database: str) -> None:
    waiting = await _start_wait(empty_database, 300)
    try:
        assert waiting.stdout is not None
        first = await asyncio.wait_for(waiting.stdout.readline(), 60)
        assert b"waiting for" in first, first
        assert waiting.returncode is None
        conn = await asyncpg.connect(empty_database)
        try:
            await apply_migrations(conn)  # what the migration Job does
        finally:
            await conn.close()
    finally:
        code, out = await _finish(waiting)
    assert code == 0 and "all applied" in out, out
