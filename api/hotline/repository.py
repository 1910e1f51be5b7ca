"""All SQL of the hotline: tickets, their timeline, 12345's callbacks (an inbox), figures.

Only this domain's tables (hotline_tickets, hotline_ticket_events, hotline_callbacks): items,
departments, declarations and review tickets come through their domains' services
(tests/test_table_ownership.py checks)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec

from core.db import Connection, columns, many, one

# China's calendar day a ticket was filed, whatever the session's TimeZone.
_FILED_ON = "(t.created_at AT TIME ZONE 'Asia/Shanghai')::date"
_PERIOD = f"($1::date IS NULL OR {_FILED_ON} >= $1) AND ($2::date IS NULL OR {_FILED_ON} <= $2)"


class TicketRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    kind: str
    subject_type: str
    item_code: str
    item_name: str
    declaration_id: uuid.UUID | None
    review_ticket_id: uuid.UUID | None
    department_code: str
    department_name: str
    title: str
    content: str
    state: str
    delivery: str
    refusal: str | None
    ticket_number: str | None
    hotline_version: int
    reply: str | None
    replied_at: datetime | None
    replied_on_time: bool | None
    reply_days: int
    due_on: date
    due_provisional: bool
    flag: str
    satisfaction: str | None
    satisfaction_comment: str
    rated_at: datetime | None
    rating_delivery: str | None
    created_at: datetime
    updated_at: datetime


class PagedTicketRow(TicketRow, frozen=True, kw_only=True):
    total: int


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    department_code: str | None
    department_name: str | None
    text: str | None
    occurred_at: datetime


class CallbackRow(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    sequence: int
    body: dict[str, Any]


class UnrepliedRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    kind: str
    title: str
    created_at: datetime
    reply_days: int
    due_on: date
    due_provisional: bool
    flag: str


class FiguresRow(msgspec.Struct, frozen=True, kw_only=True):
    department_code: str
    department_name: str
    total: int
    consultations: int
    complaints: int
    suggestions: int
    replied: int
    replied_on_time: int
    unreplied: int
    overdue: int
    rated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int


_TICKET = f"SELECT {columns(TicketRow, 't')} FROM hotline_tickets t"
# Fields a service may change on a ticket (``update_ticket``): never its owner or subject.
_UPDATABLE = frozenset(
    {
        "state",
        "delivery",
        "refusal",
        "ticket_number",
        "hotline_version",
        "department_code",
        "department_name",
        "reply",
        "replied_at",
        "replied_on_time",
        "due_on",
        "due_provisional",
        "flag",
        "satisfaction",
        "satisfaction_comment",
        "rated_at",
        "rating_delivery",
    }
)


async def insert_ticket(conn: Connection, **fields: Any) -> None:
    names = list(fields)
    await conn.execute(
        f"INSERT INTO hotline_tickets ({', '.join(names)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(names) + 1))})",
        *fields.values(),
    )


async def ticket(conn: Connection, ticket_id: uuid.UUID, *, lock: bool = False) -> TicketRow | None:
    sql = _TICKET + " WHERE t.id = $1" + (" FOR UPDATE" if lock else "")
    return one(TicketRow, await conn.fetchrow(sql, ticket_id))


async def exists(conn: Connection, ticket_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM hotline_tickets WHERE id = $1)", ticket_id
        )
    )


async def update_ticket(conn: Connection, ticket_id: uuid.UUID, **fields: Any) -> None:
    unknown = set(fields) - _UPDATABLE
    assert not unknown, f"not updatable: {unknown}"
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
    await conn.execute(
        f"UPDATE hotline_tickets SET {sets}, updated_at = now() WHERE id = $1",
        ticket_id,
        *fields.values(),
    )


async def tickets_of_citizen(
    conn: Connection, citizen_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[TicketRow], int]:
    rows = many(
        PagedTicketRow,
        await conn.fetch(
            f"SELECT {columns(TicketRow, 't')}, count(*) OVER () AS total FROM hotline_tickets t"
            " WHERE t.citizen_id = $1 ORDER BY t.created_at DESC, t.id LIMIT $2 OFFSET $3",
            citizen_id,
            limit,
            offset,
        ),
    )
    total = rows[0].total if rows else await _count_of_citizen(conn, citizen_id, offset)
    return list(rows), total


async def _count_of_citizen(conn: Connection, citizen_id: uuid.UUID, offset: int) -> int:
    if offset == 0:
        return 0
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM hotline_tickets WHERE citizen_id = $1", citizen_id
        )
    )


async def staff_tickets(
    conn: Connection,
    *,
    flag: str | None,
    kind: str | None,
    state: str | None,
    departments: tuple[str, ...] | None,
    limit: int,
    offset: int,
) -> tuple[list[TicketRow], int]:
    """Soonest due first; the unreplied before the answered."""
    rows = many(
        PagedTicketRow,
        await conn.fetch(
            f"SELECT {columns(TicketRow, 't')}, count(*) OVER () AS total FROM hotline_tickets t"
            " WHERE ($1::text IS NULL OR t.flag = $1) AND ($2::text IS NULL OR t.kind = $2)"
            " AND ($3::text IS NULL OR t.state = $3)"
            " AND ($4::text[] IS NULL OR t.department_code = ANY($4::text[]))"
            " ORDER BY (t.state IN ('replied', 'closed')), t.due_on, t.created_at, t.id"
            " LIMIT $5 OFFSET $6",
            flag,
            kind,
            state,
            departments,
            limit,
            offset,
        ),
    )
    total = rows[0].total if rows else 0
    return list(rows), total


async def add_event(
    conn: Connection,
    ticket_id: uuid.UUID,
    kind: str,
    at: datetime,
    *,
    department_code: str | None = None,
    department_name: str | None = None,
    text: str | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO hotline_ticket_events
               (ticket_id, kind, department_code, department_name, text, occurred_at)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        ticket_id,
        kind,
        department_code,
        department_name,
        text,
        at,
    )


async def events_of(conn: Connection, ticket_id: uuid.UUID) -> list[EventRow]:
    return many(
        EventRow,
        await conn.fetch(
            f"SELECT {columns(EventRow)} FROM hotline_ticket_events WHERE ticket_id = $1"
            " ORDER BY id",
            ticket_id,
        ),
    )


# --- 12345's callbacks (an inbox) ------------------------------------------------------------


async def store_callback(
    conn: Connection, event_id: str, ticket_id: uuid.UUID, sequence: int, body: dict[str, Any]
) -> bool:
    """Stored once by event id; whether it was new."""
    stored = await conn.fetchval(
        """INSERT INTO hotline_callbacks (event_id, ticket_id, sequence, body)
           VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING true""",
        event_id,
        ticket_id,
        sequence,
        body,
    )
    return bool(stored)


async def pending_callbacks(conn: Connection, ticket_id: uuid.UUID) -> list[CallbackRow]:
    return many(
        CallbackRow,
        await conn.fetch(
            """SELECT event_id, sequence, body FROM hotline_callbacks
                WHERE ticket_id = $1 AND processed_at IS NULL ORDER BY sequence, received_at""",
            ticket_id,
        ),
    )


async def mark_callback(conn: Connection, event_id: str, outcome: str) -> None:
    await conn.execute(
        "UPDATE hotline_callbacks SET processed_at = now(), outcome = $2 WHERE event_id = $1",
        event_id,
        outcome,
    )


# --- supervision, calendar, figures ----------------------------------------------------------


async def unreplied(conn: Connection) -> list[UnrepliedRow]:
    return many(
        UnrepliedRow,
        await conn.fetch(
            f"SELECT {columns(UnrepliedRow)} FROM hotline_tickets"
            " WHERE state NOT IN ('replied', 'closed') ORDER BY due_on, id"
        ),
    )


async def figures(
    conn: Connection,
    start: date | None,
    end: date | None,
    departments: tuple[str, ...] | None = None,
) -> list[FiguresRow]:
    """By the department answerable (the one 12345 transferred to, else the subject's); one
    row per department, ``''`` for tickets about nothing named and not yet transferred;
    ``departments``: only theirs (None: all)."""
    return many(
        FiguresRow,
        await conn.fetch(
            f"""SELECT t.department_code,
                       max(t.department_name) AS department_name,
                       count(*)::int AS total,
                       count(*) FILTER (WHERE t.kind = 'consultation')::int AS consultations,
                       count(*) FILTER (WHERE t.kind = 'complaint')::int AS complaints,
                       count(*) FILTER (WHERE t.kind = 'suggestion')::int AS suggestions,
                       count(*) FILTER (WHERE t.replied_at IS NOT NULL)::int AS replied,
                       count(*) FILTER (WHERE t.replied_on_time)::int AS replied_on_time,
                       count(*) FILTER (WHERE t.replied_at IS NULL)::int AS unreplied,
                       count(*) FILTER (WHERE t.flag = 'late'
                                           OR t.replied_on_time IS FALSE)::int AS overdue,
                       count(*) FILTER (WHERE t.satisfaction IS NOT NULL)::int AS rated,
                       count(*) FILTER (WHERE t.satisfaction = 'satisfied')::int AS satisfied,
                       count(*) FILTER (WHERE t.satisfaction = 'basically_satisfied')::int
                           AS basically_satisfied,
                       count(*) FILTER (WHERE t.satisfaction = 'dissatisfied')::int
                           AS dissatisfied
                  FROM hotline_tickets t
                 WHERE {_PERIOD}
                   AND ($3::text[] IS NULL OR t.department_code = ANY($3::text[]))
                 GROUP BY t.department_code
                 ORDER BY count(*) DESC, t.department_code""",
            start,
            end,
            departments,
        ),
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    status = await conn.execute(
        "UPDATE hotline_tickets SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    return {"hotline_tickets": int(status.split()[-1])}
