"""Withdrawal before acceptance; electronic supervision of deadlines."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import httpx

from api.composition import Services
from api.declarations.tasks import DeclarationJobs
from core.clock import china_today
from core.workdays import add_working_days
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.waiting import eventually


async def _submitted(applicant: Applicant) -> str:
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    for code in ("CL00401001-01", "CL00401001-03"):
        material = next(m for m in draft["materials"] if m["code"] == code)
        assert (
            await applicant.upload(draft["id"], code, first_format(material))
        ).status_code == 200
    assert (await applicant.submit(draft["id"])).status_code == 200
    return str(draft["id"])


async def _supervised(
    applicant: Applicant, services: Services, declaration: str, flag: str
) -> None:
    """Supervision skips a case another transaction holds (the worker applying the platform's
    events to it, or its own hourly run) and takes it at its next run: run it until the case
    is flagged, as the hourly schedule would."""

    async def flagged() -> bool:
        await DeclarationJobs(services.declarations).supervise()
        return (await applicant.detail(declaration))["supervision"] == flag

    assert await eventually(flagged)


async def test_withdraw_a_draft_and_a_delivered_case(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    draft = await applicant.create(RENT_WITHDRAWAL)
    out = await applicant.client.post(
        f"/api/v1/declarations/{draft['id']}/withdraw", json={}, headers=applicant.headers
    )
    assert out.status_code == 200 and out.json()["state"] == "withdrawn"

    declaration = await _submitted(applicant)
    case = await applicant.case_number(declaration)
    out = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/withdraw", json={"reason": "材料准备有误"},
        headers=applicant.headers,
    )  # fmt: skip
    assert out.status_code == 200 and out.json()["state"] == "withdrawn"
    async with applicant.outside.session.get(
        f"{applicant.outside.provincial}/_control/cases"
    ) as resp:
        cases = (await resp.json())["cases"]
    assert next(c for c in cases if c["caseNumber"] == case)["status"] == "withdrawn"

    accepted = await _submitted(applicant)
    await applicant.advance(await applicant.case_number(accepted), "accepted")
    await applicant.wait_state(accepted, "accepted")
    late = await applicant.client.post(
        f"/api/v1/declarations/{accepted}/withdraw", json={}, headers=applicant.headers
    )
    assert late.status_code == 409 and late.json()["code"] == "DECLARATION_STATE_CONFLICT"


async def test_supervision_flags_yellow_then_red(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    db: asyncpg.Connection,
) -> None:
    declaration = await _submitted(applicant)
    await applicant.case_number(declaration)
    today = china_today()  # supervision's today is China's day
    # Pre-review due tomorrow-ish (one working day left): yellow, and the citizen is told.
    await db.execute(
        "UPDATE declarations SET pre_review_due = $2 WHERE id = $1",
        uuid.UUID(declaration), add_working_days(today, 1),
    )  # fmt: skip
    # The worker's own scheduled supervision may get there first: the flag and what the citizen
    # is told are what count, not which run changed them.
    await _supervised(applicant, services, declaration, "yellow")
    inbox = await applicant.client.get("/api/v1/inbox", headers=applicant.headers)
    events = [m["eventType"] for m in inbox.json()["items"]]
    assert events.count("declaration.overdue_warning") == 1
    await db.execute(
        "UPDATE declarations SET pre_review_due = $2 WHERE id = $1",
        uuid.UUID(declaration), today - timedelta(days=3),
    )  # fmt: skip
    await _supervised(applicant, services, declaration, "red")
    assert await DeclarationJobs(services.declarations).supervise() == 0  # unchanged: nothing to do
