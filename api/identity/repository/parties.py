"""Parties and mandates: companies (citizens of kind 'legal') and who may act for whom."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, many, one


class MandateRow(msgspec.Struct, frozen=True, kw_only=True):
    """One authorisation as the per-request check needs it."""

    id: uuid.UUID
    principal_id: uuid.UUID
    party_kind: str
    role: str
    items: list[str] | None
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None


class PartyRow(msgspec.Struct, frozen=True, kw_only=True):
    """A party someone may act for, with the live mandate they act under."""

    mandate_id: uuid.UUID
    party_id: uuid.UUID
    kind: str
    legal_name: str | None
    legal_type: str | None
    uscc_enc: bytes | None
    real_name_enc: bytes | None
    role: str
    source: str
    items: list[str] | None
    valid_from: datetime
    valid_until: datetime | None


class AgentRow(msgspec.Struct, frozen=True, kw_only=True):
    mandate_id: uuid.UUID
    agent_id: uuid.UUID | None
    agent_staff_id: uuid.UUID | None
    real_name_enc: bytes | None
    role: str
    source: str
    items: list[str] | None
    valid_from: datetime
    valid_until: datetime | None
    revoked_at: datetime | None
    external_id: str | None


class CompanyRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    legal_name: str | None
    legal_type: str | None
    uscc_enc: bytes | None


_MANDATE = """SELECT m.id, m.principal_id, c.kind AS party_kind, m.role, m.items, m.valid_from,
    m.valid_until, m.revoked_at FROM mandates m JOIN citizens c ON c.id = m.principal_id"""


async def mandate_for(
    conn: Connection, agent_id: uuid.UUID, party_id: uuid.UUID
) -> MandateRow | None:
    """The live mandate of this person for this party, else the last revoked one (the refusal
    then says "revoked" rather than "never authorised")."""
    return one(
        MandateRow,
        await conn.fetchrow(
            _MANDATE
            + """ WHERE m.agent_id = $1 AND m.principal_id = $2
            ORDER BY m.revoked_at IS NULL DESC, m.created_at DESC LIMIT 1""",
            agent_id,
            party_id,
        ),
    )


async def mandate(conn: Connection, mandate_id: uuid.UUID) -> MandateRow | None:
    return one(MandateRow, await conn.fetchrow(_MANDATE + " WHERE m.id = $1", mandate_id))


async def company_by_uscc(conn: Connection, uscc_hash: bytes) -> CompanyRow | None:
    return one(
        CompanyRow,
        await conn.fetchrow(
            "SELECT id, legal_name, legal_type, uscc_enc FROM citizens WHERE uscc_hash = $1",
            uscc_hash,
        ),
    )


async def company(conn: Connection, party_id: uuid.UUID) -> CompanyRow | None:
    return one(
        CompanyRow,
        await conn.fetchrow(
            "SELECT id, legal_name, legal_type, uscc_enc FROM citizens"
            " WHERE id = $1 AND kind = 'legal'",
            party_id,
        ),
    )


async def upsert_company(
    conn: Connection, *, uscc_enc: bytes, uscc_hash: bytes, name: str, legal_type: str
) -> uuid.UUID:
    """The company's row (made on first sight); its name and type follow the platform."""
    party_id = await conn.fetchval(
        """INSERT INTO citizens (id, kind, uscc_enc, uscc_hash, legal_name, legal_type)
           VALUES ($1, 'legal', $2, $3, $4, $5)
           ON CONFLICT (uscc_hash) DO UPDATE
               SET legal_name = EXCLUDED.legal_name, legal_type = EXCLUDED.legal_type,
                   updated_at = now()
           RETURNING id""",
        uuid.uuid4(),
        uscc_enc,
        uscc_hash,
        name,
        legal_type,
    )
    assert isinstance(party_id, uuid.UUID)
    return party_id


async def mandate_by_external(conn: Connection, external_id: str) -> MandateRow | None:
    return one(MandateRow, await conn.fetchrow(_MANDATE + " WHERE m.external_id = $1", external_id))


