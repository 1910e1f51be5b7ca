"""Good/bad review: ratings once per channel, rectification of bad ones, reporting, figures."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import msgspec

from api.calendars.service import Calendars
from api.identity.service import PHONE, REAL_NAME
from api.reviews import errors
from api.reviews import repository as repo
from api.reviews.rules import (
    LEVELS,
    RATEABLE_STATES,
    TAGS,
    UNRESOLVED,
    can_move,
    channel_of,
    flag_of,
    is_bad,
    rectification_due,
)
from api.reviews.schemas import (
    Appeal,
    CitizenTicket,
    Contact,
    DeclarationReviews,
    Figures,
    FollowUpFigures,
    LevelLabel,
    RateRequest,
    Review,
    Satisfaction,
    ScoresOut,
    Tag,
    TagCatalogue,
    TicketDetail,
    TicketEvent,
    TicketFigures,
    TicketPage,
    TicketSummary,
)
from core import audit, jobs
from core.clients.provincial import (
    PlatformRefused,
    ProvincialRatingsClient,
    RatingReport,
    RatingScores,
)
from core.clock import china_date, china_today
from core.db import Connection, Pool
from core.pii import PiiCipher, mask_name, mask_phone
from core.principals import CitizenPrincipal, StaffPrincipal
from core.workdays import WorkingCalendar
from push.service import notify

log = logging.getLogger(__name__)

REPORT_JOB = "reviews.report"
SUPERVISE_JOB = "reviews.supervise"
OUTCOME_LABELS = {"rectified": "已整改", "explained": "已解释说明"}


class ReviewJob(msgspec.Struct):
    review_id: str


class Clock:
    """Where the time of a rating or a staff action comes from (tests fix it)."""

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = Clock()


def tag_catalogue() -> TagCatalogue:
    return TagCatalogue(
        levels=[LevelLabel(level=k, label=v, bad=is_bad(k)) for k, v in LEVELS.items()],
        tags=[Tag(code=k, label=label, sentiment=s) for k, (label, s) in TAGS.items()],
    )


# --- citizens --------------------------------------------------------------------------------


def _next_kind(
    reviews: list[asyncpg.Record], tickets: list[asyncpg.Record], channel: str
) -> tuple[str | None, uuid.UUID | None]:
    """What a rating on ``channel`` would be now: the first on the channel (一事一评); else the
    one follow-up of the matter, once a bad review's rectification was published; else none."""
    if not any(r["kind"] == "initial" and r["channel"] == channel for r in reviews):
        return "initial", None
    if any(r["kind"] == "follow_up" for r in reviews):
        return None, None
    resolved = [t for t in tickets if t["outcome"] in OUTCOME_LABELS]
    if resolved:
        return "follow_up", resolved[-1]["review_id"]
    return None, None


async def _declaration(
    conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
) -> asyncpg.Record:
    row = await repo.declaration(conn, declaration_id, principal.citizen_id)
    if row is None:
        raise errors.DeclarationNotFound()
    return row


async def rate(
    conn: Connection,
    principal: CitizenPrincipal,
    declaration_id: uuid.UUID,
    data: RateRequest,
    clock: Clock,
    calendars: Calendars,
) -> Review:
    declaration = await _declaration(conn, principal, declaration_id)
    if declaration["state"] not in RATEABLE_STATES:
        raise errors.NotFinished(state=declaration["state"])
    if unknown := sorted({t for t in data.tags if t not in TAGS}):
        raise errors.UnknownTag(tags=unknown)
    channel = channel_of(principal)
    reviews = await repo.reviews_of(conn, declaration_id)
    tickets = await repo.tickets_of_declaration(conn, declaration_id)
    kind, follows = _next_kind(reviews, tickets, channel)
    if kind is None:
        raise errors.AlreadyRated(channel=channel)
    now = clock.now()
    scores = data.scores
    try:
        review_id = await repo.insert_review(
            conn,
            declaration_id=declaration_id, citizen_id=principal.citizen_id,
            item_code=declaration["item_code"], item_name=declaration["item_name"],
            department_code=declaration["department_code"],
            department_name=declaration["department_name"],
            channel=channel, kind=kind, follows_review_id=follows, level=data.level,
            score_overall=scores.overall if scores else None,
            score_efficiency=scores.efficiency if scores else None,
            score_guide_accuracy=scores.guide_accuracy if scores else None,
            score_convenience=scores.convenience if scores else None,
            score_ease_of_use=scores.ease_of_use if scores else None,
            tags=list(dict.fromkeys(data.tags)), text=data.text.strip(), rated_at=now,
        )  # fmt: skip
    except asyncpg.UniqueViolationError as exc:  # the same rating sent twice at once
        raise errors.AlreadyRated(channel=channel) from exc
    # A follow-up is the citizen's last word on a rectified matter: it opens no second ticket.
    if kind == "initial" and is_bad(data.level):
        due = rectification_due(now, await calendars.for_deadline(conn))
        ticket_id = await repo.insert_ticket(
            conn, review_id=review_id, declaration_id=declaration_id,
            citizen_id=principal.citizen_id, due_on=due.day, due_provisional=due.provisional,
        )  # fmt: skip
        await notify(
            conn, principal.citizen_id, "review.ticket_opened",
            {"item": declaration["item_name"],
             "due": f"{due.day}（暂按法定节假日推算）" if due.provisional else str(due.day)},
            dedupe_key=f"review-ticket:{ticket_id}:opened",
            link=f"/pages/declaration/index?id={declaration_id}",
        )  # fmt: skip
    await jobs.enqueue(
        conn, REPORT_JOB, ReviewJob(str(review_id)), dedupe_key=f"review-report:{review_id}"
    )
    row = await repo.review(conn, review_id)
    assert row is not None
    return _review(row)


