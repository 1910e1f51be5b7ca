"""How the declarations service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService, FeeNotices
from api.identity.service import IdentityService
from api.licences.service import LicencesService
from core.clients.provincial import ProvincialCasesClient
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "declarations"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    calendars: Calendars,
    cases: ProvincialCasesClient,
    catalog: CatalogService,
    identity: IdentityService,
    licences: LicencesService,
    fees: FeeNotices,
    push: PushService,
) -> AsyncIterator[DeclarationsService]:
    """``fees`` is payments' service (it keeps the fee notices a case brings); payments is
    built first, with its payment hook bound to this service once built (api.composition)."""
    yield DeclarationsService(
        pool=infra.pool,
        storage=infra.storage,
        cases=cases,
        settings=infra.settings.provincial,
        calendars=calendars,
        catalog=catalog,
        identity=identity,
        licences=licences,
        fees=fees,
        push=push,
        clock=infra.clock,
    )
