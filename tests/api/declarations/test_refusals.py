"""A refusal is an answer, not an outage: the platform turning a delivery down for good ends the
job, tells the citizen why on every channel and lets them correct and send again; transient
failures (429, 5xx) are still retried."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from tests.fixtures.declarations import (
    CASES,
    CREMATION,
    FILES,
    FUNERAL_SUBSIDY,
    RENT_WITHDRAWAL,
    Applicant,
    first_format,
    inbox,
    platform_case,
    ready_to_submit,
    synced,
)
from tests.fixtures.waiting import eventually


def corrected_file(material: dict[str, Any]) -> tuple[str, bytes]:
    """Another file of the material's first format (other bytes: a new library entry)."""
    kind = first_format(material)
    return kind, FILES[kind][0] + b"\n% corrected"


async def told(
    applicant: Applicant, event_type: str, declaration: str | None = None
) -> list[dict[str, Any]]:
    return [
        m for m in await inbox(applicant)
        if m["eventType"] == event_type and (declaration is None or declaration in m["link"])
    ]  # fmt: skip


async def platform_requests(applicant: Applicant, route: str) -> int:
    async with applicant.outside.session.get(f"{applicant.outside.provincial}/_control/stats") as r:
        return int((await r.json())["requests"].get(route, 0))


async def set_fault(applicant: Applicant, fault: dict[str, Any]) -> None:
    await applicant.outside.post(f"{applicant.outside.provincial}/_control/faults", fault)


async def job_ended(db: asyncpg.Connection, entrypoint: str) -> None:
    """Every job of ``entrypoint`` finished: none queued, running or parked for a retry."""

    async def none_left() -> bool:
        left = await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = $1", entrypoint)
        return left == 0

    await eventually(none_left)


@pytest.mark.unscheduled("catalog.sync")  # only the platform knows of the suspension
async def test_item_suspended_at_the_platform_after_our_sync(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection,
    services: Services,
) -> None:  # fmt: skip
    declaration = await ready_to_submit(applicant)
    before = await applicant.detail(declaration)
    # Suspended at the platform; our catalogue (synced before) still says it accepts.
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/items/{RENT_WITHDRAWAL}/suspend",
        {"reason": "系统升级维护，暂停网上受理，预计12月1日恢复"},
    )
    key = "first-submit-key"
    submitted = await applicant.submit(declaration, key)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"

    refused = await applicant.wait_state(declaration, "platform_refused")
    assert refused["delivery"] == "refused" and refused["caseNumber"] is None
    assert refused["refusal"]["kind"] == "submission"
    assert refused["refusal"]["code"] == "ITEM_NOT_ACCEPTING"
    assert "系统升级维护，暂停网上受理" in refused["refusal"]["reason"]
    last = refused["timeline"][-1]
    assert (last["previousState"], last["state"], last["actor"]) == (
        "submitted", "platform_refused", "platform",
    )  # fmt: skip
    assert last["reason"] == refused["refusal"]["reason"]

    messages = await eventually(lambda: told(applicant, "declaration.platform_refused"))
    assert len(messages) == 1 and "系统升级维护" in messages[0]["body"]
    # Every channel: SMS carries it too (a must-not-miss event).
    channels = await db.fetch(
        "SELECT channel FROM push_deliveries WHERE message_id = $1", messages[0]["id"]
    )
    assert "sms" in {r["channel"] for r in channels}

    # The job ended: nothing left to retry, and the platform was asked once.
    await job_ended(db, "declarations.submit")
    assert await platform_requests(applicant, CASES) == 1
    assert await platform_case(applicant, declaration) is None

    # Only a refused declaration can be redrafted (a draft's redraft is a retry: 200).
    other = await ready_to_submit(applicant)
    assert (await applicant.submit(other)).status_code == 200
    wrong = await applicant.client.post(
        f"/api/v1/declarations/{other}/redraft", headers=applicant.headers
    )
    assert wrong.status_code == 409

    redraft = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/redraft", headers=applicant.headers
    )
    assert redraft.status_code == 200, redraft.text
    draft = redraft.json()
    assert draft["state"] == "draft" and draft["delivery"] == "none"
    assert draft["submittedAt"] is None
    assert draft["formData"] == before["formData"]
    assert [m["file"] for m in draft["materials"]] == [m["file"] for m in before["materials"]]
    again = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/redraft", headers=applicant.headers
    )
    assert again.status_code == 200 and again.json()["state"] == "draft"

    # The item resumed at the platform (and in our catalogue).
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/items/{RENT_WITHDRAWAL}/resume", {}
    )
    await synced(services)
    # The same Idempotency-Key is a new submission: the refused one's mapping was cleared.
    resubmitted = await applicant.submit(declaration, key)
    assert resubmitted.status_code == 200, resubmitted.text
    assert resubmitted.json()["state"] == "submitted"
    case_number = await applicant.case_number(declaration)
    at_platform = await platform_case(applicant, f"{declaration}.1")
    assert at_platform is not None and at_platform["caseNumber"] == case_number
    await applicant.advance(case_number, "accepted")
    accepted = await applicant.wait_state(declaration, "accepted")
    assert accepted["refusal"] is None
    assert len(await told(applicant, "declaration.platform_refused", declaration)) == 1


