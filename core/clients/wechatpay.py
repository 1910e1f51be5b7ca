"""Client of WeChat Pay API v3 as a direct merchant (直连商户): JSAPI and APP payments, queries,
closing, refunds, trade bills, and the verification and decryption of WeChat Pay's
notifications.

Protocol (pay.weixin.qq.com, "签名认证", "验证签名", "回调报文解密"):

- Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid=…,nonce_str=…,
  signature=…,timestamp=…,serial_no=…``; the signature is SHA256withRSA (PKCS#1 v1.5) by the
  merchant key over ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``.
- Every successful answer and every notification is signed by WeChat Pay over
  ``TIMESTAMP\\nNONCE\\nBODY\\n``; ``Wechatpay-Serial`` names the key: the WeChat Pay public key
  (``PUB_KEY_ID_…``, configured) or a platform certificate (hex serial, fetched from
  ``GET /v3/certificates`` and decrypted with the APIv3 key). The bill download is not signed;
  its SHA1 is checked instead.
- Notification resources and platform certificates are AEAD_AES_256_GCM with the APIv3 key.

Only idempotent calls are retried (with jittered backoff, on transport errors and 5xx): queries,
bill, prepay by ``out_trade_no`` and refund by ``out_refund_no``. A 4xx is never retried.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import gzip
import hashlib
import hmac
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
import msgspec
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from yarl import URL

from core.errors import OutsideSystemError
from core.http import OUTSIDE_CALL_SECONDS, attempts_for, backoff_delay
from core.settings import HttpClientSettings, WechatPaySettings

log = logging.getLogger(__name__)
T = TypeVar("T")

SIGNATURE_TYPE = "WECHATPAY2-SHA256-RSA2048"
AEAD_ALGORITHM = "AEAD_AES_256_GCM"
CHINA_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
USER_AGENT = "handheld-wechatpay/1 (aiohttp)"


# --------------------------------------------------------------------------------- exceptions


class WechatPayConfigError(Exception):
    """The merchant configuration is missing or unusable (a deployment error, never a reason to
    accept unverified data)."""


class WechatPayError(OutsideSystemError):
    """WeChat Pay answered an error (its JSON ``{"code", "message"}``), was unreachable
    (``status`` None), or answered something unusable."""

    def __init__(
        self,
        status: int | None,
        code: str,
        message: str,
        *,
        detail: object = None,
        request_id: str = "",
    ) -> None:
        super().__init__(f"wechatpay: {status or '-'} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail
        self.request_id = request_id

    @property
    def order_not_exist(self) -> bool:
        return self.status == 404 and self.code == "ORDER_NOT_EXIST"


class WechatPayNotFound(WechatPayError):
    """404: the order (``ORDER_NOT_EXIST``) or refund (``RESOURCE_NOT_EXISTS``) is unknown."""


class WechatPaySignatureInvalid(WechatPayError):
    """A response or notification failed verification: missing/unsupported signature headers,
    a timestamp outside the window, an unknown key serial, a wrong signature, or a resource that
    does not decrypt (the AEAD tag is an authenticity check too)."""

    def __init__(self, reason: str) -> None:
        super().__init__(None, "SIGNATURE_INVALID", reason)


class WechatPayBillHashMismatch(WechatPayError):
    """The downloaded bill's digest differs from ``hash_value`` of the bill request."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(None, "BILL_HASH_MISMATCH", f"expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


class WechatPayBillMalformed(ValueError):
    """The trade bill text does not have WeChat Pay's layout."""


# --------------------------------------------------------------------------------- wire types


class Amount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Order amount in fen."""

    total: int
    currency: str = "CNY"


class Payer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    openid: str


class JsapiPrepayRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /v3/pay/transactions/jsapi"""

    appid: str
    mchid: str
    description: str
    out_trade_no: str
    notify_url: str
    amount: Amount
    payer: Payer
    time_expire: str | None = None
    attach: str | None = None
    goods_tag: str | None = None


class AppPrepayRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /v3/pay/transactions/app"""

    appid: str
    mchid: str
    description: str
    out_trade_no: str
    notify_url: str
    amount: Amount
    time_expire: str | None = None
    attach: str | None = None
    goods_tag: str | None = None


class PrepayResponse(msgspec.Struct, kw_only=True):
    prepay_id: str


class CloseRequest(msgspec.Struct, kw_only=True):
    mchid: str


class TransactionAmount(msgspec.Struct, kw_only=True):
    total: int = 0
    payer_total: int | None = None
    currency: str = "CNY"
    payer_currency: str | None = None


class TransactionPayer(msgspec.Struct, kw_only=True):
    openid: str = ""


class Transaction(msgspec.Struct, kw_only=True):
    """An order as WeChat Pay sees it (query answer, or the resource of a payment notification).

    ``trade_state``: SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING, PAYERROR."""

    out_trade_no: str
    trade_state: str
    appid: str = ""
    mchid: str = ""
    transaction_id: str | None = None
    trade_type: str | None = None
    trade_state_desc: str = ""
    bank_type: str | None = None
    attach: str | None = None
    success_time: str | None = None
    payer: TransactionPayer | None = None
    amount: TransactionAmount | None = None


class RefundRequestAmount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    refund: int
    total: int
    currency: str = "CNY"


class RefundRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /v3/refund/domestic/refunds"""

    out_refund_no: str
    amount: RefundRequestAmount
    out_trade_no: str | None = None
    transaction_id: str | None = None
    reason: str | None = None
    notify_url: str | None = None
    funds_account: str | None = None


class RefundAmount(msgspec.Struct, kw_only=True):
    total: int = 0
    refund: int = 0
    payer_total: int | None = None
    payer_refund: int | None = None
    settlement_refund: int | None = None
    settlement_total: int | None = None
    discount_refund: int | None = None
    currency: str | None = None
    refund_fee: int | None = None


class Refund(msgspec.Struct, kw_only=True):
    """A refund (answer of apply/query, or the resource of a refund notification).

    ``status``: SUCCESS, CLOSED, PROCESSING, ABNORMAL. Notifications name it ``refund_status``;
    ``parse_notification`` copies it into ``status``."""

    out_refund_no: str
    refund_id: str = ""
    transaction_id: str = ""
    out_trade_no: str = ""
    mchid: str = ""
    channel: str | None = None
    user_received_account: str | None = None
    success_time: str | None = None
    create_time: str | None = None
    status: str = ""
    refund_status: str | None = None
    funds_account: str | None = None
    amount: RefundAmount | None = None


class EncryptedResource(msgspec.Struct, kw_only=True):
    """AEAD_AES_256_GCM ciphertext of a notification resource or a platform certificate."""

    algorithm: str
    ciphertext: str
    nonce: str
    associated_data: str = ""
    original_type: str = ""


class _NotificationEnvelope(msgspec.Struct, kw_only=True):
    id: str
    create_time: str
    event_type: str
    resource_type: str
    resource: EncryptedResource
    summary: str = ""


class PayNotification(msgspec.Struct, kw_only=True):
    """A verified and decrypted notification. ``event_type``: TRANSACTION.SUCCESS,
    REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED; ``resource`` is a ``Transaction`` when
    ``original_type`` is "transaction", a ``Refund`` when it is "refund"."""

    id: str
    create_time: str
    event_type: str
    resource_type: str
    summary: str
    original_type: str
    resource: Transaction | Refund


class TradeBillUrl(msgspec.Struct, kw_only=True):
    """GET /v3/bill/tradebill"""

    hash_type: str
    hash_value: str
    download_url: str


class _WechatPayErrorBody(msgspec.Struct, kw_only=True):
    code: str = ""
    message: str = ""
    detail: Any = None


class _CertificateEntry(msgspec.Struct, kw_only=True):
    serial_no: str
    effective_time: str = ""
    expire_time: str = ""
    encrypt_certificate: EncryptedResource


class _Certificates(msgspec.Struct, kw_only=True):
    data: list[_CertificateEntry]


# --------------------------------------------------------------------------------- trade bill


class BillRow(msgspec.Struct, kw_only=True, frozen=True):
    """One detail line of a trade bill (交易账单). Amounts in fen, the fee in yuan (WeChat gives
    it with five decimals). A refund line has trade_state "REFUND" and the refund columns set."""

    trade_time: str
    appid: str
    mchid: str
    sub_mchid: str
    device_info: str
    transaction_id: str
    out_trade_no: str
    openid: str
    trade_type: str
    trade_state: str
    bank_type: str
    currency: str
    settlement_total: int
    coupon_amount: int
    refund_id: str
    out_refund_no: str
    settlement_refund: int
    recharge_coupon_refund: int
    refund_type: str
    refund_status: str
    description: str
    attach: str
    fee_yuan: Decimal
    rate: str
    total: int
    refund_requested: int
    rate_note: str


class BillSummary(msgspec.Struct, kw_only=True, frozen=True):
    """The summary lines of a trade bill (总交易单数, 应结订单总金额, …), amounts in fen."""

    count: int
    settlement_total: int
    settlement_refund_total: int
    recharge_coupon_refund_total: int
    fee_total_yuan: Decimal
    total: int
    refund_requested_total: int


