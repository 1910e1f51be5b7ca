"""Hotline tickets and figures for staff are cut by the department answerable: a
department-scoped account reads its departments' tickets and figures only (another's ticket is
not found, another department asked for is 403), a province-wide one may ask for one department;
the figures take a period of filing days."""

from __future__ import annotations

from datetime import timedelta

from api.composition import Services
from core.clock import china_today
from tests.fixtures.declarations import Applicant
from tests.fixtures.hotline import FUND_CENTRE, HRSS, file
from tests.fixtures.identity import bearer, make_staff, staff_login

TICKETS = "/ops/v1/hotline/tickets"
FIGURES = "/ops/v1/hotline/figures"


async def test_a_department_account_reads_its_departments_hotline_only(
    applicant: Applicant, services: Services
) -> None:
    client = applicant.client
    ours = await file(
        applicant,
        {"kind": "complaint", "title": "窗口排队太久", "content": "等了两个小时。",
         "departmentCode": HRSS["code"]},
    )  # fmt: skip
    theirs = await file(
        applicant,
        {"kind": "consultation", "title": "公积金怎么提取", "content": "租房提取要什么材料？",
         "departmentCode": FUND_CENTRE},
    )  # fmt: skip
    scoped = bearer(
        await staff_login(client, await make_staff(services, "hl-hrss", "auditor", [HRSS["code"]]))
    )
    wide = bearer(await staff_login(client, await make_staff(services, "hl-all", "auditor")))

    listed = await client.get(TICKETS, params={"flag": "none"}, headers=scoped)
    assert listed.status_code == 200, listed.text
    assert [t["id"] for t in listed.json()["items"]] == [ours["id"]]
    assert (await client.get(f"{TICKETS}/{ours['id']}", headers=scoped)).status_code == 200
    hidden = await client.get(f"{TICKETS}/{theirs['id']}", headers=scoped)
    assert hidden.status_code == 404 and hidden.json()["code"] == "HOTLINE_TICKET_NOT_FOUND"
    asked = await client.get(TICKETS, params={"department": FUND_CENTRE}, headers=scoped)
    assert asked.status_code == 403 and asked.json()["code"] == "DEPARTMENT_OUT_OF_SCOPE"

    figures = await client.get(FIGURES, headers=scoped)
    assert figures.status_code == 200, figures.text
    assert [d["departmentCode"] for d in figures.json()["byDepartment"]] == [HRSS["code"]]
    assert figures.json()["overall"]["total"] == 1
    refused = await client.get(FIGURES, params={"department": FUND_CENTRE}, headers=scoped)
    assert refused.status_code == 403 and refused.json()["code"] == "DEPARTMENT_OUT_OF_SCOPE"

    # Province-wide: every department, or the one asked for; and a period of filing days.
    every = (await client.get(FIGURES, headers=wide)).json()
    assert {d["departmentCode"] for d in every["byDepartment"]} == {HRSS["code"], FUND_CENTRE}
    one = (await client.get(FIGURES, params={"department": FUND_CENTRE}, headers=wide)).json()
    assert [(d["departmentCode"], d["consultations"]) for d in one["byDepartment"]] == [
        (FUND_CENTRE, 1)
    ]
    today = china_today()
    later = {"from": (today + timedelta(days=1)).isoformat()}
    assert (await client.get(FIGURES, params=later, headers=wide)).json()["byDepartment"] == []
    now = {"from": today.isoformat(), "to": today.isoformat()}
    assert (await client.get(FIGURES, params=now, headers=wide)).json()["overall"]["total"] == 2
