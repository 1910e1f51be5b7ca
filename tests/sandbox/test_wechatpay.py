"""The WeChat Pay stand-in, driven by the independent ``wechatpayv3`` package as the merchant.

``wechatpayv3`` is synchronous (requests), so every call goes through ``asyncio.to_thread``.
Notifications are received by a small aiohttp server and checked with ``wechatpayv3``'s own
callback handling (signature verification + AES-GCM decryption).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import hashlib
import itertools
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from multidict import CIMultiDict, CIMultiDictProxy
from wechatpayv3 import WeChatPay, WeChatPayType
from wechatpayv3.type import RequestType
from wechatpayv3.utils import load_private_key, rsa_sign

from sandbox.runner import RunningApp, start_app
from sandbox.wechatpay.handle import WeChatPayStandIn
from sandbox.wechatpay.keys import MerchantKey

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BEIJING = dt.timezone(dt.timedelta(hours=8))
SCALE = 0.001  # the fixture's notify_time_scale
SCHEDULE = (15, 15, 30, 180, 600)


@dataclass
class Received:
    headers: CIMultiDictProxy[str]
    body: str
    at: float


@dataclass
class Receiver:
    """The merchant's notify_url: records every POST, answers the queued statuses, then 200."""

    statuses: list[int] = field(default_factory=list)
    queue: asyncio.Queue[Received] = field(default_factory=asyncio.Queue)
    server: RunningApp | None = None

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.text()
        self.queue.put_nowait(
            Received(CIMultiDictProxy(CIMultiDict(request.headers)), body, time.monotonic())
        )
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            return web.Response(status=200)
        return web.json_response({"code": "FAIL", "message": "失败"}, status=status)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/pay/notify"

    async def next(self) -> Received:
        return await self.queue.get()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    receiver = Receiver()
    app = web.Application()
    app.router.add_post("/pay/notify", receiver.handle)
    receiver.server = await start_app(app)
    try:
        yield receiver
    finally:
        await receiver.server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def merchant_client(
    wechatpay: WeChatPayStandIn,
    *,
    notify_url: str | None = None,
    pay_type: WeChatPayType = WeChatPayType.MINIPROG,
    mode: str = "public_key",
    private_key_pem: str | None = None,
    serial_no: str | None = None,
) -> WeChatPay:
    merchant = wechatpay.merchant
    client = WeChatPay(
        wechatpay_type=pay_type,
        mchid=merchant.mchid,
        private_key=private_key_pem or merchant.private_key_path.read_text(),
        cert_serial_no=serial_no or merchant.serial_no,
        appid=merchant.app_appid if pay_type == WeChatPayType.APP else merchant.appid,
        apiv3_key=merchant.apiv3_key,
        notify_url=notify_url,
        public_key=wechatpay.public_key_pem,
        public_key_id=wechatpay.public_key_id,
    )
    core = client._core
    core._gate_way = wechatpay.url  # the package hard-codes api.mch.weixin.qq.com
    if mode == "platform_certificate":
        # Built in public-key mode (platform-certificate mode would download the certificates
        # from the hard-coded gateway in the constructor), then switched: with no public key
        # the package downloads /v3/certificates from the stand-in itself on first use and
        # decrypts them with the APIv3 key.
        core._public_key = None
        core._public_key_id = None
    return client


async def call(fn: Any, *args: Any, **kwargs: Any) -> tuple[int, Any]:
    code, message = await asyncio.to_thread(fn, *args, **kwargs)
    if isinstance(message, str) and message:
        return code, json.loads(message)
    return code, message


async def control(
    http: aiohttp.ClientSession,
    wechatpay: WeChatPayStandIn,
    method: str,
    path: str,
    body: Any = None,
    expect: int = 200,
) -> Any:
    async with http.request(method, wechatpay.url + path, json=body) as resp:
        payload = await resp.json()
        assert resp.status == expect, payload
        return payload


async def prepay(client: WeChatPay, out_trade_no: str, total: int = 4000, **extra: Any) -> str:
    code, body = await call(
        client.pay,
        description="居民身份证补领工本费",
        out_trade_no=out_trade_no,
        amount={"total": total, "currency": "CNY"},
        payer={"openid": OPENID},
        **extra,
    )
    assert code == 200, body
    prepay_id: str = body["prepay_id"]
    return prepay_id


