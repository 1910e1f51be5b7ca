"""All SQL of good/bad review: ratings, rectification tickets, their figures.

Only this domain's tables (reviews, review_tickets, review_ticket_events): the matter rated, its
item's department and staff usernames come through the declarations, catalog and identity
services (tests/test_table_ownership.py checks)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

import msgspec

from core.db import Connection, many, one

# China's calendar day of a rating, whatever the session's TimeZone.
_RATED_ON = "(r.rated_at AT TIME ZONE 'Asia/Shanghai')::date"
_PERIOD = f"($1::date IS NULL OR {_RATED_ON} >= $1) AND ($2::date IS NULL OR {_RATED_ON} <= $2)"
# A department-scoped caller's departments ($3; NULL: every department).
_DEPARTMENTS = "($3::text[] IS NULL OR r.department_code = ANY($3::text[]))"

_REVIEW = """SELECT r.id, r.declaration_id, r.citizen_id, r.item_code, r.item_name,
    r.department_code, r.department_name, r.channel, r.kind, r.follows_review_id, r.level,
    r.score_overall, r.score_efficiency, r.score_guide_accuracy, r.score_convenience,
    r.score_ease_of_use, r.tags, r.text, r.rated_at, r.report_state, r.platform_number,
    r.excluded FROM reviews r"""

_TICKET = """SELECT t.id, t.review_id, t.declaration_id, t.citizen_id, t.state, t.outcome,
    t.due_on, t.due_provisional, t.flag, t.contacted_at, t.contact_note, t.resolved_at, t.resolution_note,
    t.resolved_on_time, t.closed_at, t.appeal_reason, t.appeal_from_state, t.appealed_at,
    t.appealed_by, t.appeal_upheld, t.appeal_note, t.appeal_decided_at, t.created_at,
    t.updated_at,
    r.item_code, r.item_name, r.department_code, r.department_name, r.channel, r.level
    FROM review_tickets t JOIN reviews r ON r.id = t.review_id"""


class ReviewRow(msgspec.Struct, frozen=True, kw_only=True):
    """A rating (``_REVIEW``)."""

    id: uuid.UUID
    declaration_id: uuid.UUID
    citizen_id: uuid.UUID
    item_code: str
    item_name: str
    department_code: str
    department_name: str
    channel: Literal["wechat", "app", "hall"]
    kind: str
    follows_review_id: uuid.UUID | None
    level: int
    score_overall: int | None
    score_efficiency: int | None
    score_guide_accuracy: int | None
    score_convenience: int | None
    score_ease_of_use: int | None
    tags: list[str]
    text: str
    rated_at: datetime
    report_state: str
    platform_number: str | None
    excluded: bool


class TicketRow(msgspec.Struct, frozen=True, kw_only=True):
    """A rectification ticket with its rating's item, department, channel and level."""

    id: uuid.UUID
    review_id: uuid.UUID
    declaration_id: uuid.UUID
    citizen_id: uuid.UUID
    state: str
    outcome: str | None
    due_on: date | None
    due_provisional: bool
    flag: str
    contacted_at: datetime | None
    contact_note: str | None
    resolved_at: datetime | None
    resolution_note: str | None
    resolved_on_time: bool | None
    closed_at: datetime | None
    appeal_reason: str | None
    appeal_from_state: str | None
    appealed_at: datetime | None
    appealed_by: uuid.UUID | None
    appeal_upheld: bool | None
    appeal_note: str | None
    appeal_decided_at: datetime | None
    created_at: datetime
    updated_at: datetime
    item_code: str
    item_name: str
    department_code: str
    department_name: str
    channel: Literal["wechat", "app", "hall"]
    level: int


class PagedTicketRow(TicketRow, frozen=True, kw_only=True):
    total: int


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    action: str
    from_state: str | None
    to_state: str
    staff_id: uuid.UUID | None
    note: str | None
    at: datetime


class UnresolvedRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    due_on: date | None
    flag: str


class RecomputeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    declaration_id: uuid.UUID
    due_on: date | None
    due_provisional: bool
    rated_at: datetime
    item_name: str


class SatisfactionRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    name: str
    reviews: int
    average_level: float | None
    good: int
    bad: int


class TicketFiguresRow(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    unresolved: int
    due_soon: int
    late: int
    resolved: int
    resolved_on_time: int
    appeals_upheld: int


class FollowUpFiguresRow(msgspec.Struct, frozen=True, kw_only=True):
    count: int
    average_level: float | None
    improved: int


# --- reviews ---------------------------------------------------------------------------------


async def reviews_of(conn: Connection, declaration_id: uuid.UUID) -> list[ReviewRow]:
    rows = await conn.fetch(
        _REVIEW + " WHERE r.declaration_id = $1 ORDER BY r.rated_at, r.id", declaration_id
    )
    return many(ReviewRow, rows)


async def review(conn: Connection, review_id: uuid.UUID) -> ReviewRow | None:
    return one(ReviewRow, await conn.fetchrow(_REVIEW + " WHERE r.id = $1", review_id))


async def insert_review(conn: Connection, **fields: Any) -> uuid.UUID:
    review_id = uuid.uuid4()
    columns = ["id", *fields]
    values = [review_id, *fields.values()]
    await conn.execute(
        f"INSERT INTO reviews ({', '.join(columns)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(values) + 1))})",
        *values,
    )
    return review_id


async def mark_reported(
    conn: Connection, review_id: uuid.UUID, platform_number: str, at: datetime
) -> None:
    await conn.execute(
        """UPDATE reviews SET report_state = 'reported', platform_number = $2, reported_at = $3,
                              report_error = NULL
            WHERE id = $1""",
        review_id,
        platform_number,
        at,
    )


async def mark_refused(conn: Connection, review_id: uuid.UUID, error: str) -> None:
    await conn.execute(
        "UPDATE reviews SET report_state = 'refused', report_error = $2 WHERE id = $1",
        review_id,
        error,
    )


async def exclude(conn: Connection, review_id: uuid.UUID) -> None:
    await conn.execute("UPDATE reviews SET excluded = true WHERE id = $1", review_id)


# --- tickets ---------------------------------------------------------------------------------


async def insert_ticket(
    conn: Connection,
    *,
    review_id: uuid.UUID,
    declaration_id: uuid.UUID,
    citizen_id: uuid.UUID,
    due_on: date,
    due_provisional: bool,
) -> uuid.UUID:
    ticket_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO review_tickets (id, review_id, declaration_id, citizen_id, due_on,
                                       due_provisional)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        ticket_id,
        review_id,
        declaration_id,
        citizen_id,
        due_on,
        due_provisional,
    )
    await add_event(conn, ticket_id, "opened", None, "open", None, None)
    return ticket_id


async def ticket(conn: Connection, ticket_id: uuid.UUID, *, lock: bool = False) -> TicketRow | None:
    row = await conn.fetchrow(
        _TICKET + " WHERE t.id = $1" + (" FOR UPDATE OF t" if lock else ""), ticket_id
    )
    return one(TicketRow, row)


async def tickets_of_declaration(conn: Connection, declaration_id: uuid.UUID) -> list[TicketRow]:
    """The matter's tickets, oldest first (one per bad initial rating: at most one a channel)."""
    rows = await conn.fetch(
        _TICKET + " WHERE t.declaration_id = $1 ORDER BY t.created_at, t.id", declaration_id
    )
    return many(TicketRow, rows)


async def list_tickets(
    conn: Connection,
    state: str | None,
    flag: str | None,
    limit: int,
    offset: int,
    departments: Sequence[str] | None = None,
) -> tuple[list[TicketRow], int]:
    rows = await conn.fetch(
        _TICKET.replace("SELECT ", "SELECT count(*) OVER () AS total, ", 1)
        + """ WHERE ($1::text IS NULL OR t.state = $1) AND ($2::text IS NULL OR t.flag = $2)
                AND ($5::text[] IS NULL OR r.department_code = ANY($5::text[]))
              ORDER BY t.due_on NULLS LAST, t.created_at, t.id LIMIT $3 OFFSET $4""",
        state,
        flag,
        limit,
        offset,
        None if departments is None else list(departments),
    )
    page = many(PagedTicketRow, rows)
    return list(page), page[0].total if page else 0