async def insert_mandate(
    conn: Connection,
    *,
    principal_id: uuid.UUID,
    agent_id: uuid.UUID | None,
    agent_staff_id: uuid.UUID | None = None,
    role: str,
    source: str,
    items: list[str] | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    external_id: str | None = None,
    granted_by: uuid.UUID | None = None,
) -> uuid.UUID:
    mandate_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO mandates (id, principal_id, agent_id, agent_staff_id, role, source, items,
               valid_from, valid_until, external_id, granted_by)
           VALUES ($1, $2, $3, $4, $5, $6, $7, COALESCE($8, now()), $9, $10, $11)""",
        mandate_id,
        principal_id,
        agent_id,
        agent_staff_id,
        role,
        source,
        items,
        valid_from,
        valid_until,
        external_id,
        granted_by,
    )
    return mandate_id


async def update_platform_mandate(
    conn: Connection,
    mandate_id: uuid.UUID,
    *,
    role: str,
    items: list[str] | None,
    valid_from: datetime,
    valid_until: datetime | None,
) -> bool:
    """What the platform now says of a live authorisation; True when something changed."""
    status = await conn.execute(
        """UPDATE mandates SET role = $2, items = $3, valid_from = $4, valid_until = $5
           WHERE id = $1 AND revoked_at IS NULL
             AND (role, items, valid_from, valid_until)
                 IS DISTINCT FROM ($2, $3, $4, $5)""",
        mandate_id,
        role,
        items,
        valid_from,
        valid_until,
    )
    return status.endswith(" 1")


async def revoke(conn: Connection, mandate_ids: list[uuid.UUID], why: str) -> list[uuid.UUID]:
    """Revoked now; returns those that were live."""
    rows = await conn.fetch(
        """UPDATE mandates SET revoked_at = now(), revoked_why = $2
           WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL RETURNING id""",
        mandate_ids,
        why,
    )
    return [r["id"] for r in rows]


async def live_for_agent(conn: Connection, agent_id: uuid.UUID) -> list[PartyRow]:
    return many(
        PartyRow,
        await conn.fetch(
            """SELECT m.id AS mandate_id, c.id AS party_id, c.kind, c.legal_name, c.legal_type,
                      c.uscc_enc, c.real_name_enc, m.role, m.source, m.items, m.valid_from,
                      m.valid_until
               FROM mandates m JOIN citizens c ON c.id = m.principal_id
               WHERE m.agent_id = $1 AND m.revoked_at IS NULL
               ORDER BY c.kind DESC, m.created_at""",
            agent_id,
        ),
    )


async def platform_mandates_of_agent(
    conn: Connection, agent_id: uuid.UUID
) -> list[tuple[uuid.UUID, str]]:
    """The agent's live mandates that came from the platform: (id, the platform's id)."""
    rows = await conn.fetch(
        """SELECT id, external_id FROM mandates
           WHERE agent_id = $1 AND source = 'platform' AND revoked_at IS NULL""",
        agent_id,
    )
    return [(r["id"], r["external_id"]) for r in rows]


async def agents_of(conn: Connection, party_id: uuid.UUID) -> list[AgentRow]:
    return many(
        AgentRow,
        await conn.fetch(
            """SELECT m.id AS mandate_id, m.agent_id, m.agent_staff_id, c.real_name_enc, m.role,
                      m.source, m.items, m.valid_from, m.valid_until, m.revoked_at,
                      m.external_id
               FROM mandates m LEFT JOIN citizens c ON c.id = m.agent_id
               WHERE m.principal_id = $1
               ORDER BY m.revoked_at IS NULL DESC, m.created_at DESC""",
            party_id,
        ),
    )


async def current_agents(conn: Connection, party_id: uuid.UUID) -> list[uuid.UUID]:
    """The people who may act for the party now (its messages reach each of them)."""
    rows = await conn.fetch(
        """SELECT agent_id FROM mandates
           WHERE principal_id = $1 AND agent_id IS NOT NULL AND revoked_at IS NULL
             AND valid_from <= now() AND (valid_until IS NULL OR valid_until > now())
           ORDER BY agent_id""",
        party_id,
    )
    return [r["agent_id"] for r in rows]


async def absorb_agent(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: the absorbed account's mandates (as agent, as principal,
    as grantor) follow it; a mandate that would then duplicate a live one of the target is
    revoked instead."""
    dup = await conn.execute(
        """UPDATE mandates m SET revoked_at = now(), revoked_why = 'merged'
           WHERE m.revoked_at IS NULL AND (m.agent_id = $1 OR m.principal_id = $1)
             AND EXISTS (SELECT 1 FROM mandates t WHERE t.revoked_at IS NULL
                         AND t.agent_id = CASE WHEN m.agent_id = $1 THEN $2 ELSE m.agent_id END
                         AND t.principal_id
                             = CASE WHEN m.principal_id = $1 THEN $2 ELSE m.principal_id END)""",
        source,
        target,
    )
    agent = await conn.execute(
        "UPDATE mandates SET agent_id = $2 WHERE agent_id = $1", source, target
    )
    principal = await conn.execute(
        "UPDATE mandates SET principal_id = $2 WHERE principal_id = $1", source, target
    )
    granted = await conn.execute(
        "UPDATE mandates SET granted_by = $2 WHERE granted_by = $1", source, target
    )
    moved = sum(int(s.split()[-1]) for s in (agent, principal, granted, dup))
    return {"mandates": moved}


async def person_by_id_hash(conn: Connection, id_hash: bytes) -> uuid.UUID | None:
    """The account of the person with this ID number (the surviving one of a merge)."""
    value: uuid.UUID | None = await conn.fetchval(
        """SELECT COALESCE(merged_into, id) FROM citizens
           WHERE id_number_hash = $1 AND kind = 'natural'""",
        id_hash,
    )
    return value


async def current_agents_of_company(conn: Connection, party_id: uuid.UUID) -> list[uuid.UUID]:
    """The people acting for a company now, its representative included; [] for a person."""
    rows = await conn.fetch(
        """SELECT m.agent_id FROM mandates m JOIN citizens c ON c.id = m.principal_id
           WHERE m.principal_id = $1 AND c.kind = 'legal' AND m.agent_id IS NOT NULL
             AND m.revoked_at IS NULL AND m.valid_from <= now()
             AND (m.valid_until IS NULL OR m.valid_until > now())
           ORDER BY m.agent_id""",
        party_id,
    )
    return [r["agent_id"] for r in rows]
