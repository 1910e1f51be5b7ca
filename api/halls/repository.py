"""All SQL of halls and appointments (migration 0031)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Any

import msgspec

from core.clock import CHINA_TZ_NAME, china_date
from core.db import Connection, columns, many, one


class HallRow(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    region_code: str
    status: str
    platform_version: int
    platform_updated_at: datetime
    data: Any


class HallItemRow(msgspec.Struct, frozen=True, kw_only=True):
    hall_code: str
    item_code: str
    item_name: str
    capacity: int
    windows: list[str]


_HALL = columns(HallRow)


async def upsert_hall(conn: Connection, hall: HallRow, items: list[HallItemRow]) -> bool:
    """Store a hall and the items it serves; an older or replayed version changes nothing.
    Returns whether anything changed."""
    changed = await conn.fetchval(
        f"""INSERT INTO halls ({_HALL}) VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name,
                region_code = EXCLUDED.region_code, status = EXCLUDED.status,
                platform_version = EXCLUDED.platform_version,
                platform_updated_at = EXCLUDED.platform_updated_at, data = EXCLUDED.data,
                synced_at = now()
            WHERE (halls.platform_version, halls.platform_updated_at)
                < (EXCLUDED.platform_version, EXCLUDED.platform_updated_at)
            RETURNING true""",
        *msgspec.structs.astuple(hall),
    )
    if not changed:
        return False
    await conn.execute("DELETE FROM hall_items WHERE hall_code = $1", hall.code)
    await conn.executemany(
        f"INSERT INTO hall_items ({columns(HallItemRow)}) VALUES ($1, $2, $3, $4, $5)",
        [msgspec.structs.astuple(i) for i in items],
    )
    return True


async def halls(conn: Connection, item_code: str | None, region: str | None) -> list[HallRow]:
    rows = await conn.fetch(
        f"""SELECT {_HALL} FROM halls h
             WHERE ($1::text IS NULL OR EXISTS (SELECT 1 FROM hall_items i
                        WHERE i.hall_code = h.code AND i.item_code = $1))
               AND ($2::text IS NULL OR h.region_code = $2)
             ORDER BY h.region_code, h.code""",
        item_code,
        region,
    )
    return many(HallRow, rows)


async def hall(conn: Connection, code: str) -> HallRow | None:
    return one(HallRow, await conn.fetchrow(f"SELECT {_HALL} FROM halls WHERE code = $1", code))


async def hall_items(conn: Connection, hall_code: str) -> list[HallItemRow]:
    rows = await conn.fetch(
        f"SELECT {columns(HallItemRow)} FROM hall_items WHERE hall_code = $1 ORDER BY item_code",
        hall_code,
    )
    return many(HallItemRow, rows)


async def hall_item(conn: Connection, hall_code: str, item_code: str) -> HallItemRow | None:
    row = await conn.fetchrow(
        f"""SELECT {columns(HallItemRow)} FROM hall_items
             WHERE hall_code = $1 AND item_code = $2""",
        hall_code,
        item_code,
    )
    return one(HallItemRow, row)


# --- slots ---------------------------------------------------------------------------------


class BookedRow(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    starts_at: time
    capacity: int
    booked: int


async def booked(
    conn: Connection, hall_code: str, item_code: str, first: date, last: date
) -> list[BookedRow]:
    rows = await conn.fetch(
        """SELECT day, starts_at, capacity, booked FROM appointment_slots
            WHERE hall_code = $1 AND item_code = $2 AND day BETWEEN $3 AND $4""",
        hall_code,
        item_code,
        first,
        last,
    )
    return many(BookedRow, rows)


async def take_place(
    conn: Connection, hall_code: str, item_code: str, day: date, start: time, capacity: int
) -> bool:
    """One place of the slot, if one is left. The slot's row lock orders concurrent bookings;
    its CHECK keeps ``booked`` within ``capacity`` whatever the code does. The capacity follows
    the platform's, never below what is booked already."""
    await conn.execute(
        """INSERT INTO appointment_slots (hall_code, item_code, day, starts_at, capacity)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING""",
        hall_code,
        item_code,
        day,
        start,
        capacity,
    )
    taken = await conn.fetchval(
        """UPDATE appointment_slots
              SET capacity = GREATEST($5, booked), booked = booked + 1
            WHERE hall_code = $1 AND item_code = $2 AND day = $3 AND starts_at = $4
              AND booked < $5
        RETURNING true""",
        hall_code,
        item_code,
        day,
        start,
        capacity,
    )
    return bool(taken)


