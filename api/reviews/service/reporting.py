"""Ratings reported to the platform's rating system (the reviews.report job)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

from api.reviews import repository as repo
from api.reviews.service._base import ReviewsBase, scores_of
from core.clients.provincial import PlatformRefused, RatingReport, RatingScores

log = logging.getLogger("api.reviews.service")


class ReportingCases(ReviewsBase):
    async def report(self, review_id: uuid.UUID) -> None:
        """Send a rating to the platform (our id is its idempotency key, so a retry after a
        lost answer changes nothing there). A documented refusal is recorded, not retried.

        A job that calls the platform between its statements: it holds a pooled connection
        only around them, never across the call."""
        async with self.pool.acquire() as conn:
            row = await repo.review(conn, review_id)
            if row is None or row.report_state != "pending":
                return
            declaration = await self._declarations.for_review(conn, row.declaration_id)
        case_number = declaration.case_number if declaration else None
        if case_number is None:
            log.error("rated declaration has no case number", extra={"review": str(review_id)})
            async with self.pool.acquire() as conn:
                await repo.mark_refused(conn, review_id, "NO_CASE_NUMBER")
            return
        rating = RatingReport(
            rating_id=str(review_id),
            case_number=case_number,
            item_code=row.item_code,
            channel=row.channel,
            level=row.level,
            scores=RatingScores(
                overall=scores.overall,
                efficiency=scores.efficiency,
                guide_accuracy=scores.guide_accuracy,
                convenience=scores.convenience,
                ease_of_use=scores.ease_of_use,
            )
            if (scores := scores_of(row)) is not None
            else None,
            tags=list(row.tags),
            text=row.text,
            rated_at=row.rated_at,
            follow_up_of=str(row.follows_review_id) if row.follows_review_id else None,
        )
        try:
            receipt = await self.ratings.report_rating(rating)
        except PlatformRefused as exc:
            log.warning(
                "platform refused a rating", extra={"review": str(review_id), "code": exc.code}
            )
            async with self.pool.acquire() as conn:
                await repo.mark_refused(conn, review_id, exc.code)
            return
        async with self.pool.acquire() as conn:
            await repo.mark_reported(conn, review_id, receipt.rating_number, datetime.now(UTC))
