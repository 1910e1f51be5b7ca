"""The job worker process: every domain's job handlers, and the periodic schedules."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

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
from core.jobs import JobRegistry, build_worker, enqueue
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
    async with open_resources(settings, name="handheld-worker") as resources:
        registry = build_registry(resources)
        conn = await connect(settings.database)
        try:
            worker = build_worker(conn, resources.db_pool, registry, settings.jobs)
            # Start with a fresh catalogue rather than waiting for the first cron tick.
            async with resources.db_pool.acquire() as c:
                await enqueue(c, catalog_tasks.SYNC_JOB, dedupe_key=catalog_tasks.SYNC_JOB)
            # Years a newer chinesecalendar knows, and every open deadline counted on the
            # calendar as it is now (none may stay empty).
            await calendars.ensure_library_years(resources.db_pool)
            run = asyncio.create_task(
                worker.run(
                    batch_size=settings.jobs.batch_size,
                    heartbeat_timeout=timedelta(seconds=settings.jobs.heartbeat_timeout_s),
                )
            )
            stopping = asyncio.create_task(stop.wait())
            done, _ = await asyncio.wait({run, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if run not in done:
                log.info("worker stopping")
                worker.shutdown.set()
                await asyncio.wait_for(run, timeout=30)
            stopping.cancel()
        finally:
            await conn.close()
