"""How the declarations service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.licences.service import LicencesService
from core.clients.provincial import ProvincialCasesClient
from core.di import from_state
from core.infra import Infrastructure

KEY = "declarations"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    calendars: Calendars,
    cases: ProvincialCasesClient,
    catalog: CatalogService,
    licences: LicencesService,
) -> AsyncIterator[DeclarationsService]:
    settings = infra.settings
    yield DeclarationsService(
        pool=infra.pool,
        pii=infra.pii,
        storage=infra.storage,
        cases=cases,
        settings=settings.provincial,
        calendars=calendars,
        catalog=catalog,
        licences=licences,
        clock=infra.clock,
    )