async def reviews_of(
    conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
) -> DeclarationReviews:
    declaration = await _declaration(conn, principal, declaration_id)
    reviews = await repo.reviews_of(conn, declaration_id)
    tickets = await repo.tickets_of_declaration(conn, declaration_id)
    channel = channel_of(principal)
    kind, _ = _next_kind(reviews, tickets, channel)
    # The ticket of this channel's rating, else the matter's latest.
    mine = [t for t in tickets if t["channel"] == channel]
    if declaration["state"] not in RATEABLE_STATES:
        kind = None
    return DeclarationReviews(
        declaration_id=str(declaration_id),
        channel=channel,
        reviews=[_review(r) for r in reviews],
        can_rate=kind is not None,
        next_kind=kind,  # type: ignore[arg-type]
        ticket=_citizen_ticket(mine[-1] if mine else tickets[-1]) if tickets else None,
    )


def _citizen_ticket(t: asyncpg.Record) -> CitizenTicket:
    state = t["state"]
    status = "processing" if state in UNRESOLVED else "closed" if state == "closed" else "resolved"
    return CitizenTicket(
        status=status,  # type: ignore[arg-type]
        outcome=t["outcome"],
        note=t["resolution_note"] if t["outcome"] in OUTCOME_LABELS else None,
        due_on=t["due_on"],
        due_provisional=t["due_provisional"],
        resolved_at=t["resolved_at"],
    )


# --- staff: tickets --------------------------------------------------------------------------


async def list_tickets(
    conn: Connection, state: str | None, flag: str | None, limit: int, offset: int
) -> TicketPage:
    rows, total = await repo.list_tickets(conn, state, flag, limit, offset)
    return TicketPage(items=[_summary(r) for r in rows], total=total)


async def ticket_detail(conn: Connection, pii: PiiCipher, ticket_id: uuid.UUID) -> TicketDetail:
    t = await repo.ticket(conn, ticket_id)
    context = await repo.ticket_context(conn, ticket_id)
    if t is None or context is None:
        raise errors.TicketNotFound()
    review = await repo.review(conn, t["review_id"])
    assert review is not None
    follow_up = await repo.follow_up_of(conn, t["review_id"])

    def masked(blob: bytes | None, field: str, mask: Any) -> str | None:
        return str(mask(pii.decrypt(blob, field=field))) if blob else None

    return TicketDetail(
        **msgspec.structs.asdict(_summary(t)),
        review=_review(review),
        text=review["text"],
        case_number=context["case_number"],
        declaration_state=context["declaration_state"],
        contact=Contact(
            name=masked(context["real_name_enc"], REAL_NAME, mask_name),
            phone=masked(context["phone_enc"], PHONE, mask_phone),
        ),
        contacted_at=t["contacted_at"],
        contact_note=t["contact_note"],
        resolution_note=t["resolution_note"],
        closed_at=t["closed_at"],
        appeal=Appeal(
            reason=t["appeal_reason"],
            from_state=t["appeal_from_state"],
            appealed_at=t["appealed_at"],
            upheld=t["appeal_upheld"],
            note=t["appeal_note"],
            decided_at=t["appeal_decided_at"],
        )
        if t["appeal_reason"]
        else None,
        follow_up=_review(follow_up) if follow_up else None,
        events=[
            TicketEvent(
                action=e["action"],
                from_state=e["from_state"],
                to_state=e["to_state"],
                staff=e["username"],
                note=e["note"],
                at=e["at"],
            )
            for e in await repo.events(conn, ticket_id)
        ],
    )


