"""A rolling update (issue 20) in the middle of 200 submissions and a notice.

Two API processes behind a load balancer (this test: it sends only to backends whose /readyz
answers 200, probed every 100 ms, and tries a request that got no answer at all again, with
the same Idempotency-Key, as a real client does) and one worker. The rollout sends SIGTERM to
one API process and starts its replacement, then sends SIGTERM to the worker while it runs
submissions the platform holds longer than the worker's grace period, and starts its
replacement. No request is answered with a 5xx, the stopping API turned unready before it
stopped, the stopping worker handed its jobs back, and nothing was lost or doubled: every
declaration reaches the platform exactly once, every recipient gets the notice once in the
inbox and once on WeChat, and no job is a dead letter.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from core.embedded import free_port
from core.settings import Settings
from tests.fixtures.declarations import CASES, Applicant, ready_to_submit, synced
from tests.fixtures.identity import Outside, bearer, make_staff, sso, staff_login, user
from tests.fixtures.push import DRAFT, citizens_granted_on_wechat
from tests.fixtures.settings import settings_env

SUBMISSIONS = 200
CITIZENS = 20  # ten declarations each
NOTICE_RECIPIENTS = 20_000
GRANTED = 200  # of whom granted the notice template on WeChat
CONCURRENCY = 8
# The worker's grace period, and how long the platform holds the submissions the stopping worker
# is running: longer than the grace period (those are handed back), and longer than the fixed
# 30 s a stopping worker used to wait before abandoning its jobs.
GRACE_S = 3
PLATFORM_HOLD_MS = 40_000
API_ENV = {"HANDHELD_SHUTDOWN_DRAIN_S": "2", "HANDHELD_LOG_JSON": "false"}
WORKER_ENV = {
    "HANDHELD_SHUTDOWN_JOBS_GRACE_S": str(GRACE_S),
    # A held submission is waited for (not timed out) until the grace period ends.
    "HANDHELD_HTTP_TOTAL_TIMEOUT": "120",
    "HANDHELD_JOBS_HEARTBEAT_TIMEOUT_S": "5",
    "HANDHELD_JOBS_POLL_INTERVAL_S": "0.5",
    "HANDHELD_JOBS_MAX_ATTEMPTS": "50",
    "HANDHELD_JOBS_INITIAL_DELAY_S": "0.1",
    "HANDHELD_JOBS_MAX_DELAY_S": "1",
    "HANDHELD_LOG_JSON": "false",
}


@dataclass
class Deployment:
    """The API and worker processes of the test, each logging to a file of its own."""

    env: dict[str, str]
    logs: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, argv: list[str], extra: dict[str, str]) -> subprocess.Popen[bytes]:
        with open(self.logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", *argv],
                env=self.env | extra,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self.processes[name] = process
        return process

    def api(self, name: str) -> tuple[str, subprocess.Popen[bytes]]:
        port = free_port()
        process = self.start(name, ["serve", "--port", str(port)], API_ENV)
        return f"http://127.0.0.1:{port}", process

    def worker(self, name: str) -> subprocess.Popen[bytes]:
        return self.start(name, ["worker"], WORKER_ENV)

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")


@pytest.fixture
async def deployment(settings: Settings, tmp_path: Path) -> AsyncIterator[Deployment]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDHELD_")}
    logs = tmp_path / "logs"
    logs.mkdir()
    running = Deployment(env | settings_env(settings), logs)
    try:
        yield running
    finally:
        for process in running.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()


class Balancer:
    """What a load balancer does with readiness: sends only to backends that answer /readyz
    with 200. A request that got no answer (connection refused, connection closed) is sent
    again, to a ready backend, with the same headers (so the same Idempotency-Key)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.ready: dict[str, bool] = {}
        self.draining_seen: set[str] = set()
        self.statuses: list[tuple[str, int]] = []
        self.unanswered = 0
        self._turn = itertools.count()

    def add(self, base: str) -> None:
        self.ready[base] = False

    async def probe(self) -> None:
        while True:
            for base in list(self.ready):
                try:
                    resp = await self.client.get(f"{base}/readyz", timeout=2)
                except httpx.TransportError:
                    self.ready[base] = False
                    continue
                self.ready[base] = resp.status_code == 200
                if resp.status_code == 503 and resp.json().get("status") == "draining":
                    self.draining_seen.add(base)
            await asyncio.sleep(0.1)

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        while True:
            ready = [base for base, ok in self.ready.items() if ok]
            if not ready:
                await asyncio.sleep(0.05)
                continue
            base = ready[next(self._turn) % len(ready)]
            try:
                resp = await self.client.request(method, f"{base}{path}", **kwargs)
            except httpx.TransportError:
                self.unanswered += 1
                await asyncio.sleep(0.05)
                continue
            self.statuses.append((path, resp.status_code))
            return resp


