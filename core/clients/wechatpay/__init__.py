"""WeChat Pay API v3 as a direct merchant: ``client`` (``WechatPayClient`` on ``JsonApiClient``),
``crypto`` (request signing, answer and notification verification, AES-GCM resources, key
loading, the bill digest), ``schemas`` (wire types), ``errors``. Parsing a trade bill is the
payments domain's (``payments.bills``)."""

from core.clients.wechatpay.client import WechatPayClient
from core.clients.wechatpay.crypto import aead_decrypt, rsa_sign, rsa_verify, verified_bill
from core.clients.wechatpay.errors import (
    WechatPayBillHashMismatch,
    WechatPayConfigError,
    WechatPayError,
    WechatPayNotFound,
    WechatPaySignatureInvalid,
)
from core.clients.wechatpay.schemas import (
    EncryptedResource,
    PayNotification,
    PrepayRequest,
    Refund,
    RefundAmount,
    RefundRequest,
    TradeBillUrl,
    Transaction,
    TransactionAmount,
)

__all__ = [
    "EncryptedResource",
    "PayNotification",
    "PrepayRequest",
    "Refund",
    "RefundAmount",
    "RefundRequest",
    "TradeBillUrl",
    "Transaction",
    "TransactionAmount",
    "WechatPayBillHashMismatch",
    "WechatPayClient",
    "WechatPayConfigError",
    "WechatPayError",
    "WechatPayNotFound",
    "WechatPaySignatureInvalid",
    "aead_decrypt",
    "rsa_sign",
    "rsa_verify",
    "verified_bill",
]
