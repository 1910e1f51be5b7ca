"""All SQL of push, over push's own tables only (citizens are identity's: push asks
``push.service.recipients.Recipients`` about them). Rows come back as msgspec Structs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from core.db import Connection, many, one
from push.events import EventType, MessageType


class _Row(msgspec.Struct, frozen=True, kw_only=True):
    pass


class MessageRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    event_type: MessageType
    title: str
    body: str
    link: str | None
    params: dict[str, str]
    created_at: datetime


class InboxRow(_Row, frozen=True, kw_only=True):
    id: uuid.UUID
    event_type: MessageType
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class Allowed(_Row, frozen=True, kw_only=True):
    """What a citizen allowed (every channel unless switched off) and whether they have an
    app installation to push to."""

    wechat_ok: bool
    app_ok: bool
    sms_ok: bool
    has_device: bool


class DeliveryRow(_Row, frozen=True, kw_only=True):
    status: str
    attempts: int
    citizen_id: uuid.UUID
    event_type: MessageType
    title: str
    body: str
    link: str | None
    params: dict[str, str]
    created_at: datetime


class QuotaRow(_Row, frozen=True, kw_only=True):
    template_id: str
    quota: int
    long_term: bool


class PreferencesRow(_Row, frozen=True, kw_only=True):
    wechat: bool
    app: bool
    sms: bool


class SentRow(_Row, frozen=True, kw_only=True):
    message_id: uuid.UUID
    provider_id: str


class NoticeRow(_Row, frozen=True, kw_only=True):
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


async def insert_message(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    event_type: EventType,
    title: str,
    body: str,
    link: str | None,
    dedupe_key: str,
    params: dict[str, str],
) -> uuid.UUID | None:
    """The new message's id, or None when ``dedupe_key`` was seen before."""
    inserted: uuid.UUID | None = await conn.fetchval(
        """INSERT INTO inbox_messages (id, citizen_id, event_type, title, body, link, dedupe_key,
               params) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (citizen_id, dedupe_key) DO NOTHING RETURNING id""",
        uuid.uuid4(),
        citizen_id,
        event_type,
        title,
        body,
        link,
        dedupe_key,
        params,
    )
    return inserted


async def message(conn: Connection, message_id: uuid.UUID) -> MessageRow | None:
    return one(
        MessageRow,
        await conn.fetchrow(
            """SELECT id, citizen_id, event_type, title, body, link, params, created_at
                 FROM inbox_messages WHERE id = $1""",
            message_id,
        ),
    )


async def list_messages(
    conn: Connection, citizen_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[InboxRow], int, int]:
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
    return many(InboxRow, rows), counts["total"], counts["unread"]


async def mark_read(conn: Connection, citizen_id: uuid.UUID, message_id: uuid.UUID) -> bool:
    row = await conn.fetchval(
        """UPDATE inbox_messages SET read_at = COALESCE(read_at, now())
           WHERE id = $1 AND citizen_id = $2 RETURNING true""",
        message_id,
        citizen_id,
    )
    return bool(row)


# --- channels ----------------------------------------------------------------------------------


async def allowed(conn: Connection, citizen_id: uuid.UUID) -> Allowed:
    """What a citizen allowed (defaults: every channel), and whether they have a device."""
    row = one(
        Allowed,
        await conn.fetchrow(
            """SELECT COALESCE(p.wechat, true) AS wechat_ok, COALESCE(p.app, true) AS app_ok,
                      COALESCE(p.sms, true) AS sms_ok,
                      EXISTS (SELECT 1 FROM push_devices d WHERE d.citizen_id = c.id)
                          AS has_device
                 FROM (SELECT $1::uuid AS id) c
                 LEFT JOIN push_preferences p ON p.citizen_id = c.id""",
            citizen_id,
        ),
    )
    assert row is not None
    return row


async def queue_delivery(conn: Connection, message_id: uuid.UUID, channel: str) -> bool:
    return bool(
        await conn.fetchval(
            """INSERT INTO push_deliveries (message_id, channel) VALUES ($1, $2)
               ON CONFLICT DO NOTHING RETURNING true""",
            message_id,
            channel,
        )
    )


async def delivery(conn: Connection, message_id: uuid.UUID, channel: str) -> DeliveryRow | None:
    return one(
        DeliveryRow,
        await conn.fetchrow(
            """SELECT d.status, d.attempts, m.citizen_id, m.event_type, m.title, m.body, m.link,
                      m.params, m.created_at
                 FROM push_deliveries d JOIN inbox_messages m ON m.id = d.message_id
                WHERE d.message_id = $1 AND d.channel = $2 FOR UPDATE OF d""",
            message_id,
            channel,
        ),
    )


