"""Unit tests of the WeChat Pay v3 client's cryptography and bill digest, with the `wechatpayv3`
package (an independent implementation) as the peer: it signs what we verify, verifies and
decrypts what we do, and builds the Authorization header we must build byte for byte."""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import os
import re
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import msgspec
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from wechatpayv3 import utils as peer  # type: ignore[import-untyped]
from wechatpayv3.core import Core as PeerCore  # type: ignore[import-untyped]

from core.clients.wechatpay import (
    EncryptedResource,
    Refund,
    Transaction,
    WechatPayBillHashMismatch,
    WechatPayClient,
    WechatPayConfigError,
    WechatPaySignatureInvalid,
    verified_bill,
)
from core.settings import HttpClientSettings, Secret, WechatPaySettings

MCHID = "1900000109"
MERCHANT_SERIAL = "3775B6A45ACD588826D15E583A95F5DD********".replace("*", "0")
APIV3_KEY = "a12d3924fd499edac8a5efc3e9f1b4d2"
PUBLIC_KEY_ID = "PUB_KEY_ID_0119000001092024061800000000000001"
APPID = "wx1234567890abcdef"
APP_APPID = "wxfedcba0987654321"


def _pem_private(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem_public(key: rsa.RSAPublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


@pytest.fixture(scope="module")
def merchant_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def wechatpay_key() -> rsa.RSAPrivateKey:
    """The key pair behind WeChat Pay's public key (public-key mode)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def pay_settings(
    tmp_path: Path, merchant_key: rsa.RSAPrivateKey, wechatpay_key: rsa.RSAPrivateKey
) -> WechatPaySettings:
    (tmp_path / "merchant.pem").write_bytes(_pem_private(merchant_key))
    (tmp_path / "wechatpay_pub.pem").write_bytes(_pem_public(wechatpay_key.public_key()))
    return WechatPaySettings(
        # Nothing listens there: these tests never reach the network.
        base_url="http://127.0.0.1:9",
        mchid=MCHID,
        appid=APPID,
        app_appid=APP_APPID,
        merchant_serial_no=MERCHANT_SERIAL,
        merchant_private_key_path=tmp_path / "merchant.pem",
        apiv3_key=Secret(APIV3_KEY),
        public_key_id=PUBLIC_KEY_ID,
        public_key_path=tmp_path / "wechatpay_pub.pem",
        notify_url="https://example.gov.cn/api/v1/hooks/wechatpay/transactions",
        refund_notify_url="https://example.gov.cn/api/v1/hooks/wechatpay/refunds",
        timestamp_window_s=300,
    )


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(session: aiohttp.ClientSession, pay_settings: WechatPaySettings) -> WechatPayClient:
    return WechatPayClient(session, pay_settings, HttpClientSettings(retries=0))


def peer_private(key: rsa.RSAPrivateKey) -> Any:
    """The key as the peer loads it from its PEM text."""
    return peer.load_private_key(_pem_private(key).decode())


def signed_headers(
    key: rsa.RSAPrivateKey,
    body: bytes,
    *,
    serial: str = PUBLIC_KEY_ID,
    timestamp: int | None = None,
    nonce: str = "593BEC0C930BF1AFEB40B4A08C8FB242",
) -> dict[str, str]:
    """Headers of a WeChat Pay answer or notification, signed by the peer."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    signature = peer.rsa_sign(peer_private(key), f"{stamp}\n{nonce}\n{body.decode()}\n")
    return {
        "Wechatpay-Timestamp": stamp,
        "Wechatpay-Nonce": nonce,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": serial,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def encrypt(
    plaintext: bytes, *, associated_data: str, nonce: str, original_type: str
) -> dict[str, str]:
    ciphertext = AESGCM(APIV3_KEY.encode()).encrypt(
        nonce.encode(), plaintext, associated_data.encode()
    )
    return {
        "original_type": original_type,
        "algorithm": "AEAD_AES_256_GCM",
        "ciphertext": base64.b64encode(ciphertext).decode(),
        "associated_data": associated_data,
        "nonce": nonce,
    }


# ---------------------------------------------------------------------------- request signing


def test_authorization_header_is_the_one_the_peer_builds(
    client: WechatPayClient, merchant_key: rsa.RSAPrivateKey
) -> None:
    path = "/v3/pay/transactions/out-trade-no/A20240601x1?mchid=1900000109"
    body = '{"mchid":"1900000109","out_trade_no":"A20240601x1","description":"办证费"}'
    theirs = peer.build_authorization(
        path, "POST", MCHID, MERCHANT_SERIAL, peer_private(merchant_key), data=body
    )
    stamp = re.search(r'timestamp="(\d+)"', theirs)
    nonce = re.search(r'nonce_str="(\w+)"', theirs)
    assert stamp and nonce
    ours = client.authorization(
        "POST", path, body, timestamp=int(stamp.group(1)), nonce=nonce.group(1)
    )
    assert ours == theirs
    # And it is a signature by the merchant key over the documented five lines.
    signature = re.search(r'signature="([^"]+)"', ours)
    assert signature
    message = f"POST\n{path}\n{stamp.group(1)}\n{nonce.group(1)}\n{body}\n".encode()
    merchant_key.public_key().verify(
        base64.b64decode(signature.group(1)), message, padding.PKCS1v15(), hashes.SHA256()
    )


def test_jsapi_pay_sign_verifies_with_the_merchant_public_key(
    client: WechatPayClient, merchant_key: rsa.RSAPrivateKey
) -> None:
    params = client.jsapi_pay_params("wx201410272009395522657a690389285100")
    assert params["appId"] == APPID
    assert params["package"] == "prepay_id=wx201410272009395522657a690389285100"
    assert params["signType"] == "RSA"
    assert abs(int(params["timeStamp"]) - time.time()) < 3600
    assert len(params["nonceStr"]) == 32
    message = (
        "\n".join([params["appId"], params["timeStamp"], params["nonceStr"], params["package"]])
        + "\n"
    )
    merchant_key.public_key().verify(
        base64.b64decode(params["paySign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )
    # The peer's Core.sign (what its users hand to wx.requestPayment) gives the same paySign.
    assert params["paySign"] == peer.rsa_sign(peer_private(merchant_key), message)


def test_app_pay_sign_verifies_with_the_merchant_public_key(
    client: WechatPayClient, merchant_key: rsa.RSAPrivateKey
) -> None:
    params = client.app_pay_params("wx2016121516420242444321ca0631331346")
    assert params["appid"] == APP_APPID
    assert params["partnerid"] == MCHID
    assert params["prepayid"] == "wx2016121516420242444321ca0631331346"
    assert params["package"] == "Sign=WXPay"
    message = f"{APP_APPID}\n{params['timestamp']}\n{params['noncestr']}\n{params['prepayid']}\n"
    merchant_key.public_key().verify(
        base64.b64decode(params["sign"]), message.encode(), padding.PKCS1v15(), hashes.SHA256()
    )


# ---------------------------------------------------------------------------- verification


async def test_answer_signed_by_the_peer_verifies(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    body = b'{"prepay_id":"wx26112221580621e9b071c00d9e093b0000"}'
    headers = signed_headers(wechatpay_key, body)
    await client.verify_signature(headers, body)
    # Header names are case-insensitive on the wire.
    await client.verify_signature({k.lower(): v for k, v in headers.items()}, body)
    # The peer agrees that this is a good signature.
    assert peer.rsa_verify(
        headers["Wechatpay-Timestamp"],
        headers["Wechatpay-Nonce"],
        body.decode(),
        headers["Wechatpay-Signature"],
        wechatpay_key.public_key(),
    )


async def test_utf8_body_is_signed_as_bytes(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    body = json.dumps({"summary": "支付成功"}, ensure_ascii=False).encode()
    await client.verify_signature(signed_headers(wechatpay_key, body), body)


async def test_tampered_body_is_rejected(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    body = b'{"trade_state":"NOTPAY","out_trade_no":"A1"}'
    headers = signed_headers(wechatpay_key, body)
    with pytest.raises(WechatPaySignatureInvalid):
        await client.verify_signature(headers, body.replace(b"NOTPAY", b"SUCCESS"))


# Clear of the edge: the header carries whole seconds, so 301 s can read as 299.x s.
@pytest.mark.parametrize("offset", [-310, 310, -3600])
async def test_timestamp_outside_the_window_is_rejected_even_when_signed(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey, offset: int
) -> None:
    body = b'{"id":"EV-1"}'
    headers = signed_headers(wechatpay_key, body, timestamp=int(time.time()) + offset)
    with pytest.raises(WechatPaySignatureInvalid, match="window"):
        await client.verify_signature(headers, body)


async def test_timestamp_inside_the_window_is_accepted(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    body = b'{"id":"EV-1"}'
    headers = signed_headers(wechatpay_key, body, timestamp=int(time.time()) - 240)
    await client.verify_signature(headers, body)


async def test_signature_by_another_key_is_rejected(client: WechatPayClient) -> None:
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    body = b'{"id":"EV-1"}'
    with pytest.raises(WechatPaySignatureInvalid, match="does not verify"):
        await client.verify_signature(signed_headers(forger, body), body)


async def test_unknown_public_key_id_is_rejected(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    body = b'{"id":"EV-1"}'
    headers = signed_headers(wechatpay_key, body, serial="PUB_KEY_ID_0119000001092099999999")
    with pytest.raises(WechatPaySignatureInvalid, match="unknown key serial"):
        await client.verify_signature(headers, body)


@pytest.mark.parametrize(
    "change",
    [
        {"Wechatpay-Signature": ""},
        {"Wechatpay-Nonce": ""},
        {"Wechatpay-Timestamp": ""},
        {"Wechatpay-Serial": ""},
        {"Wechatpay-Timestamp": "yesterday"},
        {"Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3"},
        {"Wechatpay-Signature": "WECHATPAY/SIGNTEST/" + "A" * 40},
        {"Wechatpay-Signature": "not base64 at all!"},
    ],
)
async def test_malformed_signature_headers_are_rejected(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey, change: dict[str, str]
) -> None:
    body = b'{"id":"EV-1"}'
    headers = signed_headers(wechatpay_key, body) | change
    with pytest.raises(WechatPaySignatureInvalid):
        await client.verify_signature(headers, body)


# ---------------------------------------------------------------------------- AES-GCM


def test_decrypt_resource_agrees_with_the_peer(client: WechatPayClient) -> None:
    plaintext = json.dumps(
        {"out_trade_no": "A1", "trade_state": "SUCCESS", "备注": "测试"}
    ).encode()
    resource = encrypt(
        plaintext, associated_data="transaction", nonce="fdasflkja484", original_type="transaction"
    )
    ours = client.decrypt_resource(msgspec.convert(resource, EncryptedResource))
    theirs = peer.aes_decrypt(
        resource["nonce"], resource["ciphertext"], resource["associated_data"], APIV3_KEY
    )
    assert ours == plaintext
    assert theirs == plaintext.decode()


def test_decrypt_resource_without_associated_data(client: WechatPayClient) -> None:
    ciphertext = AESGCM(APIV3_KEY.encode()).encrypt(b"0123456789ab", b"certificate", None)
    resource = EncryptedResource(
        algorithm="AEAD_AES_256_GCM",
        ciphertext=base64.b64encode(ciphertext).decode(),
        nonce="0123456789ab",
    )
    assert client.decrypt_resource(resource) == b"certificate"


@pytest.mark.parametrize("field", ["ciphertext", "associated_data", "nonce", "algorithm"])
def test_tampered_resource_does_not_decrypt(client: WechatPayClient, field: str) -> None:
    resource = encrypt(
        b'{"trade_state":"SUCCESS"}',
        associated_data="transaction",
        nonce="fdasflkja484",
        original_type="transaction",
    )
    if field == "ciphertext":
        raw = bytearray(base64.b64decode(resource["ciphertext"]))
        raw[0] ^= 1
        resource["ciphertext"] = base64.b64encode(bytes(raw)).decode()
    elif field == "algorithm":
        resource["algorithm"] = "AEAD_AES_128_GCM"
    else:
        resource[field] = resource[field] + "x"
    with pytest.raises(WechatPaySignatureInvalid):
        client.decrypt_resource(msgspec.convert(resource, EncryptedResource))
    if field != "algorithm":
        assert (
            peer.aes_decrypt(
                resource["nonce"], resource["ciphertext"], resource["associated_data"], APIV3_KEY
            )
            is None
        )


# ---------------------------------------------------------------------------- notifications


def transaction_notification() -> tuple[dict[str, Any], dict[str, Any]]:
    transaction = {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": "F2024060100001",
        "transaction_id": "4200000001202406011234567890",
        "trade_type": "JSAPI",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "OTHERS",
        "attach": "",
        "success_time": "2024-06-01T10:34:56+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {"total": 2500, "payer_total": 2500, "currency": "CNY", "payer_currency": "CNY"},
    }
    envelope = {
        "id": "EV-2018022511223320873",
        "create_time": "2024-06-01T10:34:57+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": encrypt(
            json.dumps(transaction, ensure_ascii=False).encode(),
            associated_data="transaction",
            nonce="fdasflkja484",
            original_type="transaction",
        ),
    }
    return envelope, transaction


async def test_payment_notification_is_verified_and_decrypted_like_the_peer_does(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey, merchant_key: rsa.RSAPrivateKey
) -> None:
    envelope, transaction = transaction_notification()
    body = json.dumps(envelope, ensure_ascii=False).encode()
    headers = signed_headers(wechatpay_key, body)

    notification = await client.parse_notification(headers, body)

    assert notification.id == "EV-2018022511223320873"
    assert notification.event_type == "TRANSACTION.SUCCESS"
    assert notification.original_type == "transaction"
    assert notification.summary == "支付成功"
    resource = notification.resource
    assert isinstance(resource, Transaction)
    assert resource.out_trade_no == "F2024060100001"
    assert resource.trade_state == "SUCCESS"
    assert resource.amount is not None and resource.amount.total == 2500
    assert resource.payer is not None and resource.payer.openid == transaction["payer"]["openid"]

    # The peer, configured in public-key mode with the same keys, reads the same notification.
    their_core = PeerCore(
        mchid=MCHID,
        cert_serial_no=MERCHANT_SERIAL,
        private_key=_pem_private(merchant_key).decode(),
        apiv3_key=APIV3_KEY,
        public_key=_pem_public(wechatpay_key.public_key()).decode(),
        public_key_id=PUBLIC_KEY_ID,
    )
    theirs = their_core.callback(headers, body)
    assert theirs["resource"] == transaction
    assert msgspec.to_builtins(resource) == {k: v for k, v in transaction.items() if v is not None}


async def test_refund_notification_gives_a_refund(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    refund = {
        "mchid": MCHID,
        "out_trade_no": "F2024060100001",
        "transaction_id": "4200000001202406011234567890",
        "out_refund_no": "R2024060100001",
        "refund_id": "50000000382019052709732678859",
        "refund_status": "SUCCESS",
        "success_time": "2024-06-01T13:29:35+08:00",
        "user_received_account": "支付用户零钱",
        "amount": {"total": 2500, "refund": 2500, "payer_total": 2500, "payer_refund": 2500},
    }
    envelope = {
        "id": "EV-2018022511223320874",
        "create_time": "2024-06-01T13:29:36+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "REFUND.SUCCESS",
        "summary": "退款成功",
        "resource": encrypt(
            json.dumps(refund, ensure_ascii=False).encode(),
            associated_data="refund",
            nonce="a1b2c3d4e5f6",
            original_type="refund",
        ),
    }
    body = json.dumps(envelope, ensure_ascii=False).encode()
    notification = await client.parse_notification(signed_headers(wechatpay_key, body), body)
    assert notification.event_type == "REFUND.SUCCESS"
    resource = notification.resource
    assert isinstance(resource, Refund)
    assert resource.out_refund_no == "R2024060100001"
    assert resource.status == "SUCCESS"
    assert resource.amount is not None and resource.amount.refund == 2500


async def test_notification_with_a_forged_resource_is_rejected(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    """Signed correctly but encrypted with another key: the AEAD tag refuses it."""
    envelope, _ = transaction_notification()
    other = os.urandom(16).hex().encode()
    ciphertext = AESGCM(other).encrypt(
        b"fdasflkja484", b'{"trade_state":"SUCCESS"}', b"transaction"
    )
    envelope["resource"]["ciphertext"] = base64.b64encode(ciphertext).decode()
    body = json.dumps(envelope).encode()
    with pytest.raises(WechatPaySignatureInvalid):
        await client.parse_notification(signed_headers(wechatpay_key, body), body)


async def test_replayed_notification_outside_the_window_is_rejected(
    client: WechatPayClient, wechatpay_key: rsa.RSAPrivateKey
) -> None:
    envelope, _ = transaction_notification()
    body = json.dumps(envelope).encode()
    headers = signed_headers(wechatpay_key, body, timestamp=int(time.time()) - 86400)
    with pytest.raises(WechatPaySignatureInvalid):
        await client.parse_notification(headers, body)


# ---------------------------------------------------------------------------- configuration


@pytest.mark.parametrize(
    "change",
    [
        {"apiv3_key": Secret("")},
        {"apiv3_key": Secret("too-short")},
        {"mchid": ""},
        {"merchant_serial_no": ""},
        {"merchant_private_key_path": None},
        {"public_key_path": None},
        {"base_url": ""},
    ],
)
async def test_missing_keys_are_a_configuration_error(
    session: aiohttp.ClientSession, pay_settings: WechatPaySettings, change: dict[str, Any]
) -> None:
    with pytest.raises(WechatPayConfigError):
        WechatPayClient(
            session, msgspec.structs.replace(pay_settings, **change), HttpClientSettings()
        )


async def test_unreadable_private_key_is_a_configuration_error(
    session: aiohttp.ClientSession, pay_settings: WechatPaySettings, tmp_path: Path
) -> None:
    (tmp_path / "broken.pem").write_text("-----BEGIN PRIVATE KEY-----\nnope\n")
    settings = msgspec.structs.replace(
        pay_settings, merchant_private_key_path=tmp_path / "broken.pem"
    )
    with pytest.raises(WechatPayConfigError):
        WechatPayClient(session, settings, HttpClientSettings())


async def test_platform_certificate_mode_needs_no_public_key(
    session: aiohttp.ClientSession,
    pay_settings: WechatPaySettings,
    wechatpay_key: rsa.RSAPrivateKey,
) -> None:
    """Without public_key_id every serial is a platform certificate's: the client builds, and a
    signature by the (unconfigured) public key is not accepted on a PUB_KEY_ID serial."""
    settings = msgspec.structs.replace(pay_settings, public_key_id="", public_key_path=None)
    client = WechatPayClient(session, settings, HttpClientSettings(retries=0))
    body = b'{"id":"EV-1"}'
    with pytest.raises(WechatPaySignatureInvalid, match="unknown key serial"):
        await client.verify_signature(signed_headers(wechatpay_key, body), body)


def test_pay_params_need_the_appid(
    session: aiohttp.ClientSession, pay_settings: WechatPaySettings
) -> None:
    client = WechatPayClient(
        session, msgspec.structs.replace(pay_settings, app_appid=""), HttpClientSettings()
    )
    with pytest.raises(WechatPayConfigError):
        client.app_pay_params("wx1")


# ---------------------------------------------------------------------------- trade bill

# A bill's bytes as downloaded (parsing them is the payments domain's: tests/payments/test_bills.py).
BILL = (
    "\ufeff交易时间,商户订单号,订单金额\r\n"
    "`2024-06-01 10:34:56,`F2024060100001,`25.00\r\n"
    "总交易单数,订单总金额\r\n"
    "`1,`25.00\r\n"
)


def test_bill_digest_is_checked() -> None:
    """The download is unsigned: the SHA1 from the (signed) bill request is the integrity check
    (of the decompressed file when GZIP was asked for)."""
    data = BILL.encode()
    digest = hashlib.sha1(data).hexdigest()
    assert verified_bill(data, digest) == data
    assert verified_bill(data, digest.upper()) == data
    assert verified_bill(gzip.compress(data), digest, gzipped=True) == data
    with pytest.raises(WechatPayBillHashMismatch):
        verified_bill(data.replace(b"`25.00", b"`52.00", 1), digest)
    with pytest.raises(WechatPayBillHashMismatch):
        verified_bill(gzip.compress(data), digest)
