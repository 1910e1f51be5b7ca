"""Jobs of the working-day calendar: recompute every open deadline after an import, and the
worker's start: the years a newer chinesecalendar knows."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import msgspec

from core.db import Connection
from core.jobs import JobRegistry
from core.workdays import WorkingCalendar

if TYPE_CHECKING:
    from api.calendars.service import Calendars

log = logging.getLogger(__name__)

RECOMPUTE_JOB = "calendar.recompute"


class RecomputeJob(msgspec.Struct):
    calendar_version: int


# A moved deadline must reach its citizen: retried well past any database hiccup.
RECOMPUTE_ATTEMPTS = 1_000


# Moves the open deadlines a domain keeps to a new calendar, telling each citizen whose deadline
# moved; returns how many moved.
DeadlineFollower = Callable[[Connection, WorkingCalendar], Awaitable[int]]


def register(
    registry: JobRegistry, calendars: Calendars, followers: Mapping[str, DeadlineFollower]
) -> None:
    """``followers``: every domain that counts deadlines on the calendar, by name (wired by the
    composition root, so the calendar depends on none of them)."""

    async def recompute(job: RecomputeJob) -> None:
        # One transaction: every open deadline moves to the new calendar together, and each
        # citizen whose deadline moved is told in it.
        async with calendars.pool.acquire() as conn, conn.transaction():
            calendar = await calendars.for_recompute(conn)
            moved = {
                f"{name}_moved": await follow(conn, calendar) for name, follow in followers.items()
            }
            await calendars.recomputed(conn, calendar)
        log.info("open deadlines recomputed", extra={"calendar_version": calendar.version, **moved})

    registry.register(
        RECOMPUTE_JOB,
        recompute,
        RecomputeJob,
        concurrency_limit=1,
        max_attempts=RECOMPUTE_ATTEMPTS,
    )


async def ensure_library_years(calendars: Calendars) -> int:
    """At the worker's start, in one transaction: years a newer chinesecalendar knows, and the
    recompute of every open deadline on the calendar as it is now (none may stay empty).
    Returns the calendar's version."""
    async with calendars.pool.acquire() as conn, conn.transaction():
        return await calendars.ensure_library_years(conn)
