"""The recompute of open deadlines locks every open case while it holds the deadline lock; a
citizen's transaction may lock a case first and then ask for that lock. The recompute gives
way (fails and is retried) rather than leave PostgreSQL to break the deadlock by aborting the
citizen's transaction; and a worker's start runs it only for a calendar not yet recomputed."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from api.calendars.tasks import RECOMPUTE_JOB, RecomputeJob, ensure_library_years
from api.composition import Services, build_registry
from core.errors import exception_handlers
from tests.fixtures.declarations import Applicant, submitted_rent_withdrawal
from tests.fixtures.waiting import eventually


async def recompute(services: Services) -> None:
    """The recompute job's handler, as the worker runs it."""
    version = await services.infra.pool.fetchval("SELECT version FROM calendar_state")
    await build_registry(services).specs[RECOMPUTE_JOB].handler(RecomputeJob(version))


async def waiting_for_a_row_lock(db: asyncpg.Connection, declaration: uuid.UUID) -> bool:
    return bool(
        await db.fetchval(
            """SELECT count(*) > 0 FROM pg_stat_activity
                WHERE wait_event_type = 'Lock' AND wait_event IN ('transactionid', 'tuple')
                  AND query LIKE '%FROM declarations%FOR UPDATE%'"""
        )
    )


async def test_a_recompute_gives_way_to_a_citizen_holding_a_case(
    applicant: Applicant, services: Services, db: asyncpg.Connection
) -> None:
    declaration = uuid.UUID(await submitted_rent_withdrawal(applicant))
    pool = services.infra.pool
    async with pool.acquire() as citizen:
        transaction = citizen.transaction()
        await transaction.start()
        # The citizen's request holds the case ...
        await citizen.execute("SELECT 1 FROM declarations WHERE id = $1 FOR UPDATE", declaration)
        running = asyncio.create_task(recompute(services))
        # ... the recompute, holding the deadline lock, waits for it ...
        await eventually(lambda: waiting_for_a_row_lock(db, declaration), timeout=30)
        # ... and the request now asks for the deadline lock: it gets it, nothing aborted.
        calendar = await services.calendars.for_deadline(citizen)
        await citizen.execute(
            "UPDATE declarations SET updated_at = now() WHERE id = $1", declaration
        )
        await transaction.commit()
    with pytest.raises(asyncpg.LockNotAvailableError):
        await running
    # The job's retry then goes through, and is on record for the calendar's version.
    await recompute(services)
    assert await db.fetchval("SELECT recomputed_version FROM calendar_state") == calendar.version


async def test_a_worker_start_recomputes_only_a_calendar_not_yet_recomputed(
    services: Services, db: asyncpg.Connection
) -> None:
    async def queued() -> int:
        return int(
            await db.fetchval(
                "SELECT count(*) FROM pgqueuer WHERE entrypoint = $1 AND status = 'queued'",
                RECOMPUTE_JOB,
            )
        )

    await db.execute("DELETE FROM pgqueuer WHERE entrypoint = $1", RECOMPUTE_JOB)
    await db.execute("UPDATE calendar_state SET recomputed_version = 0")
    await ensure_library_years(services.calendars)
    assert await queued() == 1
    await recompute(services)
    await db.execute("DELETE FROM pgqueuer WHERE entrypoint = $1", RECOMPUTE_JOB)
    await ensure_library_years(services.calendars)
    assert await queued() == 0


@pytest.mark.parametrize(
    "conflict",
    [
        asyncpg.DeadlockDetectedError("deadlock detected"),
        asyncpg.SerializationError("could not serialize access"),
        asyncpg.LockNotAvailableError("canceling statement due to lock timeout"),
    ],
)
async def test_a_request_that_lost_a_transaction_race_is_asked_to_try_again(
    conflict: Exception,
) -> None:
    from litestar.testing import RequestFactory

    request = RequestFactory().get("/api/v1/declarations")
    response = exception_handlers()[Exception](request, conflict)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
