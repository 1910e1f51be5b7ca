"""All SQL of the e-licence wallet."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import msgspec

from api.licences.schemas import DeclarationLicence
from core.db import Connection, many, one

_LICENCE = """l.id, l.licence_number, l.citizen_id, l.type_code, l.name, l.issued_at,
    l.declaration_id, l.status, l.problem, l.holder_name_enc, l.holder_id_hash, l.issuer_code,
    l.issuer_name, l.valid_from, l.valid_until, l.revoked_at, l.revocation_reason,
    l.signed_data_enc, l.signature, l.key_id, l.file_key, l.file_type, l.imported_at"""


class LicenceRow(msgspec.Struct, frozen=True, kw_only=True):
    """A wallet row (``_LICENCE``)."""

    id: uuid.UUID
    licence_number: str
    citizen_id: uuid.UUID
    type_code: str
    name: str
    issued_at: datetime
    declaration_id: uuid.UUID | None
    status: str
    problem: str | None
    holder_name_enc: bytes | None
    holder_id_hash: bytes | None
    issuer_code: str | None
    issuer_name: str | None
    valid_from: date | None
    valid_until: date | None
    revoked_at: datetime | None
    revocation_reason: str | None
    signed_data_enc: bytes | None
    signature: bytes | None
    key_id: str | None
    file_key: str | None
    file_type: str | None
    imported_at: datetime | None


class DisplaySourceRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    type_code: str
    status: str
    valid_from: date | None
    valid_until: date | None
    holder_name_enc: bytes | None


class DisplayRow(msgspec.Struct, frozen=True, kw_only=True):
    """A display code's row with what a verifier is answered about its licence."""

    display_id: uuid.UUID
    expires_at: datetime
    code_digest: bytes | None
    id: uuid.UUID
    citizen_id: uuid.UUID
    type_code: str
    name: str
    status: str
    issuer_name: str | None
    valid_from: date | None
    valid_until: date | None


class VerificationRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    verified_at: datetime
    outcome: str
    verifier: str | None


class ConsentRow(msgspec.Struct, frozen=True, kw_only=True):
    """A consent with its licence's number and name (``_CONSENT``)."""

    id: uuid.UUID
    citizen_id: uuid.UUID
    licence_id: uuid.UUID
    grantee_kind: str
    grantee_id: str
    grantee_name: str
    purpose: str
    pairwise_sub: str | None
    granted_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    licence_number: str
    licence_name: str


class DepartmentConsentRow(ConsentRow, frozen=True, kw_only=True):
    """A department app's consent with the signed licence it gives access to."""

    status: str
    issuer_code: str | None
    issuer_name: str | None
    valid_from: date | None
    valid_until: date | None
    signed_data_enc: bytes | None
    signature: bytes | None
    key_id: str | None
    type_code: str


class UseRow(msgspec.Struct, frozen=True, kw_only=True):
    id: uuid.UUID
    used_at: datetime
    purpose: str
    consent_id: uuid.UUID
    licence_id: uuid.UUID
    licence_number: str
    licence_name: str
    grantee_kind: str
    grantee_id: str
    grantee_name: str


# --- licences ------------------------------------------------------------------------------------


async def add_pending(
    conn: Connection,
    *,
    licence_number: str,
    citizen_id: uuid.UUID,
    type_code: str,
    name: str,
    issued_at: datetime,
    declaration_id: uuid.UUID | None,
) -> bool:
    status = await conn.execute(
        """INSERT INTO citizen_licences (licence_number, citizen_id, type_code, name, issued_at,
               declaration_id) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT (licence_number) DO NOTHING""",
        licence_number,
        citizen_id,
        type_code,
        name,
        issued_at,
        declaration_id,
    )
    return bool(status.endswith(" 1"))


async def list_for(conn: Connection, citizen_id: uuid.UUID) -> list[LicenceRow]:
    rows = await conn.fetch(
        f"SELECT {_LICENCE} FROM citizen_licences l WHERE l.citizen_id = $1"
        " ORDER BY l.issued_at DESC, l.licence_number",
        citizen_id,
    )
    return many(LicenceRow, rows)


async def get(conn: Connection, licence_id: uuid.UUID, citizen_id: uuid.UUID) -> LicenceRow | None:
    row = await conn.fetchrow(
        f"SELECT {_LICENCE} FROM citizen_licences l WHERE l.id = $1 AND l.citizen_id = $2",
        licence_id,
        citizen_id,
    )
    return one(LicenceRow, row)


