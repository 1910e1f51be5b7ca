"""All SQL of delivery: the address book, each declaration's delivery, its timeline and the
courier's callbacks (an inbox).

Only this domain's tables (citizen_addresses, result_deliveries, delivery_events,
postal_callbacks): declarations, items and halls come through their domains' services
(tests/test_table_ownership.py checks). Personal data arrives and leaves encrypted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import msgspec

from core.db import Connection, columns, many, one


class AddressRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    recipient_enc: bytes
    phone_enc: bytes
    detail_enc: bytes
    region_code: str
    region_name: str
    postcode: str | None
    label: str
    is_default: bool
    created_at: datetime


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    declaration_id: uuid.UUID
    citizen_id: uuid.UUID
    item_code: str
    item_name: str
    method: str
    hall_code: str | None
    address_id: uuid.UUID | None
    recipient_enc: bytes | None
    phone_enc: bytes | None
    detail_enc: bytes | None
    region_code: str | None
    region_name: str | None
    postcode: str | None
    fee_fen: int
    choice_version: int
    registered_version: int
    case_number: str | None
    registration: str
    refusal: str | None
    status: str
    waybill_number: str | None
    carrier: str | None
    postal_version: int
    updated_at: datetime


class EventRow(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    text: str
    location: str
    occurred_at: datetime


class CallbackRow(msgspec.Struct, frozen=True, kw_only=True):
    event_id: str
    sequence: int
    body: dict[str, Any]


_ADDRESS = f"SELECT {columns(AddressRow)} FROM citizen_addresses"
_DELIVERY = f"SELECT {columns(DeliveryRow)} FROM result_deliveries"


# --- the address book ----------------------------------------------------------------------


async def lock_book(conn: Connection, citizen_id: uuid.UUID) -> None:
    """Serialise changes to one citizen's book (the limit and the one default hold under
    concurrent requests)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 40))", str(citizen_id))


async def addresses(conn: Connection, citizen_id: uuid.UUID) -> list[AddressRow]:
    return many(
        AddressRow,
        await conn.fetch(
            _ADDRESS + " WHERE citizen_id = $1 ORDER BY is_default DESC, created_at, id",
            citizen_id,
        ),
    )


async def address(conn: Connection, address_id: uuid.UUID) -> AddressRow | None:
    return one(AddressRow, await conn.fetchrow(_ADDRESS + " WHERE id = $1", address_id))


async def count_addresses(conn: Connection, citizen_id: uuid.UUID) -> int:
    return int(
        await conn.fetchval(
            "SELECT count(*) FROM citizen_addresses WHERE citizen_id = $1", citizen_id
        )
    )


async def clear_default(conn: Connection, citizen_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE citizen_addresses SET is_default = false WHERE citizen_id = $1 AND is_default",
        citizen_id,
    )


async def insert_address(conn: Connection, **fields: Any) -> None:
    names = list(fields)
    await conn.execute(
        f"INSERT INTO citizen_addresses ({', '.join(names)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(names) + 1))})",
        *fields.values(),
    )


async def update_address(conn: Connection, address_id: uuid.UUID, **fields: Any) -> None:
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
    await conn.execute(
        f"UPDATE citizen_addresses SET {sets}, updated_at = now() WHERE id = $1",
        address_id,
        *fields.values(),
    )


