"""What a submission costs the database: the statements of the citizen's request and of the job
that delivers it to the platform, each round trip made once (no reloads, no query per material).

The count is taken on the application's own pool: every connection it hands out during the
measured step logs its statements (asyncpg's query loggers). Not counted: transaction control
(BEGIN, COMMIT) and asyncpg's own type introspection, which runs once per connection for a
type it has not seen (so whether it shows depends on which connection the pool hands out).
Everything else is, the outbox's (job queue, inbox) and the Idempotency-Key's statements
included.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.composition import DB_POOL_KEY, JOBS_KEY
from api.declarations.tasks import SUBMIT_JOB, DeclarationJob
from core.db import Pool
from core.settings import Settings
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format, synced
from tests.fixtures.identity import Outside, sso, user
from tests.fixtures.servers import serve_in_process
from tests.fixtures.statements import counting

# Before each round trip was made once, the request made 24 statements (the declaration read
# three times, the attachments three times, the item and the citizen twice, three per licence)
# and the delivery job 12 (one per licence material), with the one licence used here. Then 13; 11 since
# the item comes from the process's catalogue cache (no read of the item and its halls) and the
# move answers the timeline it appends to. The delivery job makes one more since 邮寄送达: the
# result-delivery domain reads (and locks) the applicant's pickup/postal choice by the
# declaration's key when the case number is known, to pass it on to the platform.
REQUEST_STATEMENTS = 11
DELIVERY_STATEMENTS = 11


@pytest.fixture
async def app_client(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    app = create_app(settings, configure_logs=False)
    async with serve_in_process(app) as client:
        yield client, app


async def _ready_draft(applicant: Applicant, pool: Pool) -> str:
    """A complete draft: its form filled, an e-licence for one material, uploads for the rest."""
    me = await applicant.client.get("/api/v1/me", headers=applicant.headers)
    assert me.status_code == 200, me.text
    licence = f"SFZ-{uuid.uuid4().hex[:12]}"
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO citizen_licences (licence_number, citizen_id, type_code, name,
                   issued_at) VALUES ($1, $2, 'SFZ', '居民身份证', $3)""",
            licence,
            uuid.UUID(me.json()["id"]),
            datetime.now(UTC),
        )
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        path = f"/api/v1/declarations/{draft['id']}/materials/{material['code']}"
        if "SFZ" in material["licenceTypes"]:
            resp = await applicant.client.put(
                path + "/licence", json={"licenceNumber": licence}, headers=applicant.headers
            )
        else:
            resp = await applicant.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    return str(draft["id"])


async def test_a_submission_makes_each_round_trip_once(
    app_client: tuple[httpx.AsyncClient, Any],
    outside: Outside,
    services: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, app = app_client
    await synced(services)
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    applicant = Applicant(client, outside, token)
    pool: Pool = app.state[DB_POOL_KEY]
    declaration = await _ready_draft(applicant, pool)

    with counting(pool, monkeypatch) as request_statements:
        submitted = await applicant.submit(declaration)
        await asyncio.sleep(0)  # the loggers are called soon after each statement
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["state"] == "submitted"
    assert len(submitted.json()["materials"]) >= 2

    # The job as the worker runs it (no worker here: it waits in the queue, run by hand).
    job = app.state[JOBS_KEY].specs[SUBMIT_JOB]
    with counting(pool, monkeypatch) as delivery_statements:
        await job.handler(DeclarationJob(declaration))
        await asyncio.sleep(0)
    assert (await applicant.detail(declaration))["delivery"] == "delivered"

    assert len(request_statements) <= REQUEST_STATEMENTS, "\n".join(request_statements)
    assert len(delivery_statements) <= DELIVERY_STATEMENTS, "\n".join(delivery_statements)
