"""How the wallet (e-licences) service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from limits.aio.strategies import FixedWindowRateLimiter

from api.identity.service import IdentityService
from api.licences.service import LicencesService
from core.clients.provincial import ProvincialLicencesClient
from core.di import from_state
from core.infra import Infrastructure
from core.redis import limiter_storage
from core.revocation import RevocationList
from push.service import PushService

KEY = "licences"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure, *, identity: IdentityService, push: PushService
) -> AsyncIterator[LicencesService]:
    settings = infra.settings
    # Kept as long as a code issued before the revocation may still be cached somewhere.
    display_revocations = RevocationList(
        infra.redis, settings.licences.display_ttl_s + 60, name="revoked:licence-display"
    )
    await display_revocations.start()
    service = LicencesService(
        pool=infra.pool,
        pii=infra.pii,
        storage=infra.storage,
        library=ProvincialLicencesClient(infra.http, settings.provincial, settings.http),
        settings=settings.licences,
        auth=settings.auth,
        signing=identity.signing,
        identity=identity,
        push=push,
        clock=infra.clock,
        # A fixed window: one Redis round trip per verification (a moving window costs a script).
        limiter=FixedWindowRateLimiter(limiter_storage(settings.redis)),
        display_revocations=display_revocations,
    )
    try:
        yield service
    finally:
        service.close()
        await display_revocations.stop()