async def call_number(
    conn: Connection, pii: PiiCipher, staff: StaffPrincipal, ticket_id: uuid.UUID
) -> str:
    """The citizen's number for the call back, while the ticket is being worked; every
    disclosure is in the audit log (minimum necessary use, docs/domain.md §9)."""
    t = await repo.ticket(conn, ticket_id)
    context = await repo.ticket_context(conn, ticket_id)
    if t is None or context is None:
        raise errors.TicketNotFound()
    if t["state"] not in ("open", "contacted"):
        raise errors.TicketState(state=t["state"], action="call")
    if not context["phone_enc"]:
        raise errors.NoPhoneNumber()
    await audit.append(
        conn, actor_type="staff", actor_id=str(staff.staff_id), action="reviews.ticket_call_number",
        target_type="review_ticket", target_id=str(ticket_id), details={"role": staff.role},
    )  # fmt: skip
    return str(pii.decrypt(context["phone_enc"], field=PHONE))


async def _move(
    conn: Connection,
    staff: StaffPrincipal,
    ticket_id: uuid.UUID,
    action: str,
    target: str,
    note: str | None,
    **fields: Any,
) -> asyncpg.Record:
    """Move a locked ticket, record the step and audit it; the row as it was before."""
    t = await repo.ticket(conn, ticket_id, lock=True)
    if t is None:
        raise errors.TicketNotFound()
    if not can_move(t["state"], target):
        raise errors.TicketState(state=t["state"], action=action)
    await repo.update_ticket(conn, ticket_id, state=target, **fields)
    await repo.add_event(conn, ticket_id, action, t["state"], target, staff.staff_id, note)
    await audit.append(
        conn, actor_type="staff", actor_id=str(staff.staff_id), action=f"reviews.ticket_{action}",
        target_type="review_ticket", target_id=str(ticket_id),
        details={"from": t["state"], "to": target, "role": staff.role},
    )  # fmt: skip
    return t


async def contact(
    conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID, note: str, clock: Clock
) -> None:
    await _move(
        conn, staff, ticket_id, "contact", "contacted", note,
        contacted_at=clock.now(), contact_note=note,
    )  # fmt: skip


async def resolve(
    conn: Connection,
    staff: StaffPrincipal,
    ticket_id: uuid.UUID,
    outcome: str,
    note: str,
    clock: Clock,
) -> None:
    now = clock.now()
    t = await repo.ticket(conn, ticket_id, lock=True)
    due = t["due_on"] if t else None
    before = await _move(
        conn, staff, ticket_id, "resolve", outcome, note, outcome=outcome, resolved_at=now,
        resolution_note=note,
        resolved_on_time=None if due is None else china_date(now) <= due,
    )  # fmt: skip
    # The outcome is published to the citizen, who may now rate the matter once more.
    await notify(
        conn, before["citizen_id"], "review.ticket_resolved",
        {"item": before["item_name"], "outcome": OUTCOME_LABELS[outcome], "note": note},
        dedupe_key=f"review-ticket:{ticket_id}:resolved",
        link=f"/pages/declaration/index?id={before['declaration_id']}",
    )  # fmt: skip


async def close(
    conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID, clock: Clock
) -> None:
    await _move(conn, staff, ticket_id, "close", "closed", None, closed_at=clock.now())


async def appeal(
    conn: Connection, staff: StaffPrincipal, ticket_id: uuid.UUID, reason: str, clock: Clock
) -> None:
    t = await repo.ticket(conn, ticket_id, lock=True)
    if t is not None and t["appeal_upheld"] is False:
        # One appeal per ticket: a rejected one is final.
        raise errors.TicketState(state=t["state"], action="appeal")
    await _move(
        conn, staff, ticket_id, "appeal", "appealing", reason, appeal_reason=reason,
        appeal_from_state=t["state"] if t else None, appealed_at=clock.now(),
        appealed_by=staff.staff_id,
    )  # fmt: skip


