"""SQL of the proxies domain: the consent log (append-only) and hall workers' requests."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, columns, many, one


class LogRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    mandate_id: uuid.UUID
    principal_id: uuid.UUID
    agent_id: uuid.UUID | None
    agent_staff_id: uuid.UUID | None
    event: str
    action: str | None
    target: str | None
    items: list[str] | None
    valid_until: datetime | None
    at: datetime


async def log(
    conn: Connection,
    *,
    mandate_id: uuid.UUID,
    principal_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    agent_staff_id: uuid.UUID | None,
    event: str,
    action: str | None = None,
    target: str | None = None,
    items: list[str] | None = None,
    valid_until: datetime | None = None,
) -> None:
    await conn.execute(
        """INSERT INTO proxy_log (id, mandate_id, principal_id, agent_id, agent_staff_id, event,
               action, target, items, valid_until)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        uuid.uuid4(),
        mandate_id,
        principal_id,
        agent_id,
        agent_staff_id,
        event,
        action,
        target,
        items,
        valid_until,
    )


async def log_of(
    conn: Connection, principal_id: uuid.UUID, mandate_id: uuid.UUID | None, limit: int
) -> list[LogRow]:
    return many(
        LogRow,
        await conn.fetch(
            f"""SELECT {columns(LogRow)} FROM proxy_log
                WHERE principal_id = $1 AND ($2::uuid IS NULL OR mandate_id = $2)
                ORDER BY at DESC, id LIMIT $3""",
            principal_id,
            mandate_id,
            limit,
        ),
    )


class AssistRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    staff_id: uuid.UUID
    citizen_id: uuid.UUID
    items: list[str]
    created_at: datetime
    expires_at: datetime
    confirmed_at: datetime | None
    mandate_id: uuid.UUID | None


async def insert_assist(
    conn: Connection,
    *,
    staff_id: uuid.UUID,
    citizen_id: uuid.UUID,
    items: list[str],
    expires_at: datetime,
) -> uuid.UUID:
    request_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO assist_requests (id, staff_id, citizen_id, items, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        request_id,
        staff_id,
        citizen_id,
        items,
        expires_at,
    )
    return request_id


async def assist(
    conn: Connection, request_id: uuid.UUID, staff_id: uuid.UUID, *, lock: bool = False
) -> AssistRow | None:
    """A hall worker's own request only (another's is not found)."""
    return one(
        AssistRow,
        await conn.fetchrow(
            f"SELECT {columns(AssistRow)} FROM assist_requests WHERE id = $1 AND staff_id = $2"
            + (" FOR UPDATE" if lock else ""),
            request_id,
            staff_id,
        ),
    )


async def confirm_assist(conn: Connection, request_id: uuid.UUID, mandate_id: uuid.UUID) -> None:
    await conn.execute(
        "UPDATE assist_requests SET confirmed_at = now(), mandate_id = $2 WHERE id = $1",
        request_id,
        mandate_id,
    )


async def assists_of(conn: Connection, staff_id: uuid.UUID, limit: int) -> list[AssistRow]:
    return many(
        AssistRow,
        await conn.fetch(
            f"""SELECT {columns(AssistRow)} FROM assist_requests WHERE staff_id = $1
                ORDER BY created_at DESC LIMIT $2""",
            staff_id,
            limit,
        ),
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: the log follows the absorbed account (its trigger allows only
    that), and so do hall workers' requests."""
    principal = await conn.execute(
        "UPDATE proxy_log SET principal_id = $2 WHERE principal_id = $1", source, target
    )
    agent = await conn.execute(
        "UPDATE proxy_log SET agent_id = $2 WHERE agent_id = $1", source, target
    )
    assists = await conn.execute(
        "UPDATE assist_requests SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    return {
        "proxy_log": int(principal.split()[-1]) + int(agent.split()[-1]),
        "assist_requests": int(assists.split()[-1]),
    }