async def by_number(
    conn: Connection, licence_number: str, citizen_id: uuid.UUID | None = None
) -> LicenceRow | None:
    row = await conn.fetchrow(
        f"""SELECT {_LICENCE} FROM citizen_licences l
             WHERE l.licence_number = $1 AND ($2::uuid IS NULL OR l.citizen_id = $2)""",
        licence_number,
        citizen_id,
    )
    return one(LicenceRow, row)


async def update(conn: Connection, licence_number: str, **fields: Any) -> None:
    columns = list(fields)
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(columns, start=2))
    await conn.execute(
        f"UPDATE citizen_licences SET {assignments} WHERE licence_number = $1",
        licence_number,
        *(fields[c] for c in columns),
    )


async def pending_numbers(conn: Connection, limit: int = 100) -> list[str]:
    rows = await conn.fetch(
        "SELECT licence_number FROM citizen_licences WHERE status = 'pending'"
        " ORDER BY issued_at LIMIT $1",
        limit,
    )
    return [r["licence_number"] for r in rows]


async def feed_position(conn: Connection, *, lock: bool = False) -> int:
    suffix = " FOR UPDATE" if lock else ""
    return int(await conn.fetchval("SELECT position FROM licence_feed" + suffix))


async def set_feed_position(conn: Connection, position: int) -> None:
    await conn.execute("UPDATE licence_feed SET position = $1, updated_at = now()", position)


# --- display codes and their verifications -------------------------------------------------------


# The columns a display code needs (not the encrypted signed document: kilobytes per read).
DISPLAY_SOURCE_SQL = """SELECT id, type_code, status, valid_from, valid_until, holder_name_enc
                          FROM citizen_licences WHERE id = $1 AND citizen_id = $2"""
ADD_DISPLAY_SQL = """INSERT INTO licence_displays (id, licence_id, citizen_id, issued_at, expires_at,
                         code_digest)
                     VALUES ($1, $2, $3, $4, $5, $6)"""
# What a verifier is answered, and what the log row needs.
DISPLAY_SQL = """SELECT d.id AS display_id, d.expires_at, d.code_digest, l.id, l.citizen_id,
                        l.type_code, l.name,
                        l.status, l.issuer_name, l.valid_from, l.valid_until
                   FROM licence_displays d JOIN citizen_licences l ON l.id = d.licence_id
                  WHERE d.id = $1"""
ADD_VERIFICATION_SQL = """INSERT INTO licence_verifications (id, display_id, licence_id, citizen_id,
                              outcome, verifier, verifier_ip, verified_at)
                          VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"""


async def add_display(
    conn: Connection,
    display_id: uuid.UUID,
    licence_id: uuid.UUID,
    citizen_id: uuid.UUID,
    issued_at: datetime,
    expires_at: datetime,
    code_digest: bytes,
) -> None:
    await conn.execute(
        ADD_DISPLAY_SQL, display_id, licence_id, citizen_id, issued_at, expires_at, code_digest
    )


async def display_source(
    conn: Connection, licence_id: uuid.UUID, citizen_id: uuid.UUID
) -> DisplaySourceRow | None:
    return one(DisplaySourceRow, await conn.fetchrow(DISPLAY_SOURCE_SQL, licence_id, citizen_id))


async def display(conn: Connection, display_id: uuid.UUID) -> DisplayRow | None:
    return one(DisplayRow, await conn.fetchrow(DISPLAY_SQL, display_id))


async def add_verification(
    conn: Connection,
    *,
    display_id: uuid.UUID,
    licence_id: uuid.UUID,
    citizen_id: uuid.UUID,
    outcome: str,
    verifier: str | None,
    verifier_ip: str | None,
    at: datetime,
) -> uuid.UUID:
    verification_id = uuid.uuid4()
    await conn.execute(
        ADD_VERIFICATION_SQL,
        verification_id,
        display_id,
        licence_id,
        citizen_id,
        outcome,
        verifier,
        verifier_ip,
        at,
    )
    return verification_id


async def verifications(
    conn: Connection, licence_id: uuid.UUID, citizen_id: uuid.UUID, limit: int = 200
) -> list[VerificationRow]:
    rows = await conn.fetch(
        """SELECT id, verified_at, outcome, verifier FROM licence_verifications
            WHERE licence_id = $1 AND citizen_id = $2 ORDER BY verified_at DESC LIMIT $3""",
        licence_id,
        citizen_id,
        limit,
    )
    return many(VerificationRow, rows)


