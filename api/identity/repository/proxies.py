"""Mandates between people and hall workers' mandates (委托代办, 帮办): the reads the proxies
domain asks identity for, beside the parties repository that writes them."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, many, one


class PersonMandateRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    principal_id: uuid.UUID
    agent_id: uuid.UUID | None
    agent_staff_id: uuid.UUID | None
    role: str
    items: list[str] | None
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None


_PERSON = """SELECT id, principal_id, agent_id, agent_staff_id, role, items, valid_from,
    valid_until, revoked_at FROM mandates"""


async def of_principal(conn: Connection, principal_id: uuid.UUID) -> list[PersonMandateRow]:
    """A person's authorisations of people and hall workers, live first, newest first."""
    return many(
        PersonMandateRow,
        await conn.fetch(
            _PERSON
            + """ WHERE principal_id = $1 AND role IN ('family', 'staff')
            ORDER BY revoked_at IS NULL DESC, created_at DESC LIMIT 200""",
            principal_id,
        ),
    )


async def one_of_principal(
    conn: Connection, principal_id: uuid.UUID, mandate_id: uuid.UUID
) -> PersonMandateRow | None:
    return one(
        PersonMandateRow,
        await conn.fetchrow(
            _PERSON
            + """ WHERE id = $1 AND principal_id = $2 AND role IN ('family', 'staff')
            FOR UPDATE""",
            mandate_id,
            principal_id,
        ),
    )


async def live_of_staff(conn: Connection, staff_id: uuid.UUID) -> list[PersonMandateRow]:
    return many(
        PersonMandateRow,
        await conn.fetch(
            _PERSON
            + """ WHERE agent_staff_id = $1 AND revoked_at IS NULL
            AND (valid_until IS NULL OR valid_until > now())""",
            staff_id,
        ),
    )


async def live_person_mandate(
    conn: Connection,
    *,
    principal_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    agent_staff_id: uuid.UUID | None,
) -> list[uuid.UUID]:
    """The live mandate(s) a new grant replaces (one per agent and principal)."""
    rows = await conn.fetch(
        """SELECT id FROM mandates WHERE principal_id = $1 AND revoked_at IS NULL
           AND (agent_id = $2 OR agent_staff_id = $3) FOR UPDATE""",
        principal_id,
        agent_id,
        agent_staff_id,
    )
    return [r["id"] for r in rows]
