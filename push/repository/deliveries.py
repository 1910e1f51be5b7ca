"""One message's deliveries per channel: what is allowed, queued, sent, settled by receipts."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, many, one
from push.events import MessageType

# A message's text: its own, or its notice's (a notice's messages keep none of their own).
_TEXT = """COALESCE(m.title, n.title) AS title, COALESCE(m.body, n.body) AS body,
           CASE WHEN m.notice_id IS NULL THEN m.link ELSE n.link END AS link"""


class SentRow(msgspec.Struct, frozen=True, kw_only=True):
    message_id: uuid.UUID
    provider_id: str


class DeliveryRow(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    attempts: int
    citizen_id: uuid.UUID
    event_type: MessageType
    title: str
    body: str
    link: str | None
    params: dict[str, str]
    created_at: datetime


class Allowed(msgspec.Struct, frozen=True, kw_only=True):
    """What a citizen allowed (every channel unless switched off) and whether they have an
    app installation to push to."""

    wechat_ok: bool
    app_ok: bool
    sms_ok: bool
    has_device: bool


class MessageRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    citizen_id: uuid.UUID
    event_type: MessageType
    title: str
    body: str
    link: str | None
    params: dict[str, str]
    created_at: datetime


async def message(conn: Connection, message_id: uuid.UUID) -> MessageRow | None:
    return one(
        MessageRow,
        await conn.fetchrow(
            f"""SELECT m.id, m.citizen_id, m.event_type, {_TEXT}, m.params, m.created_at
                  FROM inbox_messages m LEFT JOIN notices n ON n.id = m.notice_id
                 WHERE m.id = $1""",
            message_id,
        ),
    )


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
            f"""SELECT d.status, d.attempts, m.citizen_id, m.event_type, {_TEXT}, m.params,
                       m.created_at
                  FROM push_deliveries d JOIN inbox_messages m ON m.id = d.message_id
                  LEFT JOIN notices n ON n.id = m.notice_id
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


async def devices_of(conn: Connection, citizen_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT registration_id FROM push_devices WHERE citizen_id = $1 ORDER BY updated_at DESC",
        citizen_id,
    )
    return [r["registration_id"] for r in rows]


async def awaiting_receipt(conn: Connection, channel: str, limit: int) -> list[SentRow]:
    """Sent in the last day and not yet confirmed: the ones worth asking the provider about."""
    return many(
        SentRow,
        await conn.fetch(
            """SELECT message_id, provider_id FROM push_deliveries
                WHERE channel = $1 AND status = 'sent' AND provider_id IS NOT NULL
                  AND channel IN ('app', 'sms') AND updated_at > now() - interval '1 day'
                ORDER BY updated_at LIMIT $2""",
            channel,
            limit,
        ),
    )


async def settle_deliveries(
    conn: Connection, channel: str, settled: list[tuple[uuid.UUID, str, str | None]]
) -> int:
    """(message, status, reason) of deliveries still ``sent``: one statement, by primary key."""
    return await _update_by_batch(
        conn,
        """UPDATE push_deliveries d SET status = o.status, reason = o.reason, updated_at = now()
             FROM unnest($2::uuid[], $3::text[], $4::text[]) AS o (message_id, status, reason)
            WHERE d.message_id = ANY($2::uuid[]) AND d.channel = $1
              AND d.message_id = o.message_id AND d.status = 'sent'""",
        channel,
        [s[0] for s in settled],
        [s[1] for s in settled],
        [s[2] for s in settled],
    )


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


class AppTarget(msgspec.Struct, frozen=True, kw_only=True):
    """A queued app delivery with the devices it goes to (newest first; none: skipped)."""

    message_id: uuid.UUID
    title: str
    body: str
    registration_ids: list[str]


async def queued_app(conn: Connection, message_ids: list[uuid.UUID]) -> list[AppTarget]:
    """Those of ``message_ids`` whose app delivery is still queued, with their devices."""
    return many(
        AppTarget,
        await conn.fetch(
            """SELECT m.id AS message_id, COALESCE(m.title, n.title) AS title,
                      COALESCE(m.body, n.body) AS body,
                      coalesce((SELECT array_agg(v.registration_id ORDER BY v.updated_at DESC)
                                  FROM push_devices v WHERE v.citizen_id = m.citizen_id),
                               '{}') AS registration_ids
                 FROM push_deliveries d JOIN inbox_messages m ON m.id = d.message_id
                 LEFT JOIN notices n ON n.id = m.notice_id
                WHERE d.message_id = ANY($1::uuid[]) AND d.channel = 'app'
                  AND d.status = 'queued'
                ORDER BY m.id""",
            message_ids,
        ),
    )


