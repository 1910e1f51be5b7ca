"""How the hotline service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.hotline.service import HotlineService
from api.identity.service import IdentityService
from api.reviews.service import ReviewsService
from core.clients.hotline import HotlineClient
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "hotline"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    calendars: Calendars,
    catalog: CatalogService,
    declarations: DeclarationsService,
    reviews: ReviewsService,
    identity: IdentityService,
    push: PushService,
) -> AsyncIterator[HotlineService]:
    settings = infra.settings
    yield HotlineService(
        pool=infra.pool,
        settings=settings.hotline,
        client=HotlineClient(infra.http, settings.hotline, settings.http),
        calendars=calendars,
        catalog=catalog,
        declarations=declarations,
        reviews=reviews,
        identity=identity,
        push=push,
        clock=infra.clock,
    )
