"""A retried submission still follows the platform: whatever point the submission job died at,
and whatever the order of the platform's receipt and its events, the declaration ends in the
platform's state and the citizen is told each step once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from api.declarations.tasks import DeclarationJobs
from core.settings import Settings
from tests.fixtures.declarations import (
    CASES,
    RENT_WITHDRAWAL,
    Applicant,
    inbox,
    platform_case,
    ready_to_submit,
)
from tests.fixtures.settings import settings_env
from tests.fixtures.standins import PROVINCIAL_KEY
from tests.fixtures.waiting import eventually

STEPS = ("accepted", "processing", "completed")
TOLD_ONCE = Counter({
    "declaration.submitted": 1, "declaration.delivered": 1, "declaration.accepted": 1,
    "declaration.processing": 1, "declaration.completed": 1,
})  # fmt: skip


async def platform_creates_the_case(applicant: Applicant, settings: Settings, key: str) -> str:
    """The submission reaching the platform (its answer never reaching us)."""
    body = {
        "idempotencyKey": key, "itemCode": RENT_WITHDRAWAL,
        "applicant": {"name": "张三", "idNumber": "620102199001011234", "phone": "13912345678"},
        "callbackUrl": settings.provincial.callback_url,
    }  # fmt: skip
    async with applicant.outside.session.post(
        f"{applicant.outside.provincial}{CASES}", json=body,
        headers={"Authorization": f"Bearer {PROVINCIAL_KEY}"},
    ) as resp:  # fmt: skip
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["caseNumber"])


async def events_stored(db: asyncpg.Connection, case_number: str, count: int) -> None:
    async def stored() -> bool:
        n = await db.fetchval(
            "SELECT count(*) FROM platform_events WHERE case_number = $1", case_number
        )
        return bool(n >= count)

    await eventually(stored)


async def to_completed(applicant: Applicant, case_number: str) -> None:
    for step in STEPS:
        await applicant.advance(case_number, step)


async def told(applicant: Applicant) -> Counter[str]:
    """The citizen's inbox by event type (one declaration per test)."""
    return Counter(m["eventType"] for m in await inbox(applicant))


async def assert_follows_platform(
    applicant: Applicant, db: asyncpg.Connection, declaration: str, case_number: str
) -> dict[str, Any]:
    detail = await applicant.detail(declaration)
    assert (detail["state"], detail["delivery"], detail["caseNumber"]) == (
        "completed", "delivered", case_number,
    )  # fmt: skip
    outcomes = await db.fetch(
        "SELECT sequence, outcome FROM platform_events WHERE case_number = $1 ORDER BY sequence",
        case_number,
    )
    assert [(r["sequence"], r["outcome"]) for r in outcomes] == [
        (1, "applied"), (2, "applied"), (3, "applied"), (4, "applied"),
    ]  # fmt: skip
    moves = [
        (e["previousState"], e["state"]) for e in detail["timeline"]
        if e["actor"] == "platform" and e["previousState"] != e["state"]
    ]  # fmt: skip
    assert moves == [
        ("submitted", "accepted"), ("accepted", "processing"), ("processing", "completed"),
    ]  # fmt: skip
    messages = await told(applicant)
    assert +Counter({k: n for k, n in messages.items() if k.startswith("declaration.")}) == (
        TOLD_ONCE
    ), messages
    return detail


