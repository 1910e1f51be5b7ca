"""The API under Granian, the ASGI server `handheld serve` does not run, for bench/scaling.py:
the same application (built by ``api.serving.app_from_environment`` in each worker process),
the same worker count and equivalent options (no access log of the server's own, uvloop,
HTTP/1.1, 10 s graceful shutdown, metrics in multiprocess mode with more than one worker).
Granian cannot leave out its `server: granian` header; the rest matches `handheld serve`.

python -m bench.asgi_servers granian WORKERS PORT
"""

from __future__ import annotations

import contextlib
import sys

from api.serving import FACTORY, GRACEFUL_S, shared_metrics_dir


def granian_server(workers: int, port: int) -> None:
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.log import LogLevels
    from granian.server import Server

    with shared_metrics_dir() if workers > 1 else contextlib.nullcontext():
        Server(
            FACTORY,
            factory=True,
            address="127.0.0.1",
            port=port,
            interface=Interfaces.ASGI,
            workers=workers,
            loop=Loops.uvloop,
            http=HTTPModes.http1,
            log_access=False,
            log_level=LogLevels.warning,
            respawn_failed_workers=True,
            workers_kill_timeout=GRACEFUL_S,
        ).serve()


if __name__ == "__main__":
    name, count, listen = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    if name != "granian":
        sys.exit(f"bench.asgi_servers: {name}? `handheld serve` runs the other server")
    granian_server(count, listen)
