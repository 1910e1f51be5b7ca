"""Many processes on one database: two `handheld serve` and three `handheld worker` processes.

Citizens spread over both API processes (each signs in starting at one and finishing at the
other, drafts and uploads at one, submits at the other) go through the declarations flow to a
completed case at the platform while a live inbox stream is open on the other process; a
notice goes to 100,000 citizens (seeded with COPY), some of whom take it on WeChat too; a
catalogue change synced by a worker reaches both API processes' caches, and a logout at one
API process is honoured by the other.

Then: every job done once (no job completed twice or picked twice for one queueing, none
parked), nothing done twice at the stand-ins (one case per declaration, one SMS per step
that sends one, one WeChat message per granted citizen, each inbox step once), and no lost
wake-ups: the workers never poll (an hour between polls), so a job whose wake-up was lost
would still be waiting when the test gives up. No timing is asserted: the waits are generous.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.catalog.tasks import SYNC_JOB
from api.composition import Services
from core.embedded import free_port
from core.jobs import enqueue
from core.settings import Settings
from tests.fixtures.declarations import FUNERAL_SUBSIDY, RENT_WITHDRAWAL, Applicant, ready_to_submit
from tests.fixtures.identity import Outside, bearer, make_staff, staff_login, user
from tests.fixtures.processes import Processes, Started, processes, until_ready
from tests.fixtures.push import DRAFT

CITIZENS = 6
RECIPIENTS = 100_000
GRANTED = 200  # of the recipients, those who take notices on WeChat too
WORKERS = 3
# The workers as in production except: no polling (a job is taken only when a worker is woken:
# pgqueuer's LISTEN/NOTIFY, its re-check for work left after a batch, its timer for a job's
# execute_after), and retries that outlast a slow moment of a loaded machine.
WORKER_ENV = {
    "HANDHELD_JOBS_POLL_INTERVAL_S": "3600",
    "HANDHELD_JOBS_MAX_ATTEMPTS": "100",
    "HANDHELD_JOBS_MAX_DELAY_S": "1",
}
SETTLE_S = 600  # generous: a loaded machine; a lost wake-up waits an hour
STEPS = {"pre_review": "accepted", "accepted": "processing", "processing": "completed"}
TOLD = Counter({
    "declaration.submitted": 1, "declaration.delivered": 1, "declaration.accepted": 1,
    "declaration.processing": 1, "declaration.completed": 1,
})  # fmt: skip
SMS = Counter({"已办结": 1})


@dataclass
class Deployment:
    running: Processes
    a: Started
    b: Started
    workers: list[Started]
    clients: tuple[httpx.AsyncClient, httpx.AsyncClient]
    outside: Outside
    db: asyncpg.Connection
    managers_seen: set[str]


@pytest.fixture
def running(settings: Settings, tmp_path: Path) -> Iterator[Processes]:
    """Every process the test starts, stopped at its end whatever happens."""
    with processes(settings, tmp_path) as started:
        try:
            yield started
        finally:
            print(started.logs())  # shown by pytest when the test failed


@pytest.fixture
async def deployment(
    running: Processes,
    settings: Settings,
    redis_url: str,
    outside: Outside,
    db: asyncpg.Connection,
    stand_ins: None,
) -> AsyncIterator[Deployment]:
    a = running.api("api-a", settings.port)  # the platform's callbacks come here
    b = running.api("api-b", free_port())
    workers = [running.worker(f"worker-{n + 1}", WORKER_ENV) for n in range(WORKERS)]
    await until_ready(a, redis_url)
    await until_ready(b, redis_url)
    # The workers' first job: the catalogue the citizens apply from.
    await eventually(lambda: job_done(db, SYNC_JOB))
    seen: set[str] = set()
    sampler = asyncio.create_task(sample_queue_managers(settings, seen))
    try:
        async with (
            httpx.AsyncClient(base_url=a.base_url or "", timeout=60) as client_a,
            httpx.AsyncClient(base_url=b.base_url or "", timeout=60) as client_b,
        ):
            yield Deployment(running, a, b, workers, (client_a, client_b), outside, db, seen)
    finally:
        sampler.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = SETTLE_S) -> Any:
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.3)
    return result


async def holds(items: list[str], item: str) -> bool:
    return item in items


async def job_done(db: asyncpg.Connection, entrypoint: str) -> bool:
    return bool(
        await db.fetchval(
            "SELECT count(*) FROM pgqueuer_log WHERE entrypoint = $1 AND status = 'successful'",
            entrypoint,
        )
    )


async def sample_queue_managers(settings: Settings, seen: set[str]) -> None:
    """Which workers (pgqueuer queue managers) hold picked jobs, sampled all along."""
    # Straight to PostgreSQL: asyncpg's statement cache would not survive PgBouncer's
    # transaction mode (the suite's pools go through it).
    conn = await asyncpg.connect(settings.database.session_url().reveal())
    try:
        while True:
            rows = await conn.fetch(
                "SELECT DISTINCT queue_manager_id::text AS m FROM pgqueuer "
                "WHERE status = 'picked' AND queue_manager_id IS NOT NULL"
            )
            seen.update(r["m"] for r in rows)
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


# -- citizens -----------------------------------------------------------------------------------


@dataclass
class Citizen:
    home: Applicant  # drafts and uploads here
    away: Applicant  # submits here
    phone: str
    declaration: str


async def sign_in(
    start: httpx.AsyncClient, finish: httpx.AsyncClient, outside: Outside, name: str
) -> str:
    """Unified sign-in begun at one API process and completed at the other (the state it
    keeps between the two is in Redis)."""
    begun = await start.post("/api/v1/auth/sso/start", json={"purpose": "login"})
    assert begun.status_code == 200, begun.text
    redirect = await outside.sign_in_at_platform(begun.json()["authorizeUrl"], user(name))
    done = await finish.post(
        "/api/v1/auth/sso/complete", json={"code": redirect["code"], "state": redirect["state"]}
    )
    assert done.status_code == 200, done.text
    return str(done.json()["accessToken"])


async def citizen(d: Deployment, n: int) -> Citizen:
    home, away = d.clients[n % 2], d.clients[(n + 1) % 2]
    name = f"resident{n + 1:03d}"
    token = await sign_in(home, away, d.outside, name)
    applicant = Applicant(home, d.outside, token)
    declaration = await ready_to_submit(applicant, RENT_WITHDRAWAL)
    return Citizen(applicant, Applicant(away, d.outside, token), user(name).phone, declaration)


async def platform_cases(d: Deployment) -> list[dict[str, Any]]:
    async with d.outside.session.get(f"{d.outside.provincial}/_control/cases") as resp:
        assert resp.status == 200
        return list((await resp.json())["cases"])


async def departments(d: Deployment, stop: asyncio.Event) -> None:
    """The platform's departments move every case one step at a time on to completed."""
    while not stop.is_set():
        for case in await platform_cases(d):
            if (to := STEPS.get(case["status"])) is not None:
                await d.outside.post(
                    f"{d.outside.provincial}/_control/cases/{case['caseNumber']}/advance",
                    {"to": to},
                )
        await asyncio.sleep(0.3)


