"""Payments: how fast we answer WeChat Pay's payment notifications under load.

    uv run python bench/payments.py [--rounds 20]

- `payment_notification_p99`: p99 latency of POST /api/v1/hooks/wechatpay/transactions with 50
  notifications in flight at once (each a distinct paid order: signature checked, resource
  decrypted, stored once, order row locked and compared, order and notice marked paid, platform
  report and citizen message enqueued), divided by the 5 s WeChat Pay allows before it counts
  a notification as failed. The same run measures a bare endpoint under the same load, for
  context.

The bench plays WeChat Pay: it makes its own RSA key, gives the API the public half (public-key
mode), and signs and encrypts every notification as WeChat does.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import secrets
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import asyncpg
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import server, stack
from core.embedded import free_port

CONCURRENCY = 50
BUDGET_S = 5.0
MCHID, APPID, PUBLIC_KEY_ID = (
    "1900000109",
    "wxbench000000001",
    "PUB_KEY_ID_0100000000000000000000000001",
)
AMOUNT = 1000


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


class WechatPay:
    """Signs and encrypts notifications the way WeChat Pay does."""

    def __init__(self, apiv3_key: str) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.aead = AESGCM(apiv3_key.encode())

    def notification(self, out_trade_no: str) -> tuple[dict[str, str], bytes]:
        resource = {
            "appid": APPID,
            "mchid": MCHID,
            "out_trade_no": out_trade_no,
            "transaction_id": "42" + secrets.token_hex(13)[:26],
            "trade_type": "JSAPI",
            "trade_state": "SUCCESS",
            "trade_state_desc": "支付成功",
            "bank_type": "OTHERS",
            "success_time": datetime.now(UTC).isoformat(),
            "payer": {"openid": "o-bench"},
            "amount": {"total": AMOUNT, "payer_total": AMOUNT, "currency": "CNY"},
        }
        nonce = secrets.token_hex(6)
        ciphertext = self.aead.encrypt(
            nonce.encode(), json.dumps(resource).encode(), b"transaction"
        )
        body = json.dumps(
            {
                "id": str(uuid.uuid4()),
                "create_time": datetime.now(UTC).isoformat(),
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": base64.b64encode(ciphertext).decode(),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            }
        ).encode()
        stamp, header_nonce = str(int(time.time())), secrets.token_hex(16)
        message = f"{stamp}\n{header_nonce}\n{body.decode()}\n".encode()
        signature = self.key.sign(message, padding.PKCS1v15(), hashes.SHA256())
        return {
            "Wechatpay-Timestamp": stamp,
            "Wechatpay-Nonce": header_nonce,
            "Wechatpay-Signature": base64.b64encode(signature).decode(),
            "Wechatpay-Serial": PUBLIC_KEY_ID,
            "Content-Type": "application/json",
        }, body


async def _orders(database_url: str, count: int) -> list[str]:
    """``count`` open orders, each on its own fee notice, for one citizen."""
    conn = await asyncpg.connect(database_url)
    try:
        citizen = uuid.uuid4()
        await conn.execute("INSERT INTO citizens (id) VALUES ($1)", citizen)
        now = datetime.now(UTC)
        notices = [
            (
                uuid.uuid4(),
                f"BENCH{i:015d}",
                citizen,
                f"CASE{i}",
                f"{i:016d}",
                "临时居民身份证申领",
                "公安局",
                AMOUNT,
                now,
                now + timedelta(days=7),
            )
            for i in range(count)
        ]
        await conn.executemany(
            """INSERT INTO fee_notices (id, notice_number, citizen_id, case_number, payment_code,
                   item_name, payee, amount_fen, issued_at, expires_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
            notices,
        )
        trade_nos = [f"HHBENCH{i:020d}" for i in range(count)]
        await conn.executemany(
            """INSERT INTO payment_orders (id, notice_id, citizen_id, out_trade_no, channel, appid,
                   mchid, amount_fen, description, expires_at, idempotency_key, request_hash)
               VALUES ($1, $2, $3, $4, 'jsapi', $5, $6, $7, 'bench', $8, $9, '\\x00')""",
            [
                (
                    uuid.uuid4(),
                    n[0],
                    citizen,
                    no,
                    APPID,
                    MCHID,
                    AMOUNT,
                    now + timedelta(hours=1),
                    f"bench-{no}",
                )
                for n, no in zip(notices, trade_nos, strict=True)
            ],
        )
        return trade_nos
    finally:
        await conn.close()


