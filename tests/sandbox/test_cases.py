"""The provincial case library (办件库) and its signed status callbacks, over real HTTP on loopback.

The callback target is a small aiohttp receiver of the test's own on another port.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from core.embedded import free_port
from sandbox.__main__ import _parser
from sandbox.provincial.codes import mod37_36_check, mod37_36_valid
from sandbox.runner import run_sandbox, start_app
from tests.fixtures.provincial_cases import (
    API_KEY,
    AUTH,
    CASES,
    CLIENT_ID,
    MIGRATION,
    SECRET,
    Platform,
    PlatformFactory,
    Received,
    Receiver,
    start_receiver,
    submission,
)

ID_RENEWAL = "11620100013900112A-GG-00101-001"  # 居民身份证换领, licence SFZ
SUSPENDED = "11620000013900024N-GG-00204-001"
TERMINATED = "11623100013900411D-QT-01301-001"

CASE_NUMBER = re.compile(r"XL\d{8}\d{5}")


async def wait_for(
    predicate: Callable[[], Awaitable[bool]], timeout: float = 10.0, what: str = "condition"
) -> None:
    deadline = time.monotonic() + timeout
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


async def wait_delivered(platform: Platform, count: int, timeout: float = 10.0) -> list[Any]:
    async def done() -> bool:
        deliveries = await platform.deliveries()
        return len(deliveries) >= count and all(d["delivered"] for d in deliveries)

    await wait_for(done, timeout, f"{count} acknowledged deliveries")
    return await platform.deliveries()


def verify_signature(received: Received, secret: str = SECRET, client_id: str = CLIENT_ID) -> None:
    """Check a callback exactly as a receiver would, with hmac/hashlib only."""
    timestamp = received.headers["X-Gov-Timestamp"]
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.raw, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, received.headers["X-Gov-Signature"])
    assert abs(int(timestamp) - time.time()) < 30
    assert received.headers["X-Gov-Client"] == client_id
    assert received.headers["X-Gov-Event-Id"] == received.event["eventId"]
    assert received.headers["Content-Type"].startswith("application/json")


@pytest_asyncio.fixture
async def platform(make_platform: PlatformFactory) -> Platform:
    return await make_platform()


# -- submission and queries -------------------------------------------------------------------


@pytest.mark.asyncio
async def test_submit_is_idempotent(platform: Platform) -> None:
    body = submission()
    status, first = await platform.call("POST", CASES, body)
    assert status == 201
    assert set(first) == {"caseNumber", "status", "version", "receivedAt"}
    assert CASE_NUMBER.fullmatch(first["caseNumber"])
    assert first["status"] == "pre_review" and first["version"] == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["receivedAt"])

    # A retry with the same key (even with another body) finds the same case.
    retry = dict(body, itemCode=ID_RENEWAL, formData={"other": 1})
    status, again = await platform.call("POST", CASES, retry)
    assert status == 200 and again == first
    status, listed = await platform.control("GET", "/cases")
    assert [c["caseNumber"] for c in listed["cases"]] == [first["caseNumber"]]

    second = await platform.submit()
    assert second["caseNumber"] != first["caseNumber"]
    assert int(second["caseNumber"][-5:]) == int(first["caseNumber"][-5:]) + 1


@pytest.mark.asyncio
async def test_submit_errors(platform: Platform) -> None:
    async def post(body: Any) -> tuple[int, str]:
        status, answer = await platform.call("POST", CASES, body)
        assert set(answer) == {"code", "message"}
        return status, answer["code"]

    assert await post(submission(itemCode="NO-SUCH-ITEM")) == (404, "ITEM_NOT_FOUND")
    assert await post(submission(itemCode=SUSPENDED)) == (409, "ITEM_NOT_ACCEPTING")
    assert await post(submission(itemCode=TERMINATED)) == (409, "ITEM_NOT_ACCEPTING")
    invalid = [
        [1, 2],
        {k: v for k, v in submission().items() if k != "applicant"},
        submission(unknown=1),
        submission(idempotencyKey=""),
        submission(callbackUrl="ftp://example.com/x"),
        submission(materials=[{"code": "X", "files": [{"fileId": "1"}]}]),
        submission(
            materials=[
                {
                    "code": "X",
                    "files": [
                        {
                            "fileId": "1",
                            "fileName": "a.pdf",
                            "sha256": "not-hex",
                            "size": 1,
                            "contentType": "application/pdf",
                        }
                    ],
                }
            ]
        ),
    ]
    for body in invalid:
        assert await post(body) == (400, "INVALID_PARAMETER"), body
    async with platform.http.post(platform.url(CASES), data=b"{not json", headers=AUTH) as resp:
        assert resp.status == 400
    async with platform.http.post(platform.url(CASES), json=submission()) as resp:
        assert resp.status == 401
    # Nothing was created by the failed calls.
    assert (await platform.control("GET", "/cases"))[1]["cases"] == []


@pytest.mark.asyncio
async def test_refuse_fault_turns_a_submission_down(platform: Platform) -> None:
    status, fault = await platform.control(
        "POST", "/faults",
        {"mode": "refuse", "message": "申请表“申请事由”填写不规范", "pathPrefix": CASES, "times": 1},
    )  # fmt: skip
    assert status == 200 and fault["fault"]["status"] == 400
    body = submission()
    status, refused = await platform.call("POST", CASES, body)
    assert status == 400
    assert refused == {"code": "INVALID_PARAMETER", "message": "申请表“申请事由”填写不规范"}
    # Nothing was created, and the key is free: the same submission goes through afterwards.
    assert (await platform.control("GET", "/cases"))[1]["cases"] == []
    status, created = await platform.call("POST", CASES, body)
    assert status == 201 and created["version"] == 1

    status, fault = await platform.control(
        "POST", "/faults", {"mode": "refuse", "status": 409, "code": "ITEM_NOT_ACCEPTING"}
    )
    assert status == 200
    assert await platform.call("POST", CASES, submission()) == (
        409, {"code": "ITEM_NOT_ACCEPTING", "message": "申请信息未通过平台校验（注入拒绝）"},
    )  # fmt: skip
    # A refusal is a 4xx; a 5xx is an outage (mode "error").
    status, error = await platform.control("POST", "/faults", {"mode": "refuse", "status": 503})
    assert status == 400 and error["code"] == "INVALID_PARAMETER"


@pytest.mark.asyncio
async def test_query_by_number_and_by_key(platform: Platform) -> None:
    body = submission()
    created = await platform.submit(**body)
    number = created["caseNumber"]
    case = await platform.case(number)
    assert set(case) == {
        *("caseNumber", "idempotencyKey", "itemCode", "applicant", "status", "version"),
        *("receivedAt", "updatedAt", "supplement", "toleratedMissing", "result", "events"),
    }
    assert case["idempotencyKey"] == body["idempotencyKey"]
    assert case["itemCode"] == MIGRATION
    assert (case["supplement"], case["result"]) == (None, None)
    assert case["toleratedMissing"] == []
    assert case["receivedAt"] == case["updatedAt"] == created["receivedAt"]
    [event] = case["events"]
    assert event["sequence"] == 1 and event["status"] == "pre_review"

    status, by_key = await platform.call("GET", CASES, idempotencyKey=body["idempotencyKey"])
    assert status == 200 and by_key == case

    status, error = await platform.call("GET", CASES, idempotencyKey="nope")
    assert (status, error["code"]) == (404, "CASE_NOT_FOUND")
    status, error = await platform.call("GET", f"{CASES}/XL2026010100999")
    assert (status, error["code"]) == (404, "CASE_NOT_FOUND")
    status, error = await platform.call("GET", CASES)
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")


# -- lifecycle and callbacks ------------------------------------------------------------------


@pytest.mark.asyncio
async def test_full_path_callbacks_in_order_and_signed(platform: Platform) -> None:
    own = await start_receiver(Receiver())
    try:
        created = await platform.submit(callbackUrl=own.url, toleratedMissing=["CL00102001-03"])
        number = created["caseNumber"]

        status, error = await platform.control(
            "POST", f"/cases/{number}/advance", {"to": "completed"}
        )
        assert (status, error["code"]) == (409, "INVALID_STATE")
        accepted = await platform.advance(number, "accepted")
        assert accepted["status"] == "accepted" and accepted["version"] == 2
        await platform.advance(number, "processing")
        status, error = await platform.control(
            "POST", f"/cases/{number}/advance", {"to": "withdrawn"}
        )
        assert (status, error["code"]) == (409, "INVALID_STATE")
        done = await platform.advance(number, "completed", reason="准予许可")
        assert done["status"] == "completed" and done["version"] == 4
        assert done["result"]["licence"] is None
        assert done["result"]["resultType"] and "邮寄" in done["result"]["pickup"]

        deliveries = await wait_delivered(platform, 4)
        assert [(d["sequence"], d["status"], d["attempts"]) for d in deliveries] == [
            (1, "pre_review", 1),
            (2, "accepted", 1),
            (3, "processing", 1),
            (4, "completed", 1),
        ]
        # The case's own callbackUrl wins over the app default.
        assert platform.receiver.received == []
        assert own.sequences(number) == [1, 2, 3, 4]
        for received in own.received:
            verify_signature(received)
        events = own.events()
        assert events == done["events"]
        first = events[0]
        assert set(first) == {
            *("eventId", "caseNumber", "idempotencyKey", "itemCode", "sequence", "status"),
            *("occurredAt", "reason", "supplement", "acceptance", "result"),
        }
        assert uuid.UUID(first["eventId"]).version == 4
        assert len({e["eventId"] for e in events}) == 4
        assert events[1]["acceptance"] == {"toleratedMissing": ["CL00102001-03"]}
        assert events[3]["reason"] == "准予许可"
        assert events[3]["result"] == done["result"]

        # A signature made with another secret does not verify.
        with pytest.raises(AssertionError):
            verify_signature(own.received[0], secret="wrong")

        # Without a callbackUrl the event goes to the app default.
        other = await platform.submit()
        await wait_delivered(platform, 5)
        assert platform.receiver.sequences(other["caseNumber"]) == [1]
        verify_signature(platform.receiver.received[0])
    finally:
        assert own.server is not None
        await own.server.close()


@pytest.mark.asyncio
async def test_supplement_rules(platform: Platform) -> None:
    number = (await platform.submit(itemCode=ID_RENEWAL))["caseNumber"]
    status, error = await platform.call(
        "POST", f"{CASES}/{number}/supplement", {"materials": [{"code": "X"}]}
    )
    assert (status, error["code"]) == (409, "INVALID_STATE")

    status, error = await platform.control(
        "POST", f"/cases/{number}/advance", {"to": "needs_supplement"}
    )
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    problems = [
        {"materialCode": "CL00101001-01", "problem": "照片模糊"},
        {"materialCode": "CL00101001-02", "problem": "缺少背面"},
    ]
    case = await platform.advance(number, "needs_supplement", supplementItems=problems)
    assert case["status"] == "needs_supplement" and case["version"] == 2
    supplement = case["supplement"]
    assert supplement["items"] == problems
    # One notice that lists every problem (一次性告知).
    for problem in problems:
        assert problem["materialCode"] in supplement["notice"]
        assert problem["problem"] in supplement["notice"]
    assert case["events"][-1]["supplement"] == supplement

    status, error = await platform.call("POST", f"{CASES}/{number}/supplement", {"materials": []})
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    status, case = await platform.call(
        "POST",
        f"{CASES}/{number}/supplement",
        {"materials": [{"code": "CL00101001-01", "files": [], "licence": None}]},
    )
    assert status == 200
    assert (case["status"], case["version"], case["supplement"]) == ("pre_review", 3, None)
    assert [e["status"] for e in case["events"]] == [
        "pre_review",
        "needs_supplement",
        "pre_review",
    ]
    status, error = await platform.call(
        "POST", f"{CASES}/{number}/supplement", {"materials": [{"code": "X"}]}
    )
    assert (status, error["code"]) == (409, "INVALID_STATE")
    status, error = await platform.call(
        "POST", f"{CASES}/XL2026010100999/supplement", {"materials": [{"code": "X"}]}
    )
    assert (status, error["code"]) == (404, "CASE_NOT_FOUND")
    await wait_delivered(platform, 3)


@pytest.mark.asyncio
async def test_withdraw_rules(platform: Platform) -> None:
    number = (await platform.submit())["caseNumber"]
    status, error = await platform.call("POST", f"{CASES}/{number}/withdraw", {})
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    status, case = await platform.call(
        "POST", f"{CASES}/{number}/withdraw", {"reason": "材料准备不全，暂不办理"}
    )
    assert status == 200
    assert (case["status"], case["version"]) == ("withdrawn", 2)
    assert case["events"][-1]["reason"] == "材料准备不全，暂不办理"
    # Withdrawing again is idempotent: same case, no new event.
    status, again = await platform.call("POST", f"{CASES}/{number}/withdraw", {"reason": "再撤"})
    assert status == 200 and again == case
    status, error = await platform.control("POST", f"/cases/{number}/advance", {"to": "accepted"})
    assert (status, error["code"]) == (409, "INVALID_STATE")

    # A case in needs_supplement can be withdrawn; an accepted one cannot.
    waiting = (await platform.submit())["caseNumber"]
    await platform.advance(
        waiting, "needs_supplement", supplementItems=[{"materialCode": "A", "problem": "缺"}]
    )
    status, case = await platform.call("POST", f"{CASES}/{waiting}/withdraw", {"reason": "不办了"})
    assert status == 200 and case["status"] == "withdrawn"

    accepted = (await platform.submit())["caseNumber"]
    await platform.advance(accepted, "accepted")
    status, error = await platform.call("POST", f"{CASES}/{accepted}/withdraw", {"reason": "x"})
    assert (status, error["code"]) == (409, "INVALID_STATE")

    rejected = (await platform.submit())["caseNumber"]
    case = await platform.advance(rejected, "not_accepted")
    assert case["events"][-1]["reason"]  # a default Chinese reason
    status, error = await platform.call("POST", f"{CASES}/{rejected}/withdraw", {"reason": "x"})
    assert (status, error["code"]) == (409, "INVALID_STATE")

    deliveries = await wait_delivered(platform, 8)
    assert [d["status"] for d in deliveries if d["caseNumber"] == number] == [
        "pre_review",
        "withdrawn",
    ]


# -- 容缺受理: tolerated missing materials supplied later ---------------------------------------

TOLERATED = ["CL00102001-03", "CL00102001-04"]


def tolerated_material(code: str, digest: str = "cd" * 32, file_id: str = "f-9") -> Any:
    return {
        "code": code,
        "files": [
            {
                "fileId": file_id,
                "fileName": "迁入证明.pdf",
                "sha256": digest,
                "size": 2048,
                "contentType": "application/pdf",
            }
        ],
        "licence": None,
    }


async def supply(platform: Platform, number: str, *materials: Any) -> tuple[int, Any]:
    return await platform.call(
        "POST", f"{CASES}/{number}/tolerated-materials", {"materials": list(materials)}
    )


@pytest.mark.asyncio
async def test_tolerated_materials_supplied_after_acceptance(platform: Platform) -> None:
    number = (await platform.submit(toleratedMissing=TOLERATED))["caseNumber"]
    assert (await platform.case(number))["toleratedMissing"] == TOLERATED

    # Not before acceptance.
    status, error = await supply(platform, number, tolerated_material(TOLERATED[0]))
    assert (status, error["code"]) == (409, "INVALID_STATE")

    accepted = await platform.advance(number, "accepted")
    assert accepted["events"][-1]["acceptance"] == {"toleratedMissing": TOLERATED}
    status, case = await supply(platform, number, tolerated_material(TOLERATED[0]))
    assert status == 200, case
    # Recorded; no status change, no new version, no event, no callback.
    assert case["toleratedMissing"] == [TOLERATED[1]]
    assert (case["status"], case["version"]) == ("accepted", 2)
    assert case["updatedAt"] == accepted["updatedAt"]
    assert case["events"] == accepted["events"]
    assert await platform.case(number) == case

    # The second one while processing, as a licence.
    await platform.advance(number, "processing")
    licence = {"licenceNumber": "HKB620102199001011234", "typeCode": "HKB"}
    status, case = await supply(
        platform, number, {"code": TOLERATED[1], "files": [], "licence": licence}
    )
    assert status == 200, case
    assert (case["toleratedMissing"], case["status"], case["version"]) == ([], "processing", 3)

    deliveries = await wait_delivered(platform, 3)
    assert [d["sequence"] for d in deliveries] == [1, 2, 3]
    await asyncio.sleep(0.1)
    assert len(await platform.deliveries()) == 3
    assert len(platform.receiver.received) == 3


@pytest.mark.asyncio
async def test_tolerated_materials_errors(platform: Platform) -> None:
    number = (await platform.submit(toleratedMissing=TOLERATED))["caseNumber"]
    await platform.advance(number, "accepted")
    path = f"{CASES}/{number}/tolerated-materials"

    # Bad bodies.
    for body in ({}, {"materials": []}, {"materials": [{"code": ""}]}, {"materials": [], "x": 1}):
        status, error = await platform.call("POST", path, body)
        assert (status, error["code"]) == (400, "INVALID_PARAMETER"), body
    bad_digest = tolerated_material(TOLERATED[0], digest="xyz")
    status, error = await supply(platform, number, bad_digest)
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")

    # A code that was not tolerated missing at submission, with its name in the message.
    status, error = await supply(platform, number, tolerated_material("CL00102001-01"))
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    assert "CL00102001-01" in error["message"]
    # The same code twice in one body.
    twice = tolerated_material(TOLERATED[0])
    status, error = await supply(platform, number, twice, twice)
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    assert TOLERATED[0] in error["message"]
    # Neither files nor a licence.
    status, error = await supply(platform, number, {"code": TOLERATED[0]})
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    assert TOLERATED[0] in error["message"]
    # One bad material fails the whole body: nothing is recorded.
    status, error = await supply(
        platform, number, tolerated_material(TOLERATED[0]), tolerated_material("NOPE")
    )
    assert (status, error["code"]) == (400, "INVALID_PARAMETER") and "NOPE" in error["message"]
    assert (await platform.case(number))["toleratedMissing"] == TOLERATED

    # Unknown case (before the body is looked at); no or wrong bearer.
    status, error = await platform.call("POST", f"{CASES}/XL2026010100999/tolerated-materials", {})
    assert (status, error["code"]) == (404, "CASE_NOT_FOUND")
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        async with platform.http.post(
            platform.url(path),
            json={"materials": [tolerated_material(TOLERATED[0])]},
            headers=headers,
        ) as resp:
            assert resp.status == 401
    assert (await platform.case(number))["toleratedMissing"] == TOLERATED

    # Closed and not-yet-accepted cases.
    for to in ("not_accepted", "withdrawn", "needs_supplement"):
        other = (await platform.submit(toleratedMissing=TOLERATED))["caseNumber"]
        fields = {"supplementItems": [{"materialCode": "A", "problem": "缺"}]}
        await platform.advance(other, to, **(fields if to == "needs_supplement" else {}))
        status, error = await supply(platform, other, tolerated_material(TOLERATED[0]))
        assert (status, error["code"]) == (409, "INVALID_STATE"), to
    done = (await platform.submit(toleratedMissing=TOLERATED))["caseNumber"]
    for to in ("accepted", "processing", "completed"):
        await platform.advance(done, to)
    status, error = await supply(platform, done, tolerated_material(TOLERATED[0]))
    assert (status, error["code"]) == (409, "INVALID_STATE")


@pytest.mark.asyncio
async def test_tolerated_materials_retry_is_idempotent(platform: Platform) -> None:
    number = (await platform.submit(toleratedMissing=TOLERATED))["caseNumber"]
    await platform.advance(number, "accepted")
    first = tolerated_material(TOLERATED[0])
    status, case = await supply(platform, number, first)
    assert status == 200

    # The identical retry: 200, the case unchanged.
    status, again = await supply(platform, number, first)
    assert (status, again) == (200, case)
    # Same content (sha256 in another case, other file id): still a retry.
    same = tolerated_material(TOLERATED[0], digest=("cd" * 32).upper(), file_id="f-other")
    status, again = await supply(platform, number, same)
    assert (status, again) == (200, case)

    # Different content for a supplied code: already supplied.
    status, error = await supply(platform, number, tolerated_material(TOLERATED[0], "ef" * 32))
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    assert TOLERATED[0] in error["message"] and "already supplied" in error["message"]
    # A retry mixed with something new is not a retry: nothing is recorded.
    status, error = await supply(platform, number, first, tolerated_material(TOLERATED[1]))
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    assert (await platform.case(number))["toleratedMissing"] == [TOLERATED[1]]

    # A retry that arrives after the department moved the case on is still answered 200.
    await platform.advance(number, "processing")
    closed = await platform.advance(number, "completed")
    status, again = await supply(platform, number, same)
    assert (status, again) == (200, closed)
    assert (again["version"], again["toleratedMissing"]) == (4, [TOLERATED[1]])
    # ... but a new material is not accepted any more.
    status, error = await supply(platform, number, tolerated_material(TOLERATED[1]))
    assert (status, error["code"]) == (409, "INVALID_STATE")

    # Licences are compared by number.
    other = (await platform.submit(toleratedMissing=TOLERATED))["caseNumber"]
    await platform.advance(other, "accepted")
    by_licence = {
        "code": TOLERATED[1],
        "licence": {"licenceNumber": "HKB620102199001011234", "typeCode": "HKB"},
    }
    assert (await supply(platform, other, by_licence))[0] == 200
    assert (await supply(platform, other, by_licence))[0] == 200
    changed = {**by_licence, "licence": {"licenceNumber": "HKB9", "typeCode": "HKB"}}
    status, error = await supply(platform, other, changed)
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")


@pytest.mark.asyncio
async def test_callback_retried_until_acknowledged(make_platform: PlatformFactory) -> None:
    platform = await make_platform(Receiver(fail_first=2))
    number = (await platform.submit())["caseNumber"]
    await platform.advance(number, "accepted")
    deliveries = await wait_delivered(platform, 2)
    first, second = deliveries
    assert (first["attempts"], first["delivered"], first["lastError"]) == (3, True, "HTTP 500")
    assert (second["attempts"], second["lastError"]) == (1, None)
    # The second event waited for the first: still in order.
    assert platform.receiver.calls == 4
    assert platform.receiver.sequences(number) == [1, 2]
    for received in platform.receiver.received:
        verify_signature(received)


@pytest.mark.asyncio
async def test_callback_retried_while_receiver_is_down(make_platform: PlatformFactory) -> None:
    receiver = Receiver()
    platform = await make_platform(receiver)
    assert receiver.server is not None
    port = receiver.server.port
    await receiver.server.close()
    number = (await platform.submit())["caseNumber"]

    async def failed_twice() -> bool:
        return bool((await platform.deliveries())[0]["attempts"] >= 2)

    await wait_for(failed_twice, what="failed attempts")
    [delivery] = await platform.deliveries()
    assert not delivery["delivered"] and delivery["lastError"]
    # The receiver comes back on the same port and gets the event.
    app = web.Application()
    app.router.add_post("/hook", receiver.handle)
    receiver.server = await start_app(app, port=port)
    await wait_delivered(platform, 1)
    assert receiver.sequences(number) == [1]


@pytest.mark.asyncio
async def test_duplicate_fault(platform: Platform) -> None:
    status, body = await platform.control("POST", "/callback-faults", {"duplicate": True})
    assert status == 200
    assert body == {"callbackFaults": {"duplicate": True, "reorder": False, "delaySeconds": 0.0}}
    number = (await platform.submit())["caseNumber"]
    await platform.advance(number, "accepted")
    deliveries = await wait_delivered(platform, 2)
    assert [d["attempts"] for d in deliveries] == [2, 2]

    async def four() -> bool:
        return len(platform.receiver.received) == 4

    await wait_for(four)
    ids = [r.headers["X-Gov-Event-Id"] for r in platform.receiver.received]
    assert ids[0] == ids[1] != ids[2] == ids[3]
    assert platform.receiver.sequences(number) == [1, 1, 2, 2]
    for received in platform.receiver.received:
        verify_signature(received)

    status, body = await platform.control("DELETE", "/callback-faults")
    assert body["callbackFaults"]["duplicate"] is False
    await platform.advance(number, "processing")
    await wait_delivered(platform, 3)
    assert platform.receiver.sequences(number) == [1, 1, 2, 2, 3]


@pytest.mark.asyncio
async def test_reorder_fault(platform: Platform) -> None:
    await platform.control("POST", "/callback-faults", {"reorder": True})
    number = (await platform.submit())["caseNumber"]
    await platform.advance(number, "accepted")
    await wait_delivered(platform, 2)
    assert platform.receiver.sequences(number) == [2, 1]

    # A held last event is released after about a second.
    started = time.monotonic()
    await platform.advance(number, "processing")
    await wait_delivered(platform, 3)
    assert time.monotonic() - started >= 0.9
    assert platform.receiver.sequences(number) == [2, 1, 3]


@pytest.mark.asyncio
async def test_delay_fault(platform: Platform) -> None:
    status, body = await platform.control("POST", "/callback-faults", {"delaySeconds": 0.3})
    assert status == 200 and body["callbackFaults"]["delaySeconds"] == 0.3
    assert (await platform.control("GET", "/callback-faults"))[1] == body
    status, error = await platform.control("POST", "/callback-faults", {"delaySeconds": -1})
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    started = time.monotonic()
    await platform.submit()
    await wait_delivered(platform, 1)
    assert time.monotonic() - started >= 0.3


@pytest.mark.asyncio
async def test_licence_on_completion(platform: Platform) -> None:
    licences = []
    for _ in range(2):
        number = (await platform.submit(itemCode=ID_RENEWAL))["caseNumber"]
        for to in ("accepted", "processing", "completed"):
            case = await platform.advance(number, to)
        licence = case["result"]["licence"]
        assert set(licence) == {"licenceNumber", "typeCode", "name", "issuedAt"}
        assert licence["typeCode"] == "SFZ" and licence["name"] == "居民身份证"
        assert licence["licenceNumber"].startswith("SFZ11620100013900112A")
        assert mod37_36_valid(licence["licenceNumber"])
        assert "电子证照" in case["result"]["pickup"]
        assert case["events"][-1]["result"]["licence"] == licence
        licences.append(licence["licenceNumber"])
    assert licences[0] != licences[1]
    await wait_delivered(platform, 8)
    completed = [e for e in platform.receiver.events() if e["status"] == "completed"]
    assert [e["result"]["licence"]["licenceNumber"] for e in completed] == licences


def test_mod37_36_check() -> None:
    # ISO 7064 MOD 37,36: a single-character change is always detected.
    body = "SFZ11620100013900112A123456789001"
    number = body + mod37_36_check(body)
    assert mod37_36_valid(number)
    for index in range(len(body)):
        changed = body[:index] + ("0" if body[index] != "0" else "1") + body[index + 1 :]
        assert not mod37_36_valid(changed + number[-1])


@pytest.mark.asyncio
async def test_auto_processor(make_platform: PlatformFactory) -> None:
    platform = await make_platform(auto_process_seconds=0.1)
    plain = (await platform.submit(itemCode=ID_RENEWAL))["caseNumber"]
    scripted = (await platform.submit(formData={"_script": "supplement"}))["caseNumber"]

    async def status_of(number: str, wanted: str) -> bool:
        return bool((await platform.case(number))["status"] == wanted)

    # A charged item: the case waits on accepted until its payment notice is paid.
    async def notice_of(number: str) -> Any:
        events = (await platform.case(number))["events"]
        return next((e["paymentNotice"] for e in events if "paymentNotice" in e), None)

    await wait_for(lambda: notice_of(plain), what="payment notice")
    notice = await notice_of(plain)
    status, _ = await platform.call(
        "POST",
        f"/gov/payments/v1/notices/{notice['noticeNumber']}/payments",
        {
            "transactionId": "4200000000000000000000000001",
            "outTradeNo": "HH20261122000001",
            "amountFen": notice["amountFen"],
            "paidAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "channel": "wechatpay",
        },
    )
    assert status == 200
    await wait_for(lambda: status_of(plain, "completed"), what="plain case completed")
    await wait_for(lambda: status_of(scripted, "needs_supplement"), what="supplement request")
    case = await platform.case(plain)
    assert [e["status"] for e in case["events"]] == [
        "pre_review",
        "accepted",
        "accepted",
        "processing",
        "completed",
    ]
    assert case["result"]["licence"]["typeCode"] == "SFZ"

    # The scripted case waits for the citizen.
    await asyncio.sleep(0.3)
    case = await platform.case(scripted)
    assert case["status"] == "needs_supplement"
    [item] = case["supplement"]["items"]
    status, _ = await platform.call(
        "POST", f"{CASES}/{scripted}/supplement", {"materials": [{"code": item["materialCode"]}]}
    )
    assert status == 200
    await wait_for(lambda: status_of(scripted, "completed"), what="scripted case completed")
    case = await platform.case(scripted)
    assert [e["status"] for e in case["events"]] == [
        *("pre_review", "needs_supplement", "pre_review"),
        *("accepted", "processing", "completed"),
    ]
    assert [e["sequence"] for e in case["events"]] == [1, 2, 3, 4, 5, 6]
    await wait_delivered(platform, 10)
    assert platform.receiver.sequences(scripted) == [1, 2, 3, 4, 5, 6]


@pytest.mark.asyncio
async def test_reset_clears_cases_and_deliveries(make_platform: PlatformFactory) -> None:
    platform = await make_platform(Receiver(fail_first=10**6))  # never acknowledges
    await platform.control("POST", "/callback-faults", {"duplicate": True})
    number = (await platform.submit())["caseNumber"]
    assert len(await platform.deliveries()) == 1
    status, _ = await platform.control("POST", "/reset")
    assert status == 200
    assert await platform.deliveries() == []
    assert (await platform.control("GET", "/cases"))[1]["cases"] == []
    assert (await platform.control("GET", "/callback-faults"))[1]["callbackFaults"] == {
        "duplicate": False,
        "reorder": False,
        "delaySeconds": 0.0,
    }
    status, error = await platform.call("GET", f"{CASES}/{number}")
    assert (status, error["code"]) == (404, "CASE_NOT_FOUND")
    # Case numbers are not reused after a reset.
    assert (await platform.submit())["caseNumber"] != number
    calls = platform.receiver.calls
    await asyncio.sleep(0.3)
    # Only the new case's delivery is still being retried.
    [delivery] = await platform.deliveries()
    assert delivery["caseNumber"] != number
    assert platform.receiver.calls > calls


@pytest.mark.asyncio
async def test_close_stops_pending_deliveries_promptly(make_platform: PlatformFactory) -> None:
    platform = await make_platform(Receiver(fail_first=10**6))
    await platform.submit()
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await platform.server.close()
    assert time.monotonic() - started < 2
    calls = platform.receiver.calls
    await asyncio.sleep(0.3)
    assert platform.receiver.calls == calls


def test_cli_options() -> None:
    args = _parser().parse_args(
        [
            *("--callback-url", "http://127.0.0.1:9000/hook"),
            *("--callback-secret", "s3"),
            *("--auto-process-seconds", "2.5"),
        ]
    )
    assert args.callback_url == "http://127.0.0.1:9000/hook"
    assert args.callback_secret == "s3"
    assert args.auto_process_seconds == 2.5
    defaults = _parser().parse_args([])
    assert (defaults.callback_url, defaults.auto_process_seconds) == (None, None)
    assert defaults.callback_secret == "dev-callback-secret"


@pytest.mark.asyncio
async def test_run_sandbox_passes_case_options() -> None:
    receiver = await start_receiver(Receiver())
    ports = free_port(), free_port(), free_port(), free_port()
    ready = asyncio.Event()
    task = asyncio.create_task(
        run_sandbox(
            host="127.0.0.1",
            provincial_port=ports[0],
            wechat_port=ports[1],
            data_dir=None,
            provincial_api_key=API_KEY,
            wechat_appid="wxdev000000000000",
            wechat_secret="dev-wechat-secret",
            ready=ready,
            sms_port=ports[2],
            apppush_port=ports[3],
            callback_url=receiver.url,
            callback_secret="runner-secret",
            auto_process_seconds=0.05,
        )
    )
    try:
        await asyncio.wait_for(ready.wait(), 10)
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{ports[0]}"
            async with http.post(base + CASES, json=submission(), headers=AUTH) as resp:
                assert resp.status == 201
                number = (await resp.json())["caseNumber"]

            async def completed() -> bool:
                return receiver.sequences(number) == [1, 2, 3, 4]

            await wait_for(completed, what="the case completed through the runner")
        for received in receiver.received:
            verify_signature(received, secret="runner-secret", client_id="handheld")
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert receiver.server is not None
        await receiver.server.close()
