"""Figures for supervisors: satisfaction by item, department and channel; bad-review and
on-time rectification rates; follow-up ratings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from api.reviews import errors
from api.reviews import repository as repo
from api.reviews.schemas import Figures, FollowUpFigures, Satisfaction, TicketFigures
from api.reviews.service._base import ReviewsBase
from core.db import Connection


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _satisfaction(row: repo.SatisfactionRow) -> Satisfaction:
    reviews = int(row.reviews)
    average = row.average_level
    return Satisfaction(
        key=row.key,
        name=row.name,
        count=reviews,
        average_level=round(average, 2) if average is not None else None,
        good_rate=_rate(row.good, reviews),
        bad_reviews=int(row.bad),
        bad_rate=_rate(row.bad, reviews),
    )


class FigureCases(ReviewsBase):
    async def figures(
        self,
        conn: Connection,
        start: date | None,
        end: date | None,
        departments: Sequence[str] | None = None,
    ) -> Figures:
        """``departments``: only their ratings and tickets (None: every department)."""
        if start and end and start > end:
            raise errors.InvalidPeriod("from is after to")
        d = departments
        overall = (await repo.satisfaction(conn, None, start, end, d))[0]
        t = await repo.ticket_figures(conn, start, end, d)
        f = await repo.follow_up_figures(conn, start, end, d)
        known = int(t.resolved) + int(t.late)  # resolved, or unresolved past the due date
        return Figures(
            from_date=start,
            to_date=end,
            overall=_satisfaction(overall),
            by_item=[
                _satisfaction(r) for r in await repo.satisfaction(conn, "item", start, end, d)
            ],
            by_department=[
                _satisfaction(r) for r in await repo.satisfaction(conn, "department", start, end, d)
            ],
            by_channel=[
                _satisfaction(r) for r in await repo.satisfaction(conn, "channel", start, end, d)
            ],
            tickets=TicketFigures(
                total=t.total,
                unresolved=t.unresolved,
                due_soon=t.due_soon,
                late=t.late,
                resolved=t.resolved,
                resolved_on_time=t.resolved_on_time,
                appeals_upheld=t.appeals_upheld,
                on_time_rate=_rate(t.resolved_on_time, known),
            ),
            follow_ups=FollowUpFigures(
                count=f.count,
                average_level=round(f.average_level, 2) if f.average_level is not None else None,
                improved=f.improved,
            ),
        )

    async def late_rectifications(
        self, conn: Connection, first: date, last: date, today: date
    ) -> dict[str, int]:
        """For supervision's cards: per department, bad reviews whose rectification fell due on
        these China days and was not done within its 3 working days (resolved late, or still
        open after the due day as of ``today``)."""
        return await repo.late_rectifications(conn, first, last, today)

    async def stage_figures(self, conn: Connection, since: datetime) -> None:
        """Service figures' satisfaction: ratings since ``since`` per China day and declaration
        (good, bad, bad rectified within 3 working days) into the caller's ``figure_facts``."""
        await repo.stage_figure_reviews(conn, since)
