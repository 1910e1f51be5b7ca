"""Append-only audit log, chained by SM3 so that a changed or removed row is found.

docs/domain.md §9: every access to a citizen's data is auditable, security logs are kept, and no
one may silently alter or delete them. The table (migration 0004) refuses UPDATE, DELETE and
TRUNCATE with a trigger; the chain is what catches whoever gets past the trigger (a superuser,
or the table owner disabling it).

Chain, precisely:

- ``hash = SM3(prev || canonical)``, where ``prev`` is the previous row's ``hash`` (32 bytes),
  or 32 zero bytes for the first row (whose ``prev_hash`` column is NULL).
- ``canonical`` is the UTF-8 JSON array, as written by ``msgspec.json.encode(...,
  order="sorted")`` (no whitespace, object keys sorted by code point at every depth,
  non-ASCII written as UTF-8, not escaped)::

      ["handheld.audit.v1", id, at, actor_type, actor_id, action, target_type, target_id,
       details, ip, request_id]

  ``id`` is the integer row id; ``at`` is ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` in UTC (microseconds,
  PostgreSQL's precision); absent values are ``null``; ``details`` is the JSON object stored.

The id is hashed too, so a row cannot be moved; each row names its predecessor's hash, so a row
cannot be removed or inserted without breaking the next link. SM3 has no key: a superuser who
rewrites every hash after the tampered row goes undetected by ``verify`` alone. Anchor the chain
by copying ``head()`` somewhere they cannot write (the ops report, another system) now and then.

``details`` holds JSON values only (objects, arrays, strings, integers, booleans, null), and
never a float: PostgreSQL's jsonb rewrites some floats (1e20 comes back as an integer), which
would break the hash. Record amounts in fen and measures as strings.

**Never put plaintext ID numbers or phone numbers in an audit row** (docs/domain.md §9, PIPL): use
``core.pii.mask_id_number`` / ``mask_phone``, or better an internal id. As a safety net, the
free-text fields (actor_id, target_id, every string in details) are passed through
``core.logging.mask_personal_data`` before they are stored and hashed.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal, get_args

import msgspec
from cryptography.hazmat.primitives import hashes

from core.db import Connection
from core.logging import current_request_id, mask_personal_data

ActorType = Literal["citizen", "staff", "department_app", "system", "platform"]
ACTOR_TYPES: frozenset[str] = frozenset(get_args(ActorType))
FORMAT = "handheld.audit.v1"
GENESIS = bytes(32)
# Arbitrary constant shared by every process that appends (core.migrate uses 7_240_301_116).
_LOCK_KEY = 7_240_301_201
# details as text whatever jsonb codec the connection has, so verify sees what was stored.
_SELECT_BATCH = """
    SELECT id, at, actor_type, actor_id, action, target_type, target_id,
           details::text AS details, ip, request_id, prev_hash, hash
    FROM audit_log WHERE id > $1 ORDER BY id LIMIT $2"""
_encode = msgspec.json.Encoder(order="sorted").encode


class AuditError(RuntimeError):
    """An append the chain cannot accept as asked (no transaction, wrong isolation level)."""


class AuditVerification(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome of ``verify``. ``reason`` is a stable code:

    - ``hash_mismatch``: the row's contents (or its hash) changed after it was written;
    - ``broken_link``: its ``prev_hash`` is not the hash of the row before it — a row was
      removed or inserted there, or the row before was rewritten along with its hash;
    - ``missing_predecessor``: the first row names a predecessor — rows were removed from
      the start.
    """

    ok: bool
    rows_checked: int
    first_broken_id: int | None = None
    reason: str | None = None


