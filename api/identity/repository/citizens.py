"""Citizens, their WeChat accounts and bindings; one person, one account (merging and tombstones)."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, many, one


class CitizenRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    real_name_enc: bytes | None
    id_number_enc: bytes | None
    phone_enc: bytes | None
    assurance_level: int
    merged_into: uuid.UUID | None
    wechat_bound: bool
    id_number_hash: bytes | None
    created_at: datetime


_CITIZEN = """SELECT c.id, c.real_name_enc, c.id_number_enc, c.phone_enc, c.assurance_level,
    c.merged_into, c.id_number_hash, c.created_at,
    EXISTS (SELECT 1 FROM citizen_wechat w WHERE w.citizen_id = c.id) AS wechat_bound
    FROM citizens c"""


async def get_citizen(conn: Connection, citizen_id: uuid.UUID) -> CitizenRow | None:
    return one(CitizenRow, await conn.fetchrow(_CITIZEN + " WHERE c.id = $1", citizen_id))


async def find_by_id_number(conn: Connection, id_hash: bytes) -> CitizenRow | None:
    return one(CitizenRow, await conn.fetchrow(_CITIZEN + " WHERE c.id_number_hash = $1", id_hash))


async def find_by_phone(conn: Connection, phone_hash: bytes) -> CitizenRow | None:
    # A phone may have moved between people over the years: prefer the real-named account. The
    # phone of an account absorbed into another signs in to the one that absorbed it.
    return one(
        CitizenRow,
        await conn.fetchrow(
            _CITIZEN
            + """ WHERE c.id = (SELECT COALESCE(p.merged_into, p.id) FROM citizens p
                  WHERE p.phone_hash = $1
                  ORDER BY p.merged_into IS NOT NULL, p.id_number_hash IS NULL,
                           p.updated_at DESC LIMIT 1)""",
            phone_hash,
        ),
    )


async def find_by_wechat(conn: Connection, appid: str, openid: str) -> CitizenRow | None:
    return one(
        CitizenRow,
        await conn.fetchrow(
            _CITIZEN + " JOIN citizen_wechat w2 ON w2.citizen_id = c.id"
            " WHERE w2.appid = $1 AND w2.openid = $2",
            appid,
            openid,
        ),
    )


async def create_citizen(conn: Connection) -> uuid.UUID:
    citizen_id = uuid.uuid4()
    await conn.execute("INSERT INTO citizens (id) VALUES ($1)", citizen_id)
    return citizen_id


async def lock_citizen(conn: Connection, citizen_id: uuid.UUID) -> None:
    await conn.execute("SELECT 1 FROM citizens WHERE id = $1 FOR UPDATE", citizen_id)


async def upsert_wechat(
    conn: Connection,
    *,
    appid: str,
    openid: str,
    unionid: str | None,
    citizen_id: uuid.UUID,
    session_key_enc: bytes,
) -> None:
    await conn.execute(
        """INSERT INTO citizen_wechat (appid, openid, unionid, citizen_id, session_key_enc)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (appid, openid) DO UPDATE SET unionid = EXCLUDED.unionid,
               session_key_enc = EXCLUDED.session_key_enc, updated_at = now()""",
        appid,
        openid,
        unionid,
        citizen_id,
        session_key_enc,
    )


async def set_real_name(
    conn: Connection,
    citizen_id: uuid.UUID,
    *,
    real_name_enc: bytes,
    id_number_enc: bytes,
    id_number_hash: bytes,
    assurance_level: int,
    platform_subject: str,
    region_code: str,
) -> None:
    await conn.execute(
        """UPDATE citizens SET real_name_enc = $2, id_number_enc = $3, id_number_hash = $4,
               assurance_level = GREATEST(assurance_level, $5), platform_subject = $6,
               region_code = $7, updated_at = now()
           WHERE id = $1""",
        citizen_id,
        real_name_enc,
        id_number_enc,
        id_number_hash,
        assurance_level,
        platform_subject,
        region_code,
    )


async def set_phone(
    conn: Connection, citizen_id: uuid.UUID, phone_enc: bytes, phone_hash: bytes
) -> None:
    await conn.execute(
        "UPDATE citizens SET phone_enc = $2, phone_hash = $3, updated_at = now() WHERE id = $1",
        citizen_id,
        phone_enc,
        phone_hash,
    )


async def lock_person(conn: Connection, id_hash: bytes) -> None:
    """Serialize the joining of one person's accounts (two sign-ins of the same person at once)
    until the transaction ends."""
    await conn.execute(
        "SELECT pg_advisory_xact_lock($1)", int.from_bytes(id_hash[:8], "big", signed=True)
    )


async def unnamed_by_phone(conn: Connection, phone_hash: bytes) -> list[CitizenRow]:
    """Live accounts without a real name that verified this phone (SMS login, WeChat's phone
    number), locked; re-checked after any wait, so one merged meanwhile is not returned."""
    rows = await conn.fetch(
        _CITIZEN
        + """ WHERE c.phone_hash = $1 AND c.merged_into IS NULL AND c.id_number_hash IS NULL
            ORDER BY c.id FOR NO KEY UPDATE OF c""",
        phone_hash,
    )
    return many(CitizenRow, rows)


async def lock_citizens(conn: Connection, ids: list[uuid.UUID]) -> list[CitizenRow]:
    """The accounts, locked in id order (no deadlock between two merges), as they are now."""
    rows = await conn.fetch(
        _CITIZEN + " WHERE c.id = ANY($1::uuid[]) ORDER BY c.id FOR NO KEY UPDATE OF c", ids
    )
    return many(CitizenRow, rows)


async def mark_merged(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> None:
    """The tombstone, first: the licence logs let a row follow its citizen only to the account
    named here (migration 0021)."""
    await conn.execute(
        """UPDATE citizens SET merged_into = $2, merged_at = now(), updated_at = now()
           WHERE id = $1 AND merged_into IS NULL""",
        source,
        target,
    )
    # Earlier tombstones of ``source`` now point to ``target``: always to a live account.
    await conn.execute(
        "UPDATE citizens SET merged_into = $2 WHERE merged_into = $1", source, target
    )


class Tombstone(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID  # the absorbed account
    merged_into: uuid.UUID  # the survivor


async def tombstones(conn: Connection) -> list[Tombstone]:
    """Every merge, oldest first."""
    rows = await conn.fetch(
        """SELECT id, merged_into FROM citizens WHERE merged_into IS NOT NULL
            ORDER BY merged_at, id"""
    )
    return many(Tombstone, rows)


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """Identity's own rows of an absorbed account: its WeChat identities and (already revoked)
    token families move; its phone goes to the survivor when that has none, and stays on the
    tombstone too, where ``find_by_phone`` follows it to the survivor (a second phone)."""
    wechat = await conn.execute(
        "UPDATE citizen_wechat SET citizen_id = $2, updated_at = now() WHERE citizen_id = $1",
        source,
        target,
    )
    families = await conn.execute(
        "UPDATE token_families SET citizen_id = $2 WHERE citizen_id = $1", source, target
    )
    await conn.execute(
        """UPDATE citizens t SET phone_enc = COALESCE(t.phone_enc, s.phone_enc),
               phone_hash = COALESCE(t.phone_hash, s.phone_hash), updated_at = now()
           FROM citizens s WHERE s.id = $1 AND t.id = $2""",
        source,
        target,
    )
    return {"citizen_wechat": _count(wechat), "token_families": _count(families)}


def _count(status: str) -> int:
    """Rows an INSERT/UPDATE/DELETE touched, from asyncpg's command status."""
    return int(status.rsplit(" ", 1)[-1])