# Column titles of the trade bill → BillRow fields. SUCCESS and REFUND bills carry subsets;
# columns are looked up by title, not position.
_BILL_COLUMNS: Mapping[str, str] = {
    "交易时间": "trade_time",
    "公众账号ID": "appid",
    "商户号": "mchid",
    "特约商户号": "sub_mchid",
    "子商户号": "sub_mchid",
    "设备号": "device_info",
    "微信订单号": "transaction_id",
    "商户订单号": "out_trade_no",
    "用户标识": "openid",
    "交易类型": "trade_type",
    "交易状态": "trade_state",
    "付款银行": "bank_type",
    "货币种类": "currency",
    "应结订单金额": "settlement_total",
    "代金券金额": "coupon_amount",
    "微信退款单号": "refund_id",
    "商户退款单号": "out_refund_no",
    "退款金额": "settlement_refund",
    "充值券退款金额": "recharge_coupon_refund",
    "退款类型": "refund_type",
    "退款状态": "refund_status",
    "商品名称": "description",
    "商户数据包": "attach",
    "手续费": "fee_yuan",
    "费率": "rate",
    "订单金额": "total",
    "申请退款金额": "refund_requested",
    "费率备注": "rate_note",
}
_BILL_FEN_FIELDS = frozenset(
    {
        "settlement_total",
        "coupon_amount",
        "settlement_refund",
        "recharge_coupon_refund",
        "total",
        "refund_requested",
    }
)
_SUMMARY_COLUMNS: Mapping[str, str] = {
    "总交易单数": "count",
    "应结订单总金额": "settlement_total",
    "退款总金额": "settlement_refund_total",
    "充值券退款总金额": "recharge_coupon_refund_total",
    "手续费总金额": "fee_total_yuan",
    "订单总金额": "total",
    "申请退款总金额": "refund_requested_total",
}


def _yuan(text: str) -> Decimal:
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation as exc:
        raise WechatPayBillMalformed(f"not an amount: {text!r}") from exc


def _fen(text: str) -> int:
    value = _yuan(text) * 100
    if value != value.to_integral_value():
        raise WechatPayBillMalformed(f"amount with fractions of a fen: {text!r}")
    return int(value)


def _bill_values(line: str) -> list[str]:
    """Values of a detail or summary line: every one is prefixed with a backtick, so ",`" is
    the separator (a comma inside a description stays in it)."""
    if not line.startswith("`"):
        raise WechatPayBillMalformed(f"value line without the backtick prefix: {line[:40]!r}")
    return line[1:].split(",`")


def _bill_sections(text: str) -> tuple[list[str], list[list[str]], list[str], list[str]]:
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if len(lines) < 3:
        raise WechatPayBillMalformed("a trade bill has a header and two summary lines at least")
    header = [title.strip() for title in lines[0].split(",")]
    summary_header = [title.strip() for title in lines[-2].split(",")]
    if "交易时间" not in header or "总交易单数" not in summary_header:
        raise WechatPayBillMalformed("not a trade bill (header or summary header missing)")
    details = [_bill_values(line) for line in lines[1:-2]]
    for values in details:
        if len(values) != len(header):
            raise WechatPayBillMalformed(f"{len(values)} values for {len(header)} columns")
    summary = _bill_values(lines[-1])
    if len(summary) != len(summary_header):
        raise WechatPayBillMalformed("summary values do not match the summary header")
    return header, details, summary_header, summary


def parse_trade_bill_summary(text: str) -> BillSummary:
    _, _, summary_header, summary = _bill_sections(text)
    values = dict(zip(summary_header, summary, strict=True))
    fields: dict[str, Any] = {}
    for title, name in _SUMMARY_COLUMNS.items():
        raw = values.get(title, "").strip()
        if name == "count":
            fields[name] = int(raw or "0")
        elif name == "fee_total_yuan":
            fields[name] = _yuan(raw)
        else:
            fields[name] = _fen(raw)
    return BillSummary(**fields)


def parse_trade_bill(text: str) -> list[BillRow]:
    """The detail lines of a trade bill (ALL, SUCCESS or REFUND), checked against the summary's
    count. Pure: give it the downloaded bytes decoded as UTF-8."""
    header, details, _, _ = _bill_sections(text)
    rows: list[BillRow] = []
    for values in details:
        fields: dict[str, Any] = {name: "" for name in set(_BILL_COLUMNS.values())}
        for name in _BILL_FEN_FIELDS:
            fields[name] = 0
        fields["fee_yuan"] = Decimal(0)
        for title, raw in zip(header, values, strict=True):
            field = _BILL_COLUMNS.get(title)
            if field is None:
                continue
            value = raw.strip()
            if field in _BILL_FEN_FIELDS:
                fields[field] = _fen(value)
            elif field == "fee_yuan":
                fields[field] = _yuan(value)
            else:
                fields[field] = value
        rows.append(BillRow(**fields))
    summary = parse_trade_bill_summary(text)
    if summary.count != len(rows):
        raise WechatPayBillMalformed(f"summary counts {summary.count} lines, found {len(rows)}")
    return rows


