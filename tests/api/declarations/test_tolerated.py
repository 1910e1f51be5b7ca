"""容缺受理: accepted with a material missing, supplied after acceptance."""

from __future__ import annotations

import httpx

from tests.fixtures.declarations import CREMATION, FUNERAL_SUBSIDY, Applicant, first_format
from tests.fixtures.waiting import eventually


async def test_tolerated_material_supplied_after_acceptance(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    draft = await applicant.create(FUNERAL_SUBSIDY)
    declaration = draft["id"]
    await applicant.fill(declaration)
    for material in draft["materials"]:
        if material["required"] and material["code"] != CREMATION and not material["tolerance"]:
            resp = await applicant.upload(declaration, material["code"], first_format(material))
            assert resp.status_code == 200, resp.text
    submitted = await applicant.submit(declaration)
    assert submitted.status_code == 200, submitted.text
    assert CREMATION in submitted.json()["toleratedMissing"]
    case = await applicant.case_number(declaration)
    await applicant.advance(case, "accepted", toleratedMissing=[CREMATION])
    await applicant.wait_state(declaration, "accepted")

    # Other materials are closed after acceptance; the tolerated one is open.
    others = next(m for m in draft["materials"] if m["code"] != CREMATION)
    closed = await applicant.upload(declaration, others["code"], first_format(others))
    assert closed.status_code == 409
    late = next(m for m in draft["materials"] if m["code"] == CREMATION)
    assert (await applicant.upload(declaration, CREMATION, first_format(late))).status_code == 200
    sent = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/tolerated-materials", headers=applicant.headers
    )
    assert sent.status_code == 200, sent.text

    async def delivered() -> bool:
        return CREMATION not in (await applicant.detail(declaration))["toleratedMissing"]

    await eventually(delivered)
    async with applicant.outside.session.get(f"{applicant.outside.provincial}/_control/cases") as r:
        at_platform = next(c for c in (await r.json())["cases"] if c["caseNumber"] == case)
    assert CREMATION not in at_platform.get("toleratedMissing", [CREMATION])
    reasons = [e["reason"] for e in (await applicant.detail(declaration))["timeline"]]
    assert "补交容缺材料" in reasons and "容缺材料已送达审批部门" in reasons
