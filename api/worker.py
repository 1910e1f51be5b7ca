"""The job worker process: every domain's job handlers, and the periodic schedules."""

from __future__ import annotations

import asyncio
import logging

from api.calendars import service as calendars
from api.calendars import tasks as calendar_tasks
from api.catalog import tasks as catalog_tasks
from api.declarations import tasks as declarations_tasks
from api.licences import tasks as licences_tasks
from api.licences.deps import build_service as build_licences
from api.resources import Resources, open_resources
from api.reviews import tasks as reviews_tasks
from core import idempotency
from core.db import connect
from core.jobs import JobRegistry, enqueue, run_jobs
from core.settings import Settings
from payments import tasks as payments_tasks
from push import tasks as push_tasks

log = logging.getLogger(__name__)


def build_registry(resources: Resources) -> JobRegistry:
    registry = JobRegistry()
    catalog_tasks.register(registry, resources, resources.settings.catalog.sync_cron)
    calendar_tasks.register(registry, resources)
    declarations_tasks.register(registry, resources.declarations)
    licences_tasks.register(registry, build_licences(resources))
    push_tasks.register(registry, resources.push)
    reviews_tasks.register(registry, resources)
    payments_tasks.register(
        registry, resources.payments, resources.settings.wechatpay.reconcile_cron
    )
    idempotency.register(registry, resources.db_pool)
    return registry


async def run_worker(settings: Settings, stop: asyncio.Event) -> None:
    """Run jobs until ``stop``; a database restart is ridden out (reconnect with backoff), an
    outage past ``jobs.give_up_after_s`` or a bug raises, so the process exits non-zero."""
    async with open_resources(settings, name="handheld-worker") as resources:
        registry = build_registry(resources)
        # Start with a fresh catalogue rather than waiting for the first cron tick.
        async with resources.db_pool.acquire() as c:
            await enqueue(c, catalog_tasks.SYNC_JOB, dedupe_key=catalog_tasks.SYNC_JOB)
        # Years a newer chinesecalendar knows, and every open deadline counted on the calendar
        # as it is now (none may stay empty).
        await calendars.ensure_library_years(resources.db_pool)
        await run_jobs(
            lambda: connect(settings.database), resources.db_pool, registry, settings.jobs, stop
        )
