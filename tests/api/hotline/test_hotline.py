"""Consultation and complaints through 12345, end to end: the API on a real port (12345's
callbacks come to it), a worker, the 12345 stand-in over HTTP.

A complaint goes to 12345, is transferred to a department and answered within its deadline
(12345's callbacks duplicated and out of order on the way); a consultation is accepted but not
answered, passes its deadline and is flagged, then answered late; the citizen sees both
timelines, the replies in the inbox, rates a reply (passed on to 12345); staff see the overdue
ticket and the figures by department."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from api.composition import Services
from core.clock import china_today
from sandbox.runner import RunningApp
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, inbox
from tests.fixtures.hotline import (
    FUND_CENTRE,
    HRSS,
    Operators,
    detail,
    file,
    supervise,
    wait_ticket,
)
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.standins import HOTLINE_SECRET
from tests.fixtures.waiting import eventually


@pytest.fixture
async def operators(hotline: RunningApp) -> AsyncIterator[Operators]:
    ops = Operators(hotline.url)
    try:
        yield ops
    finally:
        await ops.close()


def kinds(ticket: dict[str, Any]) -> list[str]:
    return [entry["kind"] for entry in ticket["timeline"]]


@pytest.mark.unscheduled("hotline.supervise")  # the test runs it itself
async def test_a_complaint_is_answered_in_time_and_a_consultation_is_flagged_late(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    operators: Operators,
) -> None:
    now = datetime.now(UTC)
    calendar = await services.calendars.current()
    complaint = await file(
        applicant,
        {
            "kind": "complaint",
            "title": "公积金提取超时未办结",
            "content": "提交租房提取申请已超过承诺时限，窗口称系统故障。",
            "itemCode": RENT_WITHDRAWAL,
        },
    )
    # Filed with the item's department answerable; due five working days later.
    assert complaint["state"] == "pending" and complaint["kindLabel"] == "投诉"
    assert complaint["itemName"] and complaint["departmentName"] == "金城住房公积金管理中心"
    five = calendar.add_working_days(china_today(now), 5).day
    assert complaint["dueOn"] == str(five) and complaint["overdue"] is False
    assert kinds(complaint) == ["filed"]
    consultation = await file(
        applicant,
        {
            "kind": "consultation",
            "title": "失业保险金申领条件",
            "content": "离职后多久可以申领失业保险金？",
            "departmentCode": HRSS["code"],
        },
    )
    one = calendar.add_working_days(china_today(now), 1).day
    assert consultation["dueOn"] == str(one) and consultation["departmentName"] == HRSS["name"]

    # Both reach 12345 under our ids (one ticket each), with the citizen's call-back data.
    complaint_no = await operators.number_of(complaint["id"])
    consultation_no = await operators.number_of(consultation["id"])
    filed = {t["requestId"]: t for t in await operators.tickets()}
    assert len(filed) == 2
    assert filed[complaint["id"]]["subject"] == {
        "type": "item", "code": RENT_WITHDRAWAL, "name": complaint["itemName"],
    }  # fmt: skip
    seen = await wait_ticket(applicant, complaint["id"], state="received")
    assert seen["ticketNumber"] == complaint_no and kinds(seen) == ["filed", "received"]

    # The complaint: accepted, transferred, answered — 12345's callbacks come twice each and
    # out of order; the inbox applies them once, in sequence.
    await operators.faults(duplicate=True, reorder=True)
    await operators.step(complaint_no, "accept")
    await operators.step(complaint_no, "transfer", {"department": HRSS})
    await operators.step(complaint_no, "reply", {"text": "经核实，已于今日为您办结提取。"})
    answered = await wait_ticket(applicant, complaint["id"], state="replied")
    await operators.faults()
    assert kinds(answered) == ["filed", "received", "accepted", "transferred", "replied"]
    assert answered["departmentName"] == HRSS["name"]
    assert answered["reply"] == "经核实，已于今日为您办结提取。"
    assert answered["repliedOnTime"] is True and answered["overdue"] is False
    assert answered["canRate"] is True
    messages = await eventually(
        lambda: _events(applicant, {"hotline.received", "hotline.transferred", "hotline.replied"})
    )
    replied = [m for m in messages if m["eventType"] == "hotline.replied"]
    assert len(replied) == 1 and "经核实，已于今日为您办结提取。" in replied[0]["body"]

    # A forged callback is refused; a stale copy of an applied one changes nothing.
    forged = await live.post(
        "/api/v1/hooks/hotline/tickets",
        content=b'{"eventId":"x","ticketNumber":"n","requestId":"r","sequence":9,"type":"closed",'
        b'"status":"closed","occurredAt":"2026-01-01T00:00:00Z"}',
        headers={"X-12345-Timestamp": str(int(time.time())), "X-12345-Signature": "00" * 32},
    )
    assert forged.status_code == 401 and forged.json()["code"] == "CALLBACK_SIGNATURE_INVALID"

    # The consultation: accepted, then nobody answers. Its deadline passes: flagged late.
    await operators.step(consultation_no, "accept")
    await wait_ticket(applicant, consultation["id"], state="accepted")
    assert await supervise(services, now) == 1  # due within a working day: due soon
    assert await supervise(services, now + timedelta(days=10)) == 1
    late = await detail(applicant, consultation["id"])
    assert late["overdue"] is True and kinds(late)[-1] == "flagged"
    assert (await detail(applicant, complaint["id"]))["overdue"] is False  # frozen at reply

    operator = await make_staff(services, "hotline-op", "operator")
    staff = bearer(await staff_login(applicant.client, operator))
    overdue = await applicant.client.get("/ops/v1/hotline/tickets?flag=late", headers=staff)
    assert overdue.status_code == 200, overdue.text
    assert [t["id"] for t in overdue.json()["items"]] == [consultation["id"]]
    assert overdue.json()["items"][0]["flag"] == "late"
    assert "citizenId" not in overdue.json()["items"][0]
    one_view = await applicant.client.get(
        f"/ops/v1/hotline/tickets/{consultation['id']}", headers=staff
    )
    assert one_view.status_code == 200 and kinds(one_view.json())[-1] == "flagged"

    # Answered ten days later at 12345: late for good.
    await operators.shift_clock(10 * 86400)
    await operators.step(consultation_no, "reply", {"text": "离职后办理失业登记即可申领。"})
    late_reply = await wait_ticket(applicant, consultation["id"], state="replied")
    assert late_reply["repliedOnTime"] is False and late_reply["overdue"] is True

    # The citizen rates the complaint's reply, once; 12345 gets it.
    rate = f"/api/v1/hotline/tickets/{complaint['id']}/satisfaction"
    rated = await applicant.client.post(
        rate, json={"result": "satisfied", "comment": "处理及时"}, headers=applicant.headers
    )
    assert rated.status_code == 200, rated.text
    assert rated.json()["satisfactionLabel"] == "满意" and rated.json()["canRate"] is False
    again = await applicant.client.post(
        rate, json={"result": "dissatisfied"}, headers=applicant.headers
    )
    assert again.status_code == 409 and again.json()["code"] == "HOTLINE_ALREADY_RATED"

    async def rated_at_12345() -> bool:
        ticket = next(t for t in await operators.tickets() if t["ticketNumber"] == complaint_no)
        return bool(ticket["satisfaction"] == "satisfied")

    await eventually(rated_at_12345)

    # Both timelines in the citizen's list; figures by department for staff.
    mine = await applicant.client.get("/api/v1/hotline/tickets", headers=applicant.headers)
    assert mine.json()["total"] == 2
    assert {t["id"] for t in mine.json()["items"]} == {complaint["id"], consultation["id"]}
    figures = await applicant.client.get("/ops/v1/hotline/figures", headers=staff)
    assert figures.status_code == 200, figures.text
    body = figures.json()
    assert body["overall"]["total"] == 2 and body["overall"]["overdue"] == 1
    assert body["overall"]["onTimeRate"] == 0.5 and body["overall"]["satisfactionRate"] == 1.0
    hrss = next(d for d in body["byDepartment"] if d["departmentCode"] == HRSS["code"])
    assert hrss["complaints"] == 1 and hrss["consultations"] == 1 and hrss["replied"] == 2
    assert FUND_CENTRE not in {d["departmentCode"] for d in body["byDepartment"]}


async def _events(applicant: Applicant, wanted: set[str]) -> list[dict[str, Any]] | None:
    messages = await inbox(applicant)
    return messages if wanted <= {m["eventType"] for m in messages} else None


async def test_a_callback_signed_with_our_secret_is_stored_once(
    live: httpx.AsyncClient, applicant: Applicant, hotline: RunningApp
) -> None:
    """The inbox answers a duplicate as such, and an event for no ticket of ours is
    acknowledged (so 12345 stops retrying) without being stored."""
    ticket = await file(
        applicant, {"kind": "suggestion", "title": "建议延长窗口时间", "content": "周六也开放。"}
    )
    event = (
        '{"eventId":"ev-1","ticketNumber":"12345-20261203-000001","requestId":"%s",'
        '"sequence":1,"type":"received","status":"received","occurredAt":"2026-12-03T01:00:00Z"}'
    )
    for request_id, expected in (
        (ticket["id"], "accepted"),
        (ticket["id"], "duplicate"),
        ("00000000-0000-0000-0000-000000000000", "unknown"),
    ):
        body = (event % request_id).encode()
        stamp = str(int(time.time()))
        signature = hmac.new(HOTLINE_SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256)
        resp = await live.post(
            "/api/v1/hooks/hotline/tickets",
            content=body,
            headers={"X-12345-Timestamp": stamp, "X-12345-Signature": signature.hexdigest()},
        )
        assert resp.status_code == 200 and resp.json() == {"status": expected}, resp.text