async def release_place(
    conn: Connection, hall_code: str, item_code: str, day: date, start: time
) -> None:
    await conn.execute(
        """UPDATE appointment_slots SET booked = booked - 1
            WHERE hall_code = $1 AND item_code = $2 AND day = $3 AND starts_at = $4""",
        hall_code,
        item_code,
        day,
        start,
    )


# --- appointments --------------------------------------------------------------------------


class AppointmentRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    hall_code: str
    item_code: str
    item_name: str
    day: date
    starts_at: time
    ends_at: time
    declaration_id: uuid.UUID | None
    status: str
    booked_at: datetime
    cancelled_at: datetime | None
    reminded_at: datetime | None


class AppointmentWithHall(AppointmentRow, frozen=True, kw_only=True):
    hall_name: str
    hall_data: Any


_APPOINTMENT = columns(AppointmentRow, "a")
_WITH_HALL = f"""SELECT {_APPOINTMENT}, h.name AS hall_name, h.data AS hall_data
                  FROM appointments a JOIN halls h ON h.code = a.hall_code"""
# When a slot ends, as an instant (its day and time are China's wall clock).
_ENDS = f"((a.day + a.ends_at) AT TIME ZONE '{CHINA_TZ_NAME}')"
_STARTS = f"((a.day + a.starts_at) AT TIME ZONE '{CHINA_TZ_NAME}')"


async def lock_citizen(conn: Connection, citizen_id: uuid.UUID) -> None:
    """Serialise one citizen's bookings (the open-booking limit is counted under it) for the
    rest of the transaction; other citizens are not held up."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended('appointments:' || $1::uuid::text, 0))",
        citizen_id,
    )


async def open_count(conn: Connection, citizen_id: uuid.UUID, now: datetime) -> int:
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM appointments a
             WHERE a.citizen_id = $1 AND a.status = 'booked' AND {_ENDS} > $2""",
        citizen_id,
        now,
    )
    return count


async def no_show_days(conn: Connection, citizen_id: uuid.UUID, since: date) -> list[date]:
    rows = await conn.fetch(
        """SELECT day FROM appointments
            WHERE citizen_id = $1 AND status = 'no_show' AND day >= $2 ORDER BY day""",
        citizen_id,
        since,
    )
    return [r["day"] for r in rows]


async def holds_slot(
    conn: Connection, citizen_id: uuid.UUID, hall_code: str, item_code: str, day: date, start: time
) -> bool:
    held = await conn.fetchval(
        """SELECT true FROM appointments
            WHERE citizen_id = $1 AND hall_code = $2 AND item_code = $3 AND day = $4
              AND starts_at = $5 AND status = 'booked'""",
        citizen_id,
        hall_code,
        item_code,
        day,
        start,
    )
    return bool(held)


async def insert(conn: Connection, row: AppointmentRow) -> None:
    names = columns(AppointmentRow)
    count = len(names.split(", "))
    await conn.execute(
        f"INSERT INTO appointments ({names}) VALUES ({', '.join(f'${n}' for n in range(1, count + 1))})",
        *msgspec.structs.astuple(row),
    )


async def appointment(
    conn: Connection, appointment_id: uuid.UUID, citizen_id: uuid.UUID | None, *, lock: bool = False
) -> AppointmentWithHall | None:
    row = await conn.fetchrow(
        _WITH_HALL
        + " WHERE a.id = $1 AND ($2::uuid IS NULL OR a.citizen_id = $2)"
        + (" FOR UPDATE OF a" if lock else ""),
        appointment_id,
        citizen_id,
    )
    return one(AppointmentWithHall, row)


async def of_citizen(
    conn: Connection, citizen_id: uuid.UUID, limit: int
) -> list[AppointmentWithHall]:
    rows = await conn.fetch(
        _WITH_HALL + " WHERE a.citizen_id = $1 ORDER BY a.day DESC, a.starts_at DESC LIMIT $2",
        citizen_id,
        limit,
    )
    return many(AppointmentWithHall, rows)


async def cancel(conn: Connection, appointment_id: uuid.UUID, at: datetime) -> None:
    await conn.execute(
        "UPDATE appointments SET status = 'cancelled', cancelled_at = $2 WHERE id = $1",
        appointment_id,
        at,
    )


async def arrive(conn: Connection, appointment_id: uuid.UUID, at: datetime) -> bool:
    done = await conn.fetchval(
        """UPDATE appointments SET status = 'arrived', arrived_at = $2
            WHERE id = $1 AND status = 'booked' RETURNING true""",
        appointment_id,
        at,
    )
    return bool(done)


