"""The API under either ASGI server, for bench/scaling.py: the same application (built by
``api.serving.app_from_environment`` in each worker process), the same worker count and the
same options as ``handheld serve`` (no access log of the server's own, no proxy headers, no
Server header, uvloop, graceful shutdown of 10 s).

python -m bench.asgi_servers uvicorn|granian WORKERS PORT
"""

from __future__ import annotations

import sys

from api.serving import FACTORY, shared_metrics_dir


def uvicorn_server(workers: int, port: int) -> None:
    import uvicorn

    from api.cli import SERVER_OPTIONS

    uvicorn.run(
        FACTORY,
        factory=True,
        host="127.0.0.1",
        port=port,
        workers=workers,
        timeout_graceful_shutdown=10,
        **SERVER_OPTIONS,
    )


def granian_server(workers: int, port: int) -> None:
    from granian.constants import Interfaces, Loops
    from granian.server import Server

    Server(
        FACTORY,
        factory=True,
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        loop=Loops.uvloop,
        log_enabled=False,
        log_access=False,
        workers_kill_timeout=10,
    ).serve()


if __name__ == "__main__":
    name, count, listen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    run = {"uvicorn": uvicorn_server, "granian": granian_server}[name]
    if count > 1:
        with shared_metrics_dir():
            run(count, listen)
    else:
        run(count, listen)
