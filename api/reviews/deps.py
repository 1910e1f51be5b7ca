"""How the good/bad review service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.identity.service import IdentityService
from api.reviews.service import ReviewsService
from core.clients.provincial import ProvincialRatingsClient
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "reviews"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    calendars: Calendars,
    declarations: DeclarationsService,
    catalog: CatalogService,
    identity: IdentityService,
    push: PushService,
) -> AsyncIterator[ReviewsService]:
    settings = infra.settings
    yield ReviewsService(
        pool=infra.pool,
        calendars=calendars,
        ratings=ProvincialRatingsClient(infra.http, settings.provincial, settings.http),
        declarations=declarations,
        catalog=catalog,
        identity=identity,
        push=push,
        clock=infra.clock,
    )