# ``d.message_id = ANY($2)`` repeats the join's condition so that the rows are found by
# primary key whatever the planner thinks of ``unnest``: without it (and with the partial
# index on status migration 0034 dropped), a generic plan on a table whose statistics lag
# behind a fan-out scanned every queued delivery for each group commit, running unnest again
# for each of them (quadratic in the notice's size). Tested on its plan.
RECORD_DELIVERIES = """UPDATE push_deliveries d SET status = o.status, reason = o.reason,
           provider_id = COALESCE(o.provider_id, d.provider_id),
           attempts = d.attempts + 1, updated_at = now()
      FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[])
           AS o (message_id, status, reason, provider_id)
     WHERE d.message_id = ANY($2::uuid[]) AND d.channel = $1
       AND d.message_id = o.message_id AND d.status = 'queued'"""


async def record_deliveries(
    conn: Connection,
    channel: str,
    outcomes: list[tuple[uuid.UUID, str, str | None, str | None]],
) -> int:
    """(message, status, reason, provider id) of each delivery still queued: one statement."""
    return await _update_by_batch(
        conn,
        RECORD_DELIVERIES,
        channel,
        [o[0] for o in outcomes],
        [o[1] for o in outcomes],
        [o[2] for o in outcomes],
        [o[3] for o in outcomes],
    )


NO_NESTED_LOOPS = "SET LOCAL enable_nestloop = off"
NESTED_LOOPS_AGAIN = "SET LOCAL enable_nestloop TO DEFAULT"


async def _update_by_batch(conn: Connection, sql: str, *args: object) -> int:
    """Run a statement that updates deliveries joined to a batch unnested from arrays, with
    nested loops turned off for it alone: the deliveries are found by primary key (``= ANY``)
    and the batch is joined by hash. A nested loop was chosen whenever the table's statistics
    lagged behind a fan-out (a notice doubles the table in minutes); it unnests the batch's
    arrays again for every delivery, and a group commit of 350 outcomes took 27 ms instead of
    3 (bench/fanout.py: three quarters of PostgreSQL's time in the fan-out)."""
    await conn.execute(NO_NESTED_LOOPS)  # callers run in a transaction
    status = await conn.execute(sql, *args)
    await conn.execute(NESTED_LOOPS_AGAIN)
    return int(status.split()[-1])


# --- a notice's WeChat deliveries, a batch at a time ---------------------------------------------


class QueuedSend(msgspec.Struct, frozen=True, kw_only=True):
    message_id: uuid.UUID
    citizen_id: uuid.UUID
    title: str
    body: str
    link: str | None


async def queued_sends(
    conn: Connection, message_ids: list[uuid.UUID], channel: str
) -> list[QueuedSend]:
    """Those of ``message_ids`` still queued on ``channel``: one sent, failed for good or skipped
    is never sent again (a retried batch sends only what is left)."""
    return many(
        QueuedSend,
        await conn.fetch(
            f"""SELECT d.message_id, m.citizen_id, {_TEXT}
                  FROM push_deliveries d JOIN inbox_messages m ON m.id = d.message_id
                  LEFT JOIN notices n ON n.id = m.notice_id
                 WHERE d.message_id = ANY($1::uuid[]) AND d.channel = $2
                   AND d.status = 'queued'
                 ORDER BY d.message_id""",
            message_ids,
            channel,
        ),
    )


class Grant(msgspec.Struct, frozen=True, kw_only=True):
    openid: str
    long_term: bool


async def granted(conn: Connection, openids: list[str], template_id: str) -> list[Grant]:
    """Those of ``openids`` that may receive ``template_id`` now (long-term, or quota left)."""
    return many(
        Grant,
        await conn.fetch(
            """SELECT openid, long_term FROM wechat_subscriptions
                WHERE openid = ANY($1::text[]) AND template_id = $2
                  AND (long_term OR quota > 0)""",
            openids,
            template_id,
        ),
    )


async def debit_quotas(conn: Connection, openids: list[str], template_id: str) -> None:
    """One message's worth of each one-time grant (long-term ones are not counted)."""
    await conn.execute(
        """UPDATE wechat_subscriptions s SET quota = GREATEST(s.quota - o.n, 0),
                  updated_at = now()
             FROM (SELECT openid, count(*) AS n FROM unnest($1::text[]) AS u (openid)
                    GROUP BY openid) o
            WHERE s.openid = o.openid AND s.template_id = $2 AND NOT s.long_term""",
        openids,
        template_id,
    )


async def zero_quotas(conn: Connection, openids: list[str], template_id: str) -> None:
    await conn.execute(
        """UPDATE wechat_subscriptions SET quota = 0, long_term = false, updated_at = now()
            WHERE openid = ANY($1::text[]) AND template_id = $2""",
        openids,
        template_id,
    )
