"""WeChat Pay notifications: duplicates apply once; forged, stale or disagreeing ones change nothing;
no notification at all → the order is settled by polling."""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.settings import Settings
from tests.fixtures.payments import Payer, WechatPayDesk, platform_reports
from tests.fixtures.waiting import eventually


class WechatPayForger:
    """Signs notifications with the stand-in's own key (read from its key directory), as WeChat
    Pay would: for the cases the stand-in never sends (a wrong amount, an old timestamp)."""

    def __init__(self, keys_dir: Path, settings: Settings) -> None:
        key = serialization.load_pem_private_key(
            (keys_dir / "pub_key_private_key.pem").read_bytes(), password=None
        )
        assert isinstance(key, rsa.RSAPrivateKey)
        self.key, self.settings = key, settings

    def notification(
        self, transaction: dict[str, Any], *, timestamp: int | None = None
    ) -> tuple[dict[str, str], bytes]:
        nonce = secrets.token_hex(6)
        plaintext = json.dumps(transaction).encode()
        aead = AESGCM(self.settings.wechatpay.apiv3_key.reveal().encode())
        ciphertext = aead.encrypt(nonce.encode(), plaintext, b"transaction")
        body = json.dumps({
            "id": str(uuid.uuid4()), "create_time": "2026-11-22T10:00:00+08:00",
            "resource_type": "encrypt-resource", "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction", "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(), "associated_data": "transaction",
                "nonce": nonce,
            },
        }).encode()  # fmt: skip
        stamp = str(timestamp or int(time.time()))
        header_nonce = secrets.token_hex(16)
        message = f"{stamp}\n{header_nonce}\n{body.decode()}\n".encode()
        signature = self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        headers = {
            "Wechatpay-Timestamp": stamp, "Wechatpay-Nonce": header_nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": self.settings.wechatpay.public_key_id,
            "Content-Type": "application/json",
        }  # fmt: skip
        return headers, body


def _transaction(settings: Settings, order: dict[str, Any], **changes: Any) -> dict[str, Any]:
    tx = {
        "appid": settings.wechatpay.appid, "mchid": settings.wechatpay.mchid,
        "out_trade_no": order["outTradeNo"], "transaction_id": "4200002026112200000000" + "42",
        "trade_type": "JSAPI", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
        "bank_type": "OTHERS", "attach": "", "success_time": "2026-11-22T10:00:00+08:00",
        "payer": {"openid": "o-test"},
        "amount": {"total": order["amountFen"], "payer_total": order["amountFen"],
                   "currency": "CNY", "payer_currency": "CNY"},
    }  # fmt: skip
    tx.update(changes)
    return tx


async def _count(db_url: str, sql: str, *args: Any) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


async def test_ten_concurrent_copies_one_transition_one_report(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk,
    settings: Settings, database_url: str,
) -> None:  # fmt: skip
    _, notice = await payer.accepted_with_fee()
    order = (await payer.order(notice["id"])).json()
    await desk.post("/_control/notify-faults", {"duplicates": 10})
    await desk.pay(order["outTradeNo"])
    await payer.wait_paid(order["id"])

    async def all_delivered() -> bool:
        sent = (await desk.get("/_control/notifications"))["attempts"]
        mine = [a for a in sent if a["outTradeNo"] == order["outTradeNo"]]
        return len(mine) >= 10

    await eventually(all_delivered)
    await eventually(lambda: platform_reports(payer.outside))
    await asyncio.sleep(1)  # the worker's queue drains: any second report would show now
    assert len(await platform_reports(payer.outside)) == 1
    history = await _count(
        database_url,
        "SELECT count(*) FROM payment_notifications WHERE out_trade_no = $1",
        order["outTradeNo"],
    )
    assert history == 1
    inbox = await payer.client.get("/api/v1/inbox", headers=payer.headers)
    assert [m["eventType"] for m in inbox.json()["items"]].count("payment.paid") == 1


async def test_forged_stale_or_disagreeing_notifications_change_nothing(
    live: httpx.AsyncClient, worker: None, payer: Payer, settings: Settings, wechatpay_keys: Path,
    database_url: str,
) -> None:  # fmt: skip
    _, notice = await payer.accepted_with_fee()
    order = (await payer.order(notice["id"])).json()
    forger = WechatPayForger(wechatpay_keys / "platform", settings)
    hook = "/api/v1/hooks/wechatpay/transactions"

    headers, body = forger.notification(_transaction(settings, order))
    tampered = body.replace(b"TRANSACTION.SUCCESS", b"TRANSACTION.SUCCESS ")
    forged_signature = {**headers, "Wechatpay-Signature": base64.b64encode(b"x" * 256).decode()}
    unknown_serial = {**headers, "Wechatpay-Serial": "PUB_KEY_ID_0000000000000000000000000000"}
    cases = [
        (headers, tampered, 401),
        (forged_signature, body, 401),
        (unknown_serial, body, 401),
        (
            *forger.notification(_transaction(settings, order), timestamp=int(time.time()) - 600),
            401,
        ),
        (*forger.notification(_transaction(settings, order, amount={"total": 1})), 400),
        (*forger.notification(_transaction(settings, order, mchid="1900000999")), 400),
        (*forger.notification(_transaction(settings, order, appid="wx0000000000000bad")), 400),
        (*forger.notification(_transaction(settings, order, out_trade_no="HH0000000000")), 400),
    ]
    for sent_headers, sent_body, status in cases:
        resp = await live.post(hook, content=sent_body, headers=sent_headers)
        assert resp.status_code == status, resp.text
    assert (await payer.order_state(order["id"]))["status"] == "pending"
    assert await _count(database_url, "SELECT count(*) FROM payment_notifications") == 0
    assert (await payer.notice_of(notice["declarationId"]) or {})["status"] == "unpaid"

    # The genuine one goes through, once.
    good_headers, good_body = forger.notification(_transaction(settings, order))
    assert (await live.post(hook, content=good_body, headers=good_headers)).status_code == 204
    assert (await live.post(hook, content=good_body, headers=good_headers)).status_code == 204
    assert (await payer.order_state(order["id"]))["status"] == "paid"


async def test_no_valid_notification_then_the_order_is_settled_by_polling(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk
) -> None:
    _, notice = await payer.accepted_with_fee()
    order = (await payer.order(notice["id"])).json()
    # Every notification arrives with a signature that does not verify: we refuse them all.
    await desk.post("/_control/notify-faults", {"badSignature": True})
    await desk.pay(order["outTradeNo"])
    paid = await payer.wait_paid(order["id"])
    assert paid["paidAt"] is not None
    await eventually(lambda: platform_reports(payer.outside))
