"""Jobs of delivery: tell the platform a declaration's delivery choice, apply the courier's
stored tracking callbacks.

Job names and payloads live here; the service enqueues them (in the transaction of the change
they follow), the handlers call the service."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.delivery.service import DeliveryService

REGISTER_JOB = "delivery.register"
APPLY_JOB = "delivery.apply_events"
# The choice must reach the platform whatever its outages (the platform keeps one choice per
# case, so a retried call never doubles it).
NEVER_GIVE_UP = 1_000_000


class DeliveryJob(msgspec.Struct):
    declaration_id: str


def register(registry: JobRegistry, delivery: DeliveryService) -> None:
    async def tell_platform(job: DeliveryJob) -> None:
        # Calls the platform between its statements: the service holds no connection across it.
        await delivery.register(uuid.UUID(job.declaration_id))

    async def apply_events(job: DeliveryJob) -> None:
        async with delivery.pool.acquire() as conn, conn.transaction():
            await delivery.apply_stored(conn, uuid.UUID(job.declaration_id))

    registry.register(REGISTER_JOB, tell_platform, DeliveryJob, max_attempts=NEVER_GIVE_UP)
    registry.register(APPLY_JOB, apply_events, DeliveryJob)
