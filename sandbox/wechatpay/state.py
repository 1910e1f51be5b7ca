"""The book of the WeChat Pay stand-in: merchants, transactions (orders) and refunds, in memory.

Shapes follow WeChat Pay APIv3 for direct merchants: a transaction is keyed by
(mchid, out_trade_no) and, once paid, by its ``transaction_id``; a refund by
(mchid, out_refund_no). Business times come from the movable ``Clock`` and are written as
RFC 3339 in Beijing time (``2026-01-05T10:34:56+08:00``), as WeChat Pay writes them.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.clock import Clock
from sandbox.wechatpay.keys import Merchant

BEIJING = dt.timezone(dt.timedelta(hours=8), "Asia/Shanghai")
# prepay_id is valid for two hours; asking again with the same parameters after that gives a
# new one.
PREPAY_TTL_SECONDS = 2 * 3600

TradeState = Literal["SUCCESS", "REFUND", "NOTPAY", "CLOSED", "PAYERROR", "USERPAYING"]
RefundStatus = Literal["PROCESSING", "SUCCESS", "CLOSED", "ABNORMAL"]
TradeType = Literal["JSAPI", "APP"]

TRADE_STATE_DESC: dict[str, str] = {
    "SUCCESS": "支付成功",
    "REFUND": "转入退款",
    "NOTPAY": "订单未支付",
    "CLOSED": "订单已关闭",
    "PAYERROR": "支付失败，请重新下单支付",
    "USERPAYING": "用户支付中，请稍后查询",
}


def beijing(moment: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(moment, BEIJING)


def rfc3339(moment: float) -> str:
    return beijing(moment).isoformat(timespec="seconds")


def _digits(count: int) -> str:
    return "".join(str(secrets.randbelow(10)) for _ in range(count))


def new_transaction_id(moment: float) -> str:
    """28 digits like ``4200000925202101284997714292``: prefix, date, sequence."""
    return "420000" + _digits(4) + beijing(moment).strftime("%Y%m%d") + _digits(10)


def new_refund_id(moment: float) -> str:
    """29 digits like ``50300908562024011601487282563``."""
    return "50300" + _digits(5) + beijing(moment).strftime("%Y%m%d") + _digits(11)


def new_prepay_id(moment: float) -> str:
    """``wx`` + Beijing date-time + random, 36 characters."""
    return "wx" + beijing(moment).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10)


@dataclass
class Transaction:
    mchid: str
    appid: str
    out_trade_no: str
    trade_type: TradeType
    description: str
    notify_url: str | None
    total: int
    currency: str = "CNY"
    openid: str | None = None
    attach: str | None = None
    time_expire: float | None = None
    request: dict[str, Any] = field(default_factory=dict)
    prepay_id: str | None = None
    prepay_at: float = 0.0
    created_at: float = 0.0
    state: TradeState = "NOTPAY"
    transaction_id: str | None = None
    success_time: float | None = None
    bank_type: str = "OTHERS"
    planted: bool = False

    def describe(self) -> dict[str, Any]:
        """The transaction as ``GET /v3/pay/transactions/...`` returns it."""
        paid = self.state in ("SUCCESS", "REFUND")
        body: dict[str, Any] = {
            "appid": self.appid,
            "mchid": self.mchid,
            "out_trade_no": self.out_trade_no,
        }
        if self.transaction_id is not None:
            body["transaction_id"] = self.transaction_id
            body["trade_type"] = self.trade_type
        body["trade_state"] = self.state
        body["trade_state_desc"] = TRADE_STATE_DESC[self.state]
        if self.transaction_id is not None:
            body["bank_type"] = self.bank_type
        if self.attach is not None:
            body["attach"] = self.attach
        if paid and self.success_time is not None:
            body["success_time"] = rfc3339(self.success_time)
        body["payer"] = (
            {"openid": self.openid}
            if self.transaction_id is not None and self.openid is not None
            else {}
        )
        amount: dict[str, Any] = {"total": self.total, "currency": self.currency}
        if paid:
            amount["payer_total"] = self.total
        amount["payer_currency"] = self.currency
        body["amount"] = amount
        body["promotion_detail"] = []
        return body


@dataclass
class Refund:
    mchid: str
    out_refund_no: str
    refund_id: str
    transaction: Transaction
    refund: int
    reason: str | None
    notify_url: str | None
    created_at: float
    request: dict[str, Any] = field(default_factory=dict)
    status: RefundStatus = "PROCESSING"
    success_time: float | None = None

    def describe(self) -> dict[str, Any]:
        """The refund as ``/v3/refund/domestic/refunds`` returns it."""
        trade = self.transaction
        body: dict[str, Any] = {
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": trade.transaction_id,
            "out_trade_no": trade.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": rfc3339(self.created_at),
            "status": self.status,
            "funds_account": "AVAILABLE",
            "amount": {
                "total": trade.total,
                "refund": self.refund,
                "from": [],
                "payer_total": trade.total,
                "payer_refund": self.refund,
                "settlement_refund": self.refund,
                "settlement_total": trade.total,
                "discount_refund": 0,
                "currency": trade.currency,
                "refund_fee": 0,
            },
            "promotion_detail": [],
        }
        if self.success_time is not None:
            body["success_time"] = rfc3339(self.success_time)
        return body

    def notification_resource(self) -> dict[str, Any]:
        """The decrypted resource of a ``REFUND.*`` notification."""
        trade = self.transaction
        body: dict[str, Any] = {
            "mchid": self.mchid,
            "out_trade_no": trade.out_trade_no,
            "transaction_id": trade.transaction_id,
            "out_refund_no": self.out_refund_no,
            "refund_id": self.refund_id,
            "refund_status": self.status,
        }
        if self.success_time is not None:
            body["success_time"] = rfc3339(self.success_time)
        body["user_received_account"] = "支付用户零钱"
        body["amount"] = {
            "total": trade.total,
            "refund": self.refund,
            "payer_total": trade.total,
            "payer_refund": self.refund,
        }
        return body


@dataclass
class Book:
    clock: Clock
    merchants: dict[str, Merchant] = field(default_factory=dict)
    transactions: dict[tuple[str, str], Transaction] = field(default_factory=dict)
    by_transaction_id: dict[str, Transaction] = field(default_factory=dict)
    refunds: dict[tuple[str, str], Refund] = field(default_factory=dict)

    def reset(self, merchants: list[Merchant]) -> None:
        self.merchants = {m.mchid: m for m in merchants}
        self.transactions.clear()
        self.by_transaction_id.clear()
        self.refunds.clear()

    def transaction(self, mchid: str, out_trade_no: str) -> Transaction | None:
        return self.transactions.get((mchid, out_trade_no))

    def by_id(self, mchid: str, transaction_id: str) -> Transaction | None:
        trade = self.by_transaction_id.get(transaction_id)
        return trade if trade is not None and trade.mchid == mchid else None

    def add(self, trade: Transaction) -> None:
        self.transactions[(trade.mchid, trade.out_trade_no)] = trade
        if trade.transaction_id is not None:
            self.by_transaction_id[trade.transaction_id] = trade

    def mark_paid(self, trade: Transaction, success_time: float) -> None:
        trade.state = "SUCCESS"
        trade.transaction_id = trade.transaction_id or new_transaction_id(success_time)
        trade.success_time = success_time
        self.by_transaction_id[trade.transaction_id] = trade

    def refunds_of(self, trade: Transaction) -> list[Refund]:
        return [r for r in self.refunds.values() if r.transaction is trade]

    def refundable(self, trade: Transaction) -> int:
        """What is left to refund: closed refunds give their amount back."""
        taken = sum(r.refund for r in self.refunds_of(trade) if r.status != "CLOSED")
        return trade.total - taken

    def find_by_out_trade_no(self, out_trade_no: str, mchid: str | None) -> list[Transaction]:
        return [
            t
            for (m, no), t in self.transactions.items()
            if no == out_trade_no and (mchid is None or m == mchid)
        ]
