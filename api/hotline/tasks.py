"""Jobs of the hotline: file a ticket with 12345, pass on the citizen's rating, apply 12345's
stored callbacks, flag tickets whose reply is due soon or late.

Job names and payloads live here; the service enqueues them (in the transaction of the change
they follow), the handlers call the service."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.hotline.service import HotlineService

FILE_JOB = "hotline.file"
RATE_JOB = "hotline.rate"
APPLY_JOB = "hotline.apply_events"
SUPERVISE_JOB = "hotline.supervise"
SUPERVISE_CRON = "25 * * * *"
# A ticket must reach 12345 whatever its outages: with the backoff capped, these attempts
# outlast any of them (as declarations' submissions do). The request id is our ticket's id, so
# 12345 keeps one ticket however often it is sent.
NEVER_GIVE_UP = 1_000_000


class TicketJob(msgspec.Struct):
    ticket_id: str


def register(registry: JobRegistry, hotline: HotlineService) -> None:
    async def file(job: TicketJob) -> None:
        # Calls 12345 between its statements: the service holds no connection across it.
        await hotline.deliver(uuid.UUID(job.ticket_id))

    async def rate(job: TicketJob) -> None:
        await hotline.deliver_rating(uuid.UUID(job.ticket_id))

    async def apply_events(job: TicketJob) -> None:
        async with hotline.pool.acquire() as conn, conn.transaction():
            await hotline.apply_stored(conn, uuid.UUID(job.ticket_id))

    async def supervise(_: None) -> None:
        async with hotline.pool.acquire() as conn, conn.transaction():
            await hotline.supervise(conn)

    registry.register(FILE_JOB, file, TicketJob, max_attempts=NEVER_GIVE_UP)
    registry.register(RATE_JOB, rate, TicketJob, max_attempts=NEVER_GIVE_UP)
    registry.register(APPLY_JOB, apply_events, TicketJob)
    registry.register(SUPERVISE_JOB, supervise, concurrency_limit=1)
    registry.every(SUPERVISE_CRON, SUPERVISE_JOB)
