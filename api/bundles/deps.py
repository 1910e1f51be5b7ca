"""How the bundles service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.bundles.service import BundlesService
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "bundles"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    catalog: CatalogService,
    declarations: DeclarationsService,
    push: PushService,
) -> AsyncIterator[BundlesService]:
    """Built after declarations, which then tells it of every member's move."""
    bundles = BundlesService(
        pool=infra.pool,
        storage=infra.storage,
        catalog=catalog,
        declarations=declarations,
        push=push,
        clock=infra.clock,
    )
    declarations.follow_states(bundles.declaration_moved)
    yield bundles
