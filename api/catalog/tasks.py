"""Job handlers of the catalogue."""

from __future__ import annotations

from api.catalog import service
from api.catalog.service import CatalogService
from core.jobs import JobRegistry

SYNC_JOB = "catalog.sync"


def register(registry: JobRegistry, catalog: CatalogService, sync_cron: str) -> None:
    async def sync(_: None) -> None:
        await service.sync_catalog(catalog.pool, catalog.provincial, catalog.cache)

    # One sync at a time across all workers: pages must be applied in feed order.
    registry.register(SYNC_JOB, sync, concurrency_limit=1)
    registry.every(sync_cron, SYNC_JOB)
