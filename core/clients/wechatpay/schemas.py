"""WeChat Pay v3 wire types: request bodies, answers, notification envelopes (field names as
WeChat Pay spells them)."""

from __future__ import annotations

from typing import Any

import msgspec


class Amount(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Order amount in fen."""

    total: int
    currency: str = "CNY"


class Payer(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    openid: str


class PrepayRequest(msgspec.Struct, kw_only=True, omit_defaults=True):
    """POST /v3/pay/transactions/jsapi (with ``payer``) or /v3/pay/transactions/app (without)."""

    appid: str
    mchid: str
    description: str
    out_trade_no: str
    notify_url: str
    amount: Amount
    payer: Payer | None = None
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


class NotificationEnvelope(msgspec.Struct, kw_only=True):
    """A notification's body as WeChat Pay posts it (the resource still encrypted)."""

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


class ErrorBody(msgspec.Struct, kw_only=True):
    """WeChat Pay's error answer (any 4xx or 5xx)."""

    code: str = ""
    message: str = ""
    detail: Any = None


class CertificateEntry(msgspec.Struct, kw_only=True):
    serial_no: str
    effective_time: str = ""
    expire_time: str = ""
    encrypt_certificate: EncryptedResource


class Certificates(msgspec.Struct, kw_only=True):
    """GET /v3/certificates"""

    data: list[CertificateEntry]


__all__ = [
    "Amount",
    "CertificateEntry",
    "Certificates",
    "CloseRequest",
    "EncryptedResource",
    "ErrorBody",
    "NotificationEnvelope",
    "PayNotification",
    "Payer",
    "PrepayRequest",
    "PrepayResponse",
    "Refund",
    "RefundAmount",
    "RefundRequest",
    "RefundRequestAmount",
    "TradeBillUrl",
    "Transaction",
    "TransactionAmount",
    "TransactionPayer",
]
