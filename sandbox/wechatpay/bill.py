"""Trade bills (交易账单) in WeChat Pay's file format.

A bill covers one Beijing-time day: payments by their success time, refunds by the time the
refund was accepted. The file has four parts, fields separated by commas, CRLF line ends:

1. the detail header row (column names, no prefix);
2. one row per payment / refund, every field prefixed with a backtick (`````) so that
   spreadsheets keep long numbers as text;
3. the summary header row;
4. the summary row (backtick-prefixed too).

Amounts are in yuan with two decimals, fees with five. ``ALL`` has payments and refunds,
``SUCCESS`` only payments (without the refund columns), ``REFUND`` only refunds (with the
refund's application and success times). Faults (``BillFault``) change or drop a row after the
bill is built; the summary is computed from the rows as they are finally written.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import msgspec

from sandbox.wechatpay.state import Book, Refund, Transaction, beijing

BillType = Literal["ALL", "SUCCESS", "REFUND"]
BILL_TYPES: tuple[BillType, ...] = ("ALL", "SUCCESS", "REFUND")
FEE_RATE = Decimal("0.006")
FEE_RATE_TEXT = "0.60%"

COMMON_HEAD = (
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
)
REFUND_COLUMNS = (
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
)
TAIL = ("商品名称", "商户数据包", "手续费", "费率", "订单金额")
HEADERS: dict[BillType, tuple[str, ...]] = {
    "ALL": (*COMMON_HEAD, *REFUND_COLUMNS, *TAIL, "申请退款金额", "费率备注"),
    "SUCCESS": (*COMMON_HEAD, *TAIL, "费率备注"),
    "REFUND": (
        *COMMON_HEAD,
        "退款申请时间",
        "退款成功时间",
        *REFUND_COLUMNS,
        *TAIL,
        "申请退款金额",
        "费率备注",
    ),
}
SUMMARY_HEADER = (
    "总交易单数",
    "应结订单总金额",
    "退款总金额",
    "充值券退款总金额",
    "手续费总金额",
    "订单总金额",
    "申请退款总金额",
)


class BillFault(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Alter the bill row of one payment (or refund) on one date."""

    bill_date: str
    out_trade_no: str
    kind: Literal["payment", "refund"] = "payment"
    out_refund_no: str | None = None
    # Column name (as in the header) -> new value, without the backtick.
    set: dict[str, str] = msgspec.field(default_factory=dict)
    drop: bool = False
    mchid: str | None = None


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def fee_fen(amount_fen: int) -> int:
    """The fee of one payment (or returned by one refund), rounded to the fen."""
    return int((Decimal(amount_fen) * FEE_RATE).to_integral_value(rounding=ROUND_HALF_UP))


def fee_text(fen: int) -> str:
    return f"{Decimal(fen) / 100:.5f}"


def _time(moment: float) -> str:
    return beijing(moment).strftime("%Y-%m-%d %H:%M:%S")


def _day(moment: float) -> dt.date:
    return beijing(moment).date()


@dataclass
class Row:
    kind: Literal["payment", "refund"]
    out_trade_no: str
    out_refund_no: str | None
    moment: float
    values: dict[str, str]


def _payment_row(trade: Transaction) -> Row:
    assert trade.success_time is not None and trade.transaction_id is not None
    total = yuan(trade.total)
    values = {
        "交易时间": _time(trade.success_time),
        "公众账号ID": trade.appid,
        "商户号": trade.mchid,
        "特约商户号": "0",
        "设备号": "",
        "微信订单号": trade.transaction_id,
        "商户订单号": trade.out_trade_no,
        "用户标识": trade.openid or "",
        "交易类型": trade.trade_type,
        "交易状态": "SUCCESS",
        "付款银行": trade.bank_type,
        "货币种类": trade.currency,
        "应结订单金额": total,
        "代金券金额": "0.00",
        "微信退款单号": "0",
        "商户退款单号": "0",
        "退款金额": "0.00",
        "充值券退款金额": "0.00",
        "退款类型": "",
        "退款状态": "",
        "商品名称": trade.description,
        "商户数据包": trade.attach or "",
        "手续费": fee_text(fee_fen(trade.total)),
        "费率": FEE_RATE_TEXT,
        "订单金额": total,
        "申请退款金额": "0.00",
        "费率备注": "",
    }
    return Row("payment", trade.out_trade_no, None, trade.success_time, values)