async def record_delivery(
    conn: Connection,
    message_id: uuid.UUID,
    channel: str,
    status: str,
    reason: str | None = None,
    provider_id: str | None = None,
) -> None:
    await conn.execute(
        """UPDATE push_deliveries SET status = $3, reason = $4,
               provider_id = COALESCE($5, provider_id), attempts = attempts + 1, updated_at = now()
           WHERE message_id = $1 AND channel = $2""",
        message_id,
        channel,
        status,
        reason,
        provider_id,
    )


async def has_quota(conn: Connection, openid: str, template_id: str) -> bool:
    """Locks the grant until the caller's transaction ends: concurrent sends to one citizen
    take turns, so the last unit of quota is never spent twice (a second try would be 43101)."""
    return bool(
        await conn.fetchval(
            """SELECT long_term OR quota > 0 FROM wechat_subscriptions
                WHERE openid = $1 AND template_id = $2 FOR UPDATE""",
            openid,
            template_id,
        )
    )


async def debit_quota(conn: Connection, openid: str, template_id: str) -> None:
    await conn.execute(
        """UPDATE wechat_subscriptions SET quota = GREATEST(quota - 1, 0), updated_at = now()
           WHERE openid = $1 AND template_id = $2 AND NOT long_term""",
        openid,
        template_id,
    )


async def zero_quota(conn: Connection, openid: str, template_id: str) -> None:
    await conn.execute(
        """UPDATE wechat_subscriptions SET quota = 0, long_term = false, updated_at = now()
           WHERE openid = $1 AND template_id = $2""",
        openid,
        template_id,
    )


async def credit_quota(conn: Connection, openid: str, template_id: str, long_term: bool) -> None:
    await conn.execute(
        """INSERT INTO wechat_subscriptions (openid, template_id, quota, long_term)
           VALUES ($1, $2, 1, $3)
           ON CONFLICT (openid, template_id) DO UPDATE SET quota = wechat_subscriptions.quota + 1,
               long_term = wechat_subscriptions.long_term OR EXCLUDED.long_term,
               updated_at = now()""",
        openid,
        template_id,
        long_term,
    )


async def quotas(conn: Connection, openid: str) -> list[QuotaRow]:
    return many(
        QuotaRow,
        await conn.fetch(
            "SELECT template_id, quota, long_term FROM wechat_subscriptions WHERE openid = $1",
            openid,
        ),
    )


async def store_push_event(
    conn: Connection, digest: bytes, openid: str, event: str, body: dict[str, object]
) -> bool:
    return bool(
        await conn.fetchval(
            """INSERT INTO wechat_push_events (digest, openid, event, body) VALUES ($1, $2, $3, $4)
               ON CONFLICT DO NOTHING RETURNING true""",
            digest,
            openid,
            event,
            body,
        )
    )


# --- notices ------------------------------------------------------------------------------------


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


# --- devices and preferences --------------------------------------------------------------------


async def register_device(
    conn: Connection, registration_id: str, citizen_id: uuid.UUID, platform: str
) -> None:
    # A device that changes hands follows its latest signed-in citizen.
    await conn.execute(
        """INSERT INTO push_devices (registration_id, citizen_id, platform) VALUES ($1, $2, $3)
           ON CONFLICT (registration_id) DO UPDATE SET citizen_id = EXCLUDED.citizen_id,
               platform = EXCLUDED.platform, updated_at = now()""",
        registration_id,
        citizen_id,
        platform,
    )


async def devices_of(conn: Connection, citizen_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT registration_id FROM push_devices WHERE citizen_id = $1 ORDER BY updated_at DESC",
        citizen_id,
    )
    return [r["registration_id"] for r in rows]


async def preferences(conn: Connection, citizen_id: uuid.UUID) -> PreferencesRow:
    row = await conn.fetchrow(
        """SELECT COALESCE(p.wechat, true) AS wechat, COALESCE(p.app, true) AS app,
                  COALESCE(p.sms, true) AS sms
             FROM (SELECT $1::uuid AS id) c LEFT JOIN push_preferences p ON p.citizen_id = c.id""",
        citizen_id,
    )
    assert row is not None
    return PreferencesRow(**row)


async def set_preferences(
    conn: Connection, citizen_id: uuid.UUID, wechat: bool, app: bool, sms: bool
) -> None:
    await conn.execute(
        """INSERT INTO push_preferences (citizen_id, wechat, app, sms) VALUES ($1, $2, $3, $4)
           ON CONFLICT (citizen_id) DO UPDATE SET wechat = EXCLUDED.wechat, app = EXCLUDED.app,
               sms = EXCLUDED.sms, updated_at = now()""",
        citizen_id,
        wechat,
        app,
        sms,
    )


