"""Jobs of good/bad review: report ratings to the platform, flag tickets due soon or late.

Job names and payloads live here; the service enqueues them, the handlers call the service.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.reviews.service import ReviewsService

REPORT_JOB = "reviews.report"
SUPERVISE_JOB = "reviews.supervise"
SUPERVISE_CRON = "20 * * * *"
# Ratings must reach the platform's rating system: with the backoff capped, these attempts
# outlast any platform outage (as declarations' submissions do).
NEVER_GIVE_UP = 1_000_000


class ReviewJob(msgspec.Struct):
    review_id: str


def register(registry: JobRegistry, reviews: ReviewsService) -> None:
    async def report(job: ReviewJob) -> None:
        # Calls the platform between its statements: the service holds no connection across it.
        await reviews.report(uuid.UUID(job.review_id))

    async def supervise(_: None) -> None:
        async with reviews.pool.acquire() as conn, conn.transaction():
            await reviews.supervise(conn)

    registry.register(REPORT_JOB, report, ReviewJob, max_attempts=NEVER_GIVE_UP)
    registry.register(SUPERVISE_JOB, supervise, concurrency_limit=1)
    registry.every(SUPERVISE_CRON, SUPERVISE_JOB)
