"""WeChat Pay's trade bill (交易账单) read into rows: what reconciliation compares with our
orders. The client (``core.clients.wechatpay``) downloads the bill and checks its digest; this
module only reads the text.

The layout (pay.weixin.qq.com, "下载交易账单"): a header line of column titles, one line per
payment or refund whose every value starts with a backtick, then a summary header and a summary
line. Amounts are in yuan with two decimals (the fee with five).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import msgspec

from core.clock import china_today
from payments.errors import BillMalformed


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
        raise BillMalformed(f"not an amount: {text!r}") from exc


def _fen(text: str) -> int:
    value = _yuan(text) * 100
    if value != value.to_integral_value():
        raise BillMalformed(f"amount with fractions of a fen: {text!r}")
    return int(value)


def _bill_values(line: str) -> list[str]:
    """Values of a detail or summary line: every one is prefixed with a backtick, so ",`" is
    the separator (a comma inside a description stays in it)."""
    if not line.startswith("`"):
        raise BillMalformed(f"value line without the backtick prefix: {line[:40]!r}")
    return line[1:].split(",`")


def _bill_sections(text: str) -> tuple[list[str], list[list[str]], list[str], list[str]]:
    lines = [line for line in text.lstrip("\ufeff").splitlines() if line.strip()]
    if len(lines) < 3:
        raise BillMalformed("a trade bill has a header and two summary lines at least")
    header = [title.strip() for title in lines[0].split(",")]
    summary_header = [title.strip() for title in lines[-2].split(",")]
    if "交易时间" not in header or "总交易单数" not in summary_header:
        raise BillMalformed("not a trade bill (header or summary header missing)")
    details = [_bill_values(line) for line in lines[1:-2]]
    for values in details:
        if len(values) != len(header):
            raise BillMalformed(f"{len(values)} values for {len(header)} columns")
    summary = _bill_values(lines[-1])
    if len(summary) != len(summary_header):
        raise BillMalformed("summary values do not match the summary header")
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
        raise BillMalformed(f"summary counts {summary.count} lines, found {len(rows)}")
    return rows


__all__ = [
    "BillMalformed",
    "BillRow",
    "BillSummary",
    "parse_trade_bill",
    "parse_trade_bill_summary",
    "yesterday_in_china",
]


def yesterday_in_china(now: datetime | None = None) -> date:
    """The bill day the daily reconciliation checks: the day before today in China (WeChat
    Pay's bills are of China's days, ready the next morning)."""
    return china_today(now) - timedelta(days=1)
