from __future__ import annotations

import asyncio
import itertools
import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
import pytest
from cryptography.hazmat.primitives import hashes

from core import audit
from core.audit import AuditError, AuditVerification
from core.logging import bind_request_id, unbind_request_id


async def add(conn: asyncpg.Connection, n: int = 1, **fields: Any) -> list[int]:
    ids = []
    for i in range(n):
        async with conn.transaction():
            kwargs: dict[str, Any] = {
                "actor_type": "staff",
                "actor_id": "s-1",
                "action": "case.view",
                "target_type": "case",
                "target_id": f"c-{i}",
                "details": {"i": i, "reason": "审核"},
                **fields,
            }
            ids.append(await audit.append(conn, **kwargs))
    return ids


async def tamper(conn: asyncpg.Connection, sql: str, *args: Any) -> None:
    """What a superuser (or the table owner) can do: switch the guard off, change, switch on."""
    await conn.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
    try:
        await conn.execute(sql, *args)
    finally:
        for trigger in ("audit_log_no_update_delete", "audit_log_no_truncate"):
            await conn.execute(f"ALTER TABLE audit_log ENABLE ALWAYS TRIGGER {trigger}")


def sm3(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SM3())
    digest.update(data)
    return digest.finalize()


async def test_append_outside_a_transaction_is_refused(db: asyncpg.Connection) -> None:
    with pytest.raises(AuditError):
        await audit.append(db, actor_type="system", actor_id=None, action="boot")
    assert await db.fetchval("SELECT count(*) FROM audit_log") == 0


async def test_append_under_repeatable_read_is_refused(db: asyncpg.Connection) -> None:
    with pytest.raises(AuditError, match="READ COMMITTED"):
        async with db.transaction(isolation="repeatable_read"):
            await audit.append(db, actor_type="system", actor_id=None, action="boot")


async def test_empty_log_verifies(db: asyncpg.Connection) -> None:
    assert await audit.verify(db) == AuditVerification(ok=True, rows_checked=0)
    assert await audit.head(db) is None


async def test_chain_is_linked_and_verifies(db: asyncpg.Connection) -> None:
    ids = await add(db, 5)
    assert ids == sorted(ids) and len(set(ids)) == 5
    rows = await db.fetch("SELECT id, prev_hash, hash FROM audit_log ORDER BY id")
    assert rows[0]["prev_hash"] is None
    for before, row in itertools.pairwise(rows):
        assert row["prev_hash"] == before["hash"]
    result = await audit.verify(db, batch_size=2)
    assert result == AuditVerification(ok=True, rows_checked=5)
    assert await audit.head(db) == (rows[-1]["id"], rows[-1]["hash"])


