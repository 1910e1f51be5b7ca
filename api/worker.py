"""The job worker process: every domain's job handlers, and the periodic schedules.

SIGTERM, SIGINT or SIGHUP stop it without losing a job: nothing new is taken, running jobs get
``shutdown.jobs_grace_s`` to finish, and those still running are handed back to the queue for
another worker (core.jobs)."""

from __future__ import annotations

import asyncio
import logging
import signal

from api.calendars import tasks as calendars_tasks
from api.catalog import tasks as catalog_tasks
from api.composition import Services, build_registry, open_services
from core.db import connect
from core.errors import is_unavailable
from core.heap import settle_heap_for_serving
from core.jobs import Outage, enqueue, run_jobs
from core.settings import Settings

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def stop_on_signals(stop: asyncio.Event) -> None:
    """The stop signals set ``stop`` (in the running loop)."""
    loop = asyncio.get_running_loop()
    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, stop.set)


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run jobs until ``stop``; a database restart is ridden out (reconnect with backoff), also
    while the worker starts (a replacement started during an outage waits for the database
    rather than exiting); an outage past ``jobs.give_up_after_s`` or a bug raises, so the
    process exits non-zero."""
    outage = Outage(settings.jobs)
    while not stop.is_set():
        ready = False
        try:
            async with open_services(settings, name="handheld-worker") as services:
                registry = build_registry(services)
                await _prepare(services)
                ready = True
                settle_heap_for_serving()
                await run_jobs(
                    lambda: connect(settings.database),
                    services.infra.pool,
                    registry,
                    settings.jobs,
                    stop,
                    grace_s=settings.shutdown.jobs_grace_s,
                )
                return
        except Exception as exc:
            if ready or not is_unavailable(exc):
                raise
            await outage.wait(exc, stop)


async def _prepare(services: Services) -> None:
    # Start with a fresh catalogue rather than waiting for the first cron tick.
    async with services.infra.pool.acquire() as c:
        await enqueue(c, catalog_tasks.SYNC_JOB, dedupe_key=catalog_tasks.SYNC_JOB)
    # Years a newer chinesecalendar knows, and every open deadline counted on the calendar
    # as it is now (none may stay empty).
    await calendars_tasks.ensure_library_years(services.calendars)
