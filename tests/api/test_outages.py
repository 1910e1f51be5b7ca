"""PostgreSQL or Valkey down: the API answers a prompt 503 with Retry-After (problem details,
Chinese text) and recovers by itself; the worker process rides out a database restart, and
exits non-zero only when the database stays away.

Each test stops and starts servers of its own, never the session's."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from api.app import create_app
from core.jobs import enqueue
from tests.fixtures.identity import Outside, bearer, wechat_login
from tests.fixtures.outages import OwnServers
from tests.fixtures.servers import serve_in_process
from tests.fixtures.settings import settings_env
from tests.fixtures.waiting import eventually


@pytest.fixture
async def own_client(own: OwnServers) -> AsyncIterator[httpx.AsyncClient]:
    async with serve_in_process(create_app(own.settings, configure_logs=False)) as client:
        yield client


def assert_unavailable(resp: httpx.Response) -> None:
    assert resp.status_code == 503, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    assert int(resp.headers["retry-after"]) > 0
    problem = resp.json()
    assert problem["code"] == "SERVICE_UNAVAILABLE"
    assert problem["status"] == 503
    assert problem["title"] == "服务暂不可用，请稍后再试"


async def test_database_down_is_a_503_with_retry_after(
    own: OwnServers,
    own_client: httpx.AsyncClient,
    outside: Outside,
) -> None:
    token = (await wechat_login(own_client, outside, "oA1")).get("accessToken")
    assert token
    me = await own_client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200, me.text

    await asyncio.to_thread(own.postgres.stop)
    assert_unavailable(await own_client.get("/api/v1/me", headers=bearer(token)))
    assert_unavailable(await own_client.get("/api/v1/declarations", headers=bearer(token)))
    assert_unavailable(
        await own_client.post(
            "/ops/v1/auth/login", json={"username": "nobody", "password": "x" * 12}
        )
    )

    await asyncio.to_thread(own.postgres.start)  # nothing else restarted
    again = await own_client.get("/api/v1/me", headers=bearer(token))
    assert again.status_code == 200, again.text


async def test_redis_down_is_a_503_with_retry_after(
    own: OwnServers,
    own_client: httpx.AsyncClient,
    outside: Outside,
) -> None:
    sent = await own_client.post("/api/v1/auth/sms/send", json={"phone": "13700001111"})
    assert sent.status_code == 200, sent.text

    await asyncio.to_thread(own.valkey.stop)
    assert_unavailable(
        await own_client.post("/api/v1/auth/sms/send", json={"phone": "13700002222"})
    )
    assert_unavailable(
        await own_client.post("/api/v1/auth/sms/login", json={"phone": "13700001111",
                                                               "code": "000000"})
    )  # fmt: skip

    await asyncio.to_thread(own.valkey.start)
    back = await own_client.post("/api/v1/auth/sms/send", json={"phone": "13700003333"})
    assert back.status_code == 200, back.text


async def _successful(db_url: str, entrypoint: str) -> int:
    try:
        conn = await asyncpg.connect(db_url)
    except OSError:
        return -1
    try:
        return int(
            await conn.fetchval(
                """SELECT count(*) FROM pgqueuer_log
                    WHERE entrypoint = $1 AND status = 'successful'""",
                entrypoint,
            )
        )
    finally:
        await conn.close()


async def test_worker_process_rides_out_a_database_restart(own: OwnServers, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDHELD_")}
    env |= settings_env(own.settings)
    env |= {
        "HANDHELD_JOBS_HEARTBEAT_TIMEOUT_S": "2",
        "HANDHELD_JOBS_RECONNECT_INITIAL_S": "0.1",
        "HANDHELD_JOBS_RECONNECT_MAX_S": "1",
        "HANDHELD_JOBS_GIVE_UP_AFTER_S": "20",
        "HANDHELD_LOG_JSON": "false",
    }
    url = own.postgres.admin_url
    with open(tmp_path / "worker.log", "wb") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:

        async def synced(times: int) -> bool:
            return await _successful(url, "catalog.sync") >= times

        await eventually(lambda: synced(1), timeout=60)  # the first job, queued at start

        await asyncio.to_thread(own.postgres.stop)
        await asyncio.sleep(1)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()
        await asyncio.to_thread(own.postgres.start)
        conn = await asyncpg.connect(url)
        try:
            await enqueue(conn, "catalog.sync", dedupe_key="catalog.sync")  # a new job
        finally:
            await conn.close()
        await eventually(lambda: synced(2), timeout=60)
        assert worker.poll() is None  # the same process throughout

        # Gone for good: the worker says so with a non-zero status, for its supervisor.
        await asyncio.to_thread(own.postgres.stop)
        status = await asyncio.to_thread(worker.wait, 120)
        assert status != 0, (tmp_path / "worker.log").read_text()
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(30)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