async def test_validation_refusal_from_the_platform(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection
) -> None:
    declaration = await ready_to_submit(applicant)
    await set_fault(applicant, {
        "mode": "refuse", "code": "INVALID_PARAMETER", "message": "申请表“申请事由”填写不规范。",
        "pathPrefix": CASES, "times": 1,
    })  # fmt: skip
    await applicant.submit(declaration)
    refused = await applicant.wait_state(declaration, "platform_refused")
    assert refused["refusal"]["reason"] == "申请表“申请事由”填写不规范"
    assert refused["refusal"]["code"] == "INVALID_PARAMETER"
    messages = await eventually(lambda: told(applicant, "declaration.platform_refused"))
    assert len(messages) == 1 and "申请事由" in messages[0]["body"]
    await job_ended(db, "declarations.submit")
    assert await platform_requests(applicant, CASES) == 1

    # A refusal whose text is not Chinese is told in Chinese.
    unknown = await ready_to_submit(applicant)
    await set_fault(applicant, {
        "mode": "refuse", "status": 404, "code": "ITEM_NOT_FOUND",
        "message": f"no service item {RENT_WITHDRAWAL}", "pathPrefix": CASES, "times": 1,
    })  # fmt: skip
    await applicant.submit(unknown)
    gone = await applicant.wait_state(unknown, "platform_refused")
    assert gone["refusal"]["reason"] == "该事项已不在省平台事项库中，暂无法网上办理"

    # Transient answers are not refusals: 429 and 5xx are retried until the case exists.
    busy = await ready_to_submit(applicant)
    await set_fault(applicant, {"mode": "error", "status": 429, "pathPrefix": CASES, "times": 3})
    await applicant.submit(busy)
    await applicant.case_number(busy)
    assert (await applicant.detail(busy))["state"] == "submitted"


async def test_refused_declaration_can_be_withdrawn(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    declaration = await ready_to_submit(applicant)
    await set_fault(applicant, {"mode": "refuse", "pathPrefix": CASES, "times": 1})
    await applicant.submit(declaration)
    await applicant.wait_state(declaration, "platform_refused")
    resp = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/withdraw", json={}, headers=applicant.headers
    )
    assert resp.status_code == 200 and resp.json()["state"] == "withdrawn"
    listed = await applicant.client.get(
        "/api/v1/declarations", params={"state": "platform_refused"}, headers=applicant.headers
    )
    assert listed.status_code == 200 and listed.json()["total"] == 0


