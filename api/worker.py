"""The job worker process: every domain's job handlers, and the periodic schedules."""

from __future__ import annotations

import asyncio
import logging

from api.calendars import tasks as calendars_tasks
from api.catalog import tasks as catalog_tasks
from api.composition import build_registry, open_services
from core.db import connect
from core.jobs import enqueue, run_jobs
from core.settings import Settings

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run jobs until ``stop``; a database restart is ridden out (reconnect with backoff), an
    outage past ``jobs.give_up_after_s`` or a bug raises, so the process exits non-zero."""
    async with open_services(settings, name="handheld-worker") as services:
        pool = services.infra.pool
        registry = build_registry(services)
        # Start with a fresh catalogue rather than waiting for the first cron tick.
        async with pool.acquire() as c:
            await enqueue(c, catalog_tasks.SYNC_JOB, dedupe_key=catalog_tasks.SYNC_JOB)
        # Years a newer chinesecalendar knows, and every open deadline counted on the calendar
        # as it is now (none may stay empty).
        await calendars_tasks.ensure_library_years(services.calendars)
        await run_jobs(lambda: connect(settings.database), pool, registry, settings.jobs, stop)