async def decide_appeal(
    conn: Connection,
    staff: StaffPrincipal,
    ticket_id: uuid.UUID,
    upheld: bool,
    note: str,
    clock: Clock,
) -> None:
    t = await repo.ticket(conn, ticket_id, lock=True)
    if t is None:
        raise errors.TicketNotFound()
    if t["state"] != "appealing":
        raise errors.TicketState(state=t["state"], action="decide")
    if t["appealed_by"] == staff.staff_id:
        raise errors.AppealSelfDecision()
    now = clock.now()
    decision = {"appeal_upheld": upheld, "appeal_note": note or None, "appeal_decided_at": now}
    if upheld:
        await _move(
            conn, staff, ticket_id, "appeal_upheld", "closed", note or None,
            outcome="appeal_upheld", closed_at=now, **decision,
        )  # fmt: skip
        await repo.exclude(conn, t["review_id"])  # a malicious or mistaken rating: not counted
    else:
        await _move(
            conn, staff, ticket_id, "appeal_rejected", t["appeal_from_state"], note or None,
            **decision,
        )  # fmt: skip


async def supervise(
    pool: Pool, calendars: Calendars, today: date | None = None, *, now: datetime | None = None
) -> int:
    """Flag unresolved tickets: ``due_soon`` with at most one working day left, ``late`` after
    the due date. ``today`` defaults to China's day of ``now`` (default: the system clock).
    Returns how many flags changed."""
    today = today or china_today(now)
    changed = 0
    async with pool.acquire() as conn, conn.transaction():
        calendar = await calendars.current(conn)
        for row in await repo.unresolved_tickets(conn):
            flag = flag_of(today, row["due_on"], calendar)
            if flag != row["flag"]:
                await repo.update_ticket(conn, row["id"], flag=flag)
                changed += 1
    return changed


async def recompute_deadlines(conn: Connection, calendar: WorkingCalendar) -> int:
    """The calendar changed (a notice imported): unresolved tickets' deadlines are counted
    again from their rating; a citizen whose promised contact date moved is told. Returns how
    many moved (also fills a deadline left empty before migration 0018)."""
    moved = 0
    for t in await repo.unresolved_for_recompute(conn):
        due = rectification_due(t["rated_at"], calendar)
        if (t["due_on"], t["due_provisional"]) == tuple(due):
            continue
        await repo.update_ticket(conn, t["id"], due_on=due.day, due_provisional=due.provisional)
        if t["due_on"] is not None and t["due_on"] != due.day:
            moved += 1
            await notify(
                conn, t["citizen_id"], "deadline.moved",
                {"item": t["item_name"], "deadline": "差评整改期限", "old": str(t["due_on"]),
                 "new": str(due.day)},
                dedupe_key=f"review-ticket:{t['id']}:moved:{due.day}",
                link=f"/pages/declaration/index?id={t['declaration_id']}",
            )  # fmt: skip
    return moved


# --- figures ---------------------------------------------------------------------------------


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _satisfaction(row: asyncpg.Record) -> Satisfaction:
    reviews = int(row["reviews"])
    average = row["average_level"]
    return Satisfaction(
        key=row["key"], name=row["name"], count=reviews,
        average_level=round(average, 2) if average is not None else None,
        good_rate=_rate(row["good"], reviews), bad_reviews=int(row["bad"]),
        bad_rate=_rate(row["bad"], reviews),
    )  # fmt: skip


async def figures(conn: Connection, start: date | None, end: date | None) -> Figures:
    if start and end and start > end:
        raise errors.InvalidPeriod("from is after to")
    overall = (await repo.satisfaction(conn, None, start, end))[0]
    t = await repo.ticket_figures(conn, start, end)
    f = await repo.follow_up_figures(conn, start, end)
    known = int(t["resolved"]) + int(t["late"])  # resolved, or unresolved past the due date
    return Figures(
        from_date=start,
        to_date=end,
        overall=_satisfaction(overall),
        by_item=[_satisfaction(r) for r in await repo.satisfaction(conn, "item", start, end)],
        by_department=[
            _satisfaction(r) for r in await repo.satisfaction(conn, "department", start, end)
        ],
        by_channel=[_satisfaction(r) for r in await repo.satisfaction(conn, "channel", start, end)],
        tickets=TicketFigures(
            total=t["total"],
            unresolved=t["unresolved"],
            due_soon=t["due_soon"],
            late=t["late"],
            resolved=t["resolved"],
            resolved_on_time=t["resolved_on_time"],
            appeals_upheld=t["appeals_upheld"],
            on_time_rate=_rate(t["resolved_on_time"], known),
        ),
        follow_ups=FollowUpFigures(
            count=f["count"],
            average_level=round(f["average_level"], 2) if f["average_level"] is not None else None,
            improved=f["improved"],
        ),
    )


