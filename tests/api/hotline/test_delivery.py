"""Filing with 12345: an outage delays a ticket without losing or doubling it; a documented
refusal is recorded and shown, never retried; bad filings are refused with their codes."""

from __future__ import annotations

import uuid

import httpx

from sandbox.runner import RunningApp
from tests.fixtures.declarations import Applicant
from tests.fixtures.hotline import Operators, file, wait_ticket
from tests.fixtures.waiting import eventually


async def test_an_outage_delays_a_ticket_and_a_refusal_is_recorded(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, hotline: RunningApp
) -> None:
    operators = Operators(hotline.url)
    try:
        # 12345 answers 503 three times: the job tries again, 12345 holds one ticket.
        down = await operators.http.post("/_control/faults", json={"mode": "error", "times": 3})
        assert down.status_code == 200, down.text
        ticket = await file(
            applicant, {"kind": "consultation", "title": "社保卡补办", "content": "在哪里补办？"}
        )
        number = await operators.number_of(ticket["id"])
        seen = await wait_ticket(applicant, ticket["id"], state="received")
        assert seen["ticketNumber"] == number
        assert [t["requestId"] for t in await operators.tickets()] == [ticket["id"]]

        # A documented refusal: recorded once, shown to the citizen, not tried again.
        refuse = {"mode": "refuse", "code": "CONTENT_REJECTED", "message": "内容不符合受理范围"}
        assert (await operators.http.post("/_control/faults", json=refuse)).status_code == 200
        refused = await file(
            applicant, {"kind": "suggestion", "title": "建议", "content": "增加夜间窗口"}
        )

        async def recorded() -> dict[str, object] | None:
            resp = await applicant.client.get(
                f"/api/v1/hotline/tickets/{refused['id']}", headers=applicant.headers
            )
            body = resp.json()
            return body if body["timeline"][-1]["kind"] == "refused" else None

        shown = await eventually(recorded)
        assert shown["stateLabel"] == "未被12345热线接收" and shown["ticketNumber"] is None
        assert shown["timeline"][-1]["text"] == "内容不符合受理范围"
        assert len(await operators.tickets()) == 1
    finally:
        await operators.close()


async def test_bad_filings_are_refused_with_their_codes(applicant: Applicant) -> None:
    async def post(body: dict[str, object]) -> httpx.Response:
        return await applicant.client.post(
            "/api/v1/hotline/tickets",
            json=body,
            headers={**applicant.headers, "Idempotency-Key": str(uuid.uuid4())},
        )

    base = {"kind": "complaint", "title": "标题", "content": "内容"}
    cases = [
        ({**base, "title": "   "}, 400, "HOTLINE_TEXT_BLANK"),
        ({**base, "itemCode": "NO-SUCH-ITEM"}, 400, "HOTLINE_SUBJECT_UNKNOWN"),
        ({**base, "departmentCode": "NO-SUCH-DEPT"}, 400, "HOTLINE_SUBJECT_UNKNOWN"),
        ({**base, "declarationId": str(uuid.uuid4())}, 400, "HOTLINE_SUBJECT_UNKNOWN"),
        ({**base, "itemCode": "X", "departmentCode": "Y"}, 400, "HOTLINE_SUBJECT_AMBIGUOUS"),
        ({**base, "aboutRectification": True}, 409, "HOTLINE_NO_RECTIFICATION"),
        ({**base, "kind": "praise"}, 422, "VALIDATION_FAILED"),
        ({**base, "title": "长" * 101}, 422, "VALIDATION_FAILED"),
    ]
    for body, status, code in cases:
        resp = await post(body)
        assert (resp.status_code, resp.json()["code"]) == (status, code), (body, resp.text)
    # Copies of one tap (the same key): one ticket, identical answers.
    key = {**applicant.headers, "Idempotency-Key": str(uuid.uuid4())}
    answers = [
        await applicant.client.post("/api/v1/hotline/tickets", json=base, headers=key)
        for _ in range(3)
    ]
    assert len({a.content for a in answers}) == 1 and answers[0].status_code == 200
    listed = await applicant.client.get("/api/v1/hotline/tickets", headers=applicant.headers)
    assert listed.json()["total"] == 1
