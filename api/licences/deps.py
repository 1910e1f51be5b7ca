"""Building the wallet service of a process, and the ``licences`` dependency."""

from __future__ import annotations

from limits.aio.strategies import FixedWindowRateLimiter
from litestar.datastructures import State

from api.licences.service import LicencesService
from api.resources import Resources
from core.clients.provincial import ProvincialLicencesClient
from core.redis import limiter_storage


def build_service(resources: Resources) -> LicencesService:
    settings = resources.settings
    return LicencesService(
        pool=resources.db_pool,
        pii=resources.identity.pii,
        storage=resources.declarations.storage,
        library=ProvincialLicencesClient(resources.http, settings.provincial, settings.http),
        settings=settings.licences,
        auth=settings.auth,
        signing=resources.identity.signing,
        clock=resources.clock,
        # A fixed window: one Redis round trip per verification (a moving window costs a script).
        limiter=FixedWindowRateLimiter(limiter_storage(settings.redis)),
    )


def provide_licences(state: State) -> LicencesService:
    service: LicencesService = state.licences
    return service
