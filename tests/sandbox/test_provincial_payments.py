"""Payment notices (缴款通知书), payment reports and receipts of the provincial stand-in, over real
HTTP on loopback, and the product's client calling them.

Case callbacks go to a small aiohttp receiver of the test's own on another port.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web

from core.clients.provincial import (
    PaymentAlreadyReported,
    PaymentNotice,
    PaymentNoticeNotFound,
    PlatformRefused,
    ProvincialCasesClient,
)
from core.settings import HttpClientSettings, ProvincialSettings, Secret
from sandbox.provincial.app import build_provincial_app
from sandbox.provincial.payments import luhn_valid
from sandbox.runner import RunningApp, start_app

API_KEY = "test-provincial-key"
AUTH = {"Authorization": f"Bearer {API_KEY}"}
SECRET = "test-callback-secret"
CLIENT_ID = "handheld-test"
CASES = "/gov/cases/v1/cases"
NOTICES = "/gov/payments/v1/notices"

TEMP_ID_CARD = "11620100013900112A-GG-00101-003"  # 临时居民身份证申领: fee 1000, one PDF
MIGRATION = "11620000013900016U-XK-00102-001"  # 户口迁移: free
NOTICE_KEYS = {
    *("noticeNumber", "paymentCode", "amountFen", "itemName", "payee", "payeeCode"),
    *("issuedAt", "expiresAt", "status"),
}
RECEIPT_KEYS = {
    *("receiptNumber", "noticeNumber", "amountFen", "payee", "paidAt", "issuedAt"),
    *("checkCode", "itemName"),
}


# -- the callback receiver and the platform ----------------------------------------------------


@dataclass
class Receiver:
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    server: RunningApp | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/hook"

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.read()))
        return web.json_response({"code": "SUCCESS"})

    def events(self, case_number: str) -> list[Any]:
        events = [json.loads(raw) for _, raw in self.received]
        return [e for e in events if e["caseNumber"] == case_number]


@dataclass
class Platform:
    server: RunningApp
    http: aiohttp.ClientSession
    receiver: Receiver

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method, self.server.url + path, json=body, headers=AUTH
        ) as resp:
            return resp.status, await resp.json()

    async def control(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        async with self.http.request(
            method, self.server.url + "/_control" + path, json=body
        ) as resp:
            return resp.status, await resp.json()

    async def submit(self, item_code: str = TEMP_ID_CARD, **form: Any) -> str:
        status, body = await self.call("POST", CASES, submission(item_code, **form))
        assert status == 201, body
        return str(body["caseNumber"])

    async def advance(self, number: str, to: str) -> Any:
        status, case = await self.control("POST", f"/cases/{number}/advance", {"to": to})
        assert status == 200, case
        return case

    async def case(self, number: str) -> Any:
        status, case = await self.call("GET", f"{CASES}/{number}")
        assert status == 200, case
        return case

    async def issue(self, number: str, body: Any = None) -> Any:
        status, notice = await self.control("POST", f"/cases/{number}/payment-notice", body)
        assert status == 201, notice
        return notice

    async def notice(self, notice_number: str) -> Any:
        status, notice = await self.call("GET", f"{NOTICES}/{notice_number}")
        assert status == 200, notice
        return notice

    async def pay(self, notice_number: str, **overrides: Any) -> tuple[int, Any]:
        return await self.call(
            "POST", f"{NOTICES}/{notice_number}/payments", payment_report(**overrides)
        )

    async def reports(self) -> list[Any]:
        status, body = await self.control("GET", "/payment-reports")
        assert status == 200
        return list(body["reports"])


def submission(item_code: str, **form: Any) -> dict[str, Any]:
    return {
        "idempotencyKey": str(uuid.uuid4()),
        "itemCode": item_code,
        "applicant": {"name": "张三", "idNumber": "620102199001011234", "phone": "13912345678"},
        "formData": {
            "pickupStation": "城关派出所",
            "reason": "急需乘机",
            "deliveryMethod": "窗口领取",
            **form,
        },
        "materials": [
            {
                "code": "CL00101003-01",
                "files": [
                    {
                        "fileId": "f-1",
                        "fileName": "户籍证明.pdf",
                        "sha256": "cd" * 32,
                        "size": 2048,
                        "contentType": "application/pdf",
                    }
                ],
            }
        ],
    }


def payment_report(**overrides: Any) -> dict[str, Any]:
    body = {
        "transactionId": "4200001234202611220000000001",
        "outTradeNo": "HH20261122abcdEFGH12345678",
        "amountFen": 1000,
        "paidAt": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channel": "wechatpay",
    }
    body.update(overrides)
    return body


def verify_signature(headers: dict[str, str], raw: bytes) -> None:
    timestamp = headers["X-Gov-Timestamp"]
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + raw, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, headers["X-Gov-Signature"])
    assert headers["X-Gov-Client"] == CLIENT_ID


async def wait_for(predicate: Callable[[], Awaitable[bool]], what: str) -> None:
    deadline = time.monotonic() + 10
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def parse(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


PlatformFactory = Callable[..., Awaitable[Platform]]


@pytest.fixture
async def make_platform() -> AsyncIterator[PlatformFactory]:
    started: list[Platform] = []
    http = aiohttp.ClientSession()

    async def make(**options: Any) -> Platform:
        receiver = Receiver()
        app = web.Application()
        app.router.add_post("/hook", receiver.handle)
        receiver.server = await start_app(app)
        server = await start_app(
            build_provincial_app(
                api_key=API_KEY, callback_secret=SECRET, callback_client_id=CLIENT_ID,
                callback_url=receiver.url, callback_retry_base=0.05, **options,
            )
        )  # fmt: skip
        platform = Platform(server, http, receiver)
        started.append(platform)
        return platform

    yield make
    for platform in started:
        await platform.server.close()
        assert platform.receiver.server is not None
        await platform.receiver.server.close()
    await http.close()


@pytest.fixture
async def platform(make_platform: PlatformFactory) -> Platform:
    return await make_platform()


async def delivered(platform: Platform, number: str, count: int) -> list[Any]:
    async def enough() -> bool:
        return len(platform.receiver.events(number)) >= count

    await wait_for(enough, f"{count} callbacks of {number}")
    return platform.receiver.events(number)


# -- notices -----------------------------------------------------------------------------------


async def test_notice_issued_on_acceptance_of_a_charged_item(platform: Platform) -> None:
    status, item = await platform.call("GET", f"/gov/catalog/v1/items/{TEMP_ID_CARD}")
    assert status == 200 and item["fee"]["charged"]
    assert [m["formats"] for m in item["materials"]] == [["pdf"]]
    number = await platform.submit()

    accepted = await platform.advance(number, "accepted")
    assert accepted["status"] == "accepted" and accepted["version"] == 3

    events = await delivered(platform, number, 3)
    assert [(e["sequence"], e["status"]) for e in events] == [
        (1, "pre_review"), (2, "accepted"), (3, "accepted"),
    ]  # fmt: skip
    assert "paymentNotice" not in events[0] and "paymentNotice" not in events[1]
    announced = events[2]
    assert announced["acceptance"] is None and announced["reason"] is None
    for headers, raw in platform.receiver.received:
        verify_signature(headers, raw)
    notice = announced["paymentNotice"]
    assert set(notice) == NOTICE_KEYS
    assert notice["amountFen"] == sum(f["amountFen"] for f in item["fee"]["items"]) == 1000
    assert notice["itemName"] == item["name"] == "临时居民身份证申领"
    assert (notice["payee"], notice["payeeCode"]) == (
        item["department"]["name"], item["department"]["code"],
    )  # fmt: skip
    assert notice["status"] == "unpaid"
    assert re.fullmatch(r"\d{20}", notice["noticeNumber"]) and luhn_valid(notice["noticeNumber"])
    assert notice["noticeNumber"].startswith(item["regionCode"])
    assert re.fullmatch(r"\d{16}", notice["paymentCode"]) and luhn_valid(notice["paymentCode"])
    assert parse(notice["expiresAt"]) - parse(notice["issuedAt"]) == dt.timedelta(days=7)
    assert (await platform.case(number))["events"][2] == announced

    view = await platform.notice(notice["noticeNumber"])
    assert view == {**notice, "caseNumber": number, "receipt": None}

    # A free item gets no notice.
    free = await platform.submit(MIGRATION)
    assert (await platform.advance(free, "accepted"))["version"] == 2
    await delivered(platform, free, 2)
    assert all("paymentNotice" not in e for e in platform.receiver.events(free))


async def test_processor_waits_on_accepted_until_the_notice_is_paid(
    make_platform: PlatformFactory,
) -> None:
    platform = await make_platform(auto_process_seconds=0.05)
    number = await platform.submit()
    [announced] = [e for e in await delivered(platform, number, 3) if "paymentNotice" in e]
    notice = announced["paymentNotice"]

    # Many processor rounds later the case still waits for the payment.
    await asyncio.sleep(0.5)
    case = await platform.case(number)
    assert case["status"] == "accepted" and case["version"] == 3

    status, receipt = await platform.pay(notice["noticeNumber"])
    assert status == 200, receipt

    async def completed() -> bool:
        return bool((await platform.case(number))["status"] == "completed")

    await wait_for(completed, "the paid case completed")
    events = await delivered(platform, number, 5)
    assert [(e["sequence"], e["status"]) for e in events] == [
        (1, "pre_review"), (2, "accepted"), (3, "accepted"), (4, "processing"), (5, "completed"),
    ]  # fmt: skip


async def test_notice_on_demand(platform: Platform) -> None:
    number = await platform.submit(MIGRATION)
    await platform.advance(number, "accepted")
    first = await platform.issue(number, {"amountFen": 2500})
    assert first["amountFen"] == 2500 and first["caseNumber"] == number
    assert first["itemName"] == "户口迁移（省内跨市迁入）" and first["status"] == "unpaid"
    # Without a body: the item's fee, or 100 fen for a free item.
    second = await platform.issue(number)
    assert second["amountFen"] == 100 and second["noticeNumber"] != first["noticeNumber"]
    events = await delivered(platform, number, 4)
    assert [(e["sequence"], e["status"]) for e in events] == [
        (1, "pre_review"), (2, "accepted"), (3, "accepted"), (4, "accepted"),
    ]  # fmt: skip
    assert [e["paymentNotice"]["noticeNumber"] for e in events[2:]] == [
        first["noticeNumber"], second["noticeNumber"],
    ]  # fmt: skip

    status, error = await platform.control("POST", "/cases/XL2000010199999/payment-notice")
    assert (status, error["code"]) == (404, "CASE_NOT_FOUND")
    status, error = await platform.control(
        "POST", f"/cases/{number}/payment-notice", {"amountFen": 0}
    )
    assert (status, error["code"]) == (400, "INVALID_PARAMETER")
    await platform.advance(number, "processing")
    await platform.advance(number, "completed")
    status, error = await platform.control("POST", f"/cases/{number}/payment-notice")
    assert (status, error["code"]) == (409, "INVALID_STATE")


# -- payment reports ---------------------------------------------------------------------------


async def test_report_is_idempotent_and_answers_the_receipt(platform: Platform) -> None:
    number = await platform.submit()
    await platform.advance(number, "accepted")
    notice = (await platform.case(number))["events"][2]["paymentNotice"]
    notice_number = notice["noticeNumber"]
    paid_at = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    status, receipt = await platform.pay(notice_number, paidAt=paid_at)
    assert status == 200, receipt
    assert set(receipt) == RECEIPT_KEYS
    assert receipt["noticeNumber"] == notice_number and receipt["amountFen"] == 1000
    assert receipt["payee"] == notice["payee"] and receipt["itemName"] == notice["itemName"]
    assert receipt["paidAt"] == paid_at
    assert re.fullmatch(r"\d{18}", receipt["receiptNumber"])
    assert re.fullmatch(r"\d{6}", receipt["checkCode"])
    assert parse(receipt["issuedAt"]) >= parse(paid_at)

    # WeChat sends its notification again: the same transaction, the same answer, no new payment.
    again_status, again = await platform.pay(notice_number, paidAt=paid_at)
    assert (again_status, again) == (200, receipt)
    view = await platform.notice(notice_number)
    assert view["status"] == "paid" and view["receipt"] == receipt

    # Another transaction for the paid notice: a duplicate payment, refused.
    status, error = await platform.pay(notice_number, transactionId="4200009999", paidAt=paid_at)
    assert (status, error["code"]) == (409, "NOTICE_ALREADY_PAID")

    reports = await platform.reports()
    assert [(r["transactionId"], r["repeat"]) for r in reports] == [
        ("4200001234202611220000000001", False), ("4200001234202611220000000001", True),
    ]  # fmt: skip
    assert {r["receiptNumber"] for r in reports} == {receipt["receiptNumber"]}
    assert reports[0]["noticeNumber"] == notice_number and reports[0]["amountFen"] == 1000
    status, body = await platform.control("GET", "/payment-reports?noticeNumber=nope")
    assert (status, body) == (200, {"reports": []})


async def test_report_refusals(platform: Platform) -> None:
    number = await platform.submit()
    await platform.advance(number, "accepted")
    notice_number = (await platform.case(number))["events"][2]["paymentNotice"]["noticeNumber"]

    status, error = await platform.pay(notice_number, amountFen=999)
    assert (status, error["code"]) == (400, "AMOUNT_MISMATCH")
    for bad in (
        {"outTradeNo": "short"}, {"outTradeNo": "HH-2026-1122-0001"}, {"channel": "alipay"},
        {"transactionId": ""}, {"amountFen": 0}, {"paidAt": "2026-11-22 10:00"},
        {"paidAt": "2026-11-22T10:00:00"}, {"extra": 1},
        {"paidAt": (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()},
    ):  # fmt: skip
        status, error = await platform.pay(notice_number, **bad)
        assert (status, error["code"]) == (400, "INVALID_PARAMETER"), bad
    status, error = await platform.pay("62010026000000000000")
    assert (status, error["code"]) == (404, "NOTICE_NOT_FOUND")
    status, error = await platform.call("GET", f"{NOTICES}/62010026000000000000")
    assert (status, error["code"]) == (404, "NOTICE_NOT_FOUND")
    async with platform.http.get(f"{platform.server.url}{NOTICES}/{notice_number}") as resp:
        assert resp.status == 401
    assert await platform.reports() == []
    assert (await platform.notice(notice_number))["status"] == "unpaid"

    # Eight days on the notice has expired: a payment made now is refused …
    status, _ = await platform.control("POST", "/clock", {"offsetSeconds": 8 * 86400})
    assert status == 200
    assert (await platform.notice(notice_number))["status"] == "expired"
    late = (dt.datetime.now(dt.UTC) + dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, error = await platform.pay(notice_number, paidAt=late)
    assert (status, error["code"]) == (410, "NOTICE_EXPIRED")
    # … while a payment made in time and reported late is taken.
    status, receipt = await platform.pay(notice_number)
    assert status == 200, receipt
    assert (await platform.notice(notice_number))["status"] == "paid"
    assert [r["repeat"] for r in await platform.reports()] == [False]


async def test_faults_and_reset_apply_to_payments(platform: Platform) -> None:
    number = await platform.submit()
    await platform.advance(number, "accepted")
    notice_number = (await platform.case(number))["events"][2]["paymentNotice"]["noticeNumber"]
    status, _ = await platform.control("POST", "/faults", {"mode": "error", "status": 503})
    assert status == 200
    status, error = await platform.pay(notice_number)
    assert (status, error["code"]) == (503, "INJECTED_FAULT")
    assert await platform.reports() == []
    await platform.control("DELETE", "/faults")
    assert (await platform.pay(notice_number))[0] == 200
    status, stats = await platform.control("GET", "/stats")
    assert stats["requests"]["/gov/payments/v1/notices/{noticeNumber}/payments"] == 2

    status, _ = await platform.control("POST", "/reset")
    assert status == 200
    assert await platform.reports() == []
    status, error = await platform.call("GET", f"{NOTICES}/{notice_number}")
    assert (status, error["code"]) == (404, "NOTICE_NOT_FOUND")


# -- the product's client ----------------------------------------------------------------------


async def test_client_reads_notices_and_reports_payments(platform: Platform) -> None:
    number = await platform.submit()
    await platform.advance(number, "accepted")
    [announced] = [e for e in await delivered(platform, number, 3) if "paymentNotice" in e]
    # What the product decodes from the callback.
    from_callback = msgspec.convert(announced["paymentNotice"], PaymentNotice)
    assert from_callback.amount_fen == 1000 and from_callback.case_number == ""

    settings = ProvincialSettings(base_url=platform.server.url, api_key=Secret(API_KEY))
    http_settings = HttpClientSettings(retries=3, backoff_base=0.01)
    async with aiohttp.ClientSession() as session:
        client = ProvincialCasesClient(session, settings, http_settings)
        notice = await client.get_payment_notice(from_callback.notice_number)
        assert isinstance(notice, PaymentNotice)
        assert notice.status == "unpaid" and notice.case_number == number
        assert notice.receipt is None
        assert msgspec.structs.replace(notice, case_number="") == from_callback
        assert notice.expires_at - notice.issued_at == dt.timedelta(days=7)

        # The platform fails twice; the report is retried and lands once.
        await platform.control("POST", "/faults", {"mode": "error", "status": 503, "times": 2})
        paid_at = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).replace(microsecond=0)
        kwargs: dict[str, Any] = {
            "transaction_id": "4200001234202611220000000777",
            "out_trade_no": "HH20261122ClientTest0001",
            "paid_at": paid_at,
        }
        receipt = await client.report_payment(notice.notice_number, amount_fen=1000, **kwargs)
        assert receipt.notice_number == notice.notice_number and receipt.amount_fen == 1000
        assert receipt.paid_at == paid_at and receipt.item_name == "临时居民身份证申领"
        status, faults = await platform.control("GET", "/faults")
        assert status == 200 and faults["faultedRequests"] == 2
        await platform.control("DELETE", "/faults")
        assert [r["repeat"] for r in await platform.reports()] == [False]

        again = await client.report_payment(notice.notice_number, amount_fen=1000, **kwargs)
        assert again == receipt
        paid = await client.get_payment_notice(notice.notice_number)
        assert paid.status == "paid" and paid.receipt == receipt

        kwargs["transaction_id"] = "4200001234202611220000000888"
        with pytest.raises(PaymentAlreadyReported) as conflict:
            await client.report_payment(notice.notice_number, amount_fen=1000, **kwargs)
        assert conflict.value.code == "NOTICE_ALREADY_PAID"
        assert [r["repeat"] for r in await platform.reports()] == [False, True]

        other = (await platform.issue(number, {"amountFen": 300}))["noticeNumber"]
        with pytest.raises(PlatformRefused) as refused:
            await client.report_payment(other, amount_fen=301, **kwargs)
        assert refused.value.code == "AMOUNT_MISMATCH"
        assert not isinstance(refused.value, PaymentAlreadyReported)
        with pytest.raises(PaymentNoticeNotFound):
            await client.get_payment_notice("62010026000000000000")
        with pytest.raises(PaymentNoticeNotFound):
            await client.report_payment("62010026000000000000", amount_fen=1000, **kwargs)
        with pytest.raises(ValueError, match="timezone-aware"):
            await client.report_payment(
                other, transaction_id="t", out_trade_no="HH000001", amount_fen=300,
                paid_at=dt.datetime(2026, 11, 22, 10, 0),
            )  # fmt: skip
