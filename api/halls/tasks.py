"""Jobs of halls: the hall directory's sync, and the supervision of bookings (the reminder the
day before, no-shows counted). Both on a schedule, one run at a time; each idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.halls.service import HallsService

SYNC_JOB = "halls.sync"
SUPERVISE_JOB = "halls.supervise"


def register(registry: JobRegistry, halls: HallsService) -> None:
    settings = halls.settings

    async def sync(_: None) -> None:
        # Calls the platform first, then stores in one transaction of its own (the service).
        await halls.sync()

    async def supervise(_: None) -> None:
        async with halls.pool.acquire() as conn, conn.transaction():
            await halls.mark_no_shows(conn)
        async with halls.pool.acquire() as conn, conn.transaction():
            await halls.remind(conn)

    registry.register(SYNC_JOB, sync, concurrency_limit=1)
    registry.every(settings.sync_cron, SYNC_JOB)
    registry.register(SUPERVISE_JOB, supervise, concurrency_limit=1)
    registry.every(settings.supervise_cron, SUPERVISE_JOB)
