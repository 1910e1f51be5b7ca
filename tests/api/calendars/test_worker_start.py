"""When the worker starts: years a newer chinesecalendar knows are added, and deadlines left
empty before the calendar was data are filled."""

from __future__ import annotations

import uuid

import asyncpg

from api.calendars.tasks import ensure_library_years
from api.composition import Services
from core.workdays import LIBRARY_SOURCE, library_calendar
from tests.fixtures.declarations import Applicant, inbox, submitted_rent_withdrawal
from tests.fixtures.waiting import eventually


async def test_library_years_added_and_empty_deadlines_filled(
    worker: None, applicant: Applicant, services: Services, db: asyncpg.Connection
) -> None:
    declaration = uuid.UUID(await submitted_rent_withdrawal(applicant))
    due = await db.fetchval("SELECT pre_review_due FROM declarations WHERE id = $1", declaration)
    # As the old code left a deadline the library did not cover, and as a database looks to a
    # chinesecalendar release newer than migration 0018's (here: 2026 missing).
    await db.execute("UPDATE declarations SET pre_review_due = NULL WHERE id = $1", declaration)
    await db.execute("DELETE FROM calendar_years WHERE year = 2026")

    version = await ensure_library_years(services.calendars)
    year = await db.fetchrow("SELECT source, imported_by FROM calendar_years WHERE year = 2026")
    assert year is not None
    assert (year["source"], year["imported_by"]) == (LIBRARY_SOURCE, "worker start")
    holidays, workdays = library_calendar().year_days(2026)
    assert await db.fetchval("SELECT count(*) FROM calendar_days WHERE year = 2026") == len(
        holidays
    ) + len(workdays)

    async def filled() -> object:
        return await db.fetchval(
            "SELECT pre_review_due FROM declarations WHERE id = $1", declaration
        )

    assert await eventually(filled) == due
    # Filling an empty deadline moves nothing the citizen was told.
    assert "deadline.moved" not in [m["eventType"] for m in await inbox(applicant)]
    # Nothing new: the same version, nothing added again.
    assert await ensure_library_years(services.calendars) == version