# --- consents and uses ---------------------------------------------------------------------------

_CONSENT = """c.id, c.citizen_id, c.licence_id, c.grantee_kind, c.grantee_id, c.grantee_name,
    c.purpose, c.pairwise_sub, c.granted_at, c.expires_at, c.revoked_at,
    l.licence_number, l.name AS licence_name"""


async def active_consent(
    conn: Connection, licence_id: uuid.UUID, grantee_kind: str, grantee_id: str
) -> ConsentRow | None:
    row = await conn.fetchrow(
        f"""SELECT {_CONSENT} FROM licence_consents c JOIN citizen_licences l ON l.id = c.licence_id
             WHERE c.licence_id = $1 AND c.grantee_kind = $2 AND c.grantee_id = $3
               AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > now())""",
        licence_id,
        grantee_kind,
        grantee_id,
    )
    return one(ConsentRow, row)


async def add_consent(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    licence_id: uuid.UUID,
    grantee_kind: str,
    grantee_id: str,
    grantee_name: str,
    purpose: str,
    pairwise_sub: str | None,
    expires_at: datetime | None,
) -> uuid.UUID:
    # One active consent per licence and grantee: a new grant replaces the previous one.
    await conn.execute(
        """UPDATE licence_consents SET revoked_at = now()
            WHERE licence_id = $1 AND grantee_kind = $2 AND grantee_id = $3
              AND revoked_at IS NULL""",
        licence_id,
        grantee_kind,
        grantee_id,
    )
    consent_id = uuid.uuid4()
    await conn.execute(
        """INSERT INTO licence_consents (id, citizen_id, licence_id, grantee_kind, grantee_id,
               grantee_name, purpose, pairwise_sub, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        consent_id,
        citizen_id,
        licence_id,
        grantee_kind,
        grantee_id,
        grantee_name,
        purpose,
        pairwise_sub,
        expires_at,
    )
    return consent_id


async def consents(conn: Connection, citizen_id: uuid.UUID) -> list[ConsentRow]:
    rows = await conn.fetch(
        f"""SELECT {_CONSENT} FROM licence_consents c
              JOIN citizen_licences l ON l.id = c.licence_id
             WHERE c.citizen_id = $1 ORDER BY c.granted_at DESC, c.id""",
        citizen_id,
    )
    return many(ConsentRow, rows)


async def revoke_consent(conn: Connection, consent_id: uuid.UUID, citizen_id: uuid.UUID) -> bool:
    """False when the citizen has no such consent (an already revoked one is found)."""
    found = await conn.fetchval(
        """UPDATE licence_consents SET revoked_at = coalesce(revoked_at, now())
            WHERE id = $1 AND citizen_id = $2 RETURNING id""",
        consent_id,
        citizen_id,
    )
    return found is not None


async def department_consents(
    conn: Connection, client_id: str, pairwise_sub: str
) -> list[DepartmentConsentRow]:
    rows = await conn.fetch(
        f"""SELECT {_CONSENT}, l.status, l.issuer_code, l.issuer_name, l.valid_from,
                   l.valid_until, l.signed_data_enc, l.signature, l.key_id, l.type_code
              FROM licence_consents c JOIN citizen_licences l ON l.id = c.licence_id
             WHERE c.grantee_kind = 'department_app' AND c.grantee_id = $1
               AND c.pairwise_sub = $2 AND c.revoked_at IS NULL
               AND (c.expires_at IS NULL OR c.expires_at > now())
             ORDER BY c.granted_at""",
        client_id,
        pairwise_sub,
    )
    return many(DepartmentConsentRow, rows)


async def add_use(
    conn: Connection,
    *,
    consent_id: uuid.UUID,
    citizen_id: uuid.UUID,
    licence_id: uuid.UUID,
    purpose: str,
) -> None:
    await conn.execute(
        """INSERT INTO licence_uses (id, consent_id, citizen_id, licence_id, purpose)
           VALUES ($1, $2, $3, $4, $5)""",
        uuid.uuid4(),
        consent_id,
        citizen_id,
        licence_id,
        purpose,
    )


async def uses(conn: Connection, citizen_id: uuid.UUID, limit: int = 200) -> list[UseRow]:
    rows = await conn.fetch(
        """SELECT u.id, u.used_at, u.purpose, u.consent_id, u.licence_id, l.licence_number,
                  l.name AS licence_name, c.grantee_kind, c.grantee_id, c.grantee_name
             FROM licence_uses u
             JOIN licence_consents c ON c.id = u.consent_id
             JOIN citizen_licences l ON l.id = u.licence_id
            WHERE u.citizen_id = $1 ORDER BY u.used_at DESC, u.id LIMIT $2""",
        citizen_id,
        limit,
    )
    return many(UseRow, rows)


# --- one person, one account (api.identity joins a person's accounts) ----------------------------


def _rows(status: str) -> int:
    return int(status.rsplit(" ", 1)[-1])


async def absorb_citizen(
    conn: Connection, source: uuid.UUID, target: uuid.UUID, pairwise_sub: Callable[[str], str]
) -> dict[str, int]:
    """Every wallet row of ``source`` becomes ``target``'s. The access logs move too (migration
    0021 lets a log row follow its citizen into the account that absorbed it, nothing else)."""
    for row in await conn.fetch(
        """SELECT DISTINCT grantee_id FROM licence_consents
            WHERE citizen_id = $1 AND grantee_kind = 'department_app'""",
        source,
    ):
        await conn.execute(
            """UPDATE licence_consents SET pairwise_sub = $3
                WHERE citizen_id = $1 AND grantee_kind = 'department_app' AND grantee_id = $2""",
            source,
            row["grantee_id"],
            pairwise_sub(row["grantee_id"]),
        )
    moved = {}
    for table in (
        "citizen_licences",
        "licence_displays",
        "licence_verifications",
        "licence_consents",
        "licence_uses",
    ):
        moved[table] = _rows(
            await conn.execute(
                f"UPDATE {table} SET citizen_id = $2 WHERE citizen_id = $1", source, target
            )
        )
    return moved


# --- for declarations ---------------------------------------------------------------------------


class DeclarationUse(msgspec.Struct, frozen=True, kw_only=True):
    licence_number: str
    status: str
    valid_until: date | None
    consent_id: uuid.UUID | None


# What may satisfy a material: not revoked, not rejected on import, not expired.
_USABLE = """status IN ('pending', 'valid')
    AND (valid_until IS NULL OR valid_until >= (now() AT TIME ZONE 'Asia/Shanghai')::date)"""


async def usable_for_declaration(
    conn: Connection, citizen_id: uuid.UUID, licence_number: str | None = None
) -> list[DeclarationLicence]:
    """The citizen's usable licences (or the one numbered ``licence_number``), newest first."""
    return many(
        DeclarationLicence,
        await conn.fetch(
            f"""SELECT licence_number, type_code, name, issued_at FROM citizen_licences
                WHERE citizen_id = $1 AND ($2::text IS NULL OR licence_number = $2) AND {_USABLE}
                ORDER BY issued_at DESC""",
            citizen_id,
            licence_number,
        ),
    )


