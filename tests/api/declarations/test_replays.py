"""Idempotency-Key on submit: a replay gets the first answer, even one that waited for it.

Twenty copies of one tap race each other over real HTTP (``asyncio.gather`` on the live app);
the copies that wait behind the first must get its answer, not a state conflict.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.fixtures.declarations import LICENCE_ISSUER, Applicant, first_format
from tests.fixtures.identity import sso, user

COPIES = 20


async def _ready_draft(applicant: Applicant) -> str:
    draft = await applicant.create(LICENCE_ISSUER)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        resp = await applicant.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    return str(draft["id"])


async def _submit_all(
    live: httpx.AsyncClient, applicant: Applicant, declaration: str, keys: list[str]
) -> list[httpx.Response]:
    return list(
        await asyncio.gather(*(
            live.post(
                f"/api/v1/declarations/{declaration}/submit",
                headers={**applicant.headers, "Idempotency-Key": key},
            )
            for key in keys
        ))
    )  # fmt: skip


async def _cases_for(applicant: Applicant, declaration: str) -> list[dict[str, Any]]:
    async with applicant.outside.session.get(
        f"{applicant.outside.provincial}/_control/cases"
    ) as resp:
        assert resp.status == 200
        cases = (await resp.json())["cases"]
    return [c for c in cases if c["idempotencyKey"] == declaration]


async def test_twenty_concurrent_submits_with_one_key_all_get_the_first_answer(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    declaration = await _ready_draft(applicant)

    answers = await _submit_all(live, applicant, declaration, ["one-tap-key-0001"] * COPIES)

    assert [r.status_code for r in answers] == [200] * COPIES, [r.text for r in answers]
    first = answers[0].json()
    assert first["id"] == declaration and first["state"] == "submitted"
    assert all(r.json() == first for r in answers)
    assert len({r.content for r in answers}) == 1  # byte for byte the same answer
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == COPIES - 1

    # One submission: one move to "submitted", one message, one case at the platform.
    await applicant.case_number(declaration)
    detail = await applicant.detail(declaration)
    moves = [
        e for e in detail["timeline"] if (e["previousState"], e["state"]) == ("draft", "submitted")
    ]
    assert len(moves) == 1
    assert len(await _cases_for(applicant, declaration)) == 1
    inbox = await applicant.client.get("/api/v1/inbox?pageSize=50", headers=applicant.headers)
    kinds = [m["eventType"] for m in inbox.json()["items"]]
    assert kinds.count("declaration.submitted") == 1

    # Later, once the declaration has moved on, the key still gives the first answer.
    later = await applicant.submit(declaration, key="one-tap-key-0001")
    assert later.status_code == 200 and later.content == answers[0].content


async def test_twenty_concurrent_submits_with_different_keys_one_wins_the_rest_conflict(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    declaration = await _ready_draft(applicant)

    answers = await _submit_all(
        live, applicant, declaration, [f"tap-{i:02d}-key-0001" for i in range(COPIES)]
    )

    statuses = sorted(r.status_code for r in answers)
    assert statuses == [200] + [409] * (COPIES - 1), [r.text for r in answers]
    for refused in (r for r in answers if r.status_code == 409):
        assert refused.headers["content-type"].startswith("application/problem+json")
        problem = refused.json()
        assert problem["code"] == "DECLARATION_STATE_CONFLICT"
        assert problem["title"] == "当前申请状态不允许此操作"
        assert problem["state"] == "submitted"
    await applicant.case_number(declaration)
    assert len(await _cases_for(applicant, declaration)) == 1


async def test_a_key_reused_for_another_declaration_is_422_and_keys_are_per_citizen(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, client: httpx.AsyncClient
) -> None:
    first, second = await _ready_draft(applicant), await _ready_draft(applicant)
    submitted = await applicant.submit(first, key="reused-key-0001")
    assert submitted.status_code == 200, submitted.text

    reused = await applicant.submit(second, key="reused-key-0001")
    assert reused.status_code == 422, reused.text
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert reused.json()["title"] == "重复的提交请求内容不一致"
    assert (await applicant.detail(second))["state"] == "draft"  # nothing happened to it
    assert (await applicant.submit(second, key="reused-key-0002")).status_code == 200

    # Another citizen's key of the same spelling is theirs alone.
    token = (await sso(client, applicant.outside, user("lisi"))).json()["accessToken"]
    other = Applicant(client, applicant.outside, token)
    theirs = await _ready_draft(other)
    answer = await other.submit(theirs, key="reused-key-0001")
    assert answer.status_code == 200, answer.text
    assert answer.json()["id"] == theirs and answer.json()["state"] == "submitted"
    # … and cannot reach the first citizen's declaration, nor replay the first citizen's answer.
    assert (await other.submit(first, key="stranger-key-0001")).status_code == 404
    mine = await applicant.submit(first, key="reused-key-0001")
    assert mine.status_code == 200 and mine.content == submitted.content


async def test_a_failed_submit_keeps_no_answer_so_the_same_key_works_once_fixed(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    draft = await applicant.create(LICENCE_ISSUER)
    await applicant.fill(draft["id"])
    early = await applicant.submit(draft["id"], key="fix-then-retry-0001")
    assert early.status_code == 409 and early.json()["code"] == "MATERIALS_MISSING"
    for material in draft["materials"]:
        resp = await applicant.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    retried = await applicant.submit(draft["id"], key="fix-then-retry-0001")
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == "submitted"
    assert "idempotent-replayed" not in retried.headers


async def test_a_submit_without_a_key_is_refused(
    live: httpx.AsyncClient, applicant: Applicant
) -> None:
    declaration = await _ready_draft(applicant)
    resp = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/submit", headers=applicant.headers
    )
    assert resp.status_code == 400 and resp.json()["code"] == "INVALID_PARAMETER"
    assert (await applicant.detail(declaration))["state"] == "draft"
