"""How ``handheld serve`` runs the API: one process, or N worker processes on one port.

With ``--workers N`` the server's supervisor binds the port once and starts N processes that
accept on it; each builds the whole application for itself (``app_from_environment``: settings
from the same ``HANDHELD_*`` variables), with its own pool, Redis client and services. What one
process changes that the others must see goes through PostgreSQL or Redis (the catalogue
cache's version and revoked token families by pub/sub, rate limits in Redis, live channels on
Redis pub/sub). Metrics are the one in-process state a scrape must see whole: with more than
one worker, prometheus-client's multiprocess mode keeps each process's values in files under
one directory and ``/metrics`` (answered by whichever process the scrape reaches) adds them up.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from litestar.types import ASGIApp

from core.heap import settle_heap_for_serving
from core.settings import Settings, load_settings

# prometheus-client's variable: read when prometheus_client is first imported, so it is set
# before any worker process imports the application.
METRICS_DIR_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
FACTORY = "api.serving:app_from_environment"
# As api.cli.run_server: how long a worker may take to finish its requests after SIGTERM.
GRACEFUL_S = 10
WORKER_HEALTHCHECK_S = 30


def serve(settings: Settings, workers: int = 1) -> None:
    """The API on ``settings``' host and port: in this process with one worker (as
    ``api.cli.run_server`` has always served it), else ``workers`` processes under uvicorn's
    supervisor (a worker that dies is started again; SIGTERM/SIGINT stop each one gracefully).
    Why uvicorn and not Granian: docs/architecture.md, "Many processes"."""
    from api.cli import run_server, server_options

    if workers <= 1:
        from api.app import asgi_app, create_app

        app = asgi_app(create_app(settings))
        settle_heap_for_serving()
        run_server(app, settings.host, settings.port)
        return
    import uvicorn

    # Each worker loads its settings from the environment: give it those given here on the
    # command line too.
    os.environ["HANDHELD_HOST"] = settings.host
    os.environ["HANDHELD_PORT"] = str(settings.port)
    os.environ["HANDHELD_DATA_DIR"] = str(settings.data_dir)
    with shared_metrics_dir():
        uvicorn.run(
            FACTORY,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=workers,
            timeout_graceful_shutdown=GRACEFUL_S,
            # A worker still importing the application on a loaded machine is not hung: the
            # supervisor's default (no answer for 5 s: killed and started again) can keep a
            # worker from ever starting.
            timeout_worker_healthcheck=WORKER_HEALTHCHECK_S,
            **server_options(),
        )


def app_from_environment() -> ASGIApp:
    """The application as each worker process builds it (the server calls this factory)."""
    from api.app import asgi_app, create_app

    app = asgi_app(create_app(load_settings()))
    settle_heap_for_serving()
    return app


@contextlib.contextmanager
def shared_metrics_dir() -> Iterator[Path]:
    """A directory for prometheus-client's multiprocess mode, empty at start: the one named by
    ``PROMETHEUS_MULTIPROC_DIR`` when set (its files from an earlier run removed, as the
    library requires), else a temporary one removed afterwards."""
    given = os.environ.get(METRICS_DIR_VARIABLE)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="handheld-metrics-"))
    os.environ[METRICS_DIR_VARIABLE] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop(METRICS_DIR_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)


__all__ = [
    "FACTORY",
    "GRACEFUL_S",
    "METRICS_DIR_VARIABLE",
    "WORKER_HEALTHCHECK_S",
    "app_from_environment",
    "serve",
    "shared_metrics_dir",
]
