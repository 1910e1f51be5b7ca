"""Jobs of the catalogue: the feed sync, one at a time, on a schedule."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.jobs import JobRegistry

if TYPE_CHECKING:
    from api.catalog.service import CatalogService

SYNC_JOB = "catalog.sync"


def register(registry: JobRegistry, catalog: CatalogService, sync_cron: str) -> None:
    async def sync(_: None) -> None:
        # Each page commits on its own (the service's sync): no transaction spans the feed.
        await catalog.sync()

    # One sync at a time across all workers: pages must be applied in feed order.
    registry.register(SYNC_JOB, sync, concurrency_limit=1)
    registry.every(sync_cron, SYNC_JOB)
