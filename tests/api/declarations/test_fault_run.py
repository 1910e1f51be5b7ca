"""The outside fault run of issue 12, as a test.

Citizens submit declarations concurrently through a live API while the worker process is
SIGKILLed and restarted again and again, the platform is down (5xx) for a while, one item is
suspended at the platform (so its declarations are refused), PostgreSQL and Valkey are each
restarted once, and twenty copies of one submission race with the same Idempotency-Key. The
platform moves every case it received on to completed meanwhile. At the end every declaration
is in the platform's state, every citizen was told each step once, no answer of the API was a
5xx other than a 503 with Retry-After, and the last worker is alive.

``make test`` runs it small (HANDHELD_FAULT_RUN_SIZE citizens, default 30, and
HANDHELD_FAULT_RUN_KILLS worker kills, default 3); ``make faultrun`` runs it at full scale
(160 citizens, 20 kills). HANDHELD_FAULT_RUN_SEED replays one run's timing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import open_services
from api.declarations.states import FROM_PLATFORM
from api.declarations.tasks import SUBMIT_JOB
from tests.fixtures.declarations import (
    CASES,
    LICENCE_ISSUER,
    RENT_WITHDRAWAL,
    Applicant,
    ready_to_submit,
)
from tests.fixtures.identity import Outside, sso, user
from tests.fixtures.outages import OwnServers
from tests.fixtures.servers import running_server
from tests.fixtures.settings import settings_env

SIZE = int(os.environ.get("HANDHELD_FAULT_RUN_SIZE", "30"))
KILLS = int(os.environ.get("HANDHELD_FAULT_RUN_KILLS", "3"))
SEED = int(os.environ.get("HANDHELD_FAULT_RUN_SEED", str(time.time_ns() % 1_000_000)))
REPLAYS = 20
REFUSED_ITEM = LICENCE_ISSUER  # suspended at the platform once the drafts are made
STEPS = {"pre_review": "accepted", "accepted": "processing", "processing": "completed"}
TOLD_COMPLETED = Counter({
    "declaration.submitted": 1, "declaration.delivered": 1, "declaration.accepted": 1,
    "declaration.processing": 1, "declaration.completed": 1,
})  # fmt: skip
TOLD_REFUSED = Counter({"declaration.submitted": 1, "declaration.platform_refused": 1})
SMS_COMPLETED = Counter({"已办结": 1})
SMS_REFUSED = Counter({"平台退回": 1})
# The worker as in production, with the waits shortened to the run's scale: a retry budget
# longer than the outages, a killed worker's jobs picked up again after 2 s.
WORKER_ENV = {
    "HANDHELD_JOBS_MAX_ATTEMPTS": "1000",
    "HANDHELD_JOBS_INITIAL_DELAY_S": "0.1",
    "HANDHELD_JOBS_MAX_DELAY_S": "1",
    "HANDHELD_JOBS_HEARTBEAT_TIMEOUT_S": "2",
    "HANDHELD_JOBS_POLL_INTERVAL_S": "0.5",
    "HANDHELD_JOBS_RECONNECT_INITIAL_S": "0.1",
    "HANDHELD_JOBS_RECONNECT_MAX_S": "1",
    "HANDHELD_JOBS_GIVE_UP_AFTER_S": "120",
    "HANDHELD_LOG_JSON": "false",
}


@dataclass
class Answer:
    method: str
    path: str
    status: int  # 0: no answer (connection error or client timeout)
    retry_after: str | None = None


@dataclass
class Run:
    """What the API answered, and the processes and servers the run drives."""

    own: OwnServers
    outside: Outside
    log: Path
    answers: list[Answer] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.monotonic)

    def note(self, what: str) -> None:
        self.events.append(f"{time.monotonic() - self.started:7.2f}s {what}")

    def spawn_worker(self) -> subprocess.Popen[bytes]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HANDHELD_")}
        env |= settings_env(self.own.settings) | WORKER_ENV
        with open(self.log, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "api.cli", "worker"], env=env, stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        self.workers.append(process)
        self.note(f"worker {process.pid} started")
        return process

    @property
    def provincial(self) -> str:
        return self.outside.provincial


async def with_retries(run: Run, send: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
    """What the mini-program does: a 503 is tried again after Retry-After (capped here, the run
    is short), with the same request (and so the same Idempotency-Key)."""
    while True:
        resp = await send()
        if resp.status_code != 503:
            return resp
        await asyncio.sleep(min(float(resp.headers.get("retry-after", "1")), 1.0))


async def submit(run: Run, applicant: Applicant, declaration: str, key: str) -> httpx.Response:
    return await with_retries(run, lambda: applicant.submit(declaration, key))


@dataclass
class Citizen:
    applicant: Applicant
    phone: str
    declaration: str
    item: str

    @property
    def refused(self) -> bool:
        return self.item == REFUSED_ITEM


@pytest.fixture
async def run(own: OwnServers, tmp_path: Path) -> AsyncIterator[Run]:
    import aiohttp

    settings = own.settings
    async with aiohttp.ClientSession() as session:
        the_run = Run(
            own,
            Outside(
                session,
                settings.provincial.base_url,
                settings.wechat.base_url,
                settings.sms.base_url,
            ),
            tmp_path / "workers.log",
        )
        try:
            yield the_run
        finally:
            for process in the_run.workers:
                if process.poll() is None:
                    process.kill()
                    process.wait()


def recording(run: Run) -> Callable[[httpx.Response], Awaitable[None]]:
    async def record(resp: httpx.Response) -> None:
        request = resp.request
        run.answers.append(
            Answer(request.method, request.url.path, resp.status_code,
                   resp.headers.get("retry-after"))
        )  # fmt: skip

    return record


class RecordingTransport(httpx.AsyncBaseTransport):
    """Counts a request that got no answer at all (connection refused, client timeout)."""

    def __init__(self, run: Run) -> None:
        self.run, self.inner = run, httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.run.answers.append(Answer(request.method, request.url.path, 0))
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


async def fetch_json(run: Run, url: str) -> Any:
    async with run.outside.session.get(url) as resp:
        assert resp.status == 200, await resp.text()
        return await resp.json()


async def platform_cases(run: Run) -> list[dict[str, Any]]:
    return list((await fetch_json(run, f"{run.provincial}/_control/cases"))["cases"])


async def worker_has_synced(run: Run) -> bool:
    try:
        conn = await asyncpg.connect(run.own.postgres.admin_url)
    except OSError:
        return False
    try:
        done = await conn.fetchval(
            "SELECT count(*) FROM pgqueuer_log WHERE entrypoint = 'catalog.sync' "
            "AND status = 'successful'"
        )
        return bool(done)
    finally:
        await conn.close()


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float) -> Any:
    """Generous: a run on a busy machine, many workers started one after another."""
    async with asyncio.timeout(timeout):
        while not (result := await check()):
            await asyncio.sleep(0.5)
    return result


async def prepare(run: Run, client: httpx.AsyncClient, n: int, item: str) -> Citizen:
    resident = user(f"resident{n + 1:03d}")
    signed_in = await sso(client, run.outside, resident)
    assert signed_in.status_code == 200, signed_in.text
    applicant = Applicant(client, run.outside, signed_in.json()["accessToken"])
    return Citizen(applicant, resident.phone, await ready_to_submit(applicant, item), item)


# -- the faults --------------------------------------------------------------------------------


async def submission_in_flight(run: Run, hit: set[str]) -> str | None:
    """A declaration whose submission job a worker picked just now (the platform holds it a
    second), not one already hit (a dead worker's job stays picked until taken again)."""
    try:
        conn = await asyncpg.connect(run.own.postgres.admin_url)
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return None  # restarting
    try:
        rows = await conn.fetch(
            """SELECT payload FROM pgqueuer WHERE status = 'picked' AND entrypoint = $1
                  AND updated > now() - interval '0.8 seconds' ORDER BY updated DESC""",
            SUBMIT_JOB,
        )
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
        return None  # the database restarted under the query (another fault of this run)
    finally:
        conn.terminate()  # a read-only poll: nothing to finish, and the peer may be gone
    fresh = [str(json.loads(r["payload"])["declaration_id"]) for r in rows]
    return next((d for d in fresh if d not in hit), None)


async def case_exists(run: Run, declaration: str) -> bool:
    return any(c["idempotencyKey"] == declaration for c in await platform_cases(run))


async def kill_workers(run: Run, rng: random.Random, kills: int) -> None:
    """SIGKILL the worker again and again, a new one started each time. Every other kill
    lands at the worst point of a submission (issue 12, 3b): the worker is stopped while the
    platform holds its request and killed once the case exists, so the answer never reaches
    us and the retried job finds the case moved on meanwhile. The others land anywhere."""
    hit: set[str] = set()
    for i in range(kills):
        await asyncio.sleep(rng.uniform(1.0, 2.5))
        victim = run.workers[-1]
        if i % 2 == 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    while (declaration := await submission_in_flight(run, hit)) is None:
                        await asyncio.sleep(0.05)
                    hit.add(declaration)
                    victim.send_signal(signal.SIGSTOP)
                    run.note(f"worker {victim.pid} stopped submitting {declaration}")
                    while not await case_exists(run, declaration):
                        await asyncio.sleep(0.05)
        victim.send_signal(signal.SIGKILL)
        await asyncio.to_thread(victim.wait)
        run.note(f"worker {victim.pid} SIGKILLed")
        run.spawn_worker()


async def platform_slow(run: Run) -> None:
    """Each submission held 1 s: workers die while the platform holds one."""
    await run.outside.post(
        f"{run.provincial}/_control/faults",
        {"mode": "latency", "latencyMs": 1000, "pathPrefix": "/gov/cases/"},
    )
    run.note("platform slow (1 s a submission)")


async def platform_outage(run: Run, at: float, seconds: float, until: float) -> None:
    """Slow, down (5xx) for ``seconds``, slow again, and back to normal at ``until``."""
    await platform_slow(run)
    await asyncio.sleep(at)
    await run.outside.post(
        f"{run.provincial}/_control/faults", {"mode": "error", "status": 503, "pathPrefix": "/gov/"}
    )
    run.note("platform down (503)")
    await asyncio.sleep(seconds)
    await platform_slow(run)
    await asyncio.sleep(max(0.0, until - at - seconds))
    async with run.outside.session.delete(f"{run.provincial}/_control/faults") as resp:
        assert resp.status == 200
    run.note("platform back to normal")


async def restart_postgres(run: Run, at: float, seconds: float) -> None:
    await asyncio.sleep(at)
    await asyncio.to_thread(run.own.postgres.stop)
    run.note("PostgreSQL stopped")
    await asyncio.sleep(seconds)
    await asyncio.to_thread(run.own.postgres.start)
    run.note("PostgreSQL started")


async def restart_valkey(run: Run, at: float, seconds: float) -> None:
    await asyncio.sleep(at)
    await asyncio.to_thread(run.own.valkey.stop)
    run.note("Valkey stopped")
    await asyncio.sleep(seconds)
    await asyncio.to_thread(run.own.valkey.start)
    run.note("Valkey started")


async def departments(run: Run, stop: asyncio.Event) -> None:
    """The platform's departments: every case moves one step at a time on to completed."""
    while not stop.is_set():
        for case in await platform_cases(run):
            if (to := STEPS.get(case["status"])) is not None:
                await run.outside.post(
                    f"{run.provincial}/_control/cases/{case['caseNumber']}/advance", {"to": to}
                )
        await asyncio.sleep(0.3)


async def replays(run: Run, citizen: Citizen, at: float) -> list[httpx.Response]:
    """Twenty copies of one tap, each tried again on a 503 like the mini-program would."""
    await asyncio.sleep(at)
    run.note(f"{REPLAYS} replays of one submission")
    key = f"fault-run-replay-{citizen.declaration}"
    return list(
        await asyncio.gather(*(
            submit(run, citizen.applicant, citizen.declaration, key) for _ in range(REPLAYS)
        ))
    )  # fmt: skip


async def submit_later(run: Run, citizen: Citizen, at: float) -> httpx.Response:
    await asyncio.sleep(at)
    return await submit(run, citizen.applicant, citizen.declaration, f"tap-{citizen.declaration}")


# -- the end state -----------------------------------------------------------------------------


async def in_platform_state(run: Run, citizens: list[Citizen]) -> list[str]:
    """What still differs from the platform (empty when the run has settled)."""
    by_key = {c["idempotencyKey"]: c for c in await platform_cases(run)}
    differs = []
    for citizen in citizens:
        detail = await citizen.applicant.detail(citizen.declaration)
        case = by_key.get(citizen.declaration)
        if citizen.refused:
            expected = ("platform_refused", "refused", None)
        elif case is None or case["status"] != "completed":
            expected = ("completed", "delivered", case and case["caseNumber"])
        else:
            expected = (FROM_PLATFORM[case["status"]], "delivered", case["caseNumber"])
        got = (detail["state"], detail["delivery"], detail["caseNumber"])
        if got != expected:
            differs.append(f"{citizen.declaration}: {got} != platform {expected}")
    return differs


async def queued_deliveries(run: Run) -> int:
    conn = await asyncpg.connect(run.own.postgres.admin_url)
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM push_deliveries WHERE status = 'queued'")
        )
    finally:
        await conn.close()