async def _load(url: str, requests: list[tuple[dict[str, str], bytes]], expect: int) -> list[float]:
    """Send ``requests`` keeping ``CONCURRENCY`` in flight; latency of each, in seconds."""
    latencies: list[float] = []
    queue = list(reversed(requests))
    connector = aiohttp.TCPConnector(limit=CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def lane() -> None:
            while queue:
                headers, body = queue.pop()
                started = time.perf_counter()
                async with session.post(url, data=body, headers=headers) as resp:
                    await resp.read()
                    assert resp.status == expect, (resp.status, await resp.text())
                latencies.append(time.perf_counter() - started)

        await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
    return latencies


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


BARE_APP = """
import sys
from litestar import Litestar, Request, post
from api.cli import run_server

@post("/hook", status_code=204)
async def hook(request: Request) -> None:
    await request.body()

run_server(Litestar(route_handlers=[hook], openapi_config=None), "127.0.0.1", int(sys.argv[1]))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20, help="batches of 50 notifications")
    args = parser.parse_args()
    count = args.rounds * CONCURRENCY
    apiv3_key = secrets.token_hex(16)
    wechatpay = WechatPay(apiv3_key)
    with stack() as s, tempfile.TemporaryDirectory(prefix="handheld-pay-bench-") as tmp:
        merchant_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (Path(tmp) / "merchant.pem").write_bytes(_pem(merchant_key))
        (Path(tmp) / "wechatpay.pem").write_bytes(_public_pem(wechatpay.key))
        env = {
            **s.env,
            "HANDHELD_WECHATPAY_BASE_URL": "http://127.0.0.1:9",  # never called on this path
            "HANDHELD_WECHATPAY_MCHID": MCHID,
            "HANDHELD_WECHATPAY_APPID": APPID,
            "HANDHELD_WECHATPAY_MERCHANT_SERIAL_NO": "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            "HANDHELD_WECHATPAY_MERCHANT_PRIVATE_KEY_PATH": str(Path(tmp) / "merchant.pem"),
            "HANDHELD_WECHATPAY_APIV3_KEY": apiv3_key,
            "HANDHELD_WECHATPAY_PUBLIC_KEY_ID": PUBLIC_KEY_ID,
            "HANDHELD_WECHATPAY_PUBLIC_KEY_PATH": str(Path(tmp) / "wechatpay.pem"),
            "HANDHELD_WECHATPAY_NOTIFY_URL": "http://127.0.0.1/api/v1/hooks/wechatpay/transactions",
        }
        trade_nos = asyncio.run(_orders(env["HANDHELD_DATABASE_URL"], count + CONCURRENCY))
        notifications = [wechatpay.notification(no) for no in trade_nos]
        bare_port, api_port = free_port(), free_port()
        with server([sys.executable, "-c", BARE_APP, str(bare_port)], env, bare_port) as bare:
            asyncio.run(_load(f"{bare}/hook", notifications[:CONCURRENCY], 204))  # warm-up
            baseline = asyncio.run(_load(f"{bare}/hook", notifications[CONCURRENCY:], 204))
        api_cmd = [sys.executable, "-m", "api.cli", "serve", "--port", str(api_port)]
        with server(api_cmd, env, api_port) as api:
            hook = f"{api}/api/v1/hooks/wechatpay/transactions"
            asyncio.run(_load(hook, notifications[:CONCURRENCY], 204))  # warm-up
            latencies = asyncio.run(_load(hook, notifications[CONCURRENCY:], 204))
        paid = asyncio.run(_count_paid(env["HANDHELD_DATABASE_URL"]))
        assert paid == count + CONCURRENCY, f"{paid} orders paid, expected {count + CONCURRENCY}"
    p99, bare_p99 = _p99(latencies), _p99(baseline)
    print(
        f"  {len(latencies)} notifications, {CONCURRENCY} in flight: p99 {p99 * 1000:.1f} ms "
        f"(median {sorted(latencies)[len(latencies) // 2] * 1000:.1f} ms); bare endpoint p99 "
        f"{bare_p99 * 1000:.1f} ms; every order paid once"
    )
    print(f"RESULT payment_notification_p99 ratio={p99 / BUDGET_S:.4f} target<=0.02")


async def _count_paid(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM payment_orders WHERE status = 'paid'"))
    finally:
        await conn.close()


if __name__ == "__main__":
    main()