def _refund_row(refund: Refund) -> Row:
    trade = refund.transaction
    assert trade.transaction_id is not None
    values = {
        "交易时间": _time(refund.created_at),
        "公众账号ID": trade.appid,
        "商户号": trade.mchid,
        "特约商户号": "0",
        "设备号": "",
        "微信订单号": trade.transaction_id,
        "商户订单号": trade.out_trade_no,
        "用户标识": trade.openid or "",
        "交易类型": trade.trade_type,
        "交易状态": "REFUND",
        "付款银行": trade.bank_type,
        "货币种类": trade.currency,
        "应结订单金额": "0.00",
        "代金券金额": "0.00",
        "退款申请时间": _time(refund.created_at),
        "退款成功时间": _time(refund.success_time) if refund.success_time else "",
        "微信退款单号": refund.refund_id,
        "商户退款单号": refund.out_refund_no,
        "退款金额": yuan(refund.refund),
        "充值券退款金额": "0.00",
        "退款类型": "ORIGINAL",
        "退款状态": "FAIL" if refund.status == "ABNORMAL" else refund.status,
        "商品名称": trade.description,
        "商户数据包": trade.attach or "",
        "手续费": fee_text(-fee_fen(refund.refund)),
        "费率": FEE_RATE_TEXT,
        "订单金额": "0.00",
        "申请退款金额": yuan(refund.refund),
        "费率备注": "",
    }
    return Row("refund", trade.out_trade_no, refund.out_refund_no, refund.created_at, values)


def _apply(rows: list[Row], faults: list[BillFault]) -> list[Row]:
    kept: list[Row] = []
    for row in rows:
        for fault in faults:
            if (
                fault.kind == row.kind
                and fault.out_trade_no == row.out_trade_no
                and (fault.out_refund_no is None or fault.out_refund_no == row.out_refund_no)
            ):
                if fault.drop:
                    break
                row.values.update(fault.set)
        else:
            kept.append(row)
    return kept


def _fen(text: str) -> int:
    return int((Decimal(text or "0") * 100).to_integral_value(rounding=ROUND_HALF_UP))


def _summary(rows: list[Row]) -> list[str]:
    def total(column: str) -> int:
        return sum(_fen(row.values.get(column, "0")) for row in rows)

    fees = sum(Decimal(row.values.get("手续费") or "0") for row in rows)
    return [
        str(len(rows)),
        yuan(total("应结订单金额")),
        yuan(total("退款金额")),
        yuan(total("充值券退款金额")),
        f"{fees:.5f}",
        yuan(total("订单金额")),
        yuan(total("申请退款金额")),
    ]


def trade_bill(
    book: Book, mchid: str, day: dt.date, bill_type: BillType, faults: list[BillFault]
) -> bytes | None:
    """The bill file of ``mchid`` for ``day``; None when that day has nothing to show."""
    rows: list[Row] = []
    if bill_type in ("ALL", "SUCCESS"):
        rows += [
            _payment_row(t)
            for t in book.transactions.values()
            if t.mchid == mchid
            and t.state in ("SUCCESS", "REFUND")
            and t.success_time is not None
            and _day(t.success_time) == day
        ]
    if bill_type in ("ALL", "REFUND"):
        rows += [
            _refund_row(r)
            for r in book.refunds.values()
            if r.mchid == mchid and _day(r.created_at) == day
        ]
    rows.sort(key=lambda row: row.moment)
    rows = _apply(
        rows,
        [
            f
            for f in faults
            if f.bill_date == day.isoformat() and (f.mchid is None or f.mchid == mchid)
        ],
    )
    if not rows:
        return None
    header = HEADERS[bill_type]
    lines = [",".join(header)]
    lines += [",".join("`" + row.values.get(column, "") for column in header) for row in rows]
    lines.append(",".join(SUMMARY_HEADER))
    lines.append(",".join("`" + value for value in _summary(rows)))
    return ("\r\n".join(lines) + "\r\n").encode()
