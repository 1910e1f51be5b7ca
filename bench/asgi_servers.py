"""The API under uvicorn, the ASGI server `handheld serve` does not run, for bench/scaling.py:
the same application (built by ``api.serving.app_from_environment`` in each worker process),
the same worker count and equivalent options (no access log of the server's own, no proxy
headers, no Server header, uvloop, HTTP/1.1 with httptools, 10 s graceful shutdown, metrics in
multiprocess mode with more than one worker).

python -m bench.asgi_servers uvicorn WORKERS PORT
"""

from __future__ import annotations

import contextlib
import sys

from api.cli import SERVER_OPTIONS
from api.serving import FACTORY, GRACEFUL_S, shared_metrics_dir


def uvicorn_server(workers: int, port: int) -> None:
    import uvicorn

    with shared_metrics_dir() if workers > 1 else contextlib.nullcontext():
        uvicorn.run(
            FACTORY,
            factory=True,
            host="127.0.0.1",
            port=port,
            workers=workers,
            timeout_graceful_shutdown=GRACEFUL_S,
            # A worker still importing the application on a loaded machine is not hung.
            timeout_worker_healthcheck=60,
            http="httptools",
            loop="uvloop",
            **SERVER_OPTIONS,
        )


if __name__ == "__main__":
    name, count, listen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if name != "uvicorn":
        sys.exit(f"bench.asgi_servers: {name}? `handheld serve` runs the other server")
    uvicorn_server(count, listen)
