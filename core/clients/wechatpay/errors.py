"""What the WeChat Pay client raises.

Every ``WechatPayError`` is an ``OutsideSystemHttpError``: ``status`` None means WeChat Pay was
unreachable (or answered nothing usable), and ``JsonApiClient`` retries an idempotent call on
that and on a 5xx, never on a 4xx.
"""

from __future__ import annotations

from core.errors import OutsideSystemError
from core.http import OutsideSystemHttpError


class WechatPayConfigError(Exception):
    """The merchant configuration is missing or unusable (a deployment error, never a reason to
    accept unverified data)."""


class WechatPayError(OutsideSystemHttpError):
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
        # WeChat Pay's code says more than the operation the base message would name.
        OutsideSystemError.__init__(self, f"wechatpay: {status or '-'} {code} {message}")
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
    does not decrypt (the AEAD tag is an authenticity check too). Raised after the call's
    attempts, so it is never retried."""

    def __init__(self, reason: str) -> None:
        super().__init__(None, "SIGNATURE_INVALID", reason)


class WechatPayBillHashMismatch(WechatPayError):
    """The downloaded bill's digest differs from ``hash_value`` of the bill request."""

    def __init__(self, expected: str, actual: str) -> None:
        super().__init__(None, "BILL_HASH_MISMATCH", f"expected {expected}, got {actual}")
        self.expected = expected
        self.actual = actual


__all__ = [
    "WechatPayBillHashMismatch",
    "WechatPayConfigError",
    "WechatPayError",
    "WechatPayNotFound",
    "WechatPaySignatureInvalid",
]
