"""Rectification of bad reviews: due in 3 working days (across National Day), call back,
outcome published, one follow-up rating, late flags, appeals, figures, audit."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from datetime import date
from typing import Any

import asyncpg
import httpx
import pytest

from api.composition import Services
from tests.fixtures.declarations import Applicant
from tests.fixtures.identity import Outside, bearer, sso, user, wechat_login
from tests.fixtures.reviews import BAD, SetClock, finished, rate, reviews, staff, supervise


async def _inbox(applicant: Applicant) -> list[dict[str, Any]]:
    resp = await applicant.client.get("/api/v1/inbox?pageSize=50", headers=applicant.headers)
    return list(resp.json()["items"])


@pytest.mark.unscheduled("reviews.supervise")  # the test runs it itself
async def test_bad_review_is_rectified_by_the_deadline_and_rated_again(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    clock: SetClock,
    db: asyncpg.Connection,
) -> None:
    client, token = applicant.client, applicant.token
    declaration = await finished(applicant)
    clock.set(2025, 9, 30, 10, 0)  # the day before National Day (1-8 October 2025 off)
    bad = await rate(client, token, declaration, BAD)
    assert bad.status_code == 200, bad.text
    assert bad.json()["bad"] is True and bad.json()["scores"]["guideAccuracy"] == 2

    # Day 1 is 9 October, day 3 Saturday 11 October (a shifted working day, 调休).
    view = await reviews(client, token, declaration)
    assert view["ticket"] == {
        "status": "processing", "outcome": None, "note": None, "dueOn": "2025-10-11",
        "dueProvisional": False,
        "resolvedAt": None,
    }  # fmt: skip
    assert view["canRate"] is False
    opened = next(m for m in await _inbox(applicant) if m["eventType"] == "review.ticket_opened")
    assert "2025-10-11" in opened["body"]

    operator = await staff(client, services, "op-li", "operator")
    auditor = await staff(client, services, "audit-wang", "auditor")
    listed = await operator.get("/tickets?state=open")
    assert listed.status_code == 200 and listed.json()["total"] == 1
    ticket = listed.json()["items"][0]
    assert ticket["dueOn"] == "2025-10-11" and ticket["flag"] == "none" and ticket["level"] == 1
    assert ticket["channel"] == "app" and ticket["departmentName"]
    path = f"/tickets/{ticket['id']}"

    # Auditors read; only operators work tickets; a call back comes before the outcome.
    assert (await auditor.get(path)).status_code == 200
    denied = await auditor.post(f"{path}/contact", {"note": "回访"})
    assert denied.status_code == 403 and denied.json()["code"] == "ROLE_FORBIDDEN"
    early = await operator.post(f"{path}/resolve", {"outcome": "rectified", "note": "已整改"})
    assert early.status_code == 409 and early.json()["code"] == "REVIEW_TICKET_STATE_CONFLICT"
    assert (await operator.post(f"{path}/contact", {"note": ""})).status_code == 422
    assert (
        await operator.post(f"{path}/resolve", {"outcome": "ignored", "note": "x"})
    ).status_code == 422

    clock.set(2025, 10, 9, 15, 0)
    contacted = await operator.post(f"{path}/contact", {"note": "已电话回访申请人，核实超期原因"})
    assert contacted.status_code == 200, contacted.text
    detail = contacted.json()
    assert detail["state"] == "contacted" and detail["contactNote"].startswith("已电话回访")
    assert detail["contact"]["phone"] and "*" in detail["contact"]["phone"]  # masked
    # The whole number only for the call back, by someone who works tickets, and audited.
    assert (await auditor.post(f"{path}/call-number", {})).status_code == 403
    number = await operator.post(f"{path}/call-number", {})
    assert number.status_code == 200, number.text
    whole = number.json()["phone"]
    assert whole.isdigit() and len(whole) == 11
    assert whole[:3] + "****" + whole[-4:] == detail["contact"]["phone"]
    assert detail["text"] == BAD["text"] and detail["review"]["level"] == 1
    assert detail["caseNumber"]

    clock.set(2025, 10, 11, 9, 0)  # the due day itself is on time
    note = "已督促审批部门整改，删除指南外材料要求，并向申请人致歉"
    resolved = await operator.post(f"{path}/resolve", {"outcome": "rectified", "note": note})
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["state"] == "rectified" and resolved.json()["resolvedOnTime"] is True

    # The citizen sees the outcome and may rate once more.
    view = await reviews(client, token, declaration)
    assert view["ticket"]["status"] == "resolved" and view["ticket"]["outcome"] == "rectified"
    assert view["ticket"]["note"] == note
    assert view["canRate"] is True and view["nextKind"] == "follow_up"
    told = next(m for m in await _inbox(applicant) if m["eventType"] == "review.ticket_resolved")
    assert "已整改" in told["body"] and note in told["body"]
    follow_up = await rate(client, token, declaration, {"level": 4, "tags": ["fast"]})
    assert follow_up.status_code == 200 and follow_up.json()["kind"] == "follow_up"
    again = await rate(client, token, declaration, {"level": 5})
    assert again.status_code == 409 and again.json()["code"] == "REVIEW_ALREADY_GIVEN"
    assert (await reviews(client, token, declaration))["canRate"] is False

    closed = await operator.post(f"{path}/close")
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert (await operator.post(f"{path}/close")).status_code == 409
    detail = closed.json()
    assert [e["action"] for e in detail["events"]] == ["opened", "contact", "resolve", "close"]
    assert detail["events"][1]["staff"] == "op-li"
    assert detail["followUp"]["level"] == 4
    assert (await reviews(client, token, declaration))["ticket"]["status"] == "closed"

    # Every staff action is in the audit log, against the ticket.
    actions = await db.fetch(
        "SELECT action, actor_id FROM audit_log WHERE target_type = 'review_ticket'"
        " AND target_id = $1 ORDER BY id",
        ticket["id"],
    )
    assert [a["action"] for a in actions] == [
        "reviews.ticket_contact", "reviews.ticket_call_number", "reviews.ticket_resolve",
        "reviews.ticket_close",
    ]  # fmt: skip
    # The database refuses a move the lifecycle does not allow, whoever tries.
    with pytest.raises(asyncpg.CheckViolationError):
        await db.execute(
            "UPDATE review_tickets SET state = 'open' WHERE id = $1", uuid.UUID(ticket["id"])
        )

    figures = (await auditor.get("/figures")).json()
    assert figures["overall"]["count"] == 1 and figures["overall"]["badRate"] == 1.0
    assert figures["byChannel"] == [
        {"key": "app", "name": "app", "count": 1, "averageLevel": 1.0, "goodRate": 0.0,
         "badReviews": 1, "badRate": 1.0},
    ]  # fmt: skip
    assert figures["tickets"]["resolved"] == 1 and figures["tickets"]["onTimeRate"] == 1.0
    assert figures["followUps"] == {"count": 1, "averageLevel": 4.0, "improved": 1}


@pytest.mark.unscheduled("reviews.supervise")  # the test runs it itself
async def test_late_tickets_are_flagged_and_appeals_decided_by_a_supervisor(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    outside: Outside,
    services: Services,
    clock: SetClock,
) -> None:
    client, token = applicant.client, applicant.token
    declaration = await finished(applicant)
    good = await finished(applicant)
    clock.set(2025, 9, 30, 10, 0)
    assert (await rate(client, token, declaration, BAD)).status_code == 200
    assert (await rate(client, token, good, {"level": 5})).status_code == 200
    wechat = await wechat_login(client, outside, "wx-zhangsan")
    await sso(client, outside, user("zhangsan"), purpose="bind", token=wechat["accessToken"])
    mini = (await wechat_login(client, outside, "wx-zhangsan"))["accessToken"]
    on_wechat = await rate(client, mini, declaration, {"level": 2, "text": "点错了"})
    assert on_wechat.status_code == 200 and on_wechat.json()["channel"] == "wechat"

    operator = await staff(client, services, "op-zhao", "operator")
    supervisor = await staff(client, services, "sup-qian", "supervisor")
    admin = await staff(client, services, "admin-sun", "admin")
    tickets = {t["channel"]: t for t in (await operator.get("/tickets")).json()["items"]}
    app_ticket, wechat_ticket = (
        f"/tickets/{tickets['app']['id']}",
        f"/tickets/{tickets['wechat']['id']}",
    )

    # The supervision job: nothing on the rating day, due soon a working day before, then late.
    def flags(today: date) -> Awaitable[int]:
        return supervise(services, today=today)

    assert await flags(date(2025, 9, 30)) == 0
    assert await flags(date(2025, 10, 10)) == 2
    due_soon = (await operator.get("/tickets?flag=due_soon")).json()
    assert due_soon["total"] == 2
    assert (await operator.get("/figures")).json()["tickets"]["dueSoon"] == 2
    assert await flags(date(2025, 10, 13)) == 2
    assert await flags(date(2025, 10, 13)) == 0  # nothing new
    assert (await operator.get("/tickets?flag=late")).json()["total"] == 2
    figures = (await operator.get("/figures")).json()
    assert figures["tickets"]["late"] == 2 and figures["tickets"]["dueSoon"] == 0
    assert figures["tickets"]["onTimeRate"] == 0.0
    bad_filter = await operator.get("/tickets?flag=someday")
    assert bad_filter.status_code == 400 and bad_filter.json()["code"] == "INVALID_PARAMETER"

    # A mistaken rating: an operator appeals, a supervisor (not the one who filed it) decides.
    filed = await admin.post(f"{wechat_ticket}/appeal", {"reason": "申请人来电说明误操作"})
    assert filed.status_code == 200 and filed.json()["state"] == "appealing"
    own = await admin.post(f"{wechat_ticket}/appeal/decision", {"upheld": True})
    assert own.status_code == 409 and own.json()["code"] == "REVIEW_APPEAL_SELF_DECISION"
    not_theirs = await operator.post(f"{wechat_ticket}/appeal/decision", {"upheld": True})
    assert not_theirs.status_code == 403
    upheld = await supervisor.post(
        f"{wechat_ticket}/appeal/decision", {"upheld": True, "note": "核实为误评"}
    )
    assert upheld.status_code == 200, upheld.text
    assert upheld.json()["state"] == "closed" and upheld.json()["outcome"] == "appeal_upheld"
    assert upheld.json()["appeal"]["upheld"] is True

    # A rejected appeal goes back to where it was, and is final.
    assert (await operator.post(f"{app_ticket}/appeal", {"reason": "恶意差评"})).status_code == 200
    rejected = await supervisor.post(f"{app_ticket}/appeal/decision", {"upheld": False})
    assert rejected.status_code == 200 and rejected.json()["state"] == "open"
    assert (await operator.post(f"{app_ticket}/appeal", {"reason": "再次申诉"})).status_code == 409

    clock.set(2025, 10, 13, 10, 0)
    assert (await operator.post(f"{app_ticket}/contact", {"note": "回访"})).status_code == 200
    late = await operator.post(f"{app_ticket}/resolve", {"outcome": "explained", "note": "已说明"})
    assert late.status_code == 200 and late.json()["resolvedOnTime"] is False
    assert late.json()["flag"] == "late"  # frozen at resolution

    # Figures: the upheld rating leaves them; satisfaction by item, department and channel.
    figures = (await supervisor.get("/figures")).json()
    assert figures["overall"]["count"] == 2 and figures["overall"]["badReviews"] == 1
    assert figures["overall"]["badRate"] == 0.5 and figures["overall"]["averageLevel"] == 3.0
    assert [c["key"] for c in figures["byChannel"]] == ["app"]
    assert figures["byItem"][0]["count"] == 2 and figures["byDepartment"][0]["name"]
    assert figures["tickets"] == {
        "total": 2, "unresolved": 0, "dueSoon": 0, "late": 0, "resolved": 1,
        "resolvedOnTime": 0, "appealsUpheld": 1, "onTimeRate": 0.0,
    }  # fmt: skip
    period = (await supervisor.get("/figures?from=2025-10-01&to=2025-10-31")).json()
    assert period["overall"]["count"] == 0 and period["fromDate"] == "2025-10-01"
    backwards = await supervisor.get("/figures?from=2025-10-31&to=2025-10-01")
    assert backwards.status_code == 400

    # The citizen on WeChat sees the appeal's outcome; the explained one opens a follow-up.
    assert (await reviews(client, mini, declaration))["ticket"]["outcome"] == "appeal_upheld"
    view = await reviews(client, token, declaration)
    assert view["nextKind"] == "follow_up"
    assert (
        await client.get("/ops/v1/reviews/tickets", headers=bearer(token))
    ).status_code == 403  # a citizen's token is not staff
