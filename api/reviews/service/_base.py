"""What every use case of good/bad review shares: the service's state and the shaping of rows."""

from __future__ import annotations

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.identity.service import IdentityService
from api.reviews import repository as repo
from api.reviews.rules import LEVELS, TAGS, UNRESOLVED, is_bad
from api.reviews.schemas import CitizenTicket, Review, ScoresOut, Tag, TicketSummary
from core.clients.provincial import ProvincialRatingsClient
from core.clock import SYSTEM_CLOCK, Clock
from core.db import Pool
from push.service import PushService

OUTCOME_LABELS = {"rectified": "已整改", "explained": "已解释说明"}


class ReviewsBase:
    """Good/bad review of a process; the use cases (``ratings``, ``tickets``, ``figures``,
    ``reporting``) are its methods, joined in ``ReviewsService``."""

    def __init__(
        self,
        *,
        pool: Pool,
        calendars: Calendars,
        ratings: ProvincialRatingsClient,
        declarations: DeclarationsService,
        catalog: CatalogService,
        identity: IdentityService,
        push: PushService,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.pool = pool
        self.calendars = calendars
        self.ratings = ratings
        # The matter rated (its state, item and case number) and its item's department: asked
        # of their domains, whose tables this one never reads.
        self._declarations = declarations
        self._catalog = catalog
        # The citizen's name and phone for a call back, through identity's service.
        self._identity = identity
        # Citizens told of their ticket, in the transaction of the change (the outbox).
        self._push = push
        # When a rating or a staff action happens (the process's clock; tests set it).
        self.clock = clock


def scores_of(r: repo.ReviewRow) -> ScoresOut | None:
    """The five scores, or none (the database keeps them all or none of them)."""
    if (
        r.score_overall is None
        or r.score_efficiency is None
        or r.score_guide_accuracy is None
        or r.score_convenience is None
        or r.score_ease_of_use is None
    ):
        return None
    return ScoresOut(
        overall=r.score_overall,
        efficiency=r.score_efficiency,
        guide_accuracy=r.score_guide_accuracy,
        convenience=r.score_convenience,
        ease_of_use=r.score_ease_of_use,
    )


def review_of(r: repo.ReviewRow) -> Review:
    return Review(
        id=str(r.id),
        declaration_id=str(r.declaration_id),
        item_code=r.item_code,
        item_name=r.item_name,
        channel=r.channel,
        kind=r.kind,  # type: ignore[arg-type]
        level=r.level,
        level_label=LEVELS[r.level],
        bad=is_bad(r.level),
        scores=scores_of(r),
        tags=[Tag(code=c, label=TAGS[c][0], sentiment=TAGS[c][1]) for c in r.tags if c in TAGS],
        text=r.text,
        rated_at=r.rated_at,
        reported=r.report_state == "reported",
    )


def ticket_summary(t: repo.TicketRow) -> TicketSummary:
    return TicketSummary(
        id=str(t.id),
        review_id=str(t.review_id),
        declaration_id=str(t.declaration_id),
        item_code=t.item_code,
        item_name=t.item_name,
        department_code=t.department_code,
        department_name=t.department_name,
        channel=t.channel,
        level=t.level,
        state=t.state,  # type: ignore[arg-type]
        outcome=t.outcome,  # type: ignore[arg-type]
        due_on=t.due_on,
        due_provisional=t.due_provisional,
        flag=t.flag,  # type: ignore[arg-type]
        resolved_at=t.resolved_at,
        resolved_on_time=t.resolved_on_time,
        created_at=t.created_at,
        updated_at=t.updated_at,
    )


def citizen_ticket(t: repo.TicketRow) -> CitizenTicket:
    state = t.state
    status = "processing" if state in UNRESOLVED else "closed" if state == "closed" else "resolved"
    return CitizenTicket(
        status=status,  # type: ignore[arg-type]
        outcome=t.outcome,  # type: ignore[arg-type]
        note=t.resolution_note if t.outcome in OUTCOME_LABELS else None,
        due_on=t.due_on,
        due_provisional=t.due_provisional,
        resolved_at=t.resolved_at,
    )