async def test_jsapi_prepay_is_idempotent_and_payment_is_notified(
    wechatpay: WeChatPayStandIn, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    client = merchant_client(wechatpay, notify_url=receiver.url)
    prepay_id = await prepay(client, "HH20260105000001", attach="case-1")
    assert prepay_id.startswith("wx") and len(prepay_id) == 36
    assert await prepay(client, "HH20260105000001", attach="case-1") == prepay_id

    code, body = await call(
        client.pay,
        description="居民身份证补领工本费",
        out_trade_no="HH20260105000001",
        amount={"total": 4001, "currency": "CNY"},
        payer={"openid": OPENID},
        attach="case-1",
    )
    assert (code, body["code"]) == (403, "OUT_TRADE_NO_USED")

    code, unpaid = await call(client.query, out_trade_no="HH20260105000001")
    assert code == 200
    assert unpaid["trade_state"] == "NOTPAY" and "transaction_id" not in unpaid
    assert unpaid["amount"]["total"] == 4000 and unpaid["attach"] == "case-1"

    paid = await control(http, wechatpay, "POST", "/_control/transactions/HH20260105000001/pay", {})
    received = await receiver.next()
    assert received.headers["Wechatpay-Serial"] == wechatpay.public_key_id
    notification = client.callback(received.headers, received.body)
    assert notification is not None, "wechatpayv3 rejected the notification"
    assert notification["id"] == paid["notificationId"]
    assert notification["event_type"] == "TRANSACTION.SUCCESS"
    assert notification["resource_type"] == "encrypt-resource"
    resource = notification["resource"]
    assert resource["trade_state"] == "SUCCESS" and resource["trade_type"] == "JSAPI"
    assert resource["payer"] == {"openid": OPENID}
    assert resource["amount"] == {
        "total": 4000,
        "payer_total": 4000,
        "currency": "CNY",
        "payer_currency": "CNY",
    }
    assert resource["mchid"] == wechatpay.merchant.mchid
    assert resource["appid"] == wechatpay.merchant.appid
    assert len(resource["transaction_id"]) == 28
    assert dt.datetime.fromisoformat(resource["success_time"]).utcoffset() == dt.timedelta(hours=8)

    code, by_out = await call(client.query, out_trade_no="HH20260105000001")
    code2, by_id = await call(client.query, transaction_id=resource["transaction_id"])
    assert code == code2 == 200
    assert by_out == by_id == resource

    code, body = await call(client.close, "HH20260105000001")
    assert (code, body["code"]) == (400, "ORDERPAID")
    attempts = (await control(http, wechatpay, "GET", "/_control/notifications"))["attempts"]
    assert [(a["id"], a["status"]) for a in attempts] == [(notification["id"], 200)]


async def test_app_prepay_close_and_unknown_orders(
    wechatpay: WeChatPayStandIn, http: aiohttp.ClientSession
) -> None:
    client = merchant_client(
        wechatpay, notify_url="https://handheld.example/pay/notify", pay_type=WeChatPayType.APP
    )
    code, body = await call(
        client.pay,
        description="不动产登记费",
        out_trade_no="APP-0000001",
        amount={"total": 8000},
        time_expire=(dt.datetime.now(BEIJING) + dt.timedelta(minutes=30)).isoformat("T", "seconds"),
    )
    assert code == 200 and body["prepay_id"].startswith("wx")
    code, message = await asyncio.to_thread(client.close, "APP-0000001")
    assert (code, message) == (204, b"")
    code, closed = await call(client.query, out_trade_no="APP-0000001")
    assert closed["trade_state"] == "CLOSED" and closed["appid"] == wechatpay.merchant.app_appid
    code, body = await call(
        client.pay, description="不动产登记费", out_trade_no="APP-0000001", amount={"total": 8000}
    )
    assert (code, body["code"]) == (400, "ORDER_CLOSED")
    await control(http, wechatpay, "POST", "/_control/transactions/APP-0000001/pay", {}, expect=409)

    code, body = await call(client.query, out_trade_no="NO-SUCH-ORDER")
    assert (code, body["code"]) == (404, "ORDER_NOT_EXIST")
    code, body = await call(client.query, transaction_id="4200000000202601050000000000")
    assert (code, body["code"]) == (404, "ORDER_NOT_EXIST")
    code, body = await call(client.close, "NO-SUCH-ORDER")
    assert (code, body["code"]) == (404, "ORDER_NOT_EXIST")


async def test_prepay_validation(wechatpay: WeChatPayStandIn) -> None:
    client = merchant_client(wechatpay)
    merchant = wechatpay.merchant
    good = {
        "appid": merchant.appid,
        "mchid": merchant.mchid,
        "description": "工本费",
        "out_trade_no": "VALID-000001",
        "notify_url": "https://handheld.example/pay/notify",
        "amount": {"total": 100, "currency": "CNY"},
        "payer": {"openid": OPENID},
    }

    async def post(body: dict[str, Any], path: str = "/v3/pay/transactions/jsapi") -> Any:
        return await call(client._core.request, path, method=RequestType.POST, data=body)

    code, body = await post(good)
    assert code == 200 and "prepay_id" in body
    cases: list[tuple[dict[str, Any], str]] = [
        (good | {"out_trade_no": "abc"}, "PARAM_ERROR"),
        (good | {"out_trade_no": "has space 01"}, "PARAM_ERROR"),
        (good | {"out_trade_no": "x" * 33}, "PARAM_ERROR"),
        (good | {"amount": {"total": 0}}, "PARAM_ERROR"),
        (good | {"amount": {"total": 1.5}}, "PARAM_ERROR"),
        (good | {"amount": {"total": "100"}}, "PARAM_ERROR"),
        (good | {"amount": {"total": 100, "currency": "USD"}}, "PARAM_ERROR"),
        (good | {"time_expire": "2030-01-05 10:00:00"}, "PARAM_ERROR"),
        (good | {"time_expire": "2020-01-05T10:00:00+08:00"}, "PARAM_ERROR"),
        ({k: v for k, v in good.items() if k != "payer"}, "PARAM_ERROR"),
        ({k: v for k, v in good.items() if k != "notify_url"}, "PARAM_ERROR"),
        (good | {"notify_url": "https://handheld.example/pay/notify?x=1"}, "PARAM_ERROR"),
        (good | {"mchid": "1900000999"}, "PARAM_ERROR"),
        (good | {"appid": "wx0000000000000000"}, "APPID_MCHID_NOT_MATCH"),
    ]
    for index, (body_in, expected) in enumerate(cases):
        if body_in["out_trade_no"] == "VALID-000001":
            body_in = body_in | {"out_trade_no": f"CASE-{index:06d}"}
        code, body = await post(body_in)
        assert (code, body["code"]) == (400, expected), body_in
        assert body["message"]
    # APP orders have no payer; the app appid belongs to the merchant too.
    app_order = {k: v for k, v in good.items() if k != "payer"} | {
        "appid": merchant.app_appid,
        "out_trade_no": "APP-VALID-01",
    }
    code, body = await post(app_order, "/v3/pay/transactions/app")
    assert code == 200 and "prepay_id" in body


async def test_platform_certificate_mode(
    wechatpay: WeChatPayStandIn, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    signing = await control(
        http, wechatpay, "POST", "/_control/signing", {"mode": "platform_certificate"}
    )
    assert signing == {"mode": "platform_certificate", "serial": wechatpay.platform_serial}
    keys = await control(http, wechatpay, "GET", "/_control/keys")
    assert keys["platformCertificate"]["serialNo"] == wechatpay.platform_serial
    assert keys["publicKey"]["id"].startswith("PUB_KEY_ID_01")

    client = merchant_client(wechatpay, notify_url=receiver.url, mode="platform_certificate")
    await prepay(client, "CERT-MODE-0001", total=2000)  # verified with the downloaded cert
    certificates = client._core._certificates
    assert [format(c.serial_number, "X") for c in certificates] == [wechatpay.platform_serial]
    pem = certificates[0].public_bytes(serialization.Encoding.PEM).decode()
    assert pem == wechatpay.platform_certificate_pem

    await control(http, wechatpay, "POST", "/_control/transactions/CERT-MODE-0001/pay", {})
    received = await receiver.next()
    assert received.headers["Wechatpay-Serial"] == wechatpay.platform_serial
    notification = client.callback(received.headers, received.body)
    assert notification is not None
    assert notification["resource"]["out_trade_no"] == "CERT-MODE-0001"
    assert notification["resource"]["trade_state"] == "SUCCESS"
    code, body = await call(client.query, out_trade_no="CERT-MODE-0001")
    assert code == 200 and body == notification["resource"]


async def test_one_out_refund_no_makes_one_refund(
    wechatpay: WeChatPayStandIn, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    client = merchant_client(wechatpay, notify_url=receiver.url)
    await prepay(client, "REFUND-000001", total=4000)
    await control(http, wechatpay, "POST", "/_control/transactions/REFUND-000001/pay", {})
    assert client.callback(*_parts(await receiver.next()))["event_type"] == "TRANSACTION.SUCCESS"

    refund_args = {
        "out_refund_no": "R-000001",
        "amount": {"refund": 1500, "total": 4000, "currency": "CNY"},
        "out_trade_no": "REFUND-000001",
        "reason": "申请人撤回",
        "notify_url": receiver.url,
    }
    (code1, first), (code2, second) = await asyncio.gather(
        call(client.refund, **refund_args), call(client.refund, **refund_args)
    )
    assert code1 == code2 == 200
    assert first["refund_id"] == second["refund_id"]
    assert first["status"] in ("PROCESSING", "SUCCESS")
    assert first["amount"]["refund"] == 1500 and first["amount"]["total"] == 4000
    refunds = (await control(http, wechatpay, "GET", "/_control/refunds"))["refunds"]
    assert len(refunds) == 1

    notification = client.callback(*_parts(await receiver.next()))
    assert notification["event_type"] == "REFUND.SUCCESS"
    resource = notification["resource"]
    assert resource["out_refund_no"] == "R-000001"
    assert resource["refund_status"] == "SUCCESS"
    assert resource["amount"] == {
        "total": 4000,
        "refund": 1500,
        "payer_total": 4000,
        "payer_refund": 1500,
    }
    code, queried = await call(client.query_refund, "R-000001")
    assert code == 200 and queried["status"] == "SUCCESS"
    assert queried["refund_id"] == first["refund_id"] and "success_time" in queried
    code, again = await call(client.refund, **refund_args)
    assert code == 200 and again["refund_id"] == first["refund_id"]

    code, body = await call(
        client.refund,
        **(refund_args | {"amount": {"refund": 1600, "total": 4000, "currency": "CNY"}}),
    )
    assert (code, body["code"]) == (400, "INVALID_REQUEST")
    code, body = await call(
        client.refund,
        **(
            refund_args
            | {
                "out_refund_no": "R-000002",
                "amount": {"refund": 2501, "total": 4000, "currency": "CNY"},
            }
        ),
    )
    assert (code, body["code"]) == (400, "INVALID_REQUEST")
    code, body = await call(
        client.refund,
        **(
            refund_args
            | {
                "out_refund_no": "R-000002",
                "amount": {"refund": 2500, "total": 4000, "currency": "CNY"},
            }
        ),
    )
    assert code == 200
    code, trade = await call(client.query, out_trade_no="REFUND-000001")
    assert trade["trade_state"] == "REFUND"
    code, body = await call(client.query_refund, "R-NOPE")
    assert (code, body["code"]) == (404, "RESOURCE_NOT_EXISTS")
    code, body = await call(client.refund, **(refund_args | {"out_trade_no": "NO-SUCH-ORDER"}))
    assert (code, body["code"]) == (404, "RESOURCE_NOT_EXISTS")


def _parts(received: Received) -> tuple[CIMultiDictProxy[str], str]:
    return received.headers, received.body


def _bill_rows(text: str) -> tuple[list[str], list[dict[str, str]], dict[str, str]]:
    lines = text.split("\r\n")
    assert lines[-1] == ""
    lines = lines[:-1]
    header = lines[0].split(",")
    summary_at = next(i for i, line in enumerate(lines) if line.startswith("总交易单数,"))
    rows = []
    for line in lines[1:summary_at]:
        cells = line.split(",")
        assert all(cell.startswith("`") for cell in cells), line
        rows.append(dict(zip(header, (cell[1:] for cell in cells), strict=True)))
    summary_cells = lines[summary_at + 1].split(",")
    assert all(cell.startswith("`") for cell in summary_cells)
    summary = dict(zip(lines[summary_at].split(","), (c[1:] for c in summary_cells), strict=True))
    assert summary_at + 2 == len(lines)
    return header, rows, summary


async def test_trade_bill_download_hash_and_faults(
    wechatpay: WeChatPayStandIn, http: aiohttp.ClientSession
) -> None:
    client = merchant_client(wechatpay, notify_url="https://handheld.example/pay/notify")
    today = dt.datetime.now(BEIJING).date()
    yesterday = today - dt.timedelta(days=1)
    at = f"{yesterday.isoformat()}T%s+08:00"
    await prepay(client, "BILL-0000001", total=4000, attach="case-1")
    await prepay(client, "BILL-0000002", total=12000)
    await control(
        http,
        wechatpay,
        "POST",
        "/_control/transactions/BILL-0000001/pay",
        {"successTime": at % "09:30:00"},
    )
    await control(
        http,
        wechatpay,
        "POST",
        "/_control/transactions/BILL-0000002/pay",
        {"successTime": at % "11:00:00"},
    )
    planted = await control(
        http,
        wechatpay,
        "POST",
        "/_control/transactions",
        {"total": 777, "outTradeNo": "STRAY-000001", "successTime": at % "12:00:00"},
    )
    await control(
        http,
        wechatpay,
        "POST",
        "/_control/bill-faults",
        {
            "billDate": yesterday.isoformat(),
            "outTradeNo": "BILL-0000002",
            "set": {"应结订单金额": "0.01", "订单金额": "0.01"},
        },
    )

    code, applied = await call(client.trade_bill, yesterday.isoformat())
    assert code == 200 and applied["hash_type"] == "SHA1"
    code, payload = await asyncio.to_thread(client.download_bill, applied["download_url"])
    assert code == 200 and isinstance(payload, bytes)
    content = gzip.decompress(payload)
    assert hashlib.sha1(content).hexdigest() == applied["hash_value"]
    header, rows, summary = _bill_rows(content.decode())
    assert header[:7] == [
        "交易时间",
        "公众账号ID",
        "商户号",
        "特约商户号",
        "设备号",
        "微信订单号",
        "商户订单号",
    ]
    assert [r["商户订单号"] for r in rows] == ["BILL-0000001", "BILL-0000002", "STRAY-000001"]
    first = rows[0]
    assert first["交易时间"] == f"{yesterday.isoformat()} 09:30:00"
    assert first["交易状态"] == "SUCCESS" and first["用户标识"] == OPENID
    assert first["应结订单金额"] == first["订单金额"] == "40.00"
    assert first["手续费"] == "0.24000" and first["费率"] == "0.60%"
    assert first["商户数据包"] == "case-1" and first["交易类型"] == "JSAPI"
    assert rows[1]["应结订单金额"] == "0.01"  # the fault
    assert rows[2]["微信订单号"] == planted["transaction"]["transaction_id"]
    assert rows[2]["应结订单金额"] == "7.77"
    assert summary["总交易单数"] == "3"
    assert summary["应结订单总金额"] == summary["订单总金额"] == "47.78"
    assert summary["退款总金额"] == "0.00"
    await control(
        http,
        wechatpay,
        "POST",
        "/_control/bill-faults",
        {"billDate": yesterday.isoformat(), "outTradeNo": "STRAY-000001", "drop": True},
    )
    code, applied = await call(client.trade_bill, yesterday.isoformat(), bill_type="SUCCESS")
    code, payload = await asyncio.to_thread(client.download_bill, applied["download_url"])
    header, rows, summary = _bill_rows(gzip.decompress(payload).decode())
    assert "微信退款单号" not in header
    assert [r["商户订单号"] for r in rows] == ["BILL-0000001", "BILL-0000002"]
    assert summary["总交易单数"] == "2" and summary["订单总金额"] == "40.01"

    # A refund belongs to the day it was accepted: today, which has no bill yet.
    code, _ = await call(
        client.refund,
        out_refund_no="BILL-R-01",
        amount={"refund": 1000, "total": 4000, "currency": "CNY"},
        out_trade_no="BILL-0000001",
    )
    assert code == 200
    code, body = await call(client.trade_bill, today.isoformat())
    assert (code, body["code"]) == (400, "STATEMENT_CREATING")
    await control(http, wechatpay, "POST", "/_control/clock", {"offsetSeconds": 86400})
    # Without tar_type the file comes uncompressed (wechatpayv3 always sends one: ask directly).
    code, applied = await call(
        client._core.request, f"/v3/bill/tradebill?bill_date={today.isoformat()}&bill_type=REFUND"
    )
    assert code == 200
    code, content = await asyncio.to_thread(client.download_bill, applied["download_url"])
    assert hashlib.sha1(content).hexdigest() == applied["hash_value"]
    header, rows, summary = _bill_rows(content.decode())
    assert "退款申请时间" in header
    assert len(rows) == 1 and rows[0]["交易状态"] == "REFUND"
    assert rows[0]["商户退款单号"] == "BILL-R-01" and rows[0]["退款金额"] == "10.00"
    assert rows[0]["应结订单金额"] == "0.00" and rows[0]["手续费"] == "-0.06000"
    assert summary["退款总金额"] == summary["申请退款总金额"] == "10.00"

    code, body = await call(client.trade_bill, (today - dt.timedelta(days=5)).isoformat())
    assert (code, body["code"]) == (400, "NO_STATEMENT_EXIST")
    code, body = await call(client.trade_bill, "2026-13-01")
    assert (code, body["code"]) == (400, "PARAM_ERROR")


async def test_requests_must_be_signed_by_the_merchant(wechatpay: WeChatPayStandIn) -> None:
    other = MerchantKey.generate("1900000109", ("wx0",))
    forged = merchant_client(wechatpay, private_key_pem=other.private_key_pem)
    code, body = await call(forged.query, out_trade_no="ANY-000001")
    assert (code, body["code"]) == (401, "SIGN_ERROR")
    wrong_serial = merchant_client(wechatpay, serial_no="0123456789ABCDEF")
    code, body = await call(wrong_serial.query, out_trade_no="ANY-000001")
    assert (code, body["code"]) == (401, "SIGN_ERROR")

    merchant = wechatpay.merchant
    key = load_private_key(merchant.private_key_path.read_text())
    path = f"/v3/pay/transactions/out-trade-no/ANY-000001?mchid={merchant.mchid}"

    def authorization(timestamp: int, signed_path: str = path) -> str:
        signature = rsa_sign(key, f"GET\n{signed_path}\n{timestamp}\nNONCE123\n\n")
        return (
            f'WECHATPAY2-SHA256-RSA2048 mchid="{merchant.mchid}",nonce_str="NONCE123",'
            f'signature="{signature}",timestamp="{timestamp}",serial_no="{merchant.serial_no}"'
        )

    async with aiohttp.ClientSession() as session:
        for headers in (
            {},
            {"Authorization": "Bearer x"},
            {"Authorization": authorization(int(time.time()) - 600)},
            {"Authorization": authorization(int(time.time()), path.replace("ANY", "OTHER"))},
        ):
            async with session.get(wechatpay.url + path, headers=headers) as resp:
                body = await resp.json()
                assert (resp.status, body["code"]) == (401, "SIGN_ERROR"), headers
                assert "Wechatpay-Signature" not in resp.headers
                assert resp.headers["Request-ID"]
        async with session.get(
            wechatpay.url + path, headers={"Authorization": authorization(int(time.time()))}
        ) as resp:
            assert resp.status == 404 and (await resp.json())["code"] == "ORDER_NOT_EXIST"
            assert resp.headers["Wechatpay-Serial"] == wechatpay.public_key_id


async def test_notification_retries_follow_wechat_schedule(
    wechatpay: WeChatPayStandIn, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    receiver.statuses = [500, 500, 503, 500, 404]
    client = merchant_client(wechatpay, notify_url=receiver.url)
    await prepay(client, "RETRY-000001")
    await control(http, wechatpay, "POST", "/_control/transactions/RETRY-000001/pay", {})
    received = [await receiver.next() for _ in range(6)]
    ids = {client.callback(r.headers, r.body)["id"] for r in received}
    assert len(ids) == 1, "every retry carries the same notification id"
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(received)]
    for gap, delay in zip(gaps, SCHEDULE, strict=True):
        assert gap >= delay * SCALE * 0.9
    attempts = (await control(http, wechatpay, "GET", "/_control/notifications"))["attempts"]
    assert [(a["attempt"], a["status"]) for a in attempts] == [
        (1, 500),
        (2, 500),
        (3, 503),
        (4, 500),
        (5, 404),
        (6, 200),
    ]


async def test_duplicate_and_forged_notification_faults(
    wechatpay: WeChatPayStandIn, receiver: Receiver, http: aiohttp.ClientSession
) -> None:
    client = merchant_client(wechatpay, notify_url=receiver.url)
    await control(http, wechatpay, "POST", "/_control/notify-faults", {"duplicates": 3, "times": 1})
    for no in ("DUP-0000001", "DUP-0000002"):
        await prepay(client, no)
    await control(http, wechatpay, "POST", "/_control/transactions/DUP-0000001/pay", {})
    copies = [await receiver.next() for _ in range(3)]
    assert len({c.body for c in copies}) == 1
    assert len({c.headers["Wechatpay-Signature"] for c in copies}) == 1
    assert all(client.callback(c.headers, c.body) is not None for c in copies)
    attempts = (await control(http, wechatpay, "GET", "/_control/notifications"))["attempts"]
    assert sorted(a["copy"] for a in attempts) == [1, 2, 3]

    await control(http, wechatpay, "POST", "/_control/transactions/DUP-0000002/pay", {})
    single = await receiver.next()
    assert client.callback(single.headers, single.body)["resource"]["out_trade_no"] == "DUP-0000002"
    assert receiver.queue.empty()

    await control(http, wechatpay, "POST", "/_control/notify-faults", {"badSignature": True})
    await prepay(client, "FORGED-00001")
    await control(http, wechatpay, "POST", "/_control/transactions/FORGED-00001/pay", {})
    forged = await receiver.next()
    assert client.callback(forged.headers, forged.body) is None
    faults = await control(http, wechatpay, "DELETE", "/_control/notify-faults")
    assert faults == {"fault": None}


async def test_control_merchants_and_reset(
    wechatpay: WeChatPayStandIn, http: aiohttp.ClientSession
) -> None:
    other = MerchantKey.generate("1900000200", ("wx1111111111111111",))
    added = await control(
        http,
        wechatpay,
        "POST",
        "/_control/merchants",
        {
            "mchid": other.mchid,
            "appids": list(other.appids),
            "serialNo": other.serial_no,
            "publicKeyPem": other.public_key_pem,
            "apiv3Key": other.apiv3_key,
        },
    )
    assert added["mchid"] == "1900000200"
    await control(
        http,
        wechatpay,
        "POST",
        "/_control/merchants",
        {"mchid": "1", "appids": ["wx"], "serialNo": "AB", "publicKeyPem": "x", "apiv3Key": "k"},
        expect=400,
    )
    client = merchant_client(wechatpay)
    client._core._mchid = other.mchid
    client._core._cert_serial_no = other.serial_no
    client._core._private_key = load_private_key(other.private_key_pem)
    client._core._apiv3_key = other.apiv3_key
    code, body = await call(client.query, out_trade_no="NOPE-000001", mchid=other.mchid)
    assert (code, body["code"]) == (404, "ORDER_NOT_EXIST")

    await control(http, wechatpay, "POST", "/_control/reset")
    merchants = (await control(http, wechatpay, "GET", "/_control/merchants"))["merchants"]
    assert [m["mchid"] for m in merchants] == [wechatpay.merchant.mchid]
    code, body = await call(client.query, out_trade_no="NOPE-000001", mchid=other.mchid)
    assert (code, body["code"]) == (401, "SIGN_ERROR")
