"""Job handlers of the catalogue."""

from __future__ import annotations

from api.catalog import service
from api.resources import Resources
from core.jobs import JobRegistry

SYNC_JOB = "catalog.sync"


def register(registry: JobRegistry, resources: Resources, sync_cron: str) -> None:
    async def sync(_: None) -> None:
        await service.sync_catalog(resources.db_pool, resources.provincial, resources.catalog_cache)

    # One sync at a time across all workers: pages must be applied in feed order.
    registry.register(SYNC_JOB, sync, concurrency_limit=1)
    registry.every(sync_cron, SYNC_JOB)
