"""Notices to many citizens: drafts, approval, the fan-out cursor and batches, tags, figures."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import msgspec

from core.db import Connection, many, one


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
    urgent: bool
    sms_recipients: int | None
    sms_parts: int | None
    sms_price_fen: int | None
    sms_cost_fen: int | None
    wechat_quota_misses: int


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
    urgent: bool,
) -> None:
    await conn.execute(
        """INSERT INTO notices (id, title, body, link, audience, channels, created_by, send_at,
               urgent)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        notice_id,
        title,
        body,
        link,
        audience,
        channels,
        created_by,
        send_at,
        urgent,
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


class SmsFigures(msgspec.Struct, frozen=True, kw_only=True):
    recipients: int
    parts: int
    price_fen: int
    cost_fen: int


async def approve_notice(
    conn: Connection,
    notice_id: uuid.UUID,
    staff_id: uuid.UUID,
    targeted: int,
    sms: SmsFigures | None,
) -> None:
    """Approved, with the SMS figures the approver confirmed (None: no SMS)."""
    await conn.execute(
        """UPDATE notices SET status = 'approved', approved_by = $2, approved_at = now(),
               targeted = $3, sms_recipients = $4, sms_parts = $5, sms_price_fen = $6,
               sms_cost_fen = $7
            WHERE id = $1""",
        notice_id,
        staff_id,
        targeted,
        sms.recipients if sms else None,
        sms.parts if sms else None,
        sms.price_fen if sms else None,
        sms.cost_fen if sms else None,
    )


async def sms_switched_off(conn: Connection) -> list[uuid.UUID]:
    """Citizens who switched SMS off (push's own preferences; every channel is on unless)."""
    rows = await conn.fetch("SELECT citizen_id FROM push_preferences WHERE NOT sms")
    return [r["citizen_id"] for r in rows]


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


class QueuedBatch(msgspec.Struct, frozen=True, kw_only=True):
    """The deliveries one batch queued, per channel (message ids)."""

    wechat: list[uuid.UUID]
    app: list[uuid.UUID]
    sms: list[uuid.UUID]


async def write_notice_batch(
    conn: Connection,
    notice: NoticeRow,
    citizen_ids: Sequence[uuid.UUID],
    wechat: Sequence[tuple[uuid.UUID, str]],
    wechat_template: str | None,
    *,
    app: bool = False,
    sms: Sequence[uuid.UUID] = (),
) -> QueuedBatch:
    """Inbox messages of ``notice`` for ``citizen_ids``, and a queued delivery on each other
    channel the citizen allows (push_preferences; every channel unless switched off):
    WeChat for those whose openid (``wechat``: citizen, openid pairs) holds a grant of
    ``wechat_template`` (None: no WeChat) — the others with an openid are counted as quota
    misses; the app (``app``) for those with a registered device; SMS for ``sms`` (citizens
    with a phone; empty: no SMS). Set-based: one statement per batch.

    The messages name the notice and carry no text of their own (it is read from the notice:
    a notice to a million citizens writes its text once, not a million times). Their ids are
    time-ordered (UUIDv7): a batch's messages and deliveries go to the right-hand end of their
    primary keys, and the channel batches that look them up and record their outcomes touch a
    few index pages instead of one per message (random ids: 34.8 µs of database time per
    recorded outcome, time-ordered: 25.7, measured in isolation at 200,000 recipients)."""
    row = await conn.fetchrow(
        """WITH written AS (
                INSERT INTO inbox_messages (id, citizen_id, event_type, notice_id, dedupe_key)
                SELECT uuidv7(), b.id, 'notice', $2, $3
                  FROM unnest($1::uuid[]) AS b (id)
                ON CONFLICT (citizen_id, dedupe_key) DO NOTHING
                RETURNING id, citizen_id),
            allowed AS (
                SELECT w.id, w.citizen_id, COALESCE(p.wechat, true) AS wechat_ok,
                       COALESCE(p.app, true) AS app_ok, COALESCE(p.sms, true) AS sms_ok
                  FROM written w LEFT JOIN push_preferences p ON p.citizen_id = w.citizen_id),
            wechat_reach AS (
                SELECT a.id, bool_or(s.openid IS NOT NULL) AS granted
                  FROM allowed a
                  JOIN unnest($4::uuid[], $5::text[]) AS ad (citizen_id, openid)
                    ON ad.citizen_id = a.citizen_id
                  LEFT JOIN wechat_subscriptions s
                    ON s.openid = ad.openid AND s.template_id = $6::text
                   AND (s.long_term OR s.quota > 0)
                 WHERE $6::text IS NOT NULL AND a.wechat_ok
                 GROUP BY a.id),
            queued AS (
                INSERT INTO push_deliveries (message_id, channel)
                SELECT id, 'wechat' FROM wechat_reach WHERE granted
                UNION ALL
                SELECT a.id, 'app' FROM allowed a
                 WHERE $7::boolean AND a.app_ok
                   AND EXISTS (SELECT 1 FROM push_devices d WHERE d.citizen_id = a.citizen_id)
                UNION ALL
                SELECT a.id, 'sms' FROM allowed a
                 WHERE a.sms_ok AND a.citizen_id = ANY($8::uuid[])
                ON CONFLICT DO NOTHING RETURNING message_id, channel),
            counted AS (
                UPDATE notices
                   SET sent = sent + (SELECT count(*) FROM written),
                       wechat_quota_misses = wechat_quota_misses
                           + (SELECT count(*) FROM wechat_reach WHERE NOT granted)
                 WHERE id = $2)
            SELECT
                coalesce((SELECT array_agg(message_id) FROM queued WHERE channel = 'wechat'),
                         '{}') AS wechat,
                coalesce((SELECT array_agg(message_id) FROM queued WHERE channel = 'app'),
                         '{}') AS app,
                coalesce((SELECT array_agg(message_id) FROM queued WHERE channel = 'sms'),
                         '{}') AS sms""",
        list(citizen_ids),
        notice.id,
        f"notice:{notice.id}",
        [c for c, _ in wechat],
        [o for _, o in wechat],
        wechat_template,
        app,
        list(sms),
    )
    assert row is not None
    return QueuedBatch(wechat=list(row["wechat"]), app=list(row["app"]), sms=list(row["sms"]))