async def awaiting_receipt(conn: Connection, channel: str, limit: int) -> list[SentRow]:
    """Sent in the last day and not yet confirmed: the ones worth asking the provider about."""
    return many(
        SentRow,
        await conn.fetch(
            """SELECT message_id, provider_id FROM push_deliveries
                WHERE channel = $1 AND status = 'sent' AND provider_id IS NOT NULL
                  AND updated_at > now() - interval '1 day'
                ORDER BY updated_at LIMIT $2""",
            channel,
            limit,
        ),
    )


async def settle_delivery(
    conn: Connection, channel: str, provider_id: str, status: str, reason: str | None
) -> None:
    await conn.execute(
        """UPDATE push_deliveries SET status = $3, reason = $4, updated_at = now()
           WHERE channel = $1 AND provider_id = $2 AND status = 'sent'""",
        channel,
        provider_id,
        status,
        reason,
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


# --- one person, one account (api.identity joins a person's accounts) ----------------------------


def _rows(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Messages, devices, preferences and tags of ``source`` become ``target``'s.

    A message both accounts received (a notice sent to each) is kept once, ``target``'s, read
    if either copy was; the delivery log of ``source``'s copy joins it where it has no entry for
    that channel. Of two preference rows the one set last wins; a tag on both is kept once."""
    pairs = """SELECT dup.id AS dup_id, keep.id AS keep_id, dup.read_at
                 FROM inbox_messages dup
                 JOIN inbox_messages keep ON keep.citizen_id = $2 AND keep.dedupe_key = dup.dedupe_key
                WHERE dup.citizen_id = $1"""
    await conn.execute(
        f"""UPDATE inbox_messages m SET read_at = COALESCE(m.read_at, p.read_at)
              FROM ({pairs}) p WHERE m.id = p.keep_id""",
        source,
        target,
    )
    await conn.execute(
        f"""UPDATE push_deliveries d SET message_id = p.keep_id
              FROM ({pairs}) p
             WHERE d.message_id = p.dup_id AND NOT EXISTS (
                   SELECT 1 FROM push_deliveries k WHERE k.message_id = p.keep_id
                      AND k.channel = d.channel)""",
        source,
        target,
    )
    await conn.execute(
        f"DELETE FROM push_deliveries d USING ({pairs}) p WHERE d.message_id = p.dup_id",
        source,
        target,
    )
    duplicates = await conn.execute(
        f"DELETE FROM inbox_messages m USING ({pairs}) p WHERE m.id = p.dup_id", source, target
    )
    messages = await conn.execute(
        "UPDATE inbox_messages SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    devices = await conn.execute(
        "UPDATE push_devices SET citizen_id = $2, updated_at = now() WHERE citizen_id = $1",
        source,
        target,
    )
    await conn.execute(
        """INSERT INTO push_preferences (citizen_id, wechat, app, sms, updated_at)
           SELECT $2, wechat, app, sms, updated_at FROM push_preferences WHERE citizen_id = $1
           ON CONFLICT (citizen_id) DO UPDATE SET wechat = EXCLUDED.wechat, app = EXCLUDED.app,
               sms = EXCLUDED.sms, updated_at = EXCLUDED.updated_at
            WHERE push_preferences.updated_at < EXCLUDED.updated_at""",
        source,
        target,
    )
    preferences = await conn.execute("DELETE FROM push_preferences WHERE citizen_id = $1", source)
    await conn.execute(
        """INSERT INTO citizen_tags (citizen_id, tag, tagged_by, tagged_at)
           SELECT $2, tag, tagged_by, tagged_at FROM citizen_tags WHERE citizen_id = $1
           ON CONFLICT (tag, citizen_id) DO NOTHING""",
        source,
        target,
    )
    tags = await conn.execute("DELETE FROM citizen_tags WHERE citizen_id = $1", source)
    return {
        "inbox_messages": _rows(messages) + _rows(duplicates),
        "push_devices": _rows(devices),
        "push_preferences": _rows(preferences),
        "citizen_tags": _rows(tags),
    }


async def fail_queued(
    conn: Connection, message_ids: list[uuid.UUID], channel: str, reason: str
) -> int:
    """Deliveries whose job gave up: failed with the reason, never left queued."""
    status = await conn.execute(
        """UPDATE push_deliveries SET status = 'failed', reason = $3, updated_at = now()
            WHERE message_id = ANY($1::uuid[]) AND channel = $2 AND status = 'queued'""",
        message_ids,
        channel,
        reason,
    )
    return int(status.split()[-1])


async def requeue_failed(
    conn: Connection, message_ids: list[uuid.UUID], channel: str, reason_prefix: str
) -> int:
    """Deliveries failed by a job that gave up, queued again when staff retry the job."""
    status = await conn.execute(
        """UPDATE push_deliveries SET status = 'queued', reason = NULL, updated_at = now()
            WHERE message_id = ANY($1::uuid[]) AND channel = $2 AND status = 'failed'
              AND starts_with(reason, $3)""",
        message_ids,
        channel,
        reason_prefix,
    )
    return int(status.split()[-1])
