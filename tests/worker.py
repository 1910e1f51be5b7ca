"""A worker as the `handheld worker` process runs one (``run_jobs``, reconnecting), in-process."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

from api.composition import Services, build_registry
from core.db import connect
from core.jobs import run_jobs


@contextlib.asynccontextmanager
async def running_worker(services: Services) -> AsyncIterator[asyncio.Task[None]]:
    stop = asyncio.Event()
    settings = services.infra.settings
    jobs = run_jobs(
        lambda: connect(settings.database),
        services.infra.pool,
        build_registry(services),
        settings.jobs,
        stop,
        dequeue_timeout=timedelta(seconds=1),
    )
    task = asyncio.create_task(jobs)
    try:
        yield task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
