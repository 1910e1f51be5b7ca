"""Every error of the payments domain: problem details for HTTP, and the bill reader's."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class NoticeNotFound(NotFound, code="FEE_NOTICE_NOT_FOUND"): ...


class OrderNotFound(NotFound, code="PAYMENT_ORDER_NOT_FOUND"): ...


class RefundNotFound(NotFound, code="REFUND_NOT_FOUND"): ...


class MismatchNotFound(NotFound, code="MISMATCH_NOT_FOUND"): ...


class ReceiptNotReady(NotFound, code="RECEIPT_NOT_READY"): ...


class NoticePaid(Conflict, code="FEE_NOTICE_PAID"): ...


class NoticeExpired(Conflict, code="FEE_NOTICE_EXPIRED"): ...


class OrderOpenElsewhere(Conflict, code="PAYMENT_ORDER_OPEN"):
    """An open order for this notice exists on the other channel (mini-program vs app)."""


class WechatNotBound(Conflict, code="WECHAT_NOT_BOUND"): ...


class RefundNotAllowed(Conflict, code="REFUND_NOT_ALLOWED"): ...


class RefundStateConflict(Conflict, code="REFUND_STATE_CONFLICT"): ...


class SelfApproval(DomainError, status=403, code="SELF_APPROVAL_FORBIDDEN"): ...


class NotificationRejected(DomainError, status=401, code="PAY_NOTIFICATION_REJECTED"):
    """A WeChat Pay notification we cannot accept: bad signature, stale, or not ours."""


class NotificationMismatch(DomainError, status=400, code="PAY_NOTIFICATION_MISMATCH"):
    """A genuine notification whose appid, mchid or amount disagrees with our order."""


class PaymentUnavailable(DomainError, status=503, code="PAYMENT_UNAVAILABLE"): ...


class BillMalformed(ValueError):
    """The trade bill text does not have WeChat Pay's layout (the reconcile job fails and is
    retried; never an HTTP answer)."""