async def complete(conn: Connection, appointment_id: uuid.UUID, at: datetime) -> bool:
    """The window completed the visit of an arrived booking; False when it was not arrived
    (already completed: a replayed event)."""
    done = await conn.fetchval(
        """UPDATE appointments SET status = 'completed', completed_at = $2
            WHERE id = $1 AND status = 'arrived' RETURNING true""",
        appointment_id,
        at,
    )
    return bool(done)


async def to_remind(conn: Connection, day: date, now: datetime, limit: int) -> list[AppointmentRow]:
    """Bookings of ``day`` not yet reminded whose slot is still ahead, locked (another
    worker's run skips them)."""
    rows = await conn.fetch(
        f"""SELECT {_APPOINTMENT} FROM appointments a
             WHERE a.status = 'booked' AND a.reminded_at IS NULL AND a.day = $1
               AND {_STARTS} > $2
             ORDER BY a.day, a.starts_at LIMIT $3
             FOR UPDATE SKIP LOCKED""",
        day,
        now,
        limit,
    )
    return many(AppointmentRow, rows)


async def mark_reminded(conn: Connection, ids: list[uuid.UUID], at: datetime) -> None:
    await conn.execute(
        "UPDATE appointments SET reminded_at = $2 WHERE id = ANY($1::uuid[])", ids, at
    )


async def mark_no_shows(conn: Connection, before: datetime, at: datetime) -> list[AppointmentRow]:
    """Bookings whose slot ended before ``before`` with nobody arrived: no-shows now."""
    rows = await conn.fetch(
        f"""UPDATE appointments a SET status = 'no_show', no_show_at = $2
             WHERE a.id IN (SELECT a.id FROM appointments a
                             WHERE a.status = 'booked' AND a.day <= $3 AND {_ENDS} < $1
                             FOR UPDATE SKIP LOCKED)
         RETURNING {_APPOINTMENT}""",
        before,
        at,
        china_date(before),
    )
    return many(AppointmentRow, rows)


async def of_hall_day(conn: Connection, hall_code: str, day: date) -> list[AppointmentRow]:
    rows = await conn.fetch(
        f"""SELECT {_APPOINTMENT} FROM appointments a
             WHERE a.hall_code = $1 AND a.day = $2 AND a.status <> 'cancelled'
             ORDER BY a.starts_at, a.booked_at""",
        hall_code,
        day,
    )
    return many(AppointmentRow, rows)


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """``source``'s bookings become ``target``'s; a slot both hold keeps ``target``'s booking
    and gives ``source``'s place back."""
    doubled = await conn.fetch(
        """UPDATE appointments s SET status = 'cancelled', cancelled_at = now()
             FROM appointments t
            WHERE s.citizen_id = $1 AND s.status = 'booked' AND t.citizen_id = $2
              AND t.status = 'booked' AND (t.hall_code, t.item_code, t.day, t.starts_at)
                  = (s.hall_code, s.item_code, s.day, s.starts_at)
        RETURNING s.hall_code, s.item_code, s.day, s.starts_at""",
        source,
        target,
    )
    for r in doubled:
        await release_place(conn, r["hall_code"], r["item_code"], r["day"], r["starts_at"])
    moved = await conn.execute(
        "UPDATE appointments SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    return {"appointments": int(moved.split()[-1])}


class HallFiguresRow(msgspec.Struct, frozen=True, kw_only=True):
    hall_code: str
    hall_name: str
    region_name: str
    bookings: int
    cancelled: int
    pending: int
    arrived: int
    completed: int
    no_shows: int


async def figures(conn: Connection, start: date, end: date) -> list[HallFiguresRow]:
    """Every hall with its bookings of the days ``start`` to ``end`` (China business days, both
    included) by what became of them; a hall nobody booked is there with zeros."""
    rows = await conn.fetch(
        """SELECT h.code AS hall_code, h.name AS hall_name,
                  coalesce(h.data->>'regionName', '') AS region_name,
                  count(a.id) FILTER (WHERE a.status <> 'cancelled')::int AS bookings,
                  count(a.id) FILTER (WHERE a.status = 'cancelled')::int AS cancelled,
                  count(a.id) FILTER (WHERE a.status = 'booked')::int AS pending,
                  count(a.id) FILTER (WHERE a.status = 'arrived')::int AS arrived,
                  count(a.id) FILTER (WHERE a.status = 'completed')::int AS completed,
                  count(a.id) FILTER (WHERE a.status = 'no_show')::int AS no_shows
             FROM halls h
             LEFT JOIN appointments a ON a.hall_code = h.code AND a.day BETWEEN $1 AND $2
            GROUP BY h.code
            ORDER BY h.region_code, h.code""",
        start,
        end,
    )
    return many(HallFiguresRow, rows)