@pytest.mark.parametrize(
    "point",
    [
        "before_the_call",
        "case_created_not_recorded",
        "case_created_not_recorded_callbacks_late",
        "recorded_not_applied",
    ],
)
async def test_submission_job_dies_at_each_point(
    point: str, live: httpx.AsyncClient, applicant: Applicant, services: Services,
    db: asyncpg.Connection, settings: Settings,
) -> None:  # fmt: skip
    """No worker runs: each run of the job (``deliver``) and of the event job (``apply_events``)
    is made here, after the platform moved the case as it would have meanwhile."""
    declaration = await ready_to_submit(applicant)
    assert (await applicant.submit(declaration)).status_code == 200
    declarations, job = DeclarationJobs(services.declarations), uuid.UUID(declaration)

    if point == "before_the_call":
        # Died before calling: the retried job is the first to reach the platform.
        await declarations.deliver(job)
        case_number = (await applicant.detail(declaration))["caseNumber"]
        await to_completed(applicant, case_number)
        await events_stored(db, case_number, 4)
    elif point.startswith("case_created_not_recorded"):
        if point.endswith("callbacks_late"):
            # The platform's callbacks have not reached us by the time the job runs again.
            await applicant.outside.post(
                f"{applicant.outside.provincial}/_control/callback-faults", {"delaySeconds": 60}
            )
        case_number = await platform_creates_the_case(applicant, settings, declaration)
        await to_completed(applicant, case_number)
        if not point.endswith("callbacks_late"):
            await events_stored(db, case_number, 4)
            # The event jobs ran before the case number was known: they found nothing.
            await declarations.apply_events(case_number)
        # The retried submission is answered with the case as it is now (version 4).
        await declarations.deliver(job)
        assert (await applicant.detail(declaration))["caseNumber"] == case_number
    else:
        await declarations.deliver(job)
        case_number = (await applicant.detail(declaration))["caseNumber"]
        await to_completed(applicant, case_number)
        await events_stored(db, case_number, 4)
        await declarations.deliver(job)  # the job again: already delivered, nothing to do
    await declarations.apply_events(case_number)  # the event job deliver enqueued
    await assert_follows_platform(applicant, db, declaration, case_number)

    # Every job again (a worker killed after its work, before acknowledging it): no change.
    await declarations.deliver(job)
    await declarations.apply_events(case_number)
    await assert_follows_platform(applicant, db, declaration, case_number)
    at_platform = await platform_case(applicant, declaration)
    assert at_platform is not None and at_platform["caseNumber"] == case_number


@pytest.fixture
async def workers(stand_ins: None) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    """Worker processes the test starts (every domain's jobs: every stand-in at hand)."""
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def spawn_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings_env(settings), "HANDHELD_JOBS_HEARTBEAT_TIMEOUT_S": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def test_worker_killed_while_the_platform_holds_the_submission(
    live: httpx.AsyncClient, applicant: Applicant, settings: Settings, db: asyncpg.Connection,
    workers: list[subprocess.Popen[bytes]],
) -> None:  # fmt: skip
    """The outside fault run, once: the worker stopped while the platform holds the submission
    and SIGKILLed once the case exists, the case moved to completed meanwhile, a new worker."""
    declaration = await ready_to_submit(applicant)
    provincial = applicant.outside.provincial
    await applicant.outside.post(
        f"{provincial}/_control/faults",
        {"mode": "latency", "latencyMs": 2000, "pathPrefix": "/gov/cases/", "times": 1},
    )
    workers.append(spawn_worker(settings))
    assert (await applicant.submit(declaration)).status_code == 200

    async def held() -> bool:
        async with applicant.outside.session.get(f"{provincial}/_control/faults") as resp:
            return bool((await resp.json()).get("faultedRequests"))

    await eventually(held, timeout=60)
    # Stopped while the platform holds the request, killed once the case exists: the answer
    # never reaches us.
    workers[0].send_signal(signal.SIGSTOP)

    async def case_exists() -> str | None:
        case = await platform_case(applicant, declaration)
        return str(case["caseNumber"]) if case else None

    case_number = await eventually(case_exists)
    workers[0].send_signal(signal.SIGKILL)
    workers[0].wait()
    assert (await applicant.detail(declaration))["delivery"] == "pending"
    await to_completed(applicant, case_number)
    await events_stored(db, case_number, 4)

    workers.append(spawn_worker(settings))

    async def completed() -> bool:
        return (await applicant.detail(declaration))["state"] == "completed"

    # Generous: a worker process starting on a busy machine, then the heartbeat timeout.
    await eventually(completed, timeout=120)

    async def all_told() -> bool:
        return (await told(applicant))["declaration.completed"] == 1

    await eventually(all_told)
    await assert_follows_platform(applicant, db, declaration, case_number)
