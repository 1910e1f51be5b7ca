"""A member that fails does not sink the others, and the citizen sees which and why: refused by
the platform (the item suspended there after our sync), refused by its department (the member
waiting for its result is blocked, with the reason). And one submission, however many copies:
twenty concurrent starts and twenty concurrent submits with one key each make one bundle and
one case per member."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from tests.fixtures.bundles import (
    BIRTH,
    BIRTH_CERT,
    HUKOU,
    MEDICAL,
    SI_CARD,
    TWO_IN_ORDER,
    BundleApplicant,
)
from tests.fixtures.declarations import Applicant, inbox
from tests.fixtures.waiting import eventually

THREE_AT_ONCE = {"needSocialSecurityCard": "否"}  # 出生医学证明, 户口登记, 医保参保: no order
COPIES = 20


async def _finished(citizen: BundleApplicant, bundle_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        found = await citizen.detail(bundle_id)
        return found if found["state"] == "finished" else None

    return dict(await eventually(check))


@pytest.mark.unscheduled("catalog.sync")  # only the platform knows of the suspension
async def test_a_member_refused_by_the_platform_does_not_sink_the_others(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    citizen = BundleApplicant(applicant)
    bundle_id = await citizen.ready(BIRTH, THREE_AT_ONCE)
    # Suspended at the platform after our catalogue sync: our side still takes it.
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/items/{MEDICAL}/suspend",
        {"reason": "医保系统升级维护，暂停网上参保登记"},
    )
    submitted = await citizen.submit(bundle_id)
    assert submitted.status_code == 200, submitted.text
    assert {m["status"] for m in submitted.json()["members"]} == {"started"}

    refused = await citizen.member_state(bundle_id, MEDICAL, "platform_refused")
    assert "医保系统升级维护" in refused["problem"]
    # The others go on: 出生医学证明 asks for a supplement while 户口登记 completes.
    cert_case = await citizen.case_of(bundle_id, BIRTH_CERT)
    hukou_case = await citizen.case_of(bundle_id, HUKOU)
    cert = await applicant.detail(_declaration_of(await citizen.detail(bundle_id), BIRTH_CERT))
    form_material = next(m for m in cert["materials"] if m["formats"] == ["pdf"])
    problem = {"materialCode": form_material["code"], "problem": "登记表缺少父母签字"}
    await applicant.advance(cert_case, "needs_supplement", supplementItems=[problem])
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(hukou_case, step)
    await citizen.member_state(bundle_id, HUKOU, "completed")
    asked = await citizen.member_state(bundle_id, BIRTH_CERT, "needs_supplement")
    assert asked["supplementNotice"] is not None

    detail = await citizen.detail(bundle_id)
    assert detail["state"] == "in_progress" and detail["status"] == "action_needed"
    states = {m["itemCode"]: (m["state"], m["problem"]) for m in detail["members"]}
    assert states[HUKOU] == ("completed", None)
    assert states[MEDICAL][0] == "platform_refused" and "暂停网上参保登记" in states[MEDICAL][1]

    # The citizen gives the refused one up; the certificate is corrected and issued.
    withdrawn = await applicant.client.post(
        f"/api/v1/declarations/{refused['declarationId']}/withdraw",
        json={"reason": "以后单独办理"},
        headers=applicant.headers,
    )
    assert withdrawn.status_code == 200, withdrawn.text
    cert_id = asked["declarationId"]
    assert (await applicant.upload(cert_id, form_material["code"], "pdf")).status_code == 200
    again = await applicant.client.post(
        f"/api/v1/declarations/{cert_id}/supplement", headers=applicant.headers
    )
    assert again.status_code == 200, again.text

    async def delivered() -> bool:
        return bool((await applicant.detail(cert_id))["delivery"] == "delivered")

    await eventually(delivered)
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(cert_case, step)

    done = await _finished(citizen, bundle_id)
    assert done["status"] == "partly_completed"
    assert {r["itemCode"] for r in done["results"]} == {BIRTH_CERT, HUKOU}
    assert any(r["licenceType"] == "CSYXZM" for r in done["results"])
    messages = [m for m in await inbox(applicant) if m["eventType"] == "bundle.completed"]
    assert len(messages) == 1 and "2项已办结，1项未办结" in messages[0]["body"]
    assert len(done["lanes"]) == 3  # 卫健, 公安, 医保


def _declaration_of(detail: dict[str, Any], item_code: str) -> str:
    return str(next(m["declarationId"] for m in detail["members"] if m["itemCode"] == item_code))


async def test_a_refused_predecessor_blocks_the_member_that_needs_its_result(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    citizen = BundleApplicant(applicant)
    bundle_id = await citizen.ready(BIRTH, TWO_IN_ORDER)
    assert (await citizen.submit(bundle_id)).status_code == 200
    hukou_case = await citizen.case_of(bundle_id, HUKOU)
    for step in ("accepted", "processing"):
        await applicant.advance(hukou_case, step)
    await applicant.advance(hukou_case, "refused", reason="落户地址与户主户口不符")

    done = await _finished(citizen, bundle_id)
    assert done["status"] == "failed"
    members = {m["itemCode"]: m for m in done["members"]}
    assert members[HUKOU]["state"] == "refused"
    assert "落户地址与户主户口不符" in members[HUKOU]["problem"]
    card = members[SI_CARD]
    assert card["status"] == "blocked" and card["state"] == "draft"
    assert "出生登记" in card["problem"] and "落户地址与户主户口不符" in card["problem"]
    assert card["caseNumber"] is None  # never sent
    told = [m for m in await inbox(applicant) if m["eventType"] == "bundle.member_blocked"]
    assert len(told) == 1 and "社保卡申领" in told[0]["body"]


async def _cases(applicant: Applicant) -> list[dict[str, Any]]:
    async with applicant.outside.session.get(
        f"{applicant.outside.provincial}/_control/cases"
    ) as resp:
        assert resp.status == 200
        return list((await resp.json())["cases"])


async def test_twenty_concurrent_copies_make_one_bundle_and_one_case_per_member(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    citizen = BundleApplicant(applicant)
    body = {"bundleCode": BIRTH, "answers": THREE_AT_ONCE}
    starts = await asyncio.gather(*(
        live.post(
            "/api/v1/bundles", json=body,
            headers={**applicant.headers, "Idempotency-Key": "one-tap-start-0001"},
        )
        for _ in range(COPIES)
    ))  # fmt: skip
    assert [r.status_code for r in starts] == [200] * COPIES, [r.text for r in starts]
    assert len({r.content for r in starts}) == 1
    bundle_id = starts[0].json()["id"]
    mine = await applicant.client.get("/api/v1/bundles", headers=applicant.headers)
    assert mine.json()["total"] == 1
    drafts = await applicant.client.get("/api/v1/declarations", headers=applicant.headers)
    assert drafts.json()["total"] == 3  # one draft per chosen member

    await citizen.fill(bundle_id)
    await citizen.upload_required(bundle_id)
    submits = await asyncio.gather(*(
        live.post(
            f"/api/v1/bundles/{bundle_id}/submit",
            headers={**applicant.headers, "Idempotency-Key": "one-tap-submit-0001"},
        )
        for _ in range(COPIES)
    ))  # fmt: skip
    assert [r.status_code for r in submits] == [200] * COPIES, [r.text for r in submits]
    assert len({r.content for r in submits}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in submits) == COPIES - 1

    members = submits[0].json()["members"]
    for member in members:
        await citizen.case_of(bundle_id, member["itemCode"])
    cases = await _cases(applicant)
    for member in members:
        assert [c["idempotencyKey"] for c in cases].count(member["declarationId"]) == 1
    assert len(cases) == 3
    told = [m["eventType"] for m in await inbox(applicant)]
    assert told.count("declaration.submitted") == 3
