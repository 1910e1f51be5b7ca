"""Job handlers of the working-day calendar: recompute every open deadline after an import."""

from __future__ import annotations

import logging

from api.calendars.service import RECOMPUTE_JOB, RecomputeJob
from api.resources import Resources
from api.reviews import service as reviews
from core.jobs import JobRegistry

log = logging.getLogger(__name__)

# A moved deadline must reach its citizen: retried well past any database hiccup.
RECOMPUTE_ATTEMPTS = 1_000


def register(registry: JobRegistry, resources: Resources) -> None:
    async def recompute(job: RecomputeJob) -> None:
        # One transaction: every open deadline moves to the new calendar together, and each
        # citizen whose deadline moved is told in it.
        async with resources.db_pool.acquire() as conn, conn.transaction():
            calendar = await resources.calendars.for_recompute(conn)
            declarations = await resources.declarations.recompute_deadlines(conn, calendar)
            tickets = await reviews.recompute_deadlines(conn, calendar)
        log.info(
            "open deadlines recomputed",
            extra={
                "calendar_version": calendar.version,
                "declarations_moved": declarations,
                "tickets_moved": tickets,
            },
        )

    registry.register(
        RECOMPUTE_JOB, recompute, RecomputeJob, concurrency_limit=1,
        max_attempts=RECOMPUTE_ATTEMPTS,
    )  # fmt: skip
