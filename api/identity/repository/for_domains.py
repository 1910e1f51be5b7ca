"""What other domains ask of identity (push, reviews, licences, payments), one block each."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import msgspec

from core.db import Connection, many, one

# --- for push ---


class PushContactRow(msgspec.Struct, frozen=True, kw_only=True):
    has_phone: bool
    openid: str | None


class PushOpenidRow(msgspec.Struct, frozen=True, kw_only=True):
    citizen_id: uuid.UUID
    openid: str


async def push_contact(
    conn: Connection, citizen_id: uuid.UUID, appid: str
) -> PushContactRow | None:
    """Whether the citizen has a phone, and their latest openid of ``appid``."""
    return one(
        PushContactRow,
        await conn.fetchrow(
            """SELECT c.phone_enc IS NOT NULL AS has_phone,
                      (SELECT w.openid FROM citizen_wechat w
                        WHERE w.citizen_id = c.id AND w.appid = $2
                        ORDER BY w.updated_at DESC LIMIT 1) AS openid
                 FROM citizens c WHERE c.id = $1""",
            citizen_id,
            appid,
        ),
    )


async def push_phone(conn: Connection, citizen_id: uuid.UUID) -> bytes | None:
    """The citizen's phone, still encrypted."""
    phone: bytes | None = await conn.fetchval(
        "SELECT phone_enc FROM citizens WHERE id = $1", citizen_id
    )
    return phone


async def push_openids(conn: Connection, citizen_ids: Sequence[uuid.UUID]) -> list[PushOpenidRow]:
    return many(
        PushOpenidRow,
        await conn.fetch(
            "SELECT citizen_id, openid FROM citizen_wechat WHERE citizen_id = ANY($1::uuid[])",
            list(citizen_ids),
        ),
    )


def _push_audience(
    region_code: str | None, among: Sequence[uuid.UUID] | None
) -> tuple[str, list[object]]:
    """Live accounts (never a tombstone), optionally registered in a region (a code prefix:
    620000 province, 620100 city, 620102 district) and optionally among given ids. Each
    filter is in the statement only when given, so every variant keeps its own index plan."""
    # People only: a company's notices reach its agents as the people they are.
    where: list[str] = ["c.merged_into IS NULL", "c.kind = 'natural'"]
    args: list[object] = []
    if region_code is not None:
        args.append(region_code)
        where.append(f"c.region_code LIKE rtrim(${len(args)}::text, '0') || '%'")
    if among is not None:
        args.append(list(among))
        where.append(f"c.id = ANY(${len(args)}::uuid[])")
    return " AND ".join(where), args


async def push_audience(
    conn: Connection,
    *,
    after: uuid.UUID,
    limit: int,
    region_code: str | None,
    among: Sequence[uuid.UUID] | None,
) -> list[uuid.UUID]:
    where, args = _push_audience(region_code, among)
    n = len(args)
    rows = await conn.fetch(
        f"""SELECT c.id FROM citizens c WHERE {where} AND c.id > ${n + 1}
             ORDER BY c.id LIMIT ${n + 2}""",
        *args,
        after,
        limit,
    )
    return [r["id"] for r in rows]


async def push_audience_count(
    conn: Connection,
    *,
    region_code: str | None,
    among: Sequence[uuid.UUID] | None,
    with_phone: bool = False,
) -> int:
    where, args = _push_audience(region_code, among)
    if with_phone:
        where += " AND c.phone_enc IS NOT NULL"
    count: int = await conn.fetchval(f"SELECT count(*) FROM citizens c WHERE {where}", *args)
    return count


async def push_with_phone(conn: Connection, citizen_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    rows = await conn.fetch(
        "SELECT id FROM citizens WHERE id = ANY($1::uuid[]) AND phone_enc IS NOT NULL",
        list(citizen_ids),
    )
    return [r["id"] for r in rows]


async def push_existing(conn: Connection, citizen_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    rows = await conn.fetch("SELECT id FROM citizens WHERE id = ANY($1::uuid[])", list(citizen_ids))
    return [r["id"] for r in rows]


# --- for reviews ---


class ContactFieldsRow(msgspec.Struct, frozen=True, kw_only=True):
    real_name_enc: bytes | None
    phone_enc: bytes | None


async def contact_fields(conn: Connection, citizen_id: uuid.UUID) -> ContactFieldsRow | None:
    row = await conn.fetchrow(
        "SELECT real_name_enc, phone_enc FROM citizens WHERE id = $1", citizen_id
    )
    return one(ContactFieldsRow, row)


class StaffNameRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    username: str


async def staff_usernames_of(
    conn: Connection, staff_ids: Sequence[uuid.UUID]
) -> list[StaffNameRow]:
    rows = await conn.fetch(
        "SELECT id, username FROM staff WHERE id = ANY($1::uuid[])", list(staff_ids)
    )
    return many(StaffNameRow, rows)


# --- for licences ---


async def id_number_enc(conn: Connection, citizen_id: uuid.UUID) -> bytes | None:
    value: bytes | None = await conn.fetchval(
        "SELECT id_number_enc FROM citizens WHERE id = $1", citizen_id
    )
    return value


async def active_department_app_name(conn: Connection, client_id: str) -> str | None:
    name: str | None = await conn.fetchval(
        "SELECT name FROM department_apps WHERE client_id = $1 AND active", client_id
    )
    return name


# --- for payments ---


async def wechat_openid(conn: Connection, citizen_id: uuid.UUID, appid: str) -> str | None:
    value = await conn.fetchval(
        """SELECT openid FROM citizen_wechat WHERE citizen_id = $1 AND appid = $2
           ORDER BY updated_at DESC LIMIT 1""",
        citizen_id,
        appid,
    )
    return None if value is None else str(value)


# --- for supervision ---


class RealNameRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    real_name_enc: bytes | None


async def real_names_enc(conn: Connection, citizen_ids: Sequence[uuid.UUID]) -> list[RealNameRow]:
    return many(
        RealNameRow,
        await conn.fetch(
            "SELECT id, real_name_enc FROM citizens WHERE id = ANY($1::uuid[])", list(citizen_ids)
        ),
    )
