"""All SQL of push."""

from __future__ import annotations

import uuid

import asyncpg

from core.db import Connection


async def insert_message(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    event_type: str,
    title: str,
    body: str,
    link: str | None,
    dedupe_key: str,
) -> bool:
    inserted = await conn.fetchval(
        """INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, link, dedupe_key)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (citizen_id, dedupe_key) DO NOTHING RETURNING true""",
        uuid.uuid4(),
        citizen_id,
        event_type,
        title,
        body,
        link,
        dedupe_key,
    )
    return bool(inserted)


async def list_messages(
    conn: Connection, citizen_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[asyncpg.Record], int, int]:
    rows = await conn.fetch(
        """SELECT id, event_type, title, body, link, created_at, read_at
             FROM inbox_messages WHERE citizen_id = $1
            ORDER BY created_at DESC, id LIMIT $2 OFFSET $3""",
        citizen_id,
        limit,
        offset,
    )
    counts = await conn.fetchrow(
        """SELECT count(*) AS total, count(*) FILTER (WHERE read_at IS NULL) AS unread
             FROM inbox_messages WHERE citizen_id = $1""",
        citizen_id,
    )
    assert counts is not None
    return list(rows), counts["total"], counts["unread"]


async def mark_read(conn: Connection, citizen_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    row = await conn.fetchval(
        """UPDATE inbox_messages SET read_at = COALESCE(read_at, now())
           WHERE id = $1 AND citizen_id = $2 RETURNING true""",
        message_id,
        citizen_id,
    )
    return bool(row)
