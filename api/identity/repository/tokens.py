"""Refresh-token families: issued, used once, revoked."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, one


class RefreshRow(msgspec.Struct, frozen=True, kw_only=True):
    family_id: uuid.UUID
    citizen_id: uuid.UUID
    method: str
    acr: int
    expires_at: datetime
    used_at: datetime | None
    family_revoked: bool


async def create_family(
    conn: Connection, citizen_id: uuid.UUID, method: str, acr: int
) -> uuid.UUID:
    family_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO token_families (id, citizen_id, method, acr) VALUES ($1, $2, $3, $4)",
        family_id,
        citizen_id,
        method,
        acr,
    )
    return family_id


async def insert_refresh(
    conn: Connection, token_hash: bytes, family_id: uuid.UUID, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, expires_at) VALUES ($1, $2, $3)",
        token_hash,
        family_id,
        expires_at,
    )


async def take_refresh(conn: Connection, token_hash: bytes) -> RefreshRow | None:
    """The refresh token with its family, locked: two concurrent refreshes cannot both win."""
    row = await conn.fetchrow(
        """SELECT r.family_id, f.citizen_id, f.method, f.acr, r.expires_at, r.used_at,
                  f.revoked_at IS NOT NULL AS family_revoked
             FROM refresh_tokens r JOIN token_families f ON f.id = r.family_id
            WHERE r.token_hash = $1
            FOR UPDATE OF r, f""",
        token_hash,
    )
    return one(RefreshRow, row)


async def mark_refresh_used(conn: Connection, token_hash: bytes) -> None:
    await conn.execute(
        "UPDATE refresh_tokens SET used_at = now() WHERE token_hash = $1", token_hash
    )


async def revoke_family(conn: Connection, family_id: uuid.UUID, why: str) -> None:
    await conn.execute(
        """UPDATE token_families SET revoked_at = now(), revoked_why = $2
           WHERE id = $1 AND revoked_at IS NULL""",
        family_id,
        why,
    )


async def revoke_families_of(conn: Connection, citizen_id: uuid.UUID, why: str) -> list[str]:
    rows = await conn.fetch(
        """UPDATE token_families SET revoked_at = now(), revoked_why = $2
           WHERE citizen_id = $1 AND revoked_at IS NULL RETURNING id""",
        citizen_id,
        why,
    )
    return [str(r["id"]) for r in rows]


async def family_active(conn: Connection, family_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            "SELECT revoked_at IS NULL FROM token_families WHERE id = $1", family_id
        )
    )