async def delete_address(conn: Connection, address_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM citizen_addresses WHERE id = $1", address_id)


# --- deliveries ----------------------------------------------------------------------------

_UPDATABLE = frozenset(
    {
        "method",
        "hall_code",
        "address_id",
        "recipient_enc",
        "phone_enc",
        "detail_enc",
        "region_code",
        "region_name",
        "postcode",
        "fee_fen",
        "choice_version",
        "registered_version",
        "case_number",
        "registration",
        "refusal",
        "status",
        "waybill_number",
        "carrier",
        "postal_version",
    }
)


async def delivery(
    conn: Connection, declaration_id: uuid.UUID, *, lock: bool = False
) -> DeliveryRow | None:
    sql = _DELIVERY + " WHERE declaration_id = $1" + (" FOR UPDATE" if lock else "")
    return one(DeliveryRow, await conn.fetchrow(sql, declaration_id))


async def deliveries_of(
    conn: Connection, citizen_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[DeliveryRow], int]:
    rows = many(
        DeliveryRow,
        await conn.fetch(
            _DELIVERY + " WHERE citizen_id = $1 ORDER BY updated_at DESC, declaration_id"
            " LIMIT $2 OFFSET $3",
            citizen_id,
            limit,
            offset,
        ),
    )
    total = int(
        await conn.fetchval(
            "SELECT count(*) FROM result_deliveries WHERE citizen_id = $1", citizen_id
        )
    )
    return rows, total


async def insert_delivery(conn: Connection, **fields: Any) -> None:
    names = list(fields)
    await conn.execute(
        f"INSERT INTO result_deliveries ({', '.join(names)}) VALUES "
        f"({', '.join(f'${i}' for i in range(1, len(names) + 1))})",
        *fields.values(),
    )


async def update_delivery(conn: Connection, declaration_id: uuid.UUID, **fields: Any) -> None:
    unknown = set(fields) - _UPDATABLE
    assert not unknown, f"not updatable: {unknown}"
    sets = ", ".join(f"{name} = ${i}" for i, name in enumerate(fields, start=2))
    await conn.execute(
        f"UPDATE result_deliveries SET {sets}, updated_at = now() WHERE declaration_id = $1",
        declaration_id,
        *fields.values(),
    )


async def add_event(
    conn: Connection,
    declaration_id: uuid.UUID,
    kind: str,
    occurred_at: datetime,
    *,
    text: str = "",
    location: str = "",
) -> None:
    await conn.execute(
        "INSERT INTO delivery_events (declaration_id, kind, text, location, occurred_at)"
        " VALUES ($1, $2, $3, $4, $5)",
        declaration_id,
        kind,
        text,
        location,
        occurred_at,
    )


async def events_of(conn: Connection, declaration_id: uuid.UUID) -> list[EventRow]:
    return many(
        EventRow,
        await conn.fetch(
            f"SELECT {columns(EventRow)} FROM delivery_events WHERE declaration_id = $1"
            " ORDER BY id",
            declaration_id,
        ),
    )


# --- the courier's callbacks (an inbox) ----------------------------------------------------


async def store_callback(
    conn: Connection, event_id: str, declaration_id: uuid.UUID, sequence: int, body: dict[str, Any]
) -> bool:
    """Keep a callback once; False when its event id was stored before (a duplicate)."""
    stored = await conn.fetchval(
        "INSERT INTO postal_callbacks (event_id, declaration_id, sequence, body)"
        " VALUES ($1, $2, $3, $4) ON CONFLICT (event_id) DO NOTHING RETURNING true",
        event_id,
        declaration_id,
        sequence,
        body,
    )
    return bool(stored)


async def pending_callbacks(conn: Connection, declaration_id: uuid.UUID) -> list[CallbackRow]:
    return many(
        CallbackRow,
        await conn.fetch(
            "SELECT event_id, sequence, body FROM postal_callbacks"
            " WHERE declaration_id = $1 AND processed_at IS NULL ORDER BY sequence, received_at",
            declaration_id,
        ),
    )


async def mark_callback(conn: Connection, event_id: str, outcome: str) -> None:
    await conn.execute(
        "UPDATE postal_callbacks SET processed_at = now(), outcome = $2 WHERE event_id = $1",
        event_id,
        outcome,
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    # The target's default stays the default: the source's entries join as ordinary ones.
    has_default = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM citizen_addresses WHERE citizen_id = $1 AND is_default)",
        target,
    )
    if has_default:
        await clear_default(conn, source)
    moved = await conn.execute(
        "UPDATE citizen_addresses SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    deliveries = await conn.execute(
        "UPDATE result_deliveries SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    return {
        "citizen_addresses": int(moved.split()[-1]),
        "result_deliveries": int(deliveries.split()[-1]),
    }
