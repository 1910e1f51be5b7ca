"""How the proxies service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from limits.aio.strategies import MovingWindowRateLimiter

from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.identity.service import IdentityService
from api.proxies.service import ProxiesService
from core.di import from_state
from core.infra import Infrastructure
from core.redis import limiter_storage
from push.service import PushService

KEY = "proxies"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    identity: IdentityService,
    catalog: CatalogService,
    declarations: DeclarationsService,
    push: PushService,
) -> AsyncIterator[ProxiesService]:
    proxies = ProxiesService(
        identity=identity,
        catalog=catalog,
        push=push,
        limiter=MovingWindowRateLimiter(limiter_storage(infra.settings.redis)),
        settings=infra.settings.proxies,
        clock=infra.clock,
    )
    # Declarations tell the principal of each step an agent takes in their name.
    declarations.on_acted = proxies.acted
    try:
        yield proxies
    finally:
        declarations.on_acted = None
