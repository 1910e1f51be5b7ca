"""All SQL of identity. Personal data arrives here already encrypted."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
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


# --- token families and refresh tokens -------------------------------------------------------


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


# --- department apps ---------------------------------------------------------------------------


class DepartmentApp(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str
    name: str
    secret_hash: str
    scopes: list[str]
    active: bool


async def get_department_app(conn: Connection, client_id: str) -> DepartmentApp | None:
    row = await conn.fetchrow(
        "SELECT client_id, name, secret_hash, scopes, active FROM department_apps"
        " WHERE client_id = $1",
        client_id,
    )
    return one(DepartmentApp, row)


async def upsert_department_app(
    conn: Connection, client_id: str, name: str, secret_hash: str, scopes: list[str]
) -> None:
    await conn.execute(
        """INSERT INTO department_apps (client_id, name, secret_hash, scopes)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (client_id) DO UPDATE SET name = EXCLUDED.name,
               secret_hash = EXCLUDED.secret_hash, scopes = EXCLUDED.scopes""",
        client_id,
        name,
        secret_hash,
        scopes,
    )


# --- staff -------------------------------------------------------------------------------------


class StaffRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    username: str
    display_name: str
    password_hash: str
    totp_secret_enc: bytes
    totp_last_step: int | None
    role: str
    failed_attempts: int
    locked_until: datetime | None
    active: bool


_STAFF = """SELECT id, username, display_name, password_hash, totp_secret_enc, totp_last_step,
    role, failed_attempts, locked_until, active FROM staff"""


async def staff_usernames(conn: Connection) -> list[str]:
    return [r["username"] for r in await conn.fetch("SELECT username FROM staff")]


async def staff_by_username(conn: Connection, username: str) -> StaffRow | None:
    row = await conn.fetchrow(_STAFF + " WHERE username = $1 FOR UPDATE", username)
    return one(StaffRow, row)


async def staff_by_id(
    conn: Connection, staff_id: uuid.UUID, *, lock: bool = False
) -> StaffRow | None:
    row = await conn.fetchrow(_STAFF + " WHERE id = $1" + (" FOR UPDATE" if lock else ""), staff_id)
    return one(StaffRow, row)


async def record_staff_failure(
    conn: Connection, staff_id: uuid.UUID, max_failures: int, lockout_s: int
) -> bool:
    """Count a failed attempt; lock the account at ``max_failures``. Returns whether locked."""
    locked: bool = await conn.fetchval(
        """UPDATE staff SET failed_attempts = failed_attempts + 1,
               locked_until = CASE WHEN failed_attempts + 1 >= $2
                   THEN now() + make_interval(secs => $3) ELSE locked_until END
           WHERE id = $1 RETURNING locked_until IS NOT NULL AND locked_until > now()""",
        staff_id,
        max_failures,
        float(lockout_s),
    )
    return locked


async def reset_staff_failures(conn: Connection, staff_id: uuid.UUID, totp_step: int) -> None:
    await conn.execute(
        """UPDATE staff SET failed_attempts = 0, locked_until = NULL, totp_last_step = $2
           WHERE id = $1""",
        staff_id,
        totp_step,
    )


async def create_staff(
    conn: Connection,
    *,
    username: str,
    display_name: str,
    password_hash: str,
    totp_secret_enc: bytes,
    role: str,
) -> uuid.UUID:
    staff_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO staff (id, username, display_name, password_hash, totp_secret_enc, role)
           VALUES ($1, $2, $3, $4, $5, $6)""",
        staff_id,
        username,
        display_name,
        password_hash,
        totp_secret_enc,
        role,
    )
    return staff_id


class StaffSessionRow(msgspec.Struct, frozen=True, kw_only=True):
    staff_id: uuid.UUID
    username: str
    display_name: str
    role: str
    created_at: datetime
    last_seen_at: datetime
    ended_at: datetime | None
    active: bool


async def create_staff_session(conn: Connection, token_hash: bytes, staff_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO staff_sessions (token_hash, staff_id) VALUES ($1, $2)", token_hash, staff_id
    )


async def get_staff_session(conn: Connection, token_hash: bytes) -> StaffSessionRow | None:
    row = await conn.fetchrow(
        """SELECT s.staff_id, st.username, st.display_name, st.role, s.created_at,
                  s.last_seen_at, s.ended_at, st.active
             FROM staff_sessions s JOIN staff st ON st.id = s.staff_id
            WHERE s.token_hash = $1""",
        token_hash,
    )
    return one(StaffSessionRow, row)


async def touch_staff_session(conn: Connection, token_hash: bytes) -> None:
    await conn.execute(
        "UPDATE staff_sessions SET last_seen_at = now() WHERE token_hash = $1", token_hash
    )


async def end_staff_session(conn: Connection, token_hash: bytes, why: str) -> None:
    await conn.execute(
        """UPDATE staff_sessions SET ended_at = now(), ended_why = $2
           WHERE token_hash = $1 AND ended_at IS NULL""",
        token_hash,
        why,
    )


# --- for push ---------------------------------------------------------------------------------


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
    where: list[str] = ["c.merged_into IS NULL"]
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
    conn: Connection, *, region_code: str | None, among: Sequence[uuid.UUID] | None
) -> int:
    where, args = _push_audience(region_code, among)
    count: int = await conn.fetchval(f"SELECT count(*) FROM citizens c WHERE {where}", *args)
    return count


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
