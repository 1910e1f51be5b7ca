"""Job handlers of good/bad review: report ratings to the platform, flag tickets due soon or late."""

from __future__ import annotations

import uuid

from api.reviews import service
from api.reviews.service import REPORT_JOB, SUPERVISE_JOB, ReviewJob, ReviewsService
from core.jobs import JobRegistry

# Ratings must reach the platform's rating system: with the backoff capped, these attempts
# outlast any platform outage (as declarations' submissions do).
NEVER_GIVE_UP = 1_000_000


def register(registry: JobRegistry, reviews: ReviewsService) -> None:

    async def report(job: ReviewJob) -> None:
        await service.report(reviews.pool, reviews.ratings, uuid.UUID(job.review_id))

    async def supervise(_: None) -> None:
        await service.supervise(reviews.pool, reviews.calendars)

    registry.register(REPORT_JOB, report, ReviewJob, max_attempts=NEVER_GIVE_UP)
    registry.register(SUPERVISE_JOB, supervise, concurrency_limit=1)
    registry.every("20 * * * *", SUPERVISE_JOB)