async def test_supplement_refused_then_corrected_and_resent(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection
) -> None:
    declaration = await ready_to_submit(applicant)
    await applicant.submit(declaration)
    case_number = await applicant.case_number(declaration)
    detail = await applicant.detail(declaration)
    material = detail["materials"][0]
    await applicant.advance(
        case_number, "needs_supplement",
        supplementItems=[{"materialCode": material["code"], "problem": "材料图片模糊"}],
    )  # fmt: skip
    await applicant.wait_state(declaration, "needs_supplement")
    replaced = await applicant.upload(declaration, material["code"], first_format(material))
    assert replaced.status_code == 200

    supplement_path = f"{CASES}/{case_number}/supplement"
    await set_fault(applicant, {
        "mode": "refuse", "code": "INVALID_PARAMETER", "message": "补正材料与补正通知不符",
        "pathPrefix": supplement_path, "times": 1,
    })  # fmt: skip
    sent = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/supplement", headers=applicant.headers
    )
    assert sent.status_code == 200 and sent.json()["state"] == "submitted"

    async def refused() -> dict[str, Any] | None:
        current = await applicant.detail(declaration)
        return current if current["delivery"] == "refused" else None

    back = await eventually(refused)
    assert back["state"] == "needs_supplement"
    assert back["refusal"]["kind"] == "supplement"
    assert back["refusal"]["reason"] == "补正材料与补正通知不符"
    assert back["supplement"] is not None  # the department's notice still stands
    assert back["timeline"][-1]["reason"] == "补正材料未被接收：补正材料与补正通知不符"
    messages = await eventually(lambda: told(applicant, "declaration.supplement_refused"))
    assert len(messages) == 1
    await job_ended(db, "declarations.supplement")
    assert await platform_requests(applicant, "/gov/cases/v1/cases/{caseNumber}/supplement") == 1

    # Corrected and sent again: delivered, and the platform's next events still apply.
    corrected = await applicant.upload(declaration, material["code"], *corrected_file(material))
    assert corrected.status_code == 200
    resent = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/supplement", headers=applicant.headers
    )
    assert resent.status_code == 200 and resent.json()["state"] == "submitted"

    async def delivered() -> bool:
        return (await applicant.detail(declaration))["delivery"] == "delivered"

    await eventually(delivered)
    at_platform = await platform_case(applicant, declaration)
    assert at_platform is not None and at_platform["status"] == "pre_review"
    await applicant.advance(case_number, "accepted")
    accepted = await applicant.wait_state(declaration, "accepted")
    assert accepted["refusal"] is None
    assert len(await told(applicant, "declaration.supplement_refused")) == 1


async def test_tolerated_materials_refused_then_resent(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    declaration = await ready_to_submit(applicant, FUNERAL_SUBSIDY)
    await applicant.submit(declaration)
    case_number = await applicant.case_number(declaration)
    await applicant.advance(case_number, "accepted", toleratedMissing=[CREMATION])
    detail = await applicant.wait_state(declaration, "accepted")
    late = next(m for m in detail["materials"] if m["code"] == CREMATION)
    assert (await applicant.upload(declaration, CREMATION, first_format(late))).status_code == 200
    await set_fault(applicant, {
        "mode": "refuse", "code": "INVALID_PARAMETER", "message": "火化证明不清晰",
        "pathPrefix": f"{CASES}/{case_number}/tolerated-materials", "times": 1,
    })  # fmt: skip
    tolerated = f"/api/v1/declarations/{declaration}/tolerated-materials"
    assert (await applicant.client.post(tolerated, headers=applicant.headers)).status_code == 200

    async def refused() -> dict[str, Any] | None:
        current = await applicant.detail(declaration)
        return current if current["refusal"] else None

    shown = await eventually(refused)
    assert shown["state"] == "accepted" and CREMATION in shown["toleratedMissing"]
    assert shown["refusal"]["kind"] == "tolerated"
    assert shown["refusal"]["materials"] == [CREMATION]
    assert shown["refusal"]["reason"] == "火化证明不清晰"
    messages = await eventually(lambda: told(applicant, "declaration.tolerated_refused"))
    assert len(messages) == 1

    # Replaced and sent again: it reaches the department.
    assert (
        await applicant.upload(declaration, CREMATION, *corrected_file(late))
    ).status_code == 200
    assert (await applicant.client.post(tolerated, headers=applicant.headers)).status_code == 200

    async def supplied() -> dict[str, Any] | None:
        current = await applicant.detail(declaration)
        return current if CREMATION not in current["toleratedMissing"] else None

    done = await eventually(supplied)
    assert done["refusal"] is None
