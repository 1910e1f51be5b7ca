"""How the halls service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.halls.service import HallsService
from core.cache import VersionedCache
from core.clients.provincial import ProvincialHallsClient
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "halls"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    calendars: Calendars,
    catalog: CatalogService,
    declarations: DeclarationsService,
    push: PushService,
) -> AsyncIterator[HallsService]:
    settings = infra.settings
    cache = VersionedCache(infra.redis, "halls", settings.halls.cache_entries)
    await cache.start()
    try:
        halls = HallsService(
            pool=infra.pool,
            cache=cache,
            client=ProvincialHallsClient(infra.http, settings.provincial, settings.http),
            calendars=calendars,
            catalog=catalog,
            declarations=declarations,
            push=push,
            settings=settings.halls,
            clock=infra.clock,
        )
        # The catalogue's item guides list the halls that serve the item.
        catalog.halls_of = halls.halls_of_item
        try:
            yield halls
        finally:
            catalog.halls_of = None
    finally:
        await cache.stop()
