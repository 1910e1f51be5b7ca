"""`handheld serve --workers 2`: two processes accept on one port, and `/metrics`, whichever
process answers it, counts the requests of both (prometheus-client's multiprocess mode)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from http.client import HTTPConnection
from pathlib import Path

import psutil
import pytest
from prometheus_client.parser import text_string_to_metric_families

from core.embedded import free_port
from core.settings import Settings
from tests.fixtures.processes import Started, processes, serving_pids, until_ready

JWKS = "/.well-known/jwks.json"


def on_each_process(
    started: Started, port: int, redis_url: str, use: Callable[[int, HTTPConnection], None]
) -> set[int]:
    """``use(pid, connection)`` once for each worker process, on a connection that process
    accepted: new connections are made until each has accepted one (which one accepts is the
    kernel's choice). Used at once: an idle connection is closed by the server after a while."""
    workers = serving_pids(started, redis_url)
    done: set[int] = set()
    for _ in range(500):
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            assert get(conn, "/healthz")[0] == 200
            local_port = conn.sock.getsockname()[1]
            owner = next(
                pid
                for pid in workers
                if any(
                    c.raddr and c.raddr.port == local_port and c.laddr.port == port
                    for c in psutil.Process(pid).net_connections("tcp")
                )
            )
            if owner not in done:
                use(owner, conn)
                done.add(owner)
        finally:
            conn.close()
        if done == workers:
            break
    return done


def get(conn: HTTPConnection, path: str) -> tuple[int, str]:
    conn.request("GET", path)
    response = conn.getresponse()
    # As `handheld serve` has always answered: no Server header naming what runs here.
    assert response.getheader("server") is None, response.getheaders()
    return response.status, response.read().decode()


def requests_counted(metrics: str, path: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(metrics)
        if family.name == "handheld_requests"
        for sample in family.samples
        if sample.name == "handheld_requests_total" and sample.labels.get("path") == path
    )


@pytest.mark.timeout(600)  # two processes starting on a loaded machine; no timing asserted
async def test_two_workers_one_port_one_metrics_view(
    settings: Settings, redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    with processes(settings, tmp_path) as running:
        api = running.api("api", port, workers=2)
        await until_ready(api, redis_url, workers=2)
        workers = serving_pids(api, redis_url)
        assert len(workers) == 2
        counts = iter((3, 5))
        sent: dict[int, int] = {}

        def send(pid: int, conn: HTTPConnection) -> None:
            sent[pid] = next(counts)
            for _ in range(sent[pid]):
                assert get(conn, JWKS)[0] == 200

        assert await asyncio.to_thread(on_each_process, api, port, redis_url, send) == workers
        scraped: dict[int, float] = {}

        def scrape(pid: int, conn: HTTPConnection) -> None:
            status, metrics = get(conn, "/metrics")
            assert status == 200
            scraped[pid] = requests_counted(metrics, JWKS)

        assert await asyncio.to_thread(on_each_process, api, port, redis_url, scrape) == workers
        # Whichever process answers the scrape, it counts every process's requests.
        assert scraped == dict.fromkeys(workers, sum(sent.values())), (sent, scraped)
        tree = [psutil.Process(api.process.pid), *psutil.Process(api.process.pid).children(True)]
    # Nothing of it left running.
    _, alive = psutil.wait_procs(tree, timeout=10)
    assert alive == []