async def all_completed(d: Deployment, citizens: list[Citizen]) -> bool:
    for c in citizens:
        detail = await c.away.detail(c.declaration)
        if (detail["state"], detail["delivery"]) != ("completed", "delivered"):
            return False
    return not await d.db.fetchval("SELECT count(*) FROM push_deliveries WHERE status = 'queued'")


async def live_events(client: httpx.AsyncClient, token: str, into: list[str]) -> None:
    """The citizen's open page: the inbox's live stream (SSE over Redis pub/sub)."""
    async with client.stream("GET", "/api/v1/inbox/live", headers=bearer(token)) as stream:
        assert stream.status_code == 200
        async for line in stream.aiter_lines():
            if line.startswith("data: ") and '"eventType"' in line:
                into.append(json.loads(line.removeprefix("data: "))["eventType"])
            elif line == "event: ready":
                into.append("ready")


async def inbox_counts(applicant: Applicant) -> Counter[str]:
    resp = await applicant.client.get(
        "/api/v1/inbox", params={"pageSize": 50}, headers=applicant.headers
    )
    assert resp.status_code == 200, resp.text
    return Counter(
        m["eventType"] for m in resp.json()["items"] if m["eventType"].startswith("declaration.")
    )


async def sms_counts(d: Deployment, phone: str) -> Counter[str]:
    async with d.outside.session.get(
        f"{d.outside.sms}/_control/messages", params={"phone": phone}
    ) as resp:
        return Counter(m["templateParams"]["status"] for m in (await resp.json())["messages"])


