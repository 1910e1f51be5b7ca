"""Idempotency-Key: a replay of a POST gets the first request's answer.

A route that takes the key runs its work through ``once``, inside the request's transaction:

1. Claim ``(citizen, route, key)`` with ``INSERT … ON CONFLICT DO NOTHING``. A concurrent copy
   of the request blocks on the primary key until the first one's transaction ends. If that
   committed, the claim finds the row and the copy answers with what the first stored — the
   same status and the same bytes, marked ``Idempotent-Replayed: true``. If it rolled back, the
   row is gone and the copy runs as a new request.
2. Run the work; encode its answer once; store the answer on the claimed row. The answer
   commits with the change it describes, so there is an answer exactly when there is a change.

Only successes are kept. A refusal (any exception) rolls the claim back with everything else,
so the same key may be tried again once the cause is fixed (a missing material attached).

The request's fingerprint (what it targets and its body) is stored with the claim: the same key
with another request is ``IDEMPOTENCY_KEY_REUSED`` (422, as Stripe answers it). Keys are scoped
to the citizen and the route: the same spelling elsewhere is another key.

Keys are kept ``TTL`` (24 h); the hourly ``PURGE_JOB`` deletes older ones. A retry later than
that is a new request, which the domains' own unique keys still stop from doing anything twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Response
from litestar.serialization import encode_json

from core.db import Connection, Pool
from core.errors import DomainError, IdempotencyKeyReused
from core.jobs import JobRegistry

log = logging.getLogger(__name__)

TTL = timedelta(hours=24)
PURGE_JOB = "idempotency.purge"
PURGE_CRON = "17 * * * *"
REPLAYED_HEADER = "Idempotent-Replayed"
_fingerprint_encoder = msgspec.json.Encoder(order="sorted")


def fingerprint(request: Any) -> bytes:
    """SHA-256 of the request as our code understood it (ids, the decoded body): two spellings
    of one JSON body are the same request."""
    return hashlib.sha256(_fingerprint_encoder.encode(request)).digest()


async def once(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    route: str,
    key: str,
    request: Any,
    run: Callable[[], Awaitable[Any]],
    status_code: int = 200,
) -> Response[Any]:
    """The answer of ``run()`` for this key, computed once (see the module's doc).

    ``conn`` must be the request's transaction; ``request`` is whatever identifies the request
    beyond the route (the target's id, the body); ``run`` returns what the route answers."""
    digest = fingerprint(request)
    stored = await _claim(conn, citizen_id, route, key, digest)
    if stored is not None:
        return _answer(*stored, replayed=True)
    try:
        result = await run()
    except DomainError as exc:
        if exc.keep_changes:  # this transaction commits: the claim must not outlive the refusal
            await _release(conn, citizen_id, route, key)
        raise
    body = encode_json(result)
    await conn.execute(
        """UPDATE idempotency_keys SET status_code = $4, response_body = $5
           WHERE citizen_id = $1 AND route = $2 AND key = $3""",
        citizen_id,
        route,
        key,
        status_code,
        body,
    )
    return _answer(status_code, body, replayed=False)


async def _claim(
    conn: Connection, citizen_id: uuid.UUID, route: str, key: str, digest: bytes
) -> tuple[int, bytes] | None:
    """None when this request holds the key now; the stored answer when an earlier one does."""
    while True:
        claimed = await conn.fetchval(
            """INSERT INTO idempotency_keys (citizen_id, route, key, request_hash)
               VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING true""",
            citizen_id,
            route,
            key,
            digest,
        )
        if claimed:
            return None
        # Read committed: this statement sees the row the blocking transaction committed.
        row = await conn.fetchrow(
            """SELECT request_hash, status_code, response_body FROM idempotency_keys
               WHERE citizen_id = $1 AND route = $2 AND key = $3""",
            citizen_id,
            route,
            key,
        )
        if row is None:
            continue  # purged between the two statements: claim it afresh
        if bytes(row["request_hash"]) != digest:
            raise IdempotencyKeyReused()
        if row["status_code"] is None:
            # Only a row this module failed to fill or release could be here; never replay
            # an answer that does not exist, let the domain's own rules answer instead.
            log.error("idempotency key without an answer", extra={"route": route})
            return None
        return int(row["status_code"]), bytes(row["response_body"])


async def _release(conn: Connection, citizen_id: uuid.UUID, route: str, key: str) -> None:
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE citizen_id = $1 AND route = $2 AND key = $3",
        citizen_id,
        route,
        key,
    )


async def forget(conn: Connection, citizen_id: uuid.UUID, route: str, key: str) -> None:
    """The domain undid what the key's answer describes (a refused submission back to a draft):
    the same key may now ask again and gets a new answer, not the old one replayed."""
    await _release(conn, citizen_id, route, key)


def _answer(status_code: int, body: bytes, *, replayed: bool) -> Response[Any]:
    headers = {REPLAYED_HEADER: "true"} if replayed else {}
    return Response(body, status_code=status_code, media_type="application/json", headers=headers)


async def purge(pool: Pool) -> int:
    """Forget keys older than ``TTL``; returns how many."""
    async with pool.acquire() as conn:
        done = await conn.execute(
            "DELETE FROM idempotency_keys WHERE created_at < now() - $1::interval", TTL
        )
    count = int(done.split()[-1])
    if count:
        log.info("idempotency keys purged", extra={"count": count})
    return count


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: the absorbed account's keys answer for the survivor, so a
    retry from a session that was in flight during the merge still gets its first answer.
    A key both accounts used (client-made UUIDs: practically never) keeps the survivor's."""
    done = await conn.execute(
        """UPDATE idempotency_keys k SET citizen_id = $2
            WHERE k.citizen_id = $1
              AND NOT EXISTS (SELECT 1 FROM idempotency_keys o
                               WHERE o.citizen_id = $2 AND o.route = k.route AND o.key = k.key)""",
        source,
        target,
    )
    await conn.execute("DELETE FROM idempotency_keys WHERE citizen_id = $1", source)
    return {"idempotency_keys": int(done.split()[-1])}


def register(registry: JobRegistry, pool: Pool) -> None:
    async def run(_: None) -> None:
        await purge(pool)

    registry.register(PURGE_JOB, run, concurrency_limit=1)
    registry.every(PURGE_CRON, PURGE_JOB)


__all__ = ["PURGE_JOB", "REPLAYED_HEADER", "TTL", "fingerprint", "once", "purge", "register"]
