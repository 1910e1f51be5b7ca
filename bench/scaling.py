"""The API under uvicorn and Granian, and with two processes against one, in the same run.

    uv run python bench/scaling.py [--seconds 6] [--rounds 2]

Two endpoints: the catalogue search (`GET /api/v1/items?q=sfz`: the in-process cached read,
mostly the server's and the framework's own cost) and `GET /api/v1/me` (a bearer token checked,
one database read, a profile decrypted). Each is loaded by wrk (one thread) on the same two
cores as the servers, PostgreSQL and Valkey.

- `api_server`: requests per second of the server `handheld serve` runs (uvicorn) ÷ Granian,
  same application, same worker count (1 and 2), equivalent options (bench/asgi_servers.py);
  the geometric mean over both endpoints and both counts. Reported, no target: uvicorn was
  chosen although Granian measured faster, for reasons a ratio does not show
  (docs/architecture.md, "Many processes"); the line says what the choice costs.
- `api_scaling`: `handheld serve --workers 2` ÷ `--workers 1`, the geometric mean of both
  endpoints. No target: on this two-core machine the load generator, PostgreSQL and Valkey
  share the cores with the API, so it is reported only.

Configurations are measured in turns (every configuration once per round, the best round kept),
so a burst of load from elsewhere on the machine hurts one round of each rather than one
configuration.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.auth import sign_in
from bench.harness import ROOT, stack, sync_catalogue, wrk
from core.embedded import free_port, stop_process

SEARCH_PATH = "/api/v1/items?q=sfz&pageSize=20"
ME_PATH = "/api/v1/me"
CHOSEN = "uvicorn"  # what `handheld serve` runs (api.serving.serve)
SERVERS = ("uvicorn", "granian")
WORKER_COUNTS = (1, 2)


def command(name: str, workers: int, port: int) -> list[str]:
    if name == CHOSEN:
        return [sys.executable, "-m", "api.cli", "serve", "--workers", str(workers),
                "--port", str(port)]  # fmt: skip
    return [sys.executable, "-m", "bench.asgi_servers", name, str(workers), str(port)]


def serving_processes(root: psutil.Process, redis_port: int) -> int:
    """Processes of the server's tree that have opened the application (its lifespan holds a
    Valkey connection): the supervisor binds the port before its workers have started."""
    count = 0
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            if any(c.raddr and c.raddr.port == redis_port for c in process.net_connections()):
                count += 1
    return count


@contextlib.contextmanager
def all_workers(argv: list[str], env: dict[str, str], port: int, workers: int) -> Iterator[str]:
    """The server with every one of its worker processes up and ready (the machine may be
    loaded: starting takes as long as it takes, up to four minutes)."""
    redis_port = int(urlsplit(env["HANDHELD_REDIS_URL"]).port or 6379)
    process = subprocess.Popen(
        argv, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        root = psutil.Process(process.pid)
        while serving_processes(root, redis_port) < workers or not ready(base):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{argv} did not start {workers} ready workers")
            time.sleep(0.2)
        yield base
    finally:
        stop_process(process)


def ready(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/readyz", timeout=5) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def measure(
    name: str, workers: int, env: dict[str, str], token: str, seconds: int
) -> dict[str, float]:
    port = free_port()
    with all_workers(command(name, workers, port), env, port, workers) as api:
        return {
            "search": wrk(api + SEARCH_PATH, seconds=seconds),
            "me": wrk(api + ME_PATH, seconds=seconds, headers={"Authorization": f"Bearer {token}"}),
        }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with stack() as env_stack:
        # Long enough for the whole run: the token signed in at the start is used to the end.
        env = {**env_stack.env, "HANDHELD_AUTH_ACCESS_TTL_S": "7200"}
        sync_catalogue(env)
        port = free_port()
        serve = [sys.executable, "-m", "api.cli", "serve", "--port", str(port)]
        with all_workers(serve, env, port, 1) as api:
            token, _ = sign_in(api, env_stack.sms_url)
        best: dict[tuple[str, int], dict[str, float]] = {}
        for _ in range(args.rounds):
            for workers in WORKER_COUNTS:
                for name in SERVERS:
                    got = measure(name, workers, env, token, args.seconds)
                    kept = best.setdefault((name, workers), got)
                    for endpoint, value in got.items():
                        kept[endpoint] = max(kept[endpoint], value)
    for (name, workers), figures in best.items():
        print(f"  {name:8} --workers {workers}: search {figures['search']:8,.0f} req/s, "
              f"me {figures['me']:8,.0f} req/s")  # fmt: skip
    other = next(s for s in SERVERS if s != CHOSEN)
    endpoints = ("search", "me")

    def ratio(a: tuple[str, int], b: tuple[str, int]) -> float:
        # Geometric mean over the endpoints: each counts the same, whatever its req/s.
        return math.prod(best[a][e] / best[b][e] for e in endpoints) ** (1 / len(endpoints))

    server_ratio = math.prod(ratio((CHOSEN, n), (other, n)) for n in WORKER_COUNTS) ** (
        1 / len(WORKER_COUNTS)
    )
    print(f"  {CHOSEN} (chosen) ÷ {other}: {server_ratio:.2f}")
    print(f"RESULT api_server ratio={server_ratio:.2f} target=report")
    scaling = ratio((CHOSEN, 2), (CHOSEN, 1))
    print(f"  {CHOSEN} --workers 2 ÷ --workers 1: {scaling:.2f}")
    print(f"RESULT api_scaling ratio={scaling:.2f} target=report")


if __name__ == "__main__":
    main()
