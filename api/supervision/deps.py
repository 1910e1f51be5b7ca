"""How the supervision service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.figures.service import FiguresService
from api.identity.service import IdentityService
from api.reviews.service import ReviewsService
from api.supervision.service import SupervisionService
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "supervision"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    calendars: Calendars,
    catalog: CatalogService,
    declarations: DeclarationsService,
    figures: FiguresService,
    reviews: ReviewsService,
    identity: IdentityService,
    push: PushService,
) -> AsyncIterator[SupervisionService]:
    yield SupervisionService(
        pool=infra.pool,
        settings=infra.settings.supervision,
        calendars=calendars,
        catalog=catalog,
        declarations=declarations,
        figures=figures,
        reviews=reviews,
        identity=identity,
        push=push,
        clock=infra.clock,
    )