async def append(
    conn: Connection,
    *,
    actor_type: ActorType,
    actor_id: str | None,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    details: Mapping[str, Any] | None = None,
    ip: str | None = None,
    request_id: str | None = None,
) -> int:
    """Append one row in the caller's transaction; return its id.

    Appends are serialized by a transaction-scoped advisory lock, held until the caller's
    transaction ends: the row exists if and only if the change it records committed, and
    the next append (in any process) links to it. Keep audited transactions short.
    """
    if not conn.is_in_transaction():
        raise AuditError("audit.append must run inside the caller's transaction")
    if actor_type not in ACTOR_TYPES:
        raise ValueError(f"unknown actor_type {actor_type!r}")
    if not action:
        raise ValueError("action is required")
    if request_id is None:
        request_id = current_request_id()
    actor_id = _mask(actor_id)
    target_id = _mask(target_id)
    clean = None if details is None else _clean(msgspec.to_builtins(details, str_keys=True))
    details_json = None if clean is None else _encode(clean).decode("utf-8")

    isolation = await conn.fetchval(
        "SELECT current_setting('transaction_isolation') FROM pg_advisory_xact_lock($1)",
        _LOCK_KEY,
    )
    if isolation != "read committed":
        # A REPEATABLE READ snapshot taken before the lock would not see the row appended by
        # the transaction we just waited for, and the chain would fork.
        raise AuditError(f"audit.append needs READ COMMITTED, not {isolation}")
    # A statement of its own after the lock: under READ COMMITTED its snapshot is taken now,
    # so it sees the row committed by whoever held the lock before us. Ids are drawn under
    # the lock, so they grow in chain order.
    tip = await conn.fetchrow(
        "SELECT nextval(pg_get_serial_sequence('audit_log', 'id')) AS id,"
        " clock_timestamp() AS at,"
        " (SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1) AS prev"
    )
    assert tip is not None
    row_id: int = tip["id"]
    at: datetime = tip["at"]
    prev: bytes | None = tip["prev"]
    digest = chain_hash(
        prev,
        canonical_encoding(
            row_id=row_id,
            at=at,
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            target_type=target_type,
            target_id=target_id,
            details=clean,
            ip=ip,
            request_id=request_id,
        ),
    )
    await conn.execute(
        """INSERT INTO audit_log (id, at, actor_type, actor_id, action, target_type, target_id,
                                  details, ip, request_id, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb, $9, $10, $11, $12)""",
        row_id,
        at,
        actor_type,
        actor_id,
        action,
        target_type,
        target_id,
        details_json,
        ip,
        request_id,
        prev,
        digest,
    )
    return row_id


async def verify(conn: Connection, *, batch_size: int = 1000) -> AuditVerification:
    """Walk the whole log in id order, a batch at a time, and report the first broken row."""
    # Keyset pagination rather than one big fetch: the log grows without bound. Starting below
    # any bigint also covers rows a tamperer inserted with id <= 0.
    last_id = -(2**63)
    expected_prev: bytes | None = None
    checked = 0
    while True:
        rows = await conn.fetch(_SELECT_BATCH, last_id, batch_size)
        if not rows:
            return AuditVerification(ok=True, rows_checked=checked)
        for row in rows:
            checked += 1
            row_id: int = row["id"]
            prev: bytes | None = row["prev_hash"]
            if checked == 1 and prev is not None:
                return _broken(checked, row_id, "missing_predecessor")
            if checked > 1 and prev != expected_prev:
                return _broken(checked, row_id, "broken_link")
            details = None if row["details"] is None else msgspec.json.decode(row["details"])
            canonical = canonical_encoding(
                row_id=row_id,
                at=row["at"],
                actor_type=row["actor_type"],
                actor_id=row["actor_id"],
                action=row["action"],
                target_type=row["target_type"],
                target_id=row["target_id"],
                details=details,
                ip=row["ip"],
                request_id=row["request_id"],
            )
            if chain_hash(prev, canonical) != row["hash"]:
                return _broken(checked, row_id, "hash_mismatch")
            expected_prev = row["hash"]
            last_id = row_id


async def head(conn: Connection) -> tuple[int, bytes] | None:
    """The last row's id and hash, to anchor the chain outside the database."""
    row = await conn.fetchrow("SELECT id, hash FROM audit_log ORDER BY id DESC LIMIT 1")
    return None if row is None else (row["id"], row["hash"])


def canonical_encoding(
    *,
    row_id: int,
    at: datetime,
    actor_type: str,
    actor_id: str | None,
    action: str,
    target_type: str | None,
    target_id: str | None,
    details: Any,
    ip: str | None,
    request_id: str | None,
) -> bytes:
    """The bytes hashed for one row (see the module docstring for the exact form)."""
    return _encode(
        [
            FORMAT,
            row_id,
            at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            actor_type,
            actor_id,
            action,
            target_type,
            target_id,
            details,
            ip,
            request_id,
        ]
    )


def chain_hash(prev: bytes | None, canonical: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(GENESIS if prev is None else prev)
    digest.update(canonical)
    return digest.finalize()


def _broken(checked: int, row_id: int, reason: str) -> AuditVerification:
    return AuditVerification(ok=False, rows_checked=checked, first_broken_id=row_id, reason=reason)


def _mask(value: str | None) -> str | None:
    return None if value is None else mask_personal_data(value)


def _clean(value: Any) -> Any:
    """Masked copy of JSON ``value``; refuses what would not survive jsonb unchanged."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("audit details cannot hold NUL characters (jsonb refuses them)")
        return mask_personal_data(value)
    if isinstance(value, float):
        raise TypeError("audit details cannot hold floats: use integers (fen) or strings")
    if isinstance(value, list | tuple):  # to_builtins leaves tuples as they are
        return [_clean(item) for item in value]
    if isinstance(value, dict):
        return {_clean(key): _clean(item) for key, item in value.items()}
    raise TypeError(f"audit details cannot hold {type(value).__name__}")


__all__ = [
    "ACTOR_TYPES",
    "ActorType",
    "AuditError",
    "AuditVerification",
    "append",
    "canonical_encoding",
    "chain_hash",
    "head",
    "verify",
]
