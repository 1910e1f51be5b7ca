"""How the catalogue service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.catalog.service import CatalogService
from core.cache import VersionedCache
from core.clients.provincial import ProvincialClient
from core.di import from_state
from core.infra import Infrastructure

KEY = "catalog"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(infra: Infrastructure) -> AsyncIterator[CatalogService]:
    settings = infra.settings
    cache = VersionedCache(infra.redis, "catalog", settings.catalog.cache_entries)
    await cache.start()
    try:
        yield CatalogService(
            pool=infra.pool,
            replica_reads=infra.replica_reads,
            cache=cache,
            provincial=ProvincialClient(infra.http, settings.provincial, settings.http),
            item_entries=settings.catalog.cache_entries,
        )
    finally:
        await cache.stop()