async def notice_reads(conn: Connection, notice_id: uuid.UUID) -> int:
    """How many recipients opened it (counted in the notices' own inbox index)."""
    return int(
        await conn.fetchval(
            """SELECT count(*) FROM inbox_messages
                WHERE notice_id = $1 AND read_at IS NOT NULL""",
            notice_id,
        )
    )


class ChannelCount(msgspec.Struct, frozen=True, kw_only=True):
    channel: str
    status: str
    # Skipped or refused (43101) for want of a WeChat grant.
    no_quota: bool
    n: int


async def notice_channel_counts(conn: Connection, notice_id: uuid.UUID) -> list[ChannelCount]:
    """The notice's deliveries counted per channel and status (in the notices' inbox index)."""
    return many(
        ChannelCount,
        await conn.fetch(
            """SELECT d.channel, d.status,
                      COALESCE(d.reason = 'no_quota' OR starts_with(d.reason, '43101'), false)
                          AS no_quota,
                      count(*) AS n
                 FROM push_deliveries d JOIN inbox_messages m ON m.id = d.message_id
                WHERE m.notice_id = $1
                GROUP BY 1, 2, 3""",
            notice_id,
        ),
    )


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


# --- reach per day (the service figures' rollup asks for it) ----------------------------------


class ReachRow(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    channel: str
    sent: int
    delivered: int
    read: int
    failed: int
    quota_misses: int


async def reach_by_day(conn: Connection, since: datetime) -> list[ReachRow]:
    """Every message written since ``since`` (by its China day): the inbox (written, read) and
    each other channel's deliveries (sent incl. delivered, delivered, failed, and WeChat's
    missing grants: skipped or refused with 43101), plus the recipients notices' batches found
    without a grant (counted on the notice, on its approval day)."""
    return many(
        ReachRow,
        await conn.fetch(
            """WITH messages AS (
                   SELECT id, read_at, (created_at AT TIME ZONE 'Asia/Shanghai')::date AS day
                     FROM inbox_messages WHERE created_at >= $1),
               parts AS (
                   SELECT day, 'inbox' AS channel, count(*) AS sent, 0 AS delivered,
                          count(read_at) AS read, 0 AS failed, 0 AS quota_misses
                     FROM messages GROUP BY day
                   UNION ALL
                   SELECT m.day, d.channel,
                          count(*) FILTER (WHERE d.status IN ('sent', 'delivered')),
                          count(*) FILTER (WHERE d.status = 'delivered'), 0,
                          count(*) FILTER (WHERE d.status = 'failed'
                                             AND NOT starts_with(coalesce(d.reason, ''), '43101')),
                          count(*) FILTER (WHERE d.reason = 'no_quota'
                                             OR starts_with(d.reason, '43101'))
                     FROM push_deliveries d JOIN messages m ON m.id = d.message_id
                    GROUP BY m.day, d.channel
                   UNION ALL
                   SELECT (approved_at AT TIME ZONE 'Asia/Shanghai')::date, 'wechat', 0, 0, 0, 0,
                          sum(wechat_quota_misses)
                     FROM notices WHERE approved_at >= $1 AND wechat_quota_misses > 0
                    GROUP BY 1)
               SELECT day, channel, sum(sent)::integer AS sent,
                      sum(delivered)::integer AS delivered, sum(read)::integer AS read,
                      sum(failed)::integer AS failed, sum(quota_misses)::integer AS quota_misses
                 FROM parts GROUP BY day, channel""",
            since,
        ),
    )
