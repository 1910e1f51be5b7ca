"""The WeChat Pay client against the WeChat Pay stand-in, over real HTTP, in both of WeChat Pay's
verification modes: public key (``PUB_KEY_ID_…``) and platform certificates (fetched from
``/v3/certificates``). Notifications go to a small notify_url server that verifies and decrypts
them with the client, as the product's hook does."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from wechatpayv3 import utils as peer  # type: ignore[import-untyped]

from core.clients.wechatpay import (
    PayNotification,
    Refund,
    Transaction,
    WechatPayClient,
    WechatPayError,
    WechatPayNotFound,
    WechatPaySignatureInvalid,
)
from core.settings import HttpClientSettings, Secret, WechatPaySettings
from payments.bills import parse_trade_bill, parse_trade_bill_summary
from sandbox.runner import RunningApp, start_app
from sandbox.wechatpay.handle import WeChatPayStandIn

OPENID = "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"
BEIJING = dt.timezone(dt.timedelta(hours=8))
MODES = ["public_key", "platform_certificate"]


@dataclass
class NotifyEndpoint:
    """Our notify_url: every POST is verified and decrypted by the client; a notification that
    fails is answered 401 (WeChat Pay sends it again), a good one 204."""

    client: WechatPayClient | None = None
    accepted: asyncio.Queue[PayNotification] = field(default_factory=asyncio.Queue)
    rejected: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    server: RunningApp | None = None

    async def handle(self, request: web.Request) -> web.Response:
        assert self.client is not None
        body = await request.read()
        try:
            notification = await self.client.parse_notification(request.headers, body)
        except WechatPaySignatureInvalid as exc:
            self.rejected.put_nowait(exc.message)
            return web.json_response({"code": "FAIL", "message": "验签失败"}, status=401)
        self.accepted.put_nowait(notification)
        return web.Response(status=204)

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/api/v1/hooks/wechatpay"

    async def next(self) -> PayNotification:
        return await asyncio.wait_for(self.accepted.get(), 30)


@pytest.fixture
async def endpoint() -> AsyncIterator[NotifyEndpoint]:
    endpoint = NotifyEndpoint()
    app = web.Application()
    app.router.add_post("/api/v1/hooks/wechatpay", endpoint.handle)
    endpoint.server = await start_app(app)
    try:
        yield endpoint
    finally:
        await endpoint.server.close()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def pay_settings(
    wechatpay: WeChatPayStandIn, tmp_path: Path, mode: str, notify_url: str
) -> WechatPaySettings:
    """The merchant's settings as a deployment has them: in platform-certificate mode without
    any WeChat Pay key (the client fetches the certificates)."""
    merchant = wechatpay.merchant
    public_key_path = tmp_path / "wechatpay_public_key.pem"
    public_key_path.write_text(wechatpay.public_key_pem)
    public = mode == "public_key"
    return WechatPaySettings(
        base_url=wechatpay.url,
        mchid=merchant.mchid,
        appid=merchant.appid,
        app_appid=merchant.app_appid,
        merchant_serial_no=merchant.serial_no,
        merchant_private_key_path=merchant.private_key_path,
        apiv3_key=Secret(merchant.apiv3_key),
        public_key_id=wechatpay.public_key_id if public else "",
        public_key_path=public_key_path if public else None,
        notify_url=notify_url,
        refund_notify_url=notify_url,
    )


MakeClient = Callable[..., Awaitable[WechatPayClient]]


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_client(
    wechatpay: WeChatPayStandIn,
    tmp_path: Path,
    endpoint: NotifyEndpoint,
    http: aiohttp.ClientSession,
    mode: str,
) -> MakeClient:
    """Switches the stand-in to ``mode`` and builds clients configured for it; the first one
    also serves the notify endpoint."""
    await control(http, wechatpay, "POST", "/_control/signing", {"mode": mode})

    async def make(**http_settings: Any) -> WechatPayClient:
        settings = pay_settings(wechatpay, tmp_path, mode, endpoint.url)
        client = WechatPayClient(http, settings, HttpClientSettings(**http_settings))
        if endpoint.client is None:
            endpoint.client = client
        return client

    return make


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


def calls(caplog: pytest.LogCaptureFixture, operation: str) -> int:
    """Requests the client made for ``operation`` (``JsonApiClient`` logs every call once)."""
    return sum(
        1
        for record in caplog.records
        if record.name == "core.http"
        and record.getMessage() == "outside call"
        and getattr(record, "system", "") == "wechatpay"
        and getattr(record, "operation", "") == operation
    )


@pytest.fixture(autouse=True)
def _log_calls(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="core.http")


# ---------------------------------------------------------------------------------------------


async def test_jsapi_payment_notification_query_and_idempotent_refund(
    wechatpay: WeChatPayStandIn,
    make_client: MakeClient,
    endpoint: NotifyEndpoint,
    http: aiohttp.ClientSession,
    mode: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await make_client()
    expires = dt.datetime.now(BEIJING) + dt.timedelta(minutes=30)
    order: dict[str, Any] = {
        "out_trade_no": "HH2026010500001",
        "description": "居民身份证补领工本费",
        "total": 2000,
        "openid": OPENID,
        "time_expire": expires,
        "attach": "notice-1",
    }
    prepay_id = await client.jsapi_prepay(**order)
    assert prepay_id.startswith("wx")
    # The same order again is the same prepay (why the client may retry it).
    assert await client.jsapi_prepay(**order) == prepay_id
    params = client.jsapi_pay_params(prepay_id)
    assert params["package"] == f"prepay_id={prepay_id}"
    assert params["appId"] == wechatpay.merchant.appid

    unpaid = await client.query_by_out_trade_no("HH2026010500001")
    assert unpaid.trade_state == "NOTPAY" and unpaid.transaction_id is None

    paid = await control(http, wechatpay, "POST", "/_control/transactions/HH2026010500001/pay", {})
    notification = await endpoint.next()
    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.original_type == "transaction"
    transaction = notification.resource
    assert isinstance(transaction, Transaction)
    assert transaction.out_trade_no == "HH2026010500001"
    assert transaction.trade_state == "SUCCESS"
    assert transaction.transaction_id == paid["transaction"]["transaction_id"]
    assert transaction.amount is not None and transaction.amount.total == 2000
    assert transaction.payer is not None and transaction.payer.openid == OPENID
    assert transaction.attach == "notice-1"
    assert endpoint.rejected.empty()

    queried = await client.query_by_out_trade_no("HH2026010500001")
    assert queried.trade_state == "SUCCESS"
    assert queried.transaction_id == transaction.transaction_id
    assert queried.success_time == transaction.success_time
    assert await client.query_by_transaction_id(transaction.transaction_id or "") == queried

    # The refund, asked three times with one out_refund_no (concurrently, like retries racing
    # each other), is one refund.
    refunds = await asyncio.gather(
        *(
            client.refund(
                out_refund_no="HH2026010500001R1",
                refund=500,
                total=2000,
                out_trade_no="HH2026010500001",
                reason="多缴退费",
            )
            for _ in range(3)
        )
    )
    assert len({r.refund_id for r in refunds}) == 1
    assert refunds[0].amount is not None and refunds[0].amount.refund == 500
    book = await control(http, wechatpay, "GET", "/_control/refunds")
    assert [r["out_refund_no"] for r in book["refunds"]] == ["HH2026010500001R1"]

    refunded = await endpoint.next()
    assert refunded.event_type == "REFUND.SUCCESS"
    refund = refunded.resource
    assert isinstance(refund, Refund)
    assert refund.out_refund_no == "HH2026010500001R1"
    assert refund.status == "SUCCESS"
    assert refund.refund_id == refunds[0].refund_id
    queried_refund = await client.query_refund("HH2026010500001R1")
    assert queried_refund.status == "SUCCESS"
    assert queried_refund.amount is not None and queried_refund.amount.refund == 500

    # Platform certificates were fetched once, and only in that mode.
    assert calls(caplog, "certificates") == (1 if mode == "platform_certificate" else 0)


async def test_app_prepay_close_and_unknown_orders(
    wechatpay: WeChatPayStandIn,
    make_client: MakeClient,
    http: aiohttp.ClientSession,
    merchant_key: rsa.RSAPrivateKey,
) -> None:
    client = await make_client()
    prepay_id = await client.app_prepay(
        out_trade_no="APP2026010500001", description="不动产登记费", total=8000
    )
    params = client.app_pay_params(prepay_id)
    assert params["appid"] == wechatpay.merchant.app_appid
    assert params["partnerid"] == wechatpay.merchant.mchid
    # The peer verifies the app's sign with the merchant's public key (its rsa_verify signs
    # "a\nb\nc\n": the last part carries the third and fourth lines).
    assert peer.rsa_verify(
        params["appid"],
        params["timestamp"],
        f"{params['noncestr']}\n{prepay_id}",
        params["sign"],
        merchant_key.public_key(),
    )

    trade = await client.query_by_out_trade_no("APP2026010500001")
    assert (trade.trade_type, trade.trade_state) == (None, "NOTPAY")
    await client.close("APP2026010500001")
    assert (await client.query_by_out_trade_no("APP2026010500001")).trade_state == "CLOSED"
    await control(
        http, wechatpay, "POST", "/_control/transactions/APP2026010500001/pay", {}, expect=409
    )

    with pytest.raises(WechatPayNotFound) as missing:
        await client.query_by_out_trade_no("NOSUCHORDER01")
    assert missing.value.order_not_exist and missing.value.status == 404
    with pytest.raises(WechatPayNotFound) as missing_refund:
        await client.query_refund("NOSUCHREFUND01")
    assert missing_refund.value.code == "RESOURCE_NOT_EXISTS"
    assert not missing_refund.value.order_not_exist


@pytest.fixture
def merchant_key(wechatpay: WeChatPayStandIn) -> rsa.RSAPrivateKey:
    key = peer.load_private_key(wechatpay.merchant.private_key_pem)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


async def test_client_errors_are_not_retried_and_outages_are(
    wechatpay: WeChatPayStandIn,
    make_client: MakeClient,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    mode: str,
) -> None:
    client = await make_client(retries=3, backoff_base=0.01)
    await client.jsapi_prepay(
        out_trade_no="ERR2026010500001", description="工本费", total=1000, openid=OPENID
    )
    with pytest.raises(WechatPayError) as unpaid:
        await client.refund(
            out_refund_no="ERR2026010500001R", refund=1000, total=1000,
            out_trade_no="ERR2026010500001",
        )  # fmt: skip
    assert (unpaid.value.status, unpaid.value.code) == (400, "INVALID_REQUEST")
    assert unpaid.value.message
    assert calls(caplog, "refund") == 1

    # The same order number with other content is refused, not retried.
    with pytest.raises(WechatPayError) as used:
        await client.jsapi_prepay(
            out_trade_no="ERR2026010500001", description="工本费", total=2000, openid=OPENID
        )
    assert (used.value.status, used.value.code) == (403, "OUT_TRADE_NO_USED")
    assert calls(caplog, "jsapi_prepay") == 2

    # Nobody listens: an idempotent query is tried 1 + retries times, a close once.
    settings = msgspec.structs.replace(
        pay_settings(wechatpay, tmp_path, mode, "https://handheld.example/notify"),
        base_url=wechatpay.url.rsplit(":", 1)[0] + ":9",
    )
    down = WechatPayClient(http, settings, HttpClientSettings(retries=2, backoff_base=0.01))
    caplog.clear()
    with pytest.raises(WechatPayError) as outage:
        await down.query_by_out_trade_no("ERR2026010500001")
    assert outage.value.status is None and outage.value.code == "NETWORK_ERROR"
    assert calls(caplog, "query") == 3
    with pytest.raises(WechatPayError):
        await down.close("ERR2026010500001")
    assert calls(caplog, "close") == 1


@dataclass
class FaultyWechatPay:
    """A WeChat Pay that is having a bad day (faults the stand-in does not play): every request
    is kept, and answered with ``status`` and ``body`` (unsigned)."""

    status: int
    body: bytes
    requests: list[web.Request] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request)
        return web.Response(
            status=self.status,
            body=self.body,
            content_type="application/json",
            headers={"Request-ID": f"08F0-{len(self.requests)}"},
        )


@pytest.fixture
async def faulty(
    wechatpay: WeChatPayStandIn, tmp_path: Path, http: aiohttp.ClientSession
) -> AsyncIterator[Callable[[int, bytes], Awaitable[tuple[FaultyWechatPay, WechatPayClient]]]]:
    servers: list[RunningApp] = []

    async def start(status: int, body: bytes) -> tuple[FaultyWechatPay, WechatPayClient]:
        fault = FaultyWechatPay(status, body)
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", fault.handle)
        server = await start_app(app)
        servers.append(server)
        settings = msgspec.structs.replace(
            pay_settings(wechatpay, tmp_path, "public_key", "https://handheld.example/notify"),
            base_url=server.url,
        )
        client = WechatPayClient(http, settings, HttpClientSettings(retries=2, backoff_base=0.01))
        return fault, client

    yield start
    for server in servers:
        await server.close()


async def test_server_errors_are_retried_and_keep_wechatpays_code(
    faulty: Callable[[int, bytes], Awaitable[tuple[FaultyWechatPay, WechatPayClient]]],
) -> None:
    busy = msgspec.json.encode({"code": "SYSTEM_ERROR", "message": "系统繁忙，请稍后重试"})
    fault, client = await faulty(503, busy)
    with pytest.raises(WechatPayError) as error:
        await client.query_by_out_trade_no("SYS2026010500001")
    assert (error.value.status, error.value.code) == (503, "SYSTEM_ERROR")
    assert error.value.message == "系统繁忙，请稍后重试"
    assert error.value.request_id == "08F0-3"
    # An idempotent query: 1 + retries attempts, each signed anew (its own nonce).
    assert len(fault.requests) == 3
    authorizations = [r.headers["Authorization"] for r in fault.requests]
    assert all(a.startswith("WECHATPAY2-SHA256-RSA2048 mchid=") for a in authorizations)
    assert len(set(authorizations)) == 3
    assert fault.requests[0].path_qs == (
        "/v3/pay/transactions/out-trade-no/SYS2026010500001?mchid=" + client.mchid
    )
    # Closing is not idempotent here (the caller's job retries it): one attempt.
    fault.requests.clear()
    with pytest.raises(WechatPayError):
        await client.close("SYS2026010500001")
    assert len(fault.requests) == 1


async def test_an_answer_that_does_not_verify_is_not_retried(
    faulty: Callable[[int, bytes], Awaitable[tuple[FaultyWechatPay, WechatPayClient]]],
) -> None:
    """A 200 without WeChat Pay's signature: refused at once, however many retries are allowed
    (asking again would not make it WeChat Pay's)."""
    fault, client = await faulty(200, b'{"out_trade_no":"SYS1","trade_state":"SUCCESS"}')
    with pytest.raises(WechatPaySignatureInvalid, match="signature headers missing"):
        await client.query_by_out_trade_no("SYS1")
    assert len(fault.requests) == 1


async def test_trade_bill_with_hash_check(
    wechatpay: WeChatPayStandIn, make_client: MakeClient, http: aiohttp.ClientSession
) -> None:
    client = await make_client()
    yesterday = dt.datetime.now(BEIJING).date() - dt.timedelta(days=1)
    at = f"{yesterday.isoformat()}T%s+08:00"
    for number, total, paid_at in (
        ("BILL20260105001", 4000, "09:30:00"),
        ("BILL20260105002", 12345, "11:00:00"),
    ):
        await client.jsapi_prepay(
            out_trade_no=number, description="工本费", total=total, openid=OPENID, attach=number
        )
        await control(
            http, wechatpay, "POST", f"/_control/transactions/{number}/pay",
            {"successTime": at % paid_at},
        )  # fmt: skip

    data = await client.trade_bill(yesterday)
    rows = parse_trade_bill(data.decode())
    assert [(r.out_trade_no, r.trade_state, r.total, r.settlement_total) for r in rows] == [
        ("BILL20260105001", "SUCCESS", 4000, 4000),
        ("BILL20260105002", "SUCCESS", 12345, 12345),
    ]
    assert rows[0].trade_time == f"{yesterday.isoformat()} 09:30:00"
    assert rows[0].openid == OPENID and rows[0].attach == "BILL20260105001"
    assert rows[0].mchid == wechatpay.merchant.mchid
    summary = parse_trade_bill_summary(data.decode())
    assert (summary.count, summary.total) == (2, 16345)

    # Compressed, the digest is the one of the decompressed file.
    assert await client.trade_bill(yesterday.isoformat(), gzipped=True) == data
    # SUCCESS bills carry no refund columns, and are read by column title.
    success = parse_trade_bill((await client.trade_bill(yesterday, bill_type="SUCCESS")).decode())
    assert [r.out_trade_no for r in success] == ["BILL20260105001", "BILL20260105002"]

    with pytest.raises(WechatPayError) as creating:
        await client.trade_bill(dt.datetime.now(BEIJING).date())
    assert (creating.value.status, creating.value.code) == (400, "STATEMENT_CREATING")


async def test_forged_notifications_are_refused(
    wechatpay: WeChatPayStandIn,
    make_client: MakeClient,
    endpoint: NotifyEndpoint,
    http: aiohttp.ClientSession,
) -> None:
    client = await make_client()
    fault = {"badSignature": True, "times": 1}
    await control(http, wechatpay, "POST", "/_control/notify-faults", fault)
    for number in ("FORGED2026010501", "GOOD20260105001"):
        await client.jsapi_prepay(
            out_trade_no=number, description="工本费", total=100, openid=OPENID
        )
    await control(http, wechatpay, "POST", "/_control/transactions/FORGED2026010501/pay", {})
    # Refused (401), so WeChat Pay sends it again: refused again.
    for _ in range(3):
        reason = await asyncio.wait_for(endpoint.rejected.get(), 30)
        assert "does not verify" in reason
    assert endpoint.accepted.empty()
    attempts = await control(
        http, wechatpay, "GET", "/_control/notifications?outTradeNo=FORGED2026010501"
    )
    assert {a["status"] for a in attempts["attempts"]} == {401}

    # The fault was for one notification: the next one is accepted.
    await control(http, wechatpay, "POST", "/_control/transactions/GOOD20260105001/pay", {})
    notification = await endpoint.next()
    assert isinstance(notification.resource, Transaction)
    assert notification.resource.out_trade_no == "GOOD20260105001"


async def test_duplicate_notifications_all_verify(
    wechatpay: WeChatPayStandIn,
    make_client: MakeClient,
    endpoint: NotifyEndpoint,
    http: aiohttp.ClientSession,
    caplog: pytest.LogCaptureFixture,
    mode: str,
) -> None:
    """Five concurrent copies on a fresh client: in platform-certificate mode they all wait for
    one certificate download (single-flight)."""
    client = await make_client()
    await control(http, wechatpay, "POST", "/_control/notify-faults", {"duplicates": 5, "times": 1})
    await client.jsapi_prepay(
        out_trade_no="DUP20260105001", description="工本费", total=100, openid=OPENID
    )
    # A new client, so that the copies arrive before any certificate is known.
    endpoint.client = await make_client()
    caplog.clear()
    await control(http, wechatpay, "POST", "/_control/transactions/DUP20260105001/pay", {})
    copies = [await endpoint.next() for _ in range(5)]
    assert {c.id for c in copies} == {copies[0].id}
    assert endpoint.rejected.empty()
    assert calls(caplog, "certificates") == (1 if mode == "platform_certificate" else 0)


@pytest.mark.parametrize("mode", ["platform_certificate"])
async def test_unknown_serial_is_refused_after_one_certificate_download(
    wechatpay: WeChatPayStandIn,
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    client = await make_client()
    body = b'{"id":"EV-forged","create_time":"2026-01-05T10:00:00+08:00"}'
    impostor = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    stamp = str(int(dt.datetime.now().timestamp()))
    headers = {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": "N0NCE",
        "Wechatpay-Signature": peer.rsa_sign(impostor, f"{stamp}\nN0NCE\n{body.decode()}\n"),
        "Wechatpay-Serial": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }
    with pytest.raises(WechatPaySignatureInvalid, match="unknown key serial"):
        await client.parse_notification(headers, body)
    assert calls(caplog, "certificates") == 1
    # Another unknown serial right after does not make the client download again.
    with pytest.raises(WechatPaySignatureInvalid, match="unknown key serial"):
        await client.parse_notification(headers | {"Wechatpay-Serial": "ABCDEF0123"}, body)
    assert calls(caplog, "certificates") == 1
    # The stand-in's own certificate is known now: an answer signed with it verifies.
    assert (await client.refresh_certificates()) == 1
    signed_by_platform = wechatpay.state.signer.headers(body.decode())
    assert signed_by_platform["Wechatpay-Serial"] == wechatpay.platform_serial
    await client.verify_signature(signed_by_platform, body)
    # … and the impostor's signature under the real serial does not.
    with pytest.raises(WechatPaySignatureInvalid, match="does not verify"):
        await client.verify_signature(
            headers | {"Wechatpay-Serial": wechatpay.platform_serial}, body
        )
