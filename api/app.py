"""The composition root: ``create_app(settings)`` builds the whole API from explicit settings."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from litestar.openapi.spec import Server
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController

from api.catalog.controllers import CatalogController
from api.health import HealthController
from api.resources import Resources, open_resources
from core.db import provide_transaction
from core.errors import exception_handlers
from core.logging import configure_logging, request_id_middleware
from core.settings import Settings
from payments.routes import payment_route_handlers
from push.routes import push_route_handlers

API_VERSION = "0.1.0"


class MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False


def _state_getter(name: str) -> Provide:
    def provide(state: State) -> object:
        return getattr(state.resources, name)

    return Provide(provide, sync_to_thread=False)


def create_app(settings: Settings, *, configure_logs: bool = True) -> Litestar:
    if configure_logs:
        configure_logging(settings.log_level, json=settings.log_json)

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with open_resources(settings, name="handheld-api") as resources:
            app.state.resources = resources
            yield

    prometheus = PrometheusConfig(
        app_name="handheld",
        prefix="handheld",
        group_path=True,
        exclude=["/metrics", "/healthz", "/readyz"],
    )
    return Litestar(
        route_handlers=[
            HealthController,
            MetricsController,
            CatalogController,
            *push_route_handlers(),
            *payment_route_handlers(),
        ],
        lifespan=[lifespan],
        dependencies={
            "db_pool": _state_getter("db_pool"),
            "redis": _state_getter("redis"),
            "catalog_cache": _state_getter("catalog_cache"),
            "db_connection": Provide(provide_transaction),
        },
        exception_handlers=exception_handlers(),
        middleware=[request_id_middleware, prometheus.middleware],
        compression_config=CompressionConfig(backend="gzip", minimum_size=2048),
        openapi_config=OpenAPIConfig(
            title="掌上办 Handheld government services API",
            version=API_VERSION,
            description="Citizen API under /api/v1 (WeChat mini-program and provincial app).",
            servers=[Server(url="/")],
            path="/schema",
            render_plugins=[SwaggerRenderPlugin(), ScalarRenderPlugin(path="/scalar")],
        ),
        debug=False,
        logging_config=None,
    )


__all__ = ["Resources", "create_app"]
