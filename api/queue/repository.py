"""All SQL of queue numbers: the tickets we took, each hall's last reported queue, and the
calling system's events (an inbox). Only this domain's tables (queue_tickets, queue_halls,
queue_events): bookings, halls and ratings come through the halls and reviews services."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import msgspec

from core.clients.hallqueue import HallSnapshot, QueueEvent
from core.db import Connection, columns, many, one


class TicketRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    appointment_id: uuid.UUID
    hall_code: str
    hall_name: str
    item_code: str
    item_name: str
    declaration_id: uuid.UUID | None
    slot_start: datetime
    slot_end: datetime
    arrival_method: str
    arrival_distance_m: float | None
    state: str
    system_ticket_id: str | None
    number: str | None
    seq: int | None
    window_no: str | None
    taken_at: datetime
    issued_at: datetime | None
    called_at: datetime | None
    finished_at: datetime | None


class HallRow(msgspec.Struct, frozen=True, kw_only=True):
    hall_code: str
    event_sequence: int
    served_through: int
    waiting: int
    open_windows: int
    avg_service_seconds: int


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    body: dict[str, Any]
    applied_at: datetime | None


_TICKET = f"SELECT {columns(TicketRow)} FROM queue_tickets"


async def insert_ticket(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    appointment_id: uuid.UUID,
    hall_code: str,
    hall_name: str,
    item_code: str,
    item_name: str,
    declaration_id: uuid.UUID | None,
    slot_start: datetime,
    slot_end: datetime,
    arrival_method: str,
    arrival_distance_m: float | None,
    taken_at: datetime,
) -> uuid.UUID | None:
    """The new ticket's id, or None when the booking has one already (one number a booking)."""
    created: uuid.UUID | None = await conn.fetchval(
        """INSERT INTO queue_tickets (id, citizen_id, appointment_id, hall_code, hall_name,
               item_code, item_name, declaration_id, slot_start, slot_end, arrival_method,
               arrival_distance_m, taken_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (appointment_id) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        citizen_id,
        appointment_id,
        hall_code,
        hall_name,
        item_code,
        item_name,
        declaration_id,
        slot_start,
        slot_end,
        arrival_method,
        arrival_distance_m,
        taken_at,
    )
    return created


async def ticket(conn: Connection, ticket_id: uuid.UUID, *, lock: bool = False) -> TicketRow | None:
    suffix = " FOR UPDATE" if lock else ""
    return one(TicketRow, await conn.fetchrow(f"{_TICKET} WHERE id = $1{suffix}", ticket_id))


async def ticket_of_appointment(conn: Connection, appointment_id: uuid.UUID) -> TicketRow | None:
    return one(
        TicketRow, await conn.fetchrow(f"{_TICKET} WHERE appointment_id = $1", appointment_id)
    )


async def tickets_of(conn: Connection, citizen_id: uuid.UUID, limit: int) -> list[TicketRow]:
    return many(
        TicketRow,
        await conn.fetch(
            f"{_TICKET} WHERE citizen_id = $1 ORDER BY taken_at DESC LIMIT $2", citizen_id, limit
        ),
    )


async def record_number(
    conn: Connection,
    ticket_id: uuid.UUID,
    *,
    system_ticket_id: str,
    number: str,
    seq: int,
    issued_at: datetime,
) -> None:
    """The calling system's answer (or its first event, whichever comes first)."""
    await conn.execute(
        """UPDATE queue_tickets SET system_ticket_id = $2, number = $3, seq = $4, issued_at = $5,
               state = CASE WHEN state = 'requested' THEN 'waiting' ELSE state END,
               updated_at = now()
           WHERE id = $1 AND system_ticket_id IS NULL""",
        ticket_id,
        system_ticket_id,
        number,
        seq,
        issued_at,
    )


async def move(
    conn: Connection,
    ticket_id: uuid.UUID,
    state: str,
    *,
    window_no: str | None,
    called_at: datetime | None,
    finished_at: datetime | None,
) -> None:
    await conn.execute(
        """UPDATE queue_tickets SET state = $2, window_no = coalesce($3, window_no),
               called_at = coalesce(called_at, $4), finished_at = coalesce(finished_at, $5),
               updated_at = now()
           WHERE id = $1""",
        ticket_id,
        state,
        window_no,
        called_at,
        finished_at,
    )


async def hall(conn: Connection, hall_code: str) -> HallRow | None:
    return one(
        HallRow,
        await conn.fetchrow(
            f"SELECT {columns(HallRow)} FROM queue_halls WHERE hall_code = $1", hall_code
        ),
    )


async def apply_snapshot(conn: Connection, sequence: int, snapshot: HallSnapshot) -> bool:
    """The hall's queue as of event ``sequence``; an older event changes nothing (False)."""
    applied = await conn.fetchval(
        """INSERT INTO queue_halls AS h (hall_code, event_sequence, served_through, waiting,
               open_windows, avg_service_seconds, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, now())
           ON CONFLICT (hall_code) DO UPDATE SET event_sequence = EXCLUDED.event_sequence,
               served_through = EXCLUDED.served_through, waiting = EXCLUDED.waiting,
               open_windows = EXCLUDED.open_windows,
               avg_service_seconds = EXCLUDED.avg_service_seconds, updated_at = now()
           WHERE h.event_sequence < EXCLUDED.event_sequence
           RETURNING true""",
        snapshot.hall_code,
        sequence,
        snapshot.served_through,
        snapshot.waiting,
        max(1, snapshot.open_windows),
        max(1, snapshot.avg_service_seconds),
    )
    return bool(applied)


async def store_event(conn: Connection, event: QueueEvent, body: dict[str, Any]) -> bool:
    """True when the event is new (a redelivery is stored once)."""
    stored = await conn.fetchval(
        """INSERT INTO queue_events (event_id, hall_code, sequence, type, body)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING true""",
        event.event_id,
        event.hall_code,
        event.sequence,
        event.type,
        body,
    )
    return bool(stored)


async def event(conn: Connection, event_id: str) -> EventRow | None:
    """The stored event, locked: one job applies it."""
    return one(
        EventRow,
        await conn.fetchrow(
            "SELECT event_id, body, applied_at FROM queue_events WHERE event_id = $1 FOR UPDATE",
            event_id,
        ),
    )


async def mark_applied(conn: Connection, event_id: str, at: datetime) -> None:
    await conn.execute("UPDATE queue_events SET applied_at = $2 WHERE event_id = $1", event_id, at)


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Numbers follow their bookings (keyed by booking, so no clash)."""
    status = await conn.execute(
        "UPDATE queue_tickets SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    return {"queue_tickets": int(status.rsplit(" ", 1)[-1])}


class HallWaitRow(msgspec.Struct, frozen=True, kw_only=True):
    hall_code: str
    called: int
    waited: timedelta


async def waits_by_hall(conn: Connection, start: datetime, end: datetime) -> list[HallWaitRow]:
    """Per hall, the numbers of slots starting in [start, end) that a window called, and their
    waits from the ticket (the calling system's issue time) to the call, summed. Both times
    are the calling system's, so our clock's drift from the hall's does not enter."""
    return many(
        HallWaitRow,
        await conn.fetch(
            """SELECT hall_code, count(*)::int AS called,
                      sum(greatest(called_at - issued_at, interval '0')) AS waited
                 FROM queue_tickets
                WHERE slot_start >= $1 AND slot_start < $2
                  AND called_at IS NOT NULL AND issued_at IS NOT NULL
                GROUP BY hall_code""",
            start,
            end,
        ),
    )