async def update_ticket(conn: Connection, ticket_id: uuid.UUID, **fields: Any) -> None:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
    await conn.execute(
        f"UPDATE review_tickets SET {sets}, updated_at = now() WHERE id = $1",
        ticket_id,
        *fields.values(),
    )


async def add_event(
    conn: Connection,
    ticket_id: uuid.UUID,
    action: str,
    from_state: str | None,
    to_state: str,
    staff_id: uuid.UUID | None,
    note: str | None,
) -> None:
    await conn.execute(
        """INSERT INTO review_ticket_events (ticket_id, action, from_state, to_state, staff_id, note)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        ticket_id,
        action,
        from_state,
        to_state,
        staff_id,
        note,
    )


async def events(conn: Connection, ticket_id: uuid.UUID) -> list[EventRow]:
    rows = await conn.fetch(
        """SELECT action, from_state, to_state, staff_id, note, at
             FROM review_ticket_events WHERE ticket_id = $1 ORDER BY id""",
        ticket_id,
    )
    return many(EventRow, rows)


async def follow_up_of(conn: Connection, review_id: uuid.UUID) -> ReviewRow | None:
    row = await conn.fetchrow(
        _REVIEW + " WHERE r.follows_review_id = $1 AND r.kind = 'follow_up'", review_id
    )
    return one(ReviewRow, row)


async def unresolved_tickets(conn: Connection) -> list[UnresolvedRow]:
    rows = await conn.fetch(
        """SELECT id, due_on, flag FROM review_tickets
            WHERE state IN ('open', 'contacted', 'appealing') ORDER BY id FOR UPDATE"""
    )
    return many(UnresolvedRow, rows)


async def unresolved_for_recompute(conn: Connection) -> list[RecomputeRow]:
    """Unresolved tickets with what their deadline counts from (the rating), locked."""
    rows = await conn.fetch(
        """SELECT t.id, t.citizen_id, t.declaration_id, t.due_on, t.due_provisional,
                  r.rated_at, r.item_name
             FROM review_tickets t JOIN reviews r ON r.id = t.review_id
            WHERE t.state IN ('open', 'contacted', 'appealing')
            ORDER BY t.id FOR UPDATE OF t"""
    )
    return many(RecomputeRow, rows)


# --- figures ---------------------------------------------------------------------------------

_SATISFACTION = """count(*) AS reviews, avg(r.level)::float8 AS average_level,
    count(*) FILTER (WHERE r.level >= 3) AS good, count(*) FILTER (WHERE r.level <= 2) AS bad"""


async def satisfaction(
    conn: Connection,
    group: str | None,
    start: date | None,
    end: date | None,
    departments: Sequence[str] | None = None,
) -> list[SatisfactionRow]:
    """Initial ratings not excluded by an upheld appeal, overall or grouped by ``group``."""
    key, name = {
        None: ("''", "''"),
        "item": ("r.item_code", "r.item_name"),
        "department": ("r.department_code", "r.department_name"),
        "channel": ("r.channel", "r.channel"),
    }[group]
    grouping = "" if group is None else f" GROUP BY {key}, {name} ORDER BY count(*) DESC, {key}"
    rows = await conn.fetch(
        f"""SELECT {key} AS key, {name} AS name, {_SATISFACTION}
              FROM reviews r
             WHERE r.kind = 'initial' AND NOT r.excluded AND {_PERIOD}
               AND {_DEPARTMENTS}{grouping}""",
        start,
        end,
        None if departments is None else list(departments),
    )
    return many(SatisfactionRow, rows)


async def ticket_figures(
    conn: Connection, start: date | None, end: date | None, departments: Sequence[str] | None = None
) -> TicketFiguresRow:
    row = await conn.fetchrow(
        f"""SELECT count(*) AS total,
                   count(*) FILTER (WHERE t.state IN ('open', 'contacted', 'appealing')) AS unresolved,
                   count(*) FILTER (WHERE t.state IN ('open', 'contacted', 'appealing')
                                      AND t.flag = 'due_soon') AS due_soon,
                   count(*) FILTER (WHERE t.state IN ('open', 'contacted', 'appealing')
                                      AND t.flag = 'late') AS late,
                   count(*) FILTER (WHERE t.resolved_at IS NOT NULL) AS resolved,
                   count(*) FILTER (WHERE t.resolved_on_time) AS resolved_on_time,
                   count(*) FILTER (WHERE t.outcome = 'appeal_upheld') AS appeals_upheld
              FROM review_tickets t JOIN reviews r ON r.id = t.review_id
             WHERE {_PERIOD} AND {_DEPARTMENTS}""",
        start,
        end,
        None if departments is None else list(departments),
    )
    assert row is not None  # an aggregate without GROUP BY: always one row
    return TicketFiguresRow(**row)


async def follow_up_figures(
    conn: Connection, start: date | None, end: date | None, departments: Sequence[str] | None = None
) -> FollowUpFiguresRow:
    row = await conn.fetchrow(
        f"""SELECT count(*) AS count, avg(r.level)::float8 AS average_level,
                   count(*) FILTER (WHERE r.level > o.level) AS improved
              FROM reviews r JOIN reviews o ON o.id = r.follows_review_id
             WHERE r.kind = 'follow_up' AND {_PERIOD} AND {_DEPARTMENTS}""",
        start,
        end,
        None if departments is None else list(departments),
    )
    assert row is not None  # an aggregate without GROUP BY: always one row
    return FollowUpFiguresRow(**row)


# --- one person, one account (api.identity joins a person's accounts) ----------------------------


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Ratings and their tickets follow their declarations (keyed by declaration, so no clash)."""
    moved = {}
    for table in ("reviews", "review_tickets"):
        status = await conn.execute(
            f"UPDATE {table} SET citizen_id = $2 WHERE citizen_id = $1", source, target
        )
        moved[table] = int(status.rsplit(" ", 1)[-1])
    return moved


async def late_rectifications(
    conn: Connection, first: date, last: date, today: date
) -> dict[str, int]:
    """Per department: tickets due on these days not rectified within their 3 working days —
    resolved late, or unresolved past the due day by ``today`` (an upheld appeal is none)."""
    rows = await conn.fetch(
        """SELECT r.department_code, count(*)::integer AS count
             FROM review_tickets t JOIN reviews r ON r.id = t.review_id
            WHERE t.due_on BETWEEN $1 AND $2
              AND t.outcome IS DISTINCT FROM 'appeal_upheld'
              AND (t.resolved_on_time IS FALSE OR (t.resolved_at IS NULL AND t.due_on < $3))
            GROUP BY 1""",
        first,
        last,
        today,
    )
    return {r["department_code"]: r["count"] for r in rows}


# --- for service figures (api.figures keeps the rollup; it creates ``figure_facts``) ---------


async def stage_figure_reviews(conn: Connection, since: datetime) -> None:
    """Into the caller's ``figure_facts``: per China day of rating and declaration, the initial
    ratings not excluded by an upheld appeal, good ones (levels 3-5, 好评), bad ones (1-2) and
    the bad ones whose ticket was resolved within its 3 working days (差评整改)."""
    await conn.execute(
        """INSERT INTO figure_facts (day, declaration_id, reviews, good_reviews, bad_reviews,
                   bad_rectified_in_time)
           SELECT (r.rated_at AT TIME ZONE 'Asia/Shanghai')::date, r.declaration_id, count(*),
                  count(*) FILTER (WHERE r.level >= 3), count(*) FILTER (WHERE r.level <= 2),
                  count(*) FILTER (WHERE r.level <= 2 AND t.resolved_on_time)
             FROM reviews r LEFT JOIN review_tickets t ON t.review_id = r.id
            WHERE r.rated_at >= $1 AND r.kind = 'initial' AND NOT r.excluded
            GROUP BY 1, 2""",
        since,
    )
