"""Reads that may lag, from a streaming replica of the suite's PostgreSQL (core.replica).

The replica is a real hot standby: ``pg_basebackup`` of the suite's embedded server, started
as its streaming replica for this module. Replay on it is paused to make it lag on purpose.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec
import pytest

from api.app import create_app
from api.composition import Services
from core.embedded import EmbeddedPostgres, free_port
from core.replica import REPLICA_READS
from core.settings import Secret, Settings
from sandbox.runner import RunningApp
from tests.fixtures.catalog import Platform
from tests.fixtures.databases import with_database
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.servers import serve_in_process
from tests.fixtures.waiting import eventually


@pytest.fixture(scope="module")
def replica_server(pg_admin_url: str) -> Iterator[EmbeddedPostgres]:
    if os.environ.get("HANDHELD_TEST_DATABASE_URL"):
        pytest.skip("the replica is made from the suite's embedded PostgreSQL")
    with tempfile.TemporaryDirectory(prefix="handheld-replica-") as tmp:
        replica = EmbeddedPostgres(Path(tmp) / "pg", durable=False, standby_of=pg_admin_url)
        replica.start(timeout=120)
        try:
            yield replica
        finally:
            replica.stop()


class Lag:
    """Replay on the replica, paused and resumed; ``caught_up`` waits until it has replayed
    everything the primary had written when it was called."""

    def __init__(self, primary: asyncpg.Connection, replica: asyncpg.Connection) -> None:
        self.primary, self.replica = primary, replica

    async def pause(self) -> None:
        await self.replica.execute("SELECT pg_wal_replay_pause()")

    async def resume(self) -> None:
        await self.replica.execute("SELECT pg_wal_replay_resume()")

    async def caught_up(self) -> None:
        position = await self.primary.fetchval("SELECT pg_current_wal_insert_lsn()::text")

        async def replayed() -> bool:
            return bool(
                await self.replica.fetchval(
                    "SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", position
                )
            )

        await eventually(replayed, 60)


@pytest.fixture
async def lag(pg_admin_url: str, replica_server: EmbeddedPostgres) -> AsyncIterator[Lag]:
    primary = await asyncpg.connect(pg_admin_url)
    replica = await asyncpg.connect(replica_server.admin_url)
    try:
        yield Lag(primary, replica)
    finally:
        await replica.execute("SELECT pg_wal_replay_resume()")
        await replica.close()
        await primary.close()


@pytest.fixture
async def replica_url(lag: Lag, replica_server: EmbeddedPostgres, database_url: str) -> str:
    """This test's database on the replica, once the replica has it."""
    await lag.caught_up()
    return with_database(replica_server.admin_url, urlsplit(database_url).path.lstrip("/"))


@pytest.fixture
def settings(settings: Settings, replica_url: str) -> Settings:
    database = msgspec.structs.replace(settings.database, replica_url=Secret(replica_url))
    return msgspec.structs.replace(settings, database=database)


def reads(source: str, reason: str) -> float:
    return REPLICA_READS.labels(source, reason)._value.get()


async def test_catalogue_pages_come_from_the_replica_and_never_from_before_a_sync(
    client: httpx.AsyncClient, services: Services, platform: Platform, lag: Lag
) -> None:
    await services.catalog.sync()
    await lag.caught_up()
    before = reads("replica", "caught_up")
    resp = await client.get("/api/v1/items", params={"pageSize": 5})
    assert resp.status_code == 200, resp.text
    assert reads("replica", "caught_up") == before + 1  # rendered on the replica

    item = resp.json()["items"][0]
    await lag.pause()
    renamed = item["name"] + "（新版）"
    await platform.control("PATCH", f"/items/{item['code']}", {"name": renamed})
    await services.catalog.sync()  # on the primary; the paused replica has not seen it
    behind = reads("primary", "replica_behind")
    detail = await client.get(f"/api/v1/items/{item['code']}")
    assert detail.status_code == 200, detail.text
    assert detail.json()["name"] == renamed  # from the primary: the replica is behind
    assert reads("primary", "replica_behind") == behind + 1

    await lag.resume()
    await lag.caught_up()
    before = reads("replica", "caught_up")
    page = await client.get("/api/v1/items", params={"q": item["name"][:2], "pageSize": 50})
    assert page.status_code == 200, page.text
    assert renamed in [i["name"] for i in page.json()["items"]]
    assert reads("replica", "caught_up") == before + 1  # back on the replica, current


async def test_a_lagging_replica_never_shows_a_citizen_their_own_past(
    client: httpx.AsyncClient, applicant: Applicant, lag: Lag
) -> None:
    await lag.caught_up()
    await lag.pause()
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])

    mine = await client.get("/api/v1/declarations", headers=applicant.headers)
    assert mine.status_code == 200, mine.text
    assert [d["id"] for d in mine.json()["items"]] == [draft["id"]]
    detail = await client.get(f"/api/v1/declarations/{draft['id']}", headers=applicant.headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["formData"] == (await applicant.detail(draft["id"]))["formData"]

    # Reports may lag: the public figures are read on the replica, paused or not.
    before = reads("replica", "any")
    figures = await client.get("/api/v1/figures/monthly")
    assert figures.status_code == 200, figures.text
    assert reads("replica", "any") == before + 1


async def test_an_unreachable_replica_sends_reads_to_the_primary(
    settings: Settings, services: Services, provincial: RunningApp
) -> None:
    await services.catalog.sync()
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/handheld"
    database = msgspec.structs.replace(settings.database, replica_url=Secret(nobody))
    unreachable = reads("primary", "replica_unreachable")
    app = create_app(msgspec.structs.replace(settings, database=database), configure_logs=False)
    async with serve_in_process(app) as client:
        listing = await client.get("/api/v1/items", params={"pageSize": 3})
        figures = await client.get("/api/v1/figures/monthly")
    assert listing.status_code == 200, listing.text
    assert len(listing.json()["items"]) == 3
    assert figures.status_code == 200, figures.text
    assert reads("primary", "replica_unreachable") == unreachable + 2
