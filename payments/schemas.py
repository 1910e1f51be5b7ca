"""Wire shapes of the payments domain (camelCase; requests refuse unknown fields)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

Channel = Literal["jsapi", "app"]
OrderStatus = Literal["pending", "paid", "closed", "failed", "refunded"]
NoticeStatus = Literal["unpaid", "paid", "expired", "cancelled"]
RefundStatus = Literal[
    "pending_approval", "rejected", "approved", "processing", "success", "closed", "abnormal"
]
MismatchStatus = Literal["open", "resolved"]


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


# -- citizens ---------------------------------------------------------------------------------


class CreateOrder(_In):
    notice_id: str
    channel: Channel = "jsapi"


class Receipt(_Out):
    """The platform's electronic payment receipt (电子缴款票据)."""

    receipt_number: str
    notice_number: str
    amount_fen: int
    paid_at: str
    issued_at: str
    item_name: str = ""
    payee: str = ""
    check_code: str = ""


class FeeNotice(_Out):
    id: str
    notice_number: str
    payment_code: str
    declaration_id: str | None
    case_number: str
    item_name: str
    payee: str
    amount_fen: int
    issued_at: datetime
    expires_at: datetime
    status: NoticeStatus
    paid_at: datetime | None = None
    receipt: Receipt | None = None


class NoticeList(_Out):
    items: list[FeeNotice]


class Order(_Out):
    id: str
    notice_id: str
    out_trade_no: str
    channel: Channel
    amount_fen: int
    description: str
    status: OrderStatus
    expires_at: datetime
    created_at: datetime
    paid_at: datetime | None = None
    # For wx.requestPayment (jsapi) or the app SDK (app) while the order is open.
    pay_params: dict[str, str] | None = None
    receipt: Receipt | None = None


# -- staff ------------------------------------------------------------------------------------


class StaffOrder(_Out):
    id: str
    out_trade_no: str
    notice_number: str
    item_name: str
    channel: Channel
    amount_fen: int
    refunded_fen: int
    status: OrderStatus
    duplicate: bool
    transaction_id: str | None
    paid_at: datetime | None
    reported_at: datetime | None
    created_at: datetime


class StaffOrderPage(_Out):
    items: list[StaffOrder]


class RequestRefund(_In):
    amount_fen: Annotated[int, msgspec.Meta(gt=0)]
    reason: Annotated[str, msgspec.Meta(min_length=2, max_length=80)]


class DecideRefund(_In):
    note: Annotated[str, msgspec.Meta(max_length=200)] = ""


class Refund(_Out):
    id: str
    order_id: str
    out_refund_no: str
    amount_fen: int
    reason: str
    status: RefundStatus
    requested_by: str | None
    decided_by: str | None
    refund_id: str | None
    created_at: datetime
    succeeded_at: datetime | None


class RefundPage(_Out):
    items: list[Refund]


class Mismatch(_Out):
    id: str
    bill_date: date | None
    out_trade_no: str
    kind: str
    ours: dict[str, Any] | None
    theirs: dict[str, Any] | None
    status: MismatchStatus
    note: str | None
    created_at: datetime


class MismatchPage(_Out):
    items: list[Mismatch]


class ResolveMismatch(_In):
    note: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]


class RunReconciliation(_In):
    bill_date: date


class Reconciliation(_Out):
    bill_date: date
    ran_at: datetime
    bill_rows: int
    matched: int
    mismatches: int


class PaymentFigures(_Out):
    orders_by_status: dict[str, int]
    paid_fen: int
    refunded_fen: int
    refunds_pending: int
    mismatches_open: int
    notices_unpaid: int