async def test_hash_follows_the_documented_encoding(db: asyncpg.Connection) -> None:
    """Recompute with the stdlib json module and SM3, as an outside auditor would."""
    token = bind_request_id("req-12345678")[1]
    try:
        await add(
            db, 2, details={"b": [1, {"z": None, "a": True}], "a": "张三 申请"}, ip="10.0.0.1"
        )
    finally:
        unbind_request_id(token)
    rows = await db.fetch("SELECT *, details::text AS details_text FROM audit_log ORDER BY id")
    prev = bytes(32)
    for row in rows:
        assert row["request_id"] == "req-12345678"
        at: datetime = row["at"]
        canonical = json.dumps(
            [
                "handheld.audit.v1",
                row["id"],
                at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                row["actor_type"],
                row["actor_id"],
                row["action"],
                row["target_type"],
                row["target_id"],
                json.loads(row["details_text"]),
                row["ip"],
                row["request_id"],
            ],
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        assert row["hash"] == sm3(prev + canonical)
        prev = row["hash"]


async def test_update_delete_truncate_are_refused(db: asyncpg.Connection) -> None:
    [row_id] = await add(db)
    statements = [
        "UPDATE audit_log SET action = 'x'",
        "UPDATE audit_log SET action = 'x' WHERE false",
        "DELETE FROM audit_log",
        "TRUNCATE audit_log",
    ]
    for sql in statements:
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await db.execute(sql)
    # The replica role skips ordinary triggers; these are ENABLE ALWAYS.
    await db.execute("SET session_replication_role = replica")
    try:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await db.execute("DELETE FROM audit_log")
    finally:
        await db.execute("SET session_replication_role = origin")
    assert await db.fetchval("SELECT action FROM audit_log WHERE id = $1", row_id) == "case.view"


async def test_a_changed_row_is_reported(db: asyncpg.Connection) -> None:
    ids = await add(db, 6)
    await tamper(db, "UPDATE audit_log SET details = '{\"i\": 99}' WHERE id = $1", ids[3])
    result = await audit.verify(db, batch_size=2)
    assert result == AuditVerification(
        ok=False, rows_checked=4, first_broken_id=ids[3], reason="hash_mismatch"
    )


@pytest.mark.parametrize(
    "column, value",
    [("actor_id", "s-2"), ("at", datetime(2020, 1, 1, tzinfo=UTC)), ("ip", "1.2.3.4")],
)
async def test_any_column_change_is_reported(
    db: asyncpg.Connection, column: str, value: object
) -> None:
    ids = await add(db, 3)
    await tamper(db, f"UPDATE audit_log SET {column} = $1 WHERE id = $2", value, ids[1])
    result = await audit.verify(db)
    assert (result.first_broken_id, result.reason) == (ids[1], "hash_mismatch")


async def test_a_removed_row_breaks_the_next_link(db: asyncpg.Connection) -> None:
    ids = await add(db, 5)
    await tamper(db, "DELETE FROM audit_log WHERE id = $1", ids[2])
    result = await audit.verify(db, batch_size=3)
    assert (result.ok, result.first_broken_id, result.reason) == (False, ids[3], "broken_link")


async def test_a_rewritten_row_with_a_fresh_hash_breaks_the_next_link(
    db: asyncpg.Connection,
) -> None:
    ids = await add(db, 4)
    row = await db.fetchrow("SELECT * FROM audit_log WHERE id = $1", ids[1])
    assert row is not None
    canonical = audit.canonical_encoding(
        row_id=row["id"],
        at=row["at"],
        actor_type=row["actor_type"],
        actor_id="someone-else",
        action=row["action"],
        target_type=row["target_type"],
        target_id=row["target_id"],
        details=None,
        ip=row["ip"],
        request_id=row["request_id"],
    )
    await tamper(
        db,
        "UPDATE audit_log SET actor_id = 'someone-else', details = NULL, hash = $1 WHERE id = $2",
        audit.chain_hash(row["prev_hash"], canonical),
        ids[1],
    )
    result = await audit.verify(db)
    assert (result.first_broken_id, result.reason) == (ids[2], "broken_link")


async def test_rows_removed_from_the_start_are_reported(db: asyncpg.Connection) -> None:
    ids = await add(db, 3)
    await tamper(db, "DELETE FROM audit_log WHERE id = $1", ids[0])
    result = await audit.verify(db)
    assert (result.first_broken_id, result.reason) == (ids[1], "missing_predecessor")


async def test_a_rolled_back_append_leaves_a_valid_chain(db: asyncpg.Connection) -> None:
    await add(db, 2)
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await audit.append(db, actor_type="citizen", actor_id="u-1", action="x")
            raise RuntimeError("the change being audited failed")
    await add(db, 2)
    assert await audit.verify(db) == AuditVerification(ok=True, rows_checked=4)


async def test_concurrent_appends_keep_one_chain(db: asyncpg.Connection, database_url: str) -> None:
    conns = [await asyncpg.connect(database_url) for _ in range(5)]

    async def writer(conn: asyncpg.Connection, n: int) -> None:
        for i in range(10):
            async with conn.transaction():
                await audit.append(
                    conn, actor_type="system", actor_id=f"w{n}", action="tick", details={"i": i}
                )
                # Hold the transaction a little, so the writers really contend for the lock.
                await asyncio.sleep(random.random() / 200)

    try:
        await asyncio.gather(*(writer(conn, n) for n, conn in enumerate(conns)))
    finally:
        for conn in conns:
            await conn.close()
    assert await audit.verify(db, batch_size=7) == AuditVerification(ok=True, rows_checked=50)


async def test_details_are_json_only_and_masked(db: asyncpg.Connection) -> None:
    class Reason(msgspec.Struct):
        code: str
        at: datetime

    async with db.transaction():
        row_id = await audit.append(
            db,
            actor_type="department_app",
            actor_id="app-1",
            action="licence.read",
            target_type="citizen",
            target_id="11010519491231002X",
            details={
                "holder": "证件号 11010519491231002X 电话 13812345678",
                "reason": Reason(code="R1", at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
                "case": uuid.UUID(int=1),
                "big": 2**70,
                "tags": ("a", "b"),
            },
        )
    row = await db.fetchrow(
        "SELECT target_id, details::text AS d FROM audit_log WHERE id = $1", row_id
    )
    assert row is not None
    details = json.loads(row["d"])
    assert row["target_id"] == "1101**********002X"
    assert details["holder"] == "证件号 1101**********002X 电话 138****5678"
    assert details["reason"] == {"code": "R1", "at": "2026-01-02T03:04:05Z"}
    assert details["case"] == str(uuid.UUID(int=1)) and details["big"] == 2**70
    assert details["tags"] == ["a", "b"]
    assert (await audit.verify(db)).ok

    for bad in ({"amount": 1.5}, {"nested": [{"x": 1e20}]}, {"s": "a\x00b"}):
        with pytest.raises((TypeError, ValueError)):
            async with db.transaction():
                await audit.append(db, actor_type="system", actor_id=None, action="x", details=bad)
    with pytest.raises(ValueError):
        async with db.transaction():
            await audit.append(db, actor_type="robot", actor_id=None, action="x")  # type: ignore[arg-type]


async def test_works_on_a_connection_with_the_jsonb_codec(db: asyncpg.Connection) -> None:
    # The pool's connections decode jsonb with msgspec (core.db); the chain must not care.
    await db.set_type_codec(
        "jsonb",
        encoder=lambda v: msgspec.json.encode(v).decode(),
        decoder=msgspec.json.decode,
        schema="pg_catalog",
    )
    await add(db, 3, details={"k": ["v", 1]})
    assert (await audit.verify(db)).ok
    assert await db.fetchval("SELECT details FROM audit_log LIMIT 1") == {"k": ["v", 1]}