def verified_bill(payload: bytes, hash_value: str, *, gzipped: bool = False) -> bytes:
    """The bill file (decompressed when ``gzipped``) if its SHA1 is ``hash_value``; raises
    ``WechatPayBillHashMismatch`` otherwise."""
    data = payload
    if gzipped:
        try:
            data = gzip.decompress(payload)
        except (OSError, EOFError) as exc:
            raise WechatPayError(None, "BAD_RESPONSE", f"bill not gzip: {exc}") from exc
    actual = hashlib.sha1(data, usedforsecurity=False).hexdigest()
    if not hmac.compare_digest(actual, hash_value.strip().lower()):
        raise WechatPayBillHashMismatch(hash_value, actual)
    return data


# --------------------------------------------------------------------------------- crypto


def rsa_sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64."""
    signature = private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode()


def rsa_verify(public_key: rsa.RSAPublicKey, message: bytes, signature_b64: str) -> bool:
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        public_key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
    except (InvalidSignature, binascii.Error, ValueError):
        return False
    return True


def _check_signature(
    key: rsa.RSAPublicKey, timestamp: str, nonce: str, body: bytes, signature: str
) -> None:
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    if not rsa_verify(key, message, signature):
        raise WechatPaySignatureInvalid("signature does not verify")


def aead_decrypt(key: bytes, resource: EncryptedResource) -> bytes:
    """AEAD_AES_256_GCM: the ciphertext is base64 of ciphertext‖tag; nonce and associated data
    are used as given (UTF-8)."""
    if resource.algorithm != AEAD_ALGORITHM:
        raise WechatPaySignatureInvalid(f"unsupported algorithm {resource.algorithm!r}")
    try:
        data = base64.b64decode(resource.ciphertext, validate=True)
        return AESGCM(key).decrypt(
            resource.nonce.encode(), data, resource.associated_data.encode() or None
        )
    except (InvalidTag, binascii.Error, ValueError) as exc:
        raise WechatPaySignatureInvalid("resource does not decrypt with the APIv3 key") from exc


def _nonce() -> str:
    return secrets.token_hex(16).upper()


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(CHINA_TZ).isoformat(timespec="seconds")


def _load_private_key(path: Path | None) -> rsa.RSAPrivateKey:
    if path is None:
        raise WechatPayConfigError("wechatpay.merchant_private_key_path is not set")
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise WechatPayConfigError(f"merchant private key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise WechatPayConfigError(f"merchant private key {path}: not an RSA key")
    return key


def _load_public_key(path: Path | None) -> rsa.RSAPublicKey:
    if path is None:
        raise WechatPayConfigError("wechatpay.public_key_path is not set (public_key_id is)")
    try:
        data = path.read_bytes()
        key: object
        if b"CERTIFICATE" in data:
            key = x509.load_pem_x509_certificate(data).public_key()
        else:
            key = serialization.load_pem_public_key(data)
    except (OSError, ValueError, TypeError) as exc:
        raise WechatPayConfigError(f"WeChat Pay public key {path}: {exc}") from exc
    if not isinstance(key, rsa.RSAPublicKey):
        raise WechatPayConfigError(f"WeChat Pay public key {path}: not an RSA key")
    return key


def _serial_number(serial: str) -> int | None:
    try:
        return int(serial, 16)
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class _PlatformKey:
    key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int
    headers: Mapping[str, str]
    body: bytes


# --------------------------------------------------------------------------------- client


class WechatPayClient:
    """Typed async client of WeChat Pay API v3 (direct merchant). One per process, sharing the
    process's aiohttp session."""

    system = "wechatpay"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: WechatPaySettings,
        http_settings: HttpClientSettings,
        *,
        certificate_refresh_interval_s: float = 60.0,
    ) -> None:
        """Loads the keys now: a missing or unusable mchid, merchant serial, private key or
        APIv3 key (32 bytes) raises ``WechatPayConfigError``; so does a ``public_key_id``
        without a readable ``public_key_path``."""
        if not settings.base_url:
            raise WechatPayConfigError("wechatpay.base_url is not set")
        if not settings.mchid or not settings.merchant_serial_no:
            raise WechatPayConfigError("wechatpay.mchid and merchant_serial_no are required")
        apiv3_key = settings.apiv3_key.reveal().encode()
        if len(apiv3_key) != 32:
            raise WechatPayConfigError("wechatpay.apiv3_key must be the 32-byte APIv3 key")
        self._session = session
        self._settings = settings
        self._http = http_settings
        self._base_url = settings.base_url.rstrip("/")
        self._private_key = _load_private_key(settings.merchant_private_key_path)
        self._apiv3_key = apiv3_key
        self._public_key_id = settings.public_key_id
        self._public_key = (
            _load_public_key(settings.public_key_path) if settings.public_key_id else None
        )
        self._window = settings.timestamp_window_s
        self._platform_keys: dict[int, _PlatformKey] = {}
        self._certificates_lock = asyncio.Lock()
        self._certificates_fetched_at = float("-inf")
        self._refresh_interval = certificate_refresh_interval_s

    @property
    def mchid(self) -> str:
        return self._settings.mchid

    # ---- signing ----------------------------------------------------------------------------

    def authorization(
        self, method: str, path_and_query: str, body: str, *, timestamp: int, nonce: str
    ) -> str:
        """The ``Authorization`` header of a request (signature over
        ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``)."""
        message = f"{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n"
        signature = rsa_sign(self._private_key, message)
        return (
            f'{SIGNATURE_TYPE} mchid="{self._settings.mchid}",nonce_str="{nonce}",'
            f'signature="{signature}",timestamp="{timestamp}",'
            f'serial_no="{self._settings.merchant_serial_no}"'
        )

    def jsapi_pay_params(self, prepay_id: str) -> dict[str, str]:
        """Parameters of ``wx.requestPayment`` in the mini-program (paySign over
        ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``)."""
        appid = self._require("appid")
        timestamp = str(int(time.time()))
        nonce = _nonce()
        package = f"prepay_id={prepay_id}"
        return {
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": rsa_sign(self._private_key, f"{appid}\n{timestamp}\n{nonce}\n{package}\n"),
        }

    def app_pay_params(self, prepay_id: str) -> dict[str, str]:
        """Parameters of the OpenSDK ``PayReq`` in the mobile app (sign over
        ``appid\\ntimestamp\\nnoncestr\\nprepayid\\n``)."""
        appid = self._require("app_appid")
        timestamp = str(int(time.time()))
        nonce = _nonce()
        return {
            "appid": appid,
            "partnerid": self._settings.mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": timestamp,
            "sign": rsa_sign(self._private_key, f"{appid}\n{timestamp}\n{nonce}\n{prepay_id}\n"),
        }

    def _require(self, field: str) -> str:
        value = getattr(self._settings, field)
        if not value:
            raise WechatPayConfigError(f"wechatpay.{field} is not set")
        return str(value)

    # ---- verification -----------------------------------------------------------------------

    def decrypt_resource(self, resource: EncryptedResource) -> bytes:
        """Plaintext of an AEAD_AES_256_GCM resource; ``WechatPaySignatureInvalid`` when it
        does not decrypt (wrong key, tampered ciphertext, nonce or associated data)."""
        return aead_decrypt(self._apiv3_key, resource)

    async def verify_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        """Checks WeChat Pay's signature of a response or notification; raises
        ``WechatPaySignatureInvalid``. The key is chosen by ``Wechatpay-Serial``: the
        configured public key for ``public_key_id``, a platform certificate otherwise (fetched
        once, single-flight, when the serial is unknown)."""
        timestamp, nonce, serial, signature = self._signed_parts(headers)
        key = await self._key_for(serial)
        if key is None:
            raise WechatPaySignatureInvalid(f"unknown key serial {serial!r}")
        _check_signature(key, timestamp, nonce, body, signature)

    def _signed_parts(self, headers: Mapping[str, str]) -> tuple[str, str, str, str]:
        """Timestamp, nonce, serial and signature of signed headers, the timestamp checked."""
        lower = {key.lower(): value for key, value in headers.items()}
        signature = lower.get("wechatpay-signature", "")
        timestamp = lower.get("wechatpay-timestamp", "")
        nonce = lower.get("wechatpay-nonce", "")
        serial = lower.get("wechatpay-serial", "")
        signature_type = lower.get("wechatpay-signature-type", SIGNATURE_TYPE)
        if not (signature and timestamp and nonce and serial):
            raise WechatPaySignatureInvalid("signature headers missing")
        if signature_type != SIGNATURE_TYPE:
            raise WechatPaySignatureInvalid(f"unsupported signature type {signature_type!r}")
        if not timestamp.isdigit():
            raise WechatPaySignatureInvalid("timestamp is not a number")
        if abs(time.time() - int(timestamp)) > self._window:
            raise WechatPaySignatureInvalid("timestamp outside the accepted window")
        return timestamp, nonce, serial, signature

    async def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PayNotification:
        """A payment or refund notification, verified and decrypted."""
        await self.verify_signature(headers, body)
        try:
            envelope = msgspec.json.decode(body, type=_NotificationEnvelope)
        except msgspec.DecodeError as exc:
            raise WechatPayError(None, "BAD_NOTIFICATION", str(exc)) from exc
        if envelope.resource_type != "encrypt-resource":
            raise WechatPayError(
                None, "BAD_NOTIFICATION", f"resource_type {envelope.resource_type!r}"
            )
        plaintext = self.decrypt_resource(envelope.resource)
        original_type = envelope.resource.original_type
        resource: Transaction | Refund
        try:
            if original_type == "transaction":
                resource = msgspec.json.decode(plaintext, type=Transaction)
            elif original_type == "refund":
                refund = msgspec.json.decode(plaintext, type=Refund)
                if not refund.status and refund.refund_status:
                    refund = msgspec.structs.replace(refund, status=refund.refund_status)
                resource = refund
            else:
                raise WechatPayError(None, "BAD_NOTIFICATION", f"original_type {original_type!r}")
        except msgspec.DecodeError as exc:
            raise WechatPayError(None, "BAD_NOTIFICATION", str(exc)) from exc
        return PayNotification(
            id=envelope.id,
            create_time=envelope.create_time,
            event_type=envelope.event_type,
            resource_type=envelope.resource_type,
            summary=envelope.summary,
            original_type=original_type,
            resource=resource,
        )

    def _configured_public_key(self, serial: str) -> rsa.RSAPublicKey | None:
        if self._public_key is not None and hmac.compare_digest(
            serial.encode(), self._public_key_id.encode()
        ):
            return self._public_key
        return None

    async def _key_for(self, serial: str) -> rsa.RSAPublicKey | None:
        if (key := self._configured_public_key(serial)) is not None:
            return key
        number = _serial_number(serial)
        if number is None:
            return None
        if (key := self._platform_key(number)) is not None:
            return key
        async with self._certificates_lock:
            # Whoever held the lock may have fetched this very serial.
            if (key := self._platform_key(number)) is not None:
                return key
            if time.monotonic() - self._certificates_fetched_at < self._refresh_interval:
                return None  # fetched a moment ago: an unknown serial stays unknown
            await self._refresh_certificates()
            return self._platform_key(number)

    def _platform_key(self, number: int) -> rsa.RSAPublicKey | None:
        entry = self._platform_keys.get(number)
        if entry is None:
            return None
        now = datetime.now(UTC)
        return entry.key if entry.not_before <= now <= entry.not_after else None

    async def refresh_certificates(self) -> int:
        """Fetches the platform certificates now (single-flight); returns how many are valid."""
        async with self._certificates_lock:
            await self._refresh_certificates()
            return len(self._platform_keys)

    async def _refresh_certificates(self) -> None:
        answer = await self._request(
            "GET", "certificates", "/v3/certificates", retry=True, verify=False
        )
        self._certificates_fetched_at = time.monotonic()
        reply = self._decode(answer, _Certificates)
        now = datetime.now(UTC)
        keys: dict[int, _PlatformKey] = {}
        for entry in reply.data:
            pem = self.decrypt_resource(entry.encrypt_certificate)
            try:
                certificate = x509.load_pem_x509_certificate(pem)
            except ValueError as exc:
                raise WechatPaySignatureInvalid("platform certificate does not load") from exc
            public_key = certificate.public_key()
            if not isinstance(public_key, rsa.RSAPublicKey):
                continue
            if _serial_number(entry.serial_no) != certificate.serial_number:
                raise WechatPaySignatureInvalid("platform certificate serial mismatch")
            if certificate.not_valid_after_utc < now:
                continue
            keys[certificate.serial_number] = _PlatformKey(
                public_key, certificate.not_valid_before_utc, certificate.not_valid_after_utc
            )
        # The list is signed by one of the certificates it contains (what WeChat Pay's own
        # certificate downloader checks), or, for a merchant in public-key mode, by the public
        # key: decrypting the certificates proves the APIv3 key, this proves the answer.
        timestamp, nonce, serial, signature = self._signed_parts(answer.headers)
        signer = self._configured_public_key(serial)
        if signer is None and (number := _serial_number(serial)) in keys:
            signer = keys[number].key
        if signer is None:
            raise WechatPaySignatureInvalid("certificate list not signed by a known key")
        _check_signature(signer, timestamp, nonce, answer.body, signature)
        self._platform_keys = keys
        log.info("wechatpay platform certificates", extra={"count": len(keys)})

    # ---- API ----------------------------------------------------------------------------------

    async def jsapi_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        openid: str,
        time_expire: datetime | None = None,
        attach: str | None = None,
    ) -> str:
        """JSAPI/mini-program order (POST /v3/pay/transactions/jsapi) → prepay_id. Retried: the
        same out_trade_no with the same content is the same order. ``time_expire`` defaults to
        now + ``order_ttl_s``."""
        request = JsapiPrepayRequest(
            appid=self._require("appid"),
            mchid=self._settings.mchid,
            description=description,
            out_trade_no=out_trade_no,
            notify_url=self._require("notify_url"),
            amount=Amount(total=total),
            payer=Payer(openid=openid),
            time_expire=self._expiry(time_expire),
            attach=attach,
        )
        answer = await self._request(
            "POST", "jsapi_prepay", "/v3/pay/transactions/jsapi", json=request, retry=True
        )
        return self._decode(answer, PrepayResponse).prepay_id

    async def app_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        time_expire: datetime | None = None,
        attach: str | None = None,
    ) -> str:
        """APP order (POST /v3/pay/transactions/app) with the mobile app's appid → prepay_id."""
        request = AppPrepayRequest(
            appid=self._require("app_appid"),
            mchid=self._settings.mchid,
            description=description,
            out_trade_no=out_trade_no,
            notify_url=self._require("notify_url"),
            amount=Amount(total=total),
            time_expire=self._expiry(time_expire),
            attach=attach,
        )
        answer = await self._request(
            "POST", "app_prepay", "/v3/pay/transactions/app", json=request, retry=True
        )
        return self._decode(answer, PrepayResponse).prepay_id

    def _expiry(self, time_expire: datetime | None) -> str:
        if time_expire is None:
            time_expire = datetime.now(UTC) + timedelta(seconds=self._settings.order_ttl_s)
        return _rfc3339(time_expire)

    async def query_by_out_trade_no(self, out_trade_no: str) -> Transaction:
        """GET /v3/pay/transactions/out-trade-no/{out_trade_no}; ``WechatPayNotFound``
        (code ORDER_NOT_EXIST) when WeChat Pay does not know it."""
        answer = await self._request(
            "GET",
            "query",
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}",
            query={"mchid": self._settings.mchid},
            retry=True,
        )
        return self._decode(answer, Transaction)

    async def query_by_transaction_id(self, transaction_id: str) -> Transaction:
        answer = await self._request(
            "GET",
            "query",
            f"/v3/pay/transactions/id/{quote(transaction_id, safe='')}",
            query={"mchid": self._settings.mchid},
            retry=True,
        )
        return self._decode(answer, Transaction)

    async def close(self, out_trade_no: str) -> None:
        """POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close (204). Not retried here:
        the caller's job retries it."""
        await self._request(
            "POST",
            "close",
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close",
            json=CloseRequest(mchid=self._settings.mchid),
        )

    async def refund(
        self,
        *,
        out_refund_no: str,
        refund: int,
        total: int,
        out_trade_no: str | None = None,
        transaction_id: str | None = None,
        reason: str | None = None,
        notify_url: str | None = None,
        funds_account: str | None = None,
    ) -> Refund:
        """POST /v3/refund/domestic/refunds. Idempotent by ``out_refund_no`` (WeChat Pay refunds
        once per number), so it is retried. ``notify_url`` defaults to ``refund_notify_url``."""
        if (out_trade_no is None) == (transaction_id is None):
            raise ValueError("give exactly one of out_trade_no and transaction_id")
        request = RefundRequest(
            out_refund_no=out_refund_no,
            amount=RefundRequestAmount(refund=refund, total=total),
            out_trade_no=out_trade_no,
            transaction_id=transaction_id,
            reason=reason,
            notify_url=notify_url or self._settings.refund_notify_url or None,
            funds_account=funds_account,
        )
        answer = await self._request(
            "POST", "refund", "/v3/refund/domestic/refunds", json=request, retry=True
        )
        return self._decode(answer, Refund)

    async def query_refund(self, out_refund_no: str) -> Refund:
        """GET /v3/refund/domestic/refunds/{out_refund_no}; ``WechatPayNotFound`` (code
        RESOURCE_NOT_EXISTS) when unknown."""
        answer = await self._request(
            "GET",
            "query_refund",
            f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}",
            retry=True,
        )
        return self._decode(answer, Refund)

    async def trade_bill(
        self, bill_date: date | str, *, bill_type: str = "ALL", gzipped: bool = False
    ) -> bytes:
        """The trade bill of a day (GET /v3/bill/tradebill, then the signed download of
        ``download_url``), its SHA1 checked against ``hash_value``
        (``WechatPayBillHashMismatch``). Returns the bill's bytes (decompressed when
        ``gzipped``); ``parse_trade_bill(data.decode())`` reads them."""
        day = bill_date.isoformat() if isinstance(bill_date, date) else bill_date
        query = {"bill_date": day, "bill_type": bill_type}
        if gzipped:
            query["tar_type"] = "GZIP"
        answer = await self._request(
            "GET", "tradebill", "/v3/bill/tradebill", query=query, retry=True
        )
        location = self._decode(answer, TradeBillUrl)
        if location.hash_type.upper() != "SHA1":
            raise WechatPayError(None, "BAD_RESPONSE", f"hash_type {location.hash_type!r}")
        # The download answer is not signed (documented); the digest is the integrity check.
        download = await self._request(
            "GET", "billdownload", location.download_url.strip(), retry=True, verify=False
        )
        return verified_bill(download.body, location.hash_value, gzipped=gzipped)

    # ---- transport ----------------------------------------------------------------------------

    def _decode(self, answer: _Answer, response_type: type[T]) -> T:
        try:
            return msgspec.json.decode(answer.body, type=response_type)
        except msgspec.DecodeError as exc:
            raise WechatPayError(
                answer.status, "BAD_RESPONSE", f"unexpected response: {exc}"
            ) from exc

    async def _request(
        self,
        method: str,
        operation: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        json: msgspec.Struct | None = None,
        retry: bool = False,
        verify: bool = True,
    ) -> _Answer:
        """One signed call; ``path`` is relative to base_url, or an absolute URL (the bill
        download). Transport errors and 5xx are retried when ``retry``; the answer of a 2xx is
        verified when ``verify``."""
        attempts = attempts_for(retry, self._http.retries)
        last_error: WechatPayError | None = None
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(backoff_delay(attempt, self._http.backoff_base, 5.0))
            try:
                return await self._request_once(method, operation, path, query, json, verify)
            except WechatPaySignatureInvalid:
                raise
            except WechatPayError as exc:
                if exc.status is not None and exc.status < 500:
                    raise
                last_error = exc
        assert last_error is not None
        raise last_error

    async def _request_once(
        self,
        method: str,
        operation: str,
        path: str,
        query: Mapping[str, str] | None,
        json: msgspec.Struct | None,
        verify: bool,
    ) -> _Answer:
        started = time.perf_counter()
        outcome = "error"
        request_id = ""
        raw = path if path.startswith(("http://", "https://")) else self._base_url + path
        if query:
            raw += ("&" if "?" in raw else "?") + urlencode(query, quote_via=quote)
        url = URL(raw, encoded=True)
        body = msgspec.json.encode(json) if json is not None else b""
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": self.authorization(
                method,
                url.raw_path_qs,
                body.decode(),
                timestamp=int(time.time()),
                nonce=_nonce(),
            ),
        }
        if json is not None:
            headers["Content-Type"] = "application/json"
        if self._public_key_id:
            headers["Wechatpay-Serial"] = self._public_key_id
        try:
            async with self._session.request(
                method, url, data=body if json is not None else None, headers=headers
            ) as response:
                data = await response.read()
                request_id = response.headers.get("Request-ID", "")
                answer = _Answer(response.status, dict(response.headers), data)
            if answer.status >= 400:
                outcome = f"http_{answer.status}"
                raise self._error(answer, request_id)
            if verify:
                outcome = "bad_signature"
                await self.verify_signature(answer.headers, answer.body)
            outcome = "ok"
            return answer
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
            raise WechatPayError(None, "NETWORK_ERROR", repr(exc)) from exc
        finally:
            elapsed = time.perf_counter() - started
            OUTSIDE_CALL_SECONDS.labels(self.system, operation, outcome).observe(elapsed)
            log.info(
                "outside call",
                extra={
                    "system": self.system,
                    "operation": operation,
                    "outcome": outcome,
                    "duration_ms": round(elapsed * 1000, 1),
                    "request_id": request_id,
                },
            )

    @staticmethod
    def _error(answer: _Answer, request_id: str) -> WechatPayError:
        try:
            error = msgspec.json.decode(answer.body, type=_WechatPayErrorBody)
        except msgspec.DecodeError:
            error = _WechatPayErrorBody(
                code="HTTP_ERROR", message=answer.body[:200].decode("utf-8", "replace")
            )
        kind = WechatPayNotFound if answer.status == 404 else WechatPayError
        return kind(
            answer.status,
            error.code,
            error.message,
            detail=error.detail,
            request_id=request_id,
        )


__all__ = [
    "AppPrepayRequest",
    "BillRow",
    "BillSummary",
    "EncryptedResource",
    "JsapiPrepayRequest",
    "PayNotification",
    "Refund",
    "RefundAmount",
    "RefundRequest",
    "TradeBillUrl",
    "Transaction",
    "TransactionAmount",
    "WechatPayBillHashMismatch",
    "WechatPayBillMalformed",
    "WechatPayClient",
    "WechatPayConfigError",
    "WechatPayError",
    "WechatPayNotFound",
    "WechatPaySignatureInvalid",
    "aead_decrypt",
    "parse_trade_bill",
    "parse_trade_bill_summary",
    "rsa_sign",
    "rsa_verify",
    "verified_bill",
]
