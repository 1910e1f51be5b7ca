"""How the delivery service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.delivery.service import DeliveryService
from api.halls.service import HallsService
from core.clients.provincial import ProvincialCasesClient
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "delivery"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    cases: ProvincialCasesClient,
    catalog: CatalogService,
    halls: HallsService,
    declarations: DeclarationsService,
    push: PushService,
) -> AsyncIterator[DeliveryService]:
    service = DeliveryService(
        pool=infra.pool,
        settings=infra.settings.postal,
        pii=infra.pii,
        cases=cases,
        catalog=catalog,
        halls=halls,
        declarations=declarations,
        push=push,
        clock=infra.clock,
    )
    # The case of a declaration exists once the platform answers its submission: a choice
    # made before is told then.
    declarations.case_hooks.append(service.case_opened)
    yield service
