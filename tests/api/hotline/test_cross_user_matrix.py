"""Cross-user matrix of the hotline: every citizen route of a ticket, as another citizen,
answers 404 ``HOTLINE_TICKET_NOT_FOUND`` (no oracle: the same as a ticket that does not exist),
and another citizen's declaration cannot be the subject of a ticket."""

from __future__ import annotations

import uuid

import httpx

from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.hotline import file
from tests.fixtures.licences import other_citizen


async def test_hotline_tickets_are_refused_to_other_citizens(applicant: Applicant) -> None:
    client = applicant.client
    ticket = await file(
        applicant,
        {"kind": "complaint", "title": "窗口态度差", "content": "工作人员态度恶劣。",
         "itemCode": RENT_WITHDRAWAL},
    )  # fmt: skip
    draft = await applicant.create(RENT_WITHDRAWAL)
    theirs = await other_citizen(client, applicant)
    one = f"/api/v1/hotline/tickets/{ticket['id']}"
    nobody = f"/api/v1/hotline/tickets/{uuid.uuid4()}"
    matrix: list[tuple[str, str, dict[str, object] | None]] = [
        ("GET", one, None),
        ("POST", f"{one}/satisfaction", {"result": "satisfied"}),
    ]
    for method, path, body in matrix:
        for who, target in ((theirs, path), (applicant.headers, path.replace(one, nobody))):
            resp = await client.request(method, target, json=body, headers=who)
            assert resp.status_code == 404, (method, target, resp.text)
            assert resp.json()["code"] == "HOTLINE_TICKET_NOT_FOUND"
    # Their list holds nothing of ours; our declaration is no subject of theirs.
    listed = await client.get("/api/v1/hotline/tickets", headers=theirs)
    assert listed.status_code == 200 and listed.json() == {"items": [], "total": 0}
    refused = await client.post(
        "/api/v1/hotline/tickets",
        json={"kind": "complaint", "title": "办件", "content": "办件超期",
              "declarationId": draft["id"]},
        headers={**theirs, "Idempotency-Key": str(uuid.uuid4())},
    )  # fmt: skip
    assert refused.status_code == 400 and refused.json()["code"] == "HOTLINE_SUBJECT_UNKNOWN"
    # Without a sign-in, nothing.
    anonymous: httpx.Response = await client.get(one)
    assert anonymous.status_code == 401