# -- the notice ---------------------------------------------------------------------------------


async def seed_recipients(db: asyncpg.Connection, settings: Settings) -> list[str]:
    """RECIPIENTS citizens, GRANTED of them with a WeChat openid and the notice template
    granted for good; COPY, so 100,000 rows take a moment."""
    ids = [uuid.uuid4() for _ in range(RECIPIENTS)]
    await db.copy_records_to_table("citizens", records=[(i,) for i in ids], columns=["id"])
    openids = [f"oMany{n:023d}" for n in range(GRANTED)]
    await db.copy_records_to_table(
        "citizen_wechat",
        records=[
            (settings.wechat.appid, o, i, b"\x00") for o, i in zip(openids, ids, strict=False)
        ],
        columns=["appid", "openid", "citizen_id", "session_key_enc"],
    )
    await db.copy_records_to_table(
        "wechat_subscriptions",
        records=[(o, "TPL_NOTICE", 0, True) for o in openids],
        columns=["openid", "template_id", "quota", "long_term"],
    )
    return openids


async def wechat_sent(d: Deployment, openid: str) -> int:
    async with d.outside.session.get(
        f"{d.outside.wechat}/_control/sent", params={"openid": openid}
    ) as resp:
        return len((await resp.json())["messages"])


# -- the test -----------------------------------------------------------------------------------


