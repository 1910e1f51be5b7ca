"""Citizens rate a finished matter: once per channel (一事一评), plus one follow-up after a bad
review's rectification was published. A bad initial rating opens a rectification ticket."""

from __future__ import annotations

import uuid

import asyncpg

from api.declarations.service import DeclarationForReview
from api.reviews import errors
from api.reviews import repository as repo
from api.reviews.rules import (
    LEVELS,
    RATEABLE_STATES,
    TAGS,
    Channel,
    channel_of,
    is_bad,
    rectification_due,
)
from api.reviews.schemas import (
    DeclarationReviews,
    LevelLabel,
    RateRequest,
    Review,
    Tag,
    TagCatalogue,
)
from api.reviews.service._base import (
    OUTCOME_LABELS,
    ReviewsBase,
    citizen_ticket,
    review_of,
)
from api.reviews.tasks import REPORT_JOB, ReviewJob
from core import jobs
from core.db import Connection
from core.principals import CitizenPrincipal


def _next_kind(
    reviews: list[repo.ReviewRow], tickets: list[repo.TicketRow], channel: str
) -> tuple[str | None, uuid.UUID | None]:
    """What a rating on ``channel`` would be now: the first on the channel (一事一评); else the
    one follow-up of the matter, once a bad review's rectification was published; else none."""
    if not any(r.kind == "initial" and r.channel == channel for r in reviews):
        return "initial", None
    if any(r.kind == "follow_up" for r in reviews):
        return None, None
    resolved = [t for t in tickets if t.outcome in OUTCOME_LABELS]
    if resolved:
        return "follow_up", resolved[-1].review_id
    return None, None


class RatingCases(ReviewsBase):
    def tag_catalogue(self) -> TagCatalogue:
        return TagCatalogue(
            levels=[LevelLabel(level=k, label=v, bad=is_bad(k)) for k, v in LEVELS.items()],
            tags=[Tag(code=k, label=label, sentiment=s) for k, (label, s) in TAGS.items()],
        )

    async def _declaration(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationForReview:
        """The citizen's own declaration (another's is as unknown as a missing one, and so is
        one of an item outside the mandate the request acts under)."""
        row = await self._declarations.for_review(conn, declaration_id)
        if (
            row is None
            or row.citizen_id != principal.citizen_id
            or not principal.covers(row.item_code)
        ):
            raise errors.DeclarationNotFound()
        return row

    async def rate(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        data: RateRequest,
        *,
        channel: Channel | None = None,
    ) -> Review:
        """``channel``: the session's (``channel_of``) unless the caller knows better — the
        queue domain rates a hall visit booked online on ``hall``."""
        declaration = await self._declaration(conn, principal, declaration_id)
        if declaration.state not in RATEABLE_STATES:
            raise errors.NotFinished(state=declaration.state)
        if unknown := sorted({t for t in data.tags if t not in TAGS}):
            raise errors.UnknownTag(tags=unknown)
        channel = channel or channel_of(principal)
        reviews = await repo.reviews_of(conn, declaration_id)
        tickets = await repo.tickets_of_declaration(conn, declaration_id)
        kind, follows = _next_kind(reviews, tickets, channel)
        if kind is None:
            raise errors.AlreadyRated(channel=channel)
        # The rating is filed under the item's department (none known: left empty).
        department = await self._catalog.department_of(conn, declaration.item_code)
        now = self.clock.now()
        scores = data.scores
        try:
            review_id = await repo.insert_review(
                conn,
                declaration_id=declaration_id,
                citizen_id=principal.citizen_id,
                item_code=declaration.item_code,
                item_name=declaration.item_name,
                department_code=department.code if department else "",
                department_name=department.name if department else "",
                channel=channel,
                kind=kind,
                follows_review_id=follows,
                level=data.level,
                score_overall=scores.overall if scores else None,
                score_efficiency=scores.efficiency if scores else None,
                score_guide_accuracy=scores.guide_accuracy if scores else None,
                score_convenience=scores.convenience if scores else None,
                score_ease_of_use=scores.ease_of_use if scores else None,
                tags=list(dict.fromkeys(data.tags)),
                text=data.text.strip(),
                rated_at=now,
            )
        except asyncpg.UniqueViolationError as exc:  # the same rating sent twice at once
            raise errors.AlreadyRated(channel=channel) from exc
        # A follow-up is the citizen's last word on a rectified matter: it opens no second ticket.
        if kind == "initial" and is_bad(data.level):
            due = rectification_due(now, await self.calendars.for_deadline(conn))
            ticket_id = await repo.insert_ticket(
                conn,
                review_id=review_id,
                declaration_id=declaration_id,
                citizen_id=principal.citizen_id,
                due_on=due.day,
                due_provisional=due.provisional,
            )
            await self._push.notify(
                conn,
                principal.citizen_id,
                "review.ticket_opened",
                {
                    "item": declaration.item_name,
                    "due": f"{due.day}（暂按法定节假日推算）" if due.provisional else str(due.day),
                },
                dedupe_key=f"review-ticket:{ticket_id}:opened",
                link=f"/pages/declaration/index?id={declaration_id}",
            )
        await jobs.enqueue(
            conn, REPORT_JOB, ReviewJob(str(review_id)), dedupe_key=f"review-report:{review_id}"
        )
        row = await repo.review(conn, review_id)
        assert row is not None
        return review_of(row)

    async def reviews_of(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationReviews:
        declaration = await self._declaration(conn, principal, declaration_id)
        reviews = await repo.reviews_of(conn, declaration_id)
        tickets = await repo.tickets_of_declaration(conn, declaration_id)
        channel = channel_of(principal)
        kind, _ = _next_kind(reviews, tickets, channel)
        # The ticket of this channel's rating, else the matter's latest.
        mine = [t for t in tickets if t.channel == channel]
        if declaration.state not in RATEABLE_STATES:
            kind = None
        return DeclarationReviews(
            declaration_id=str(declaration_id),
            channel=channel,
            reviews=[review_of(r) for r in reviews],
            can_rate=kind is not None,
            next_kind=kind,  # type: ignore[arg-type]
            ticket=citizen_ticket(mine[-1] if mine else tickets[-1]) if tickets else None,
        )