async def types_of(conn: Connection, licence_numbers: list[str]) -> dict[str, str]:
    rows = await conn.fetch(
        "SELECT licence_number, type_code FROM citizen_licences WHERE licence_number = ANY($1)",
        licence_numbers,
    )
    return {r["licence_number"]: r["type_code"] for r in rows}


async def use_for_declaration(
    conn: Connection, citizen_id: uuid.UUID, licence_numbers: list[str], declaration_id: str
) -> list[DeclarationUse]:
    """Log a use of each licence under its active consent to this declaration, in one
    statement; answers every licence found with its consent (None: no active consent, no use)."""
    return many(
        DeclarationUse,
        await conn.fetch(
            """WITH found AS (
                   SELECT l.id, l.licence_number, l.status, l.valid_until, c.id AS consent_id,
                          c.purpose
                     FROM citizen_licences l
                     LEFT JOIN licence_consents c ON c.licence_id = l.id
                          AND c.grantee_kind = 'declaration' AND c.grantee_id = $3
                          AND c.revoked_at IS NULL AND (c.expires_at IS NULL OR c.expires_at > now())
                    WHERE l.citizen_id = $1 AND l.licence_number = ANY($2::text[])
               ), used AS (
                   INSERT INTO licence_uses (id, consent_id, citizen_id, licence_id, purpose)
                   SELECT gen_random_uuid(), consent_id, $1, id, purpose FROM found
                    WHERE consent_id IS NOT NULL)
               SELECT licence_number, status, valid_until, consent_id FROM found""",
            citizen_id,
            licence_numbers,
            declaration_id,
        ),
    )
