"""Staff accounts, their failed sign-ins and sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

import msgspec

from core.db import Connection, one


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
    department_codes: list[str] | None


_STAFF = """SELECT id, username, display_name, password_hash, totp_secret_enc, totp_last_step,
    role, failed_attempts, locked_until, active, department_codes FROM staff"""


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
    department_codes: list[str] | None


async def create_staff_session(conn: Connection, token_hash: bytes, staff_id: uuid.UUID) -> None:
    await conn.execute(
        "INSERT INTO staff_sessions (token_hash, staff_id) VALUES ($1, $2)", token_hash, staff_id
    )


async def get_staff_session(conn: Connection, token_hash: bytes) -> StaffSessionRow | None:
    row = await conn.fetchrow(
        """SELECT s.staff_id, st.username, st.display_name, st.role, s.created_at,
                  s.last_seen_at, s.ended_at, st.active, st.department_codes
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


async def set_staff_departments(
    conn: Connection, staff_id: uuid.UUID, department_codes: list[str] | None
) -> None:
    await conn.execute(
        "UPDATE staff SET department_codes = $2 WHERE id = $1", staff_id, department_codes
    )


class StaffContactRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    username: str


async def department_supervisors(conn: Connection, department_code: str) -> list[StaffContactRow]:
    """Active supervisors scoped to this department (a province-wide supervisor is not the
    department's own)."""
    rows = await conn.fetch(
        """SELECT id, username FROM staff
            WHERE active AND role = 'supervisor' AND department_codes @> ARRAY[$1]::text[]
            ORDER BY username""",
        department_code,
    )
    return [StaffContactRow(id=r["id"], username=r["username"]) for r in rows]
