"""Catalogue sync from the provincial feed: incremental, resumable, idempotent."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from api.catalog.tasks import SYNC_JOB
from api.composition import Services, build_registry
from core.http import OutsideSystemHttpError
from core.jobs import build_worker, enqueue
from tests.fixtures.catalog import Platform


async def _stored_codes(db: asyncpg.Connection) -> list[str]:
    return [r["code"] for r in await db.fetch("SELECT code FROM catalog_items ORDER BY code")]


async def test_first_sync_stores_every_item_once(
    services: Services, platform: Platform, db: asyncpg.Connection
) -> None:
    expected = sorted(i["code"] for i in await platform.all_items())
    report = await services.catalog.sync()

    assert len(expected) >= 30
    assert report.received == len(expected)
    assert report.changed == len(expected)
    assert report.pages >= 5  # page size 7 in tests: the feed really is paged
    assert await _stored_codes(db) == expected

    again = await services.catalog.sync()
    assert (again.received, again.changed) == (0, 0)


@pytest.mark.parametrize("mode", ["error", "reset"])
async def test_platform_down_mid_sync_resumes_from_cursor(
    mode: str, services: Services, platform: Platform, db: asyncpg.Connection
) -> None:
    expected = sorted(i["code"] for i in await platform.all_items())
    # Two pages go through, then the platform fails every request until it recovers.
    await platform.control("POST", "/faults", {"mode": mode, "status": 503, "afterRequests": 2})

    with pytest.raises(OutsideSystemHttpError):
        await services.catalog.sync()
    applied = await _stored_codes(db)
    assert len(applied) == 14
    assert await db.fetchval("SELECT cursor FROM catalog_sync_state") is not None

    await platform.control("DELETE", "/faults")
    resumed = await services.catalog.sync()

    assert resumed.received == len(expected) - 14  # nothing fetched twice
    assert await _stored_codes(db) == expected  # nothing missing, nothing doubled
    assert await db.fetchval("SELECT items_applied FROM catalog_sync_state") == len(expected)


async def test_rejected_cursor_falls_back_to_a_full_idempotent_pass(
    services: Services, platform: Platform, db: asyncpg.Connection
) -> None:
    await services.catalog.sync()
    await db.execute("UPDATE catalog_sync_state SET cursor = 'not-a-cursor'")
    report = await services.catalog.sync()
    assert report.changed == 0
    assert report.received == len(await _stored_codes(db))


async def test_changes_and_suspension_flow_through_and_invalidate_cache(
    services: Services, platform: Platform, client: httpx.AsyncClient
) -> None:
    await services.catalog.sync()
    item = next(i for i in await platform.all_items() if i["status"] == "active")
    url = f"/api/v1/items/{item['code']}"
    first = await client.get(url)
    assert first.status_code == 200
    etag = first.headers["etag"]
    assert (await client.get(url, headers={"If-None-Match": etag})).status_code == 304
    # Pre-compressed when the client accepts gzip (httpx decodes it back transparently).
    zipped = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.json() == first.json()
    assert zipped.headers["etag"] == etag

    await platform.control("PATCH", f"/items/{item['code']}", {"name": item["name"] + "（新版）"})
    await platform.control(
        "POST", f"/items/{item['code']}/suspend", {"reason": "系统升级维护，暂停网上受理"}
    )
    report = await services.catalog.sync()
    assert report.changed == 1  # two changes to one item arrive once, at its latest version

    # Every API process hears of the change through Redis pub/sub, within milliseconds.
    changed = await _until_status(client, url, 200, headers={"If-None-Match": etag})
    assert changed.headers["etag"] != etag
    body = changed.json()
    assert body["name"].endswith("（新版）")
    assert body["status"] == "suspended"
    assert body["statusReason"] == "系统升级维护，暂停网上受理"
    assert body["acceptingApplications"] is False

    await platform.control("POST", f"/items/{item['code']}/resume")
    await services.catalog.sync()
    async with asyncio.timeout(5):
        while not (await client.get(url)).json()["acceptingApplications"]:
            await asyncio.sleep(0.01)


async def _until_status(
    client: httpx.AsyncClient, url: str, status: int, headers: dict[str, str]
) -> httpx.Response:
    async with asyncio.timeout(5):
        while (response := await client.get(url, headers=headers)).status_code != status:
            await asyncio.sleep(0.01)
    return response


async def test_worker_runs_the_sync_job(
    services: Services, platform: Platform, database_url: str, db: asyncpg.Connection
) -> None:
    expected = sorted(i["code"] for i in await platform.all_items())
    await enqueue(db, SYNC_JOB, dedupe_key=SYNC_JOB)
    conn = await asyncpg.connect(database_url)
    worker = build_worker(
        conn, services.infra.pool, build_registry(services), services.infra.settings.jobs
    )
    task = asyncio.create_task(worker.run(batch_size=2))
    try:
        async with asyncio.timeout(20):
            while await _stored_codes(db) != expected:
                await asyncio.sleep(0.05)
    finally:
        worker.shutdown.set()
        await asyncio.wait_for(task, 10)
        await conn.close()