async def inbox_counts(citizen: Citizen) -> Counter[str]:
    resp = await citizen.applicant.client.get(
        "/api/v1/inbox", params={"pageSize": 50}, headers=citizen.applicant.headers
    )
    assert resp.status_code == 200, resp.text
    return Counter(m["eventType"] for m in resp.json()["items"])


async def sms_counts(run: Run, citizen: Citizen) -> Counter[str]:
    body = await fetch_json(run, f"{run.outside.sms}/_control/messages?phone={citizen.phone}")
    return Counter(m["templateParams"]["status"] for m in body["messages"])


# Not a timing target (the run only has to settle): pytest-timeout's 180 s guard scaled to the
# run's size, for a large run on a busy machine.
@pytest.mark.timeout(300 + SIZE * 6 + KILLS * 10)
async def test_fault_run(run: Run) -> None:
    rng = random.Random(SEED)
    settings = run.own.settings
    window = max(12.0, KILLS * 2.5)  # seconds over which submissions and faults are spread
    print(f"fault run: {SIZE} citizens, {KILLS} kills, seed {SEED}")
    async with open_services(settings) as services:
        await services.catalog.sync()

    async with (
        running_server(settings, port=settings.port) as base,
        httpx.AsyncClient(
            base_url=base, timeout=30, transport=RecordingTransport(run),
            event_hooks={"response": [recording(run)]},
        ) as client,
    ):  # fmt: skip
        # Citizens and their drafts, made before any fault; every tenth one's item is the one
        # the platform is about to suspend.
        gate = asyncio.Semaphore(8)

        async def one(n: int) -> Citizen:
            async with gate:
                return await prepare(
                    run, client, n, REFUSED_ITEM if n % 10 == 9 else RENT_WITHDRAWAL
                )

        citizens = list(await asyncio.gather(*(one(n) for n in range(SIZE))))
        refused = [c for c in citizens if c.refused]
        replayed, others = citizens[0], [c for c in citizens[1:] if not c.refused]
        run.note(f"{len(citizens)} drafts ready ({len(refused)} of the item to be suspended)")

        run.spawn_worker()
        # The worker's first catalogue sync is done: from here our catalogue still says the
        # item accepts applications while the platform has suspended it.
        await eventually(lambda: worker_has_synced(run), timeout=120)
        await run.outside.post(
            f"{run.provincial}/_control/items/{REFUSED_ITEM}/suspend",
            {"reason": "系统升级维护，暂停网上受理"},
        )
        run.note("item suspended at the platform")
        for citizen in refused:
            answer = await submit(
                run, citizen.applicant, citizen.declaration, f"tap-{citizen.declaration}"
            )
            assert answer.status_code == 200, answer.text

        stop_departments = asyncio.Event()
        moving = asyncio.create_task(departments(run, stop_departments))
        faults = asyncio.gather(
            kill_workers(run, rng, KILLS),
            platform_outage(run, at=window * 0.2, seconds=3, until=window),
            restart_postgres(run, at=window * 0.45, seconds=2),
            restart_valkey(run, at=window * 0.7, seconds=1),
        )
        replay_answers, *answers = await asyncio.gather(
            replays(run, replayed, at=rng.uniform(0, window)),
            *(submit_later(run, c, rng.uniform(0, window)) for c in others),
        )
        await faults
        run.note("faults over")
        for resp in answers:
            assert resp.status_code == 200, resp.text

        # Everything settles by itself: no restart, no staff. (Not settling is reported by the
        # assertions below, with what still differs.)
        try:
            with contextlib.suppress(TimeoutError):
                await eventually(lambda: _settled(run, citizens), timeout=180 + SIZE * 2)
        finally:
            stop_departments.set()
            await moving
            print("\n".join(run.events))
        run.note("settled")

        # Every declaration in the platform's state, one case each.
        assert [c for c in await platform_cases(run) if c["status"] != "completed"] == []
        assert await in_platform_state(run, citizens) == []
        assert await queued_deliveries(run) == 0
        per_key = Counter(c["idempotencyKey"] for c in await platform_cases(run))
        assert all(per_key[c.declaration] == (0 if c.refused else 1) for c in citizens), per_key
        assert sum(per_key.values()) == len(citizens) - len(refused)

        # Every citizen told each step once: inbox and SMS.
        for citizen in citizens:
            inbox = +Counter({k: n for k, n in (await inbox_counts(citizen)).items()
                              if k.startswith("declaration.")})  # fmt: skip
            assert inbox == (TOLD_REFUSED if citizen.refused else TOLD_COMPLETED), (
                citizen.declaration, inbox,
            )  # fmt: skip
            texts = await sms_counts(run, citizen)
            assert texts == (SMS_REFUSED if citizen.refused else SMS_COMPLETED), (
                citizen.declaration, texts,
            )  # fmt: skip

        # The replays: one answer, byte for byte.
        assert {r.status_code for r in replay_answers} == {200}, [r.text for r in replay_answers]
        assert len({r.content for r in replay_answers}) == 1

        # Evidence that workers died mid-submission: the platform was asked more often than it
        # created cases (a repeated submission is answered with the case it already has).
        asked = (await fetch_json(run, f"{run.provincial}/_control/stats"))["requests"]

    statuses = Counter(a.status for a in run.answers)
    print(f"API answers by status: {dict(sorted(statuses.items()))}; workers started: "
          f"{len(run.workers)}; platform submission requests: {asked.get(CASES, 0)} for "
          f"{sum(per_key.values())} cases")  # fmt: skip
    server_errors = [a for a in run.answers if a.status >= 500 and a.status != 503]
    assert server_errors == [], server_errors
    assert all(a.retry_after and int(a.retry_after) > 0 for a in run.answers if a.status == 503)
    assert statuses[0] == 0, [a for a in run.answers if a.status == 0]  # always an answer
    # No worker left dead: the last one runs, every earlier one was killed by us.
    assert run.workers[-1].poll() is None, run.log.read_text()[-5000:]
    exits = {w.pid: w.returncode for w in run.workers[:-1]}
    assert all(code == -signal.SIGKILL for code in exits.values()), (
        exits, run.log.read_text()[-8000:],
    )  # fmt: skip
    assert len(run.workers) == KILLS + 1


async def _settled(run: Run, citizens: list[Citizen]) -> bool:
    cases = await platform_cases(run)
    if any(c["status"] != "completed" for c in cases):
        return False
    if await in_platform_state(run, citizens):
        return False
    return await queued_deliveries(run) == 0
