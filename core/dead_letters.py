"""Jobs that gave up (pgqueuer's `failed` rows, parked by ``core.jobs``): listed, requeued with
their attempts reset, or discarded — each change written to pgqueuer's log as pgqueuer's own
requeue does. The job queue is core's, so its SQL lives here; the ops console is its one user."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from core.db import Connection, many, one


class DeadLetterRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    entrypoint: str
    attempts: int
    created: datetime
    updated: datetime
    payload: bytes | None
    # pgqueuer's log entry of the last failure (a JSON object), None when it kept none.
    last_error: Any


class ParkedJobRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    entrypoint: str
    payload: bytes | None
    dedupe_key: str | None


async def failed_jobs(conn: Connection, limit: int) -> list[DeadLetterRow]:
    return many(
        DeadLetterRow,
        await conn.fetch(
            """SELECT j.id, j.entrypoint, j.attempts, j.created, j.updated, j.payload,
                      (SELECT l.traceback FROM pgqueuer_log l
                        WHERE l.job_id = j.id AND l.traceback IS NOT NULL
                        ORDER BY l.id DESC LIMIT 1) AS last_error
                 FROM pgqueuer j WHERE j.status = 'failed' ORDER BY j.id DESC LIMIT $1""",
            limit,
        ),
    )


async def parked_job(conn: Connection, job_id: int) -> ParkedJobRow | None:
    """The parked job, locked until the caller's transaction ends."""
    return one(
        ParkedJobRow,
        await conn.fetchrow(
            """SELECT id, entrypoint, payload, dedupe_key FROM pgqueuer
                WHERE id = $1 AND status = 'failed' FOR UPDATE""",
            job_id,
        ),
    )


async def live_duplicate(conn: Connection, dedupe_key: str, job_id: int) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM pgqueuer WHERE dedupe_key = $1 AND id <> $2
                                 AND status IN ('queued', 'picked'))""",
            dedupe_key,
            job_id,
        )
    )


async def requeue(conn: Connection, job_id: int) -> None:
    """Back in the queue with its attempts reset (as pgqueuer's own requeue), logged."""
    await conn.execute(
        """WITH requeued AS (
               UPDATE pgqueuer SET status = 'queued', execute_after = now(), updated = now(),
                                   attempts = 0, queue_manager_id = NULL
                WHERE id = $1 AND status = 'failed'
            RETURNING id, entrypoint, priority)
           INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
           SELECT id, 'queued', entrypoint, priority FROM requeued""",
        job_id,
    )


async def discard(conn: Connection, job_id: int) -> None:
    await conn.execute(
        """WITH gone AS (
               DELETE FROM pgqueuer WHERE id = $1 AND status = 'failed'
            RETURNING id, entrypoint, priority)
           INSERT INTO pgqueuer_log (job_id, status, entrypoint, priority)
           SELECT id, 'deleted', entrypoint, priority FROM gone""",
        job_id,
    )
