"""Declaration → fee notice → order → prepay → paid at the stand-in → notification → order paid
→ platform informed → the case continues; and the rules of opening orders."""

from __future__ import annotations

import base64
import uuid

import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from core.settings import Settings
from tests.fixtures.payments import Payer, WechatPayDesk, platform_reports
from tests.fixtures.waiting import eventually


def _pay_sign_valid(settings: Settings, params: dict[str, str]) -> bool:
    """What WeChat checks before the cashier opens: paySign by the merchant's key."""
    assert settings.wechatpay.merchant_private_key_path is not None
    key = serialization.load_pem_private_key(
        settings.wechatpay.merchant_private_key_path.read_bytes(), password=None
    )
    assert isinstance(key, rsa.RSAPrivateKey)
    message = "".join(
        f"{params[name]}\n" for name in ("appId", "timeStamp", "nonceStr", "package")
    ).encode()
    try:
        key.public_key().verify(
            base64.b64decode(params["paySign"]), message, padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:
        return False
    return True


async def test_declaration_fee_order_pay_report_and_the_case_continues(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk, settings: Settings
) -> None:
    declaration, notice = await payer.accepted_with_fee()
    assert notice["status"] == "unpaid" and notice["amountFen"] > 0
    assert notice["paymentCode"] and notice["payee"]
    todo = await payer.client.get("/api/v1/payments/notices", headers=payer.headers)
    assert [n["id"] for n in todo.json()["items"]] == [notice["id"]]  # the "to pay" list
    detail = await payer.detail(declaration)
    assert detail["state"] == "accepted"
    assert any(e["reason"] == "已开具缴款通知书" for e in detail["timeline"])

    created = await payer.order(notice["id"], key="order-key-0001")
    assert created.status_code == 200, created.text
    order = created.json()
    assert order["status"] == "pending" and order["amountFen"] == notice["amountFen"]
    assert 6 <= len(order["outTradeNo"]) <= 32 and order["outTradeNo"].isalnum()
    params = order["payParams"]
    assert params["package"].startswith("prepay_id=") and params["signType"] == "RSA"
    assert _pay_sign_valid(settings, params)

    await desk.pay(order["outTradeNo"])
    paid = await payer.wait_paid(order["id"])
    assert paid["payParams"] is None

    async def reported() -> list[dict[str, object]] | None:
        return await platform_reports(payer.outside) or None

    reports = await eventually(reported)
    assert len(reports) == 1
    receipt = await eventually(
        lambda: _receipt(payer, order["id"]),
    )
    assert receipt["noticeNumber"] == notice["noticeNumber"]
    assert receipt["amountFen"] == notice["amountFen"]

    # The platform moves the case on once paid; our declaration follows it to the end.
    done = await payer.wait_state(declaration, "completed")
    reasons = [e["reason"] for e in done["timeline"]]
    assert reasons.index("已开具缴款通知书") < reasons.index("已完成缴费")
    assert [n["status"] for n in (await _notices(payer, "all"))] == ["paid"]
    inbox = await payer.client.get("/api/v1/inbox", headers=payer.headers)
    kinds = [m["eventType"] for m in inbox.json()["items"]]
    assert kinds.count("payment.notice") == 1 and kinds.count("payment.paid") == 1


async def _receipt(payer: Payer, order_id: str) -> dict[str, object] | None:
    resp = await payer.client.get(
        f"/api/v1/payments/orders/{order_id}/receipt", headers=payer.headers
    )
    return dict(resp.json()) if resp.status_code == 200 else None


async def _notices(payer: Payer, status: str) -> list[dict[str, object]]:
    resp = await payer.client.get(
        "/api/v1/payments/notices", params={"status": status}, headers=payer.headers
    )
    return list(resp.json()["items"])


async def test_order_rules(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk
) -> None:
    _, notice = await payer.accepted_with_fee()

    first = await payer.order(notice["id"], key="order-key-0002")
    again = await payer.order(notice["id"], key="order-key-0002")
    assert first.status_code == again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    # Same key, another request → 422; another key, same channel → the one open order.
    reused = await payer.order(notice["id"], key="order-key-0002", channel="app")
    assert reused.status_code == 422 and reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    other_key = await payer.order(notice["id"], key="order-key-0003")
    assert other_key.json()["id"] == first.json()["id"]
    elsewhere = await payer.order(notice["id"], key="order-key-0004", channel="app")
    assert elsewhere.status_code == 409 and elsewhere.json()["code"] == "PAYMENT_ORDER_OPEN"

    for body, code in (
        ({"noticeId": notice["id"], "channel": "alipay"}, 422),
        ({"noticeId": notice["id"], "amountFen": 1}, 422),
        ({"noticeId": str(uuid.uuid4())}, 404),
        ({"noticeId": "not-a-uuid"}, 404),
    ):
        resp = await payer.client.post(
            "/api/v1/payments/orders", json=body,
            headers={**payer.headers, "Idempotency-Key": str(uuid.uuid4())},
        )  # fmt: skip
        assert resp.status_code == code, (body, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    missing_key = await payer.client.post(
        "/api/v1/payments/orders", json={"noticeId": notice["id"]}, headers=payer.headers
    )
    assert missing_key.status_code == 400

    await desk.pay(first.json()["outTradeNo"])
    await payer.wait_paid(first.json()["id"])
    late = await payer.order(notice["id"], key="order-key-0005")
    assert late.status_code == 409 and late.json()["code"] == "FEE_NOTICE_PAID"


async def test_another_citizen_cannot_see_or_pay(
    live: httpx.AsyncClient, worker: None, payer: Payer, client: httpx.AsyncClient
) -> None:
    from tests.fixtures.identity import sso, user

    _, notice = await payer.accepted_with_fee()
    order = (await payer.order(notice["id"])).json()
    other = (await sso(client, payer.outside, user("zhangsan"))).json()["accessToken"]
    stranger = Payer(client, payer.outside, other)
    assert await stranger.notice_of(notice["declarationId"]) is None
    assert (await stranger.order(notice["id"])).status_code == 404
    seen = await client.get(f"/api/v1/payments/orders/{order['id']}", headers=stranger.headers)
    assert seen.status_code == 404
