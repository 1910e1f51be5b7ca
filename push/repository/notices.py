"""Notices to many citizens: drafts, approval, the fan-out cursor and batches, tags, figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from core.db import Connection, one


class NoticeRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    title: str
    body: str
    link: str | None
    audience: dict[str, Any]
    channels: list[str]
    status: str
    created_by: uuid.UUID
    approved_by: uuid.UUID | None
    send_at: datetime | None
    targeted: int | None
    cursor: uuid.UUID | None
    created_at: datetime
    approved_at: datetime | None
    finished_at: datetime | None
    sent: int


_NOTICE_COLUMNS = ", ".join(NoticeRow.__struct_fields__)


async def insert_notice(
    conn: Connection,
    *,
    notice_id: uuid.UUID,
    title: str,
    body: str,
    link: str | None,
    audience: dict[str, object],
    channels: list[str],
    created_by: uuid.UUID,
    send_at: object,
) -> None:
    await conn.execute(
        """INSERT INTO notices (id, title, body, link, audience, channels, created_by, send_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)""",
        notice_id,
        title,
        body,
        link,
        audience,
        channels,
        created_by,
        send_at,
    )


async def notice(conn: Connection, notice_id: uuid.UUID, *, lock: bool = False) -> NoticeRow | None:
    return one(
        NoticeRow,
        await conn.fetchrow(
            f"SELECT {_NOTICE_COLUMNS} FROM notices WHERE id = $1"
            + (" FOR UPDATE" if lock else ""),
            notice_id,
        ),
    )


async def notice_ids(conn: Connection, limit: int) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT id FROM notices ORDER BY created_at DESC LIMIT $1", limit)
    return [r["id"] for r in rows]


async def tagged(conn: Connection, tag: str, *, after: uuid.UUID, limit: int) -> list[uuid.UUID]:
    """Up to ``limit`` citizens with ``tag`` whose ids follow ``after``, in id order."""
    rows = await conn.fetch(
        """SELECT citizen_id FROM citizen_tags WHERE tag = $1 AND citizen_id > $2
            ORDER BY citizen_id LIMIT $3""",
        tag,
        after,
        limit,
    )
    return [r["citizen_id"] for r in rows]


async def approve_notice(
    conn: Connection, notice_id: uuid.UUID, staff_id: uuid.UUID, targeted: int
) -> None:
    await conn.execute(
        """UPDATE notices SET status = 'approved', approved_by = $2, approved_at = now(),
               targeted = $3 WHERE id = $1""",
        notice_id,
        staff_id,
        targeted,
    )


async def set_notice_status(conn: Connection, notice_id: uuid.UUID, status: str) -> None:
    await conn.execute(
        """UPDATE notices SET status = $2,
               finished_at = CASE WHEN $2 = 'sent' THEN now() ELSE finished_at END
           WHERE id = $1""",
        notice_id,
        status,
    )


async def advance_notice(conn: Connection, notice_id: uuid.UUID, cursor: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE notices SET status = 'sending', cursor = $2 WHERE id = $1", notice_id, cursor
    )


async def write_notice_batch(
    conn: Connection,
    notice: NoticeRow,
    citizen_ids: Sequence[uuid.UUID],
    wechat: Sequence[tuple[uuid.UUID, str]],
    wechat_template: str | None,
) -> list[uuid.UUID]:
    """Inbox messages of ``notice`` for ``citizen_ids``, and a queued WeChat delivery for those
    whose openid (``wechat``: citizen, openid pairs) holds a grant of ``wechat_template`` (None:
    inbox only) and who did not switch WeChat off. Returns the messages queued for WeChat.
    Set-based: one statement per batch."""
    queued = await conn.fetchval(
        """WITH written AS (
                INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, link,
                    dedupe_key, params)
                SELECT gen_random_uuid(), b.id, 'notice', $2, $3, $4, $5, '{}'::jsonb
                  FROM unnest($1::uuid[]) AS b (id)
                ON CONFLICT (citizen_id, dedupe_key) DO NOTHING
                RETURNING id, citizen_id),
            addresses AS (
                SELECT * FROM unnest($6::uuid[], $7::text[]) AS a (citizen_id, openid)),
            queued AS (
                INSERT INTO push_deliveries (message_id, channel)
                SELECT w.id, 'wechat' FROM written w
                 WHERE $8::text IS NOT NULL AND EXISTS (
                       SELECT 1 FROM addresses a
                         JOIN wechat_subscriptions s ON s.openid = a.openid
                        WHERE a.citizen_id = w.citizen_id AND s.template_id = $8::text
                          AND (s.long_term OR s.quota > 0))
                   AND COALESCE((SELECT p.wechat FROM push_preferences p
                                  WHERE p.citizen_id = w.citizen_id), true)
                ON CONFLICT DO NOTHING RETURNING message_id),
            counted AS (
                UPDATE notices SET sent = sent + (SELECT count(*) FROM written)
                 WHERE id = $9)
            SELECT coalesce(array_agg(message_id), '{}') FROM queued""",
        list(citizen_ids),
        notice.title,
        notice.body,
        notice.link,
        f"notice:{notice.id}",
        [c for c, _ in wechat],
        [o for _, o in wechat],
        wechat_template,
        notice.id,
    )
    return list(queued)


async def notice_reads(conn: Connection, notice_id: uuid.UUID) -> int:
    """How many recipients opened it (counted in the notices' own inbox index)."""
    return int(
        await conn.fetchval(
            """SELECT count(*) FROM inbox_messages
                WHERE event_type = 'notice' AND dedupe_key = $1 AND read_at IS NOT NULL""",
            f"notice:{notice_id}",
        )
    )


async def notice_channel_figures(
    conn: Connection, notice_id: uuid.UUID
) -> dict[str, dict[str, int]]:
    rows = await conn.fetch(
        """SELECT d.channel, d.status, count(*) AS n
             FROM push_deliveries d JOIN inbox_messages m ON m.id = d.message_id
            WHERE m.event_type = 'notice' AND m.dedupe_key = $1
            GROUP BY d.channel, d.status""",
        f"notice:{notice_id}",
    )
    figures: dict[str, dict[str, int]] = {}
    for r in rows:
        figures.setdefault(r["channel"], {})[r["status"]] = r["n"]
    return figures


async def tag_citizens(
    conn: Connection, tag: str, citizen_ids: Sequence[uuid.UUID], staff_id: uuid.UUID
) -> int:
    """Tag these citizens (accounts that exist); returns how many were newly tagged."""
    result = await conn.execute(
        """INSERT INTO citizen_tags (citizen_id, tag, tagged_by)
           SELECT c.id, $1, $3 FROM unnest($2::uuid[]) AS c (id)
           ON CONFLICT DO NOTHING""",
        tag,
        list(citizen_ids),
        staff_id,
    )
    return int(result.split()[-1])