async def until(check: Callable[[], Awaitable[Any]], timeout: float = 240) -> Any:
    """Generous: processes starting and jobs running on a busy machine."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.2)
    return result


async def until_true(check: Callable[[], bool], timeout: float = 240) -> None:
    async def asked() -> bool:
        return check()

    await until(asked, timeout)


async def prepare(client: httpx.AsyncClient, outside: Outside) -> list[tuple[Applicant, str]]:
    """CITIZENS citizens, each with SUBMISSIONS / CITIZENS declarations ready to submit."""
    gate = asyncio.Semaphore(CONCURRENCY)

    async def citizen(n: int) -> list[tuple[Applicant, str]]:
        async with gate:
            signed_in = await sso(client, outside, user(f"resident{n + 1:03d}"))
            assert signed_in.status_code == 200, signed_in.text
            applicant = Applicant(client, outside, signed_in.json()["accessToken"])
            return [
                (applicant, await ready_to_submit(applicant))
                for _ in range(SUBMISSIONS // CITIZENS)
            ]

    return [d for ds in await asyncio.gather(*(citizen(n) for n in range(CITIZENS))) for d in ds]


async def notice_audience(
    db: asyncpg.Connection, wechat: httpx.AsyncClient, appid: str
) -> list[str]:
    """NOTICE_RECIPIENTS more citizens, GRANTED of whom take the notice on WeChat."""
    await db.execute(
        "INSERT INTO citizens (id) SELECT gen_random_uuid() FROM generate_series(1, $1)",
        NOTICE_RECIPIENTS - GRANTED,
    )
    return await citizens_granted_on_wechat(
        db, str(wechat.base_url), appid, "TPL_NOTICE", "oRolling", GRANTED
    )


async def submissions_held(platform: httpx.AsyncClient) -> bool:
    resp = await platform.get("/_control/faults")
    assert resp.status_code == 200, resp.text
    return bool(resp.json().get("faultedRequests"))


async def platform_keys(platform: httpx.AsyncClient) -> Counter[str]:
    resp = await platform.get("/_control/cases")
    assert resp.status_code == 200, resp.text
    return Counter(case["idempotencyKey"] for case in resp.json()["cases"])


@pytest.mark.timeout(900)
async def test_rolling_update_loses_and_doubles_nothing(
    client: httpx.AsyncClient,
    services: Services,
    settings: Settings,
    db: asyncpg.Connection,
    stand_ins: None,
    deployment: Deployment,
) -> None:
    import aiohttp

    await synced(services)
    async with (
        aiohttp.ClientSession() as session,
        httpx.AsyncClient(base_url=settings.wechat.base_url) as wechat,
        httpx.AsyncClient(base_url=settings.provincial.base_url) as platform,
        httpx.AsyncClient(timeout=120) as http,
    ):
        outside = Outside(
            session, settings.provincial.base_url, settings.wechat.base_url, settings.sms.base_url
        )
        declarations = await prepare(client, outside)
        openids = await notice_audience(db, wechat, settings.wechat.appid)
        operator = bearer(await staff_login(client, await make_staff(services, "r-op", "operator")))
        supervisor = bearer(
            await staff_login(client, await make_staff(services, "r-sup", "supervisor"))
        )

        balancer = Balancer(http)
        api_a, process_a = deployment.api("api-a")
        api_b, _ = deployment.api("api-b")
        balancer.add(api_a)
        balancer.add(api_b)
        worker_1 = deployment.worker("worker-1")
        probing = asyncio.create_task(balancer.probe())
        try:
            await until_true(lambda: all(balancer.ready.values()))
            drafted = await balancer.request(
                "POST", "/ops/v1/notices", json={**DRAFT, "channels": ["inbox", "wechat"]},
                headers=operator,
            )  # fmt: skip
            assert drafted.status_code == 200, drafted.text
            notice = drafted.json()["id"]
            approved = await balancer.request(
                "POST", f"/ops/v1/notices/{notice}/approve", headers=supervisor
            )
            assert approved.status_code == 200, approved.text

            gate = asyncio.Semaphore(CONCURRENCY)
            answered: list[httpx.Response] = []

            async def submit(applicant: Applicant, declaration: str) -> None:
                headers = {**applicant.headers, "Idempotency-Key": str(uuid.uuid4())}
                async with gate:
                    resp = await balancer.request(
                        "POST", f"/api/v1/declarations/{declaration}/submit", headers=headers
                    )
                answered.append(resp)

            submitting = asyncio.gather(*(submit(a, d) for a, d in declarations))

            # The API: SIGTERM to one process in the middle of the submissions, and its
            # replacement started, as a rollout does.
            await until_true(lambda: len(answered) >= SUBMISSIONS // 5)
            process_a.send_signal(signal.SIGTERM)
            api_c, _ = deployment.api("api-c")
            balancer.add(api_c)

            # The worker: SIGTERM while the platform holds the submissions it is running, and
            # its replacement started.
            await until_true(lambda: len(answered) >= SUBMISSIONS // 2)
            held = await platform.post(
                "/_control/faults",
                json={"mode": "latency", "latencyMs": PLATFORM_HOLD_MS, "pathPrefix": CASES},
            )
            assert held.status_code == 200, held.text
            # A submission of worker 1's is held at the platform (not merely picked: a job
            # picked a moment before the fault was set may be past its call already).
            await until(lambda: submissions_held(platform))
            deployment.worker("worker-2")
            worker_1.send_signal(signal.SIGTERM)
            # The hold outlasts worker 1's grace period: it hands its jobs back and exits. Only
            # then is the hold lifted (lifting it earlier lets the held calls finish within the
            # grace period, and nothing is handed back).
            await until_true(lambda: worker_1.poll() is not None)
            assert (await platform.delete("/_control/faults")).status_code == 200

            await asyncio.wait_for(submitting, timeout=600)
            await until_true(lambda: process_a.poll() is not None)

            async def delivered() -> bool:
                return bool(
                    await db.fetchval(
                        "SELECT count(*) = $1 FROM declarations WHERE delivery = 'delivered'",
                        SUBMISSIONS,
                    )
                )

            async def notice_sent() -> bool:
                return bool(
                    await db.fetchval(
                        """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                              AND NOT EXISTS (SELECT 1 FROM push_deliveries
                                              WHERE status = 'queued')""",
                        notice,
                    )
                )

            await until(delivered, timeout=300)
            await until(notice_sent, timeout=300)
        finally:
            probing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await probing

        received = Counter[int]()
        for openid in openids:
            sent = (await wechat.get("/_control/sent", params={"openid": openid})).json()
            received[len(sent["messages"])] += 1
        cases = await platform_keys(platform)

    print(
        f"rolling update: {balancer.unanswered} requests without an answer sent again; "
        f"answers {Counter(status for _, status in balancer.statuses)}"
    )
    # No request failed: every answer below 500, every submission accepted.
    assert [s for s in balancer.statuses if s[1] >= 500] == []
    assert [r.status_code for r in answered] == [200] * SUBMISSIONS
    # The stopping API said it was not ready before it stopped serving; the worker stopped
    # on its own (exit 0) and handed back the submissions still held at the platform.
    assert api_a in balancer.draining_seen
    assert worker_1.returncode == 0, deployment.log("worker-1")[-3000:]
    assert "job handed back to the queue" in deployment.log("worker-1")
    # Nothing lost, nothing doubled.
    assert cases == Counter({declaration: 1 for _, declaration in declarations})
    assert received == Counter({1: GRANTED}), f"messages per recipient: {received}"
    assert await db.fetchval(
        "SELECT count(DISTINCT citizen_id) = count(*) AND count(*) = $2 FROM inbox_messages "
        "WHERE dedupe_key = $1",
        f"notice:{notice}",
        NOTICE_RECIPIENTS + CITIZENS,
    )
    assert await db.fetchval("SELECT count(*) FROM pgqueuer WHERE status = 'failed'") == 0