# --- jobs: reporting to the platform's rating system -----------------------------------------


async def report(pool: Pool, client: ProvincialRatingsClient, review_id: uuid.UUID) -> None:
    """Send a rating to the platform (our id is its idempotency key, so a retry after a lost
    answer changes nothing there). A documented refusal is recorded, not retried."""
    async with pool.acquire() as conn:
        row = await repo.review(conn, review_id)
        if row is None or row["report_state"] != "pending":
            return
        case_number = await repo.case_number(conn, row["declaration_id"])
    if case_number is None:
        log.error("rated declaration has no case number", extra={"review": str(review_id)})
        async with pool.acquire() as conn:
            await repo.mark_refused(conn, review_id, "NO_CASE_NUMBER")
        return
    has_scores = row["score_overall"] is not None
    rating = RatingReport(
        rating_id=str(review_id),
        case_number=case_number,
        item_code=row["item_code"],
        channel=row["channel"],
        level=row["level"],
        scores=RatingScores(
            overall=row["score_overall"],
            efficiency=row["score_efficiency"],
            guide_accuracy=row["score_guide_accuracy"],
            convenience=row["score_convenience"],
            ease_of_use=row["score_ease_of_use"],
        )
        if has_scores
        else None,
        tags=list(row["tags"]),
        text=row["text"],
        rated_at=row["rated_at"],
        follow_up_of=str(row["follows_review_id"]) if row["follows_review_id"] else None,
    )
    try:
        receipt = await client.report_rating(rating)
    except PlatformRefused as exc:
        log.warning("platform refused a rating", extra={"review": str(review_id), "code": exc.code})
        async with pool.acquire() as conn:
            await repo.mark_refused(conn, review_id, exc.code)
        return
    async with pool.acquire() as conn:
        await repo.mark_reported(conn, review_id, receipt.rating_number, datetime.now(UTC))


# --- shaping ---------------------------------------------------------------------------------


def _review(r: asyncpg.Record) -> Review:
    return Review(
        id=str(r["id"]), declaration_id=str(r["declaration_id"]), item_code=r["item_code"],
        item_name=r["item_name"], channel=r["channel"], kind=r["kind"], level=r["level"],
        level_label=LEVELS[r["level"]], bad=is_bad(r["level"]),
        scores=ScoresOut(
            overall=r["score_overall"], efficiency=r["score_efficiency"],
            guide_accuracy=r["score_guide_accuracy"], convenience=r["score_convenience"],
            ease_of_use=r["score_ease_of_use"],
        ) if r["score_overall"] is not None else None,
        tags=[Tag(code=c, label=TAGS[c][0], sentiment=TAGS[c][1]) for c in r["tags"] if c in TAGS],
        text=r["text"], rated_at=r["rated_at"], reported=r["report_state"] == "reported",
    )  # fmt: skip


def _summary(t: asyncpg.Record) -> TicketSummary:
    return TicketSummary(
        id=str(t["id"]), review_id=str(t["review_id"]), declaration_id=str(t["declaration_id"]),
        item_code=t["item_code"], item_name=t["item_name"], department_code=t["department_code"],
        department_name=t["department_name"], channel=t["channel"], level=t["level"],
        state=t["state"], outcome=t["outcome"], due_on=t["due_on"],
        due_provisional=t["due_provisional"], flag=t["flag"],
        resolved_at=t["resolved_at"], resolved_on_time=t["resolved_on_time"],
        created_at=t["created_at"], updated_at=t["updated_at"],
    )  # fmt: skip


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s ratings and tickets become ``target``'s (called by
    api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)


class ReviewsService:
    """Good/bad review of a process: what its use cases need besides the request's connection."""

    def __init__(
        self, *, pool: Pool, pii: PiiCipher, calendars: Calendars, ratings: ProvincialRatingsClient
    ) -> None:
        self.pool = pool
        self.pii = pii
        self.calendars = calendars
        self.ratings = ratings
