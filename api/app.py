"""The composition root: ``create_app(settings)`` builds the whole API from explicit settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from litestar import Litestar
from litestar.channels import ChannelsPlugin
from litestar.channels.backends.redis import RedisChannelsPubSubBackend
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Server
from litestar.plugins.prometheus import PrometheusController
from litestar.types import ASGIApp, Receive, Send

from api.bundles.controllers import BundleController, BundleGuideController, BundleOpsController
from api.calendars.controllers import OpsCalendarController
from api.catalog import deps as catalog_deps
from api.catalog.controllers import CatalogController
from api.catalog.service import CatalogService
from api.composition import dependencies, open_api_services
from api.declarations.controllers import (
    DeclarationController,
    MaterialController,
    PlatformCallbackController,
)
from api.delivery.controllers import (
    AddressController,
    PostalCallbackController,
    ResultDeliveryController,
)
from api.figures.controllers import FiguresController, PublicFiguresController
from api.guards import PRINCIPALS, principal_dependencies
from api.halls import deps as halls_deps
from api.halls.controllers import AppointmentController, HallController, HallWindowController
from api.halls.service import HallsService
from api.health import HealthController
from api.hotline.controllers import (
    HotlineCallbackController,
    HotlineController,
    HotlineOpsController,
)
from api.identity import deps as identity_deps
from api.identity.controllers import (
    CitizenAuthController,
    JwksController,
    MeController,
    SsoReturnController,
    StaffAuthController,
    StaffController,
    TokenExchangeController,
)
from api.identity.parties_controllers import LegalPersonHookController, PartyController
from api.identity.service import AccessTokens
from api.licences import deps as licences_deps
from api.licences.controllers import (
    DepartmentLicenceController,
    LicenceController,
    LicenceVerificationController,
    serve_display,
    serve_drawn_qr,
)
from api.licences.service import LicencesService
from api.ops.controllers import OpsConsoleController, OpsSystemController
from api.proxies.controllers import AssistController, ProxyController
from api.queue.controllers import QueueCallbackController, QueueController, QueueOpsController
from api.reviews.controllers import (
    DeclarationReviewController,
    ReviewCatalogueController,
    ReviewTicketController,
)
from api.supervision.controllers import SupervisionController
from core.cache import VersionedCache, serve_from_cache
from core.client_address import TrustedProxies
from core.clock import SYSTEM_CLOCK, Clock
from core.db import provide_read_connection, provide_transaction
from core.di import resolve_synchronous_dependencies_in_order
from core.draining import Drain, drain_on_stop_signals
from core.edge import edge_guard
from core.errors import exception_handlers
from core.logging import configure_logging
from core.observability import observe_requests
from core.openapi import (
    SECURITY_COMPONENTS,
    StructSchemaPlugin,
    complete_allow_header,
    document_operations,
    strict_json_body,
)
from core.redis import create_redis
from core.replica import provide_replica_read
from core.settings import Settings
from payments.routes import payment_route_handlers
from push.routes import push_route_handlers

API_VERSION = "0.1.0"


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False


def create_app(
    settings: Settings,
    *,
    configure_logs: bool = True,
    dependency_overrides: Mapping[str, Provide] | None = None,
    clock: Clock = SYSTEM_CLOCK,
) -> Litestar:
    """``dependency_overrides`` replaces application dependencies by name: for tests and the
    benchmarks' baselines (e.g. the same endpoint without authentication). ``clock`` is where
    the services read the time (tests stand at a chosen moment)."""
    if configure_logs:
        configure_logging(settings.log_level, json=settings.log_json)

    # One Redis client per process, shared by the services and Litestar Channels (live inbox
    # events over SSE, fed by the push fan-out job). Channels needs it when the app is built,
    # before the lifespan opens the services; it connects on first use.
    redis = create_redis(settings.redis)
    drain = Drain()

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_api_services(
            settings, name="handheld-api", clock=clock, redis=redis
        ) as provided:
            app.state.update(provided)
            app.state.drain = drain
            # A stop signal to the server turns readiness off before the server stops.
            undo = drain_on_stop_signals(drain, settings.shutdown.drain_s)
            try:
                yield
            finally:
                undo()

    async def close_redis() -> None:
        await redis.aclose()

    channels = ChannelsPlugin(
        backend=RedisChannelsPubSubBackend(redis=redis), arbitrary_channels_allowed=True
    )
    app = Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            CatalogController,
            CitizenAuthController,
            TokenExchangeController,
            MeController,
            JwksController,
            SsoReturnController,
            StaffAuthController,
            StaffController,
            OpsSystemController,
            OpsCalendarController,
            FiguresController,
            HallController,
            AppointmentController,
            HallWindowController,
            SupervisionController,
            PublicFiguresController,
            OpsConsoleController,
            DeclarationController,
            MaterialController,
            PlatformCallbackController,
            LicenceController,
            LicenceVerificationController,
            DepartmentLicenceController,
            DeclarationReviewController,
            ReviewCatalogueController,
            ReviewTicketController,
            QueueController,
            QueueCallbackController,
            QueueOpsController,
            HotlineController,
            HotlineCallbackController,
            HotlineOpsController,
            AddressController,
            ResultDeliveryController,
            PostalCallbackController,
            BundleGuideController,
            BundleController,
            BundleOpsController,
            *push_route_handlers(),
            *payment_route_handlers(),
            PartyController,
            ProxyController,
            AssistController,
            LegalPersonHookController,
        ],
        lifespan=[lifespan],
        dependencies={
            # Every domain's service by its name (api.composition), the request's transaction,
            # and who is calling.
            **dependencies(),
            "db_connection": Provide(provide_transaction),
            "db_read": Provide(provide_read_connection),
            # Reads that may lag (staff figures): the replica when one is configured.
            "db_replica": Provide(provide_replica_read),
            **principal_dependencies(),
            **(dependency_overrides or {}),
        },
        exception_handlers=exception_handlers(),
        # Hostile input refused before any handler runs; client address; Cache-Control.
        middleware=[
            edge_guard(
                trusted_proxies=TrustedProxies.parse(settings.trusted_proxies),
                principals=principal_dependencies(),
            )
        ],
        plugins=[channels, StructSchemaPlugin()],
        before_request=strict_json_body,
        before_send=[complete_allow_header],
        openapi_config=OpenAPIConfig(
            title="掌上办 Handheld government services API",
            version=API_VERSION,
            description="Citizen API under /api/v1 (WeChat mini-program and provincial app).",
            servers=[Server(url="/")],
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin(path="/scalar")],
            components=SECURITY_COMPONENTS,
        ),
        debug=False,
        logging_config=None,
    )
    # Shutdown hooks run after the lifespan, in order: Channels closes its subscription first.
    app.on_shutdown.append(close_redis)
    # Every status, body and security requirement an operation has is in the OpenAPI.
    document_operations(app, PRINCIPALS)
    resolve_synchronous_dependencies_in_order(app)
    return app


CACHED_READ_PREFIXES = ("/api/v1/items", "/api/v1/catalog/")
# Halls and a hall (their slots are live: never put in the cache, so never a hit).
HALL_READ_PREFIX = "/api/v1/halls"
# Where a licence's display code and its QR symbol are served (api.licences.controllers).
LICENCE_PATHS = "/api/v1/licences/"
# What the response cache may answer (``cache_for``).
_CACHED_PATHS = (*CACHED_READ_PREFIXES, HALL_READ_PREFIX)


def asgi_app(app: Litestar) -> ASGIApp:
    """What is served: the app behind its response cache, inside the observability layer."""

    def cache_for(path: str) -> VersionedCache | None:
        if path.startswith(HALL_READ_PREFIX):
            halls: HallsService | None = app.state.get(halls_deps.KEY)
            return halls.cache if halls else None
        if not path.startswith(CACHED_READ_PREFIXES):
            return None
        catalog: CatalogService | None = app.state.get(catalog_deps.KEY)
        return catalog.cache if catalog else None

    def licences() -> LicencesService | None:
        return app.state.get(licences_deps.KEY)

    def tokens() -> AccessTokens | None:
        return app.state.get(identity_deps.TOKENS_KEY)

    # Display codes' QR symbols already drawn, and display codes issued, are answered before
    # routing too (each falls back to the application for anything unusual).
    licence_fast_paths = serve_display(serve_drawn_qr(app, licences), licences, tokens)
    cached_reads = serve_from_cache(app, cache_for)

    async def front(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        # A request meets only the fast path its path may take: every other one (the
        # declarations, payments, the inbox…) goes straight to the application, without
        # passing through each layer's checks and frames, on the way in and at every await.
        path: str = scope.get("path", "")
        if path.startswith(LICENCE_PATHS):
            await licence_fast_paths(scope, receive, send)  # type: ignore[arg-type]
        elif path.startswith(_CACHED_PATHS):
            await cached_reads(scope, receive, send)  # type: ignore[arg-type]
        else:
            await app(scope, receive, send)  # type: ignore[arg-type]

    return observe_requests(cast("ASGIApp", front))


__all__ = ["asgi_app", "create_app"]
