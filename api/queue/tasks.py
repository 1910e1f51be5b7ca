"""Jobs of queue numbers: take a number from the hall's calling system, apply its events.

Job names and payloads live here; the service enqueues them, the handlers call the service.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.queue.service import QueueService

TAKE_JOB = "queue.take_number"
APPLY_JOB = "queue.apply_event"
# The citizen stands in the hall waiting for the number: retried quickly, for a while (the
# request id makes every retry the same number at the calling system).
TAKE_ATTEMPTS = 30


class TakeJob(msgspec.Struct):
    ticket_id: str


class ApplyJob(msgspec.Struct):
    event_id: str


def register(registry: JobRegistry, queue: QueueService) -> None:
    async def take(job: TakeJob) -> None:
        # Calls the calling system between its statements: no connection is held across it.
        await queue.take_from_system(uuid.UUID(job.ticket_id))

    async def apply(job: ApplyJob) -> None:
        async with queue.pool.acquire() as conn, conn.transaction():
            published = await queue.apply_event(conn, job.event_id)
        # After the commit: open pages hear of what is now true.
        await queue.publish(published)

    registry.register(TAKE_JOB, take, TakeJob, max_attempts=TAKE_ATTEMPTS)
    registry.register(APPLY_JOB, apply, ApplyJob)
