"""A submission survives the platform being down and the worker being killed; callbacks that
come forged, stale, duplicated or out of order change nothing they should not."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest

from core.settings import Settings
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.settings import settings_env
from tests.fixtures.standins import CALLBACK_SECRET
from tests.fixtures.waiting import eventually


async def _ready_to_submit(applicant: Applicant) -> str:
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    material = next(m for m in draft["materials"] if m["code"] == "CL00401001-03")
    assert (
        await applicant.upload(draft["id"], material["code"], first_format(material))
    ).status_code == 200
    licence_material = "CL00401001-01"
    pdf = await applicant.upload(draft["id"], licence_material, "pdf")
    assert pdf.status_code == 200
    return str(draft["id"])


async def _cases_at_platform(applicant: Applicant, declaration_id: str) -> int:
    from tests.fixtures.standins import PROVINCIAL_KEY

    async with applicant.outside.session.get(
        f"{applicant.outside.provincial}/gov/cases/v1/cases",
        params={"idempotencyKey": declaration_id},
        headers={"Authorization": f"Bearer {PROVINCIAL_KEY}"},
    ) as resp:
        if resp.status == 404:
            return 0
        body = await resp.json()
        return len(body) if isinstance(body, list) else 1


async def test_platform_down_during_submission(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection
) -> None:
    declaration = await _ready_to_submit(applicant)
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/faults",
        {"mode": "error", "status": 503, "pathPrefix": "/gov/cases/"},
    )
    submitted = await applicant.submit(declaration)
    assert submitted.json()["state"] == "submitted" and submitted.json()["delivery"] == "pending"

    async def retried() -> bool:
        attempts = await db.fetchval("SELECT max(attempts) FROM pgqueuer WHERE entrypoint = $1",
                                     "declarations.submit")  # fmt: skip
        return bool(attempts and attempts >= 3)

    await eventually(retried)
    assert (await applicant.detail(declaration))["delivery"] == "pending"
    await applicant.outside.session.delete(f"{applicant.outside.provincial}/_control/faults")
    await applicant.case_number(declaration)
    assert await _cases_at_platform(applicant, declaration) == 1


@pytest.fixture
async def worker_process(
    settings: Settings, stand_ins: None
) -> AsyncIterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def _spawn_worker(settings: Settings) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings_env(settings), "HANDHELD_JOBS_HEARTBEAT_TIMEOUT_S": "2"}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "worker"], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


async def test_worker_killed_mid_submission(
    live: httpx.AsyncClient,
    applicant: Applicant,
    settings: Settings,
    worker_process: list[subprocess.Popen[bytes]],
    db: asyncpg.Connection,
) -> None:
    declaration = await _ready_to_submit(applicant)
    # The platform answers slowly: the job is in flight when the worker dies.
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/faults",
        {"mode": "latency", "latencyMs": 3000, "pathPrefix": "/gov/cases/"},
    )
    worker_process.append(_spawn_worker(settings))
    await applicant.submit(declaration)

    async def picked() -> bool:
        _alive(worker_process[0])
        return bool(await db.fetchval(
            "SELECT count(*) FROM pgqueuer WHERE entrypoint = $1 AND status = 'picked'",
            "declarations.submit"))  # fmt: skip

    await eventually(picked, timeout=WORKER_START_BOUND_S)
    await asyncio.sleep(0.5)
    worker_process[0].send_signal(signal.SIGKILL)
    worker_process[0].wait()
    await applicant.outside.session.delete(f"{applicant.outside.provincial}/_control/faults")
    worker_process.append(_spawn_worker(settings))

    async def delivered() -> bool:
        _alive(worker_process[1])
        return (await applicant.detail(declaration))["delivery"] == "delivered"

    # Both waits include a worker process starting, slow on a loaded machine (its imports
    # alone took ~20 s on 2 shared cores): a bound for failing, not a speed limit.
    await eventually(delivered, timeout=WORKER_START_BOUND_S)
    assert await _cases_at_platform(applicant, declaration) == 1


# How long a freshly spawned worker may take to start and take a job before the test fails.
WORKER_START_BOUND_S = 180.0


def _alive(process: subprocess.Popen[bytes]) -> None:
    """Fail at once, rather than at the wait's bound, when the worker has exited."""
    assert process.poll() is None, f"the worker exited with {process.returncode}"


def _signed(
    body: bytes, timestamp: int | None = None, secret: str = CALLBACK_SECRET
) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Gov-Timestamp": ts, "X-Gov-Signature": mac, "Content-Type": "application/json"}


async def test_forged_or_stale_callbacks_change_nothing(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = json.dumps({
        "eventId": "evt-forged", "caseNumber": "XL1", "sequence": 2, "status": "accepted",
        "occurredAt": "2026-11-22T08:00:00Z",
    }).encode()  # fmt: skip
    url = "/api/v1/hooks/provincial/cases"
    forged = await client.post(url, content=body, headers=_signed(body, secret="wrong"))
    assert forged.status_code == 401 and forged.json()["code"] == "CALLBACK_SIGNATURE_INVALID"
    old = await client.post(url, content=body, headers=_signed(body, int(time.time()) - 3600))
    assert old.status_code == 401
    unsigned = await client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 401
    tampered = await client.post(url, content=body.replace(b"accepted", b"completed"),
                                 headers=_signed(body))  # fmt: skip
    assert tampered.status_code == 401
    assert await db.fetchval("SELECT count(*) FROM platform_events") == 0
    ok = await client.post(url, content=body, headers=_signed(body))
    again = await client.post(url, content=body, headers=_signed(body))
    assert ok.json() == {"status": "accepted"} and again.json() == {"status": "duplicate"}
    assert await db.fetchval("SELECT count(*) FROM platform_events") == 1


async def test_duplicated_and_reordered_callbacks(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection
) -> None:
    declaration = await _ready_to_submit(applicant)
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/callback-faults",
        {"duplicate": True, "reorder": True},
    )
    await applicant.submit(declaration)
    case = await applicant.case_number(declaration)
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case, step)
    done = await applicant.wait_state(
        declaration,
        "completed",
    )
    moves = [(e["previousState"], e["state"]) for e in done["timeline"] if e["actor"] == "platform"
             and e["previousState"] != e["state"]]  # fmt: skip
    assert moves == [("submitted", "accepted"), ("accepted", "processing"),
                     ("processing", "completed")]  # fmt: skip
    applied = await db.fetch(
        "SELECT sequence FROM platform_events WHERE case_number = $1 AND outcome = 'applied' "
        "ORDER BY sequence", case,
    )  # fmt: skip
    sequences = [r["sequence"] for r in applied]
    assert sequences == sorted(set(sequences))  # each event applied once, in order
