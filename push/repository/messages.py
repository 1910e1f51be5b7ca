"""Inbox messages, WeChat subscription quotas and push events, devices and channel preferences;
and moving a citizen's push rows when identity joins two accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, many
from push.events import EventType, MessageType


class PreferencesRow(msgspec.Struct, frozen=True, kw_only=True):
    wechat: bool
    app: bool
    sms: bool


class QuotaRow(msgspec.Struct, frozen=True, kw_only=True):
    template_id: str
    quota: int
    long_term: bool


class InboxRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    event_type: MessageType
    title: str
    body: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


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


async def list_messages(
    conn: Connection, citizen_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[InboxRow], int, int]:
    rows = await conn.fetch(
        """SELECT m.id, m.event_type, COALESCE(m.title, n.title) AS title,
                  COALESCE(m.body, n.body) AS body,
                  CASE WHEN m.notice_id IS NULL THEN m.link ELSE n.link END AS link,
                  m.created_at, m.read_at
             FROM inbox_messages m LEFT JOIN notices n ON n.id = m.notice_id
            WHERE m.citizen_id = $1
            ORDER BY m.created_at DESC, m.id LIMIT $2 OFFSET $3""",
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


# --- one person, one account (api.identity joins a person's accounts) ---


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