@pytest.mark.timeout(2400)  # five processes and 100,000 recipients on a loaded machine
async def test_two_apis_three_workers(
    deployment: Deployment, services: Services, settings: Settings
) -> None:
    d = deployment
    client_a, client_b = d.clients

    # Citizens, half at home on each API process; one of them watches its inbox live on the
    # process it does not draft at.
    citizens = list(await asyncio.gather(*(citizen(d, n) for n in range(CITIZENS))))
    watcher, streamed = citizens[0], list[str]()
    stream = asyncio.create_task(live_events(watcher.away.client, watcher.home.token, streamed))
    await eventually(lambda: holds(streamed, "ready"))
    for c in citizens:
        submitted = await c.away.submit(c.declaration)
        assert submitted.status_code == 200, submitted.text
    stop = asyncio.Event()
    moving = asyncio.create_task(departments(d, stop))
    try:
        await eventually(lambda: all_completed(d, citizens))
    finally:
        stop.set()
        await moving
    await eventually(lambda: holds(streamed, "declaration.completed"))
    stream.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await stream

    # A notice to 100,000 citizens: drafted at one API process, approved at the other.
    openids = await seed_recipients(d.db, settings)
    async with httpx.AsyncClient(base_url=settings.wechat.base_url) as wechat:
        for openid in openids:  # the same grants, as WeChat knows them
            granted = await wechat.post(
                "/_control/subscriptions", json={"openid": openid, "templateId": "TPL_NOTICE"}
            )
            assert granted.status_code == 200, granted.text
    operator = bearer(await staff_login(client_a, await make_staff(services, "m-op", "operator")))
    supervisor = bearer(
        await staff_login(client_b, await make_staff(services, "m-sup", "supervisor"))
    )
    drafted = await client_a.post(
        "/ops/v1/notices", json={**DRAFT, "channels": ["inbox", "wechat"]}, headers=operator
    )
    assert drafted.status_code == 200, drafted.text
    notice = drafted.json()["id"]
    approved = await client_b.post(f"/ops/v1/notices/{notice}/approve", headers=supervisor)
    assert approved.status_code == 200, approved.text
    everyone = RECIPIENTS + CITIZENS
    assert approved.json()["figures"]["targeted"] == everyone

    async def notice_sent() -> bool:
        return bool(
            await d.db.fetchval(
                """SELECT (SELECT status = 'sent' FROM notices WHERE id = $1::uuid)
                      AND NOT EXISTS (SELECT 1 FROM push_deliveries WHERE status = 'queued')""",
                notice,
            )
        )

    await eventually(notice_sent)

    # A catalogue change synced by a worker (the cron tick's job, enqueued here) reaches the
    # cache of both API processes, each of which has the item's page cached.
    detail = f"/api/v1/items/{FUNERAL_SUBSIDY}"
    for client in d.clients:
        for _ in range(2):  # rendered, then served from the process's cache
            assert (await client.get(detail)).json()["status"] == "active"
    await d.outside.post(
        f"{d.outside.provincial}/_control/items/{FUNERAL_SUBSIDY}/suspend", {"reason": "系统升级"}
    )
    async with d.db.transaction():
        await enqueue(d.db, SYNC_JOB, dedupe_key="many-processes:sync")

    async def suspended_everywhere() -> bool:
        statuses = [(await client.get(detail)).json()["status"] for client in d.clients]
        return statuses == ["suspended", "suspended"]

    await eventually(suspended_everywhere)

    # No lost wake-up: every job queued so far is done, though no worker ever polled.
    last = await d.db.fetchval("SELECT max(job_id) FROM pgqueuer_log")

    async def all_done() -> bool:
        return not await d.db.fetchval(
            "SELECT count(*) FROM pgqueuer WHERE id <= $1 AND status IN ('queued', 'picked')",
            last,
        )

    await eventually(all_done)

    # Every job done once: completed at most once, picked once per queueing, none parked.
    twice = await d.db.fetch(
        """SELECT job_id, entrypoint,
                  count(*) FILTER (WHERE status = 'successful') AS done,
                  count(*) FILTER (WHERE status = 'picked') AS picked,
                  count(*) FILTER (WHERE status = 'queued') AS queued
             FROM pgqueuer_log GROUP BY job_id, entrypoint
           HAVING count(*) FILTER (WHERE status = 'successful') > 1
               OR count(*) FILTER (WHERE status = 'picked')
                  > count(*) FILTER (WHERE status = 'queued')"""
    )
    assert [dict(r) for r in twice] == []
    assert await d.db.fetchval("SELECT count(*) FROM pgqueuer WHERE status = 'failed'") == 0
    jobs = await d.db.fetchval("SELECT count(DISTINCT job_id) FROM pgqueuer_log")
    print(f"{jobs} jobs, taken by {len(d.managers_seen)} of {WORKERS} workers (as sampled)")
    assert len(d.managers_seen) >= 2  # the work was shared

    # Nothing twice at the stand-ins or in the inboxes.
    per_key = Counter(c["idempotencyKey"] for c in await platform_cases(d))
    assert per_key == Counter({c.declaration: 1 for c in citizens})
    for c in citizens:
        assert await inbox_counts(c.home) == TOLD, c.declaration
        assert await sms_counts(d, c.phone) == SMS, c.declaration
    inbox = await d.db.fetchrow(
        "SELECT count(*) AS rows, count(DISTINCT citizen_id) AS citizens FROM inbox_messages "
        "WHERE dedupe_key = $1",
        f"notice:{notice}",
    )
    assert inbox is not None and (inbox["rows"], inbox["citizens"]) == (everyone, everyone)
    sent = Counter([await wechat_sent(d, o) for o in openids])
    assert sent == Counter({1: GRANTED})  # each granted citizen got it once on WeChat
    figures = (await client_a.get(f"/ops/v1/notices/{notice}", headers=supervisor)).json()
    assert figures["figures"]["sent"] == everyone

    # Every process still up: none died on the way.
    assert [p.name for p in [d.a, d.b, *d.workers] if p.process.poll() is not None] == []

    # A logout at one API process: the other refuses the token too.
    leaving = citizens[1]
    assert (await client_b.get("/api/v1/me", headers=leaving.home.headers)).status_code == 200
    out = await client_a.post("/api/v1/auth/logout", headers=leaving.home.headers)
    assert out.status_code == 204, out.text

    async def refused_at_b() -> bool:
        resp = await client_b.get("/api/v1/me", headers=leaving.home.headers)
        return resp.status_code == 401

    await eventually(refused_at_b)
