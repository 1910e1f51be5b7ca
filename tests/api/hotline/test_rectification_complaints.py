"""A complaint about how a bad review was rectified links to the review's rectification ticket:
staff see the link, 12345 gets it as the ticket's reference."""

from __future__ import annotations

import uuid

import httpx

from api.composition import Services
from sandbox.runner import RunningApp
from tests.fixtures.declarations import Applicant
from tests.fixtures.hotline import Operators, file
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.reviews import BAD, finished, rate
from tests.fixtures.waiting import eventually


async def test_a_rectification_complaint_links_to_its_review_ticket(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    hotline: RunningApp,
) -> None:
    client = applicant.client
    declaration = await finished(applicant)
    body = {
        "kind": "complaint",
        "title": "差评整改不到位",
        "content": "差评后无人回访，问题仍未解决。",
        "declarationId": declaration,
        "aboutRectification": True,
    }
    # No bad review yet: nothing to complain about; only complaints link.
    early = await client.post(
        "/api/v1/hotline/tickets",
        json=body,
        headers={**applicant.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert early.status_code == 409 and early.json()["code"] == "HOTLINE_NO_RECTIFICATION"
    assert (await rate(client, applicant.token, declaration, BAD)).status_code == 200
    suggestion = await client.post(
        "/api/v1/hotline/tickets",
        json={**body, "kind": "suggestion"},
        headers={**applicant.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert suggestion.status_code == 409

    complaint = await file(applicant, body)
    assert complaint["aboutRectification"] is True and complaint["subjectType"] == "declaration"
    assert complaint["declarationId"] == declaration

    staff = bearer(await staff_login(client, await make_staff(services, "hl-op", "operator")))
    reviews = await client.get("/ops/v1/reviews/tickets", headers=staff)
    review_ticket = reviews.json()["items"][0]["id"]
    seen = await client.get(f"/ops/v1/hotline/tickets/{complaint['id']}", headers=staff)
    assert seen.status_code == 200 and seen.json()["reviewTicketId"] == review_ticket

    operators = Operators(hotline.url)
    try:

        async def at_12345() -> dict[str, object] | None:
            tickets = await operators.tickets()
            return next((t for t in tickets if t["requestId"] == complaint["id"]), None)

        filed = await eventually(at_12345)
        assert filed["reference"] == f"review-ticket:{review_ticket}"
        case = await applicant.case_number(declaration)
        assert filed["subject"] == {"type": "case", "code": case, "name": complaint["itemName"]}
    finally:
        await operators.close()
