"""The staff inbox (站内消息 of the ops console, migration 0029)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, many


class StaffMessageRow(msgspec.Struct, frozen=True, kw_only=True):
    total: int
    unread: int
    id: uuid.UUID
    event_type: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


async def insert(
    conn: Connection,
    *,
    staff_id: uuid.UUID,
    event_type: str,
    title: str,
    body: str,
    link: str | None,
    dedupe_key: str,
) -> uuid.UUID | None:
    """The new message's id, or None when ``dedupe_key`` was seen before for this staff."""
    inserted: uuid.UUID | None = await conn.fetchval(
        """INSERT INTO staff_messages (id, staff_id, event_type, title, body, link, dedupe_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (staff_id, dedupe_key) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        staff_id,
        event_type,
        title,
        body,
        link,
        dedupe_key,
    )
    return inserted


async def page(
    conn: Connection, staff_id: uuid.UUID, limit: int, offset: int
) -> list[StaffMessageRow]:
    return many(
        StaffMessageRow,
        await conn.fetch(
            """SELECT count(*) OVER () AS total,
                      count(*) FILTER (WHERE read_at IS NULL) OVER () AS unread,
                      id, event_type, title, body, link, created_at, read_at
                 FROM staff_messages WHERE staff_id = $1
                ORDER BY created_at DESC, id LIMIT $2 OFFSET $3""",
            staff_id,
            limit,
            offset,
        ),
    )


async def mark_read(conn: Connection, staff_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    status = await conn.execute(
        """UPDATE staff_messages SET read_at = coalesce(read_at, now())
            WHERE id = $1 AND staff_id = $2""",
        message_id,
        staff_id,
    )
    return status != "UPDATE 0"
