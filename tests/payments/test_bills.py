"""Reading WeChat Pay's trade bill: the layout of the documented bills (a BOM, CRLF lines, values
after a backtick, refund lines, the summary), columns found by title, and malformed text
refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from payments.bills import BillMalformed, parse_trade_bill, parse_trade_bill_summary

APPID = "wx1234567890abcdef"
MCHID = "1900000109"

HEADER_ALL = (
    "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
    "付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,"
    "退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注"
)
SUMMARY_HEADER = (
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"
)

# Shaped like the documented ALL bill: a BOM, CRLF lines, every value after a backtick, a
# payment, a voucher payment, a refund of the first, then the two summary lines.
BILL_ALL = (
    "\ufeff"
    + HEADER_ALL
    + "\r\n"
    + "`2024-06-01 10:34:56,`wx1234567890abcdef,`1900000109,`0,`,`4200000001202406011234567890,"
    "`F2024060100001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`25.00,`0.00,"
    "`0,`0,`0.00,`0.00,`,`,`居住证办理工本费,`,`0.15000,`0.60%,`25.00,`0.00,`\r\n"
    + "`2024-06-01 11:02:03,`wxfedcba0987654321,`1900000109,`0,`,`4200000002202406012345678901,"
    "`F2024060100002,`oUpF8uEiFPwT1rGGWYs3kAjgFDZo,`APP,`SUCCESS,`CMB_DEBIT,`CNY,`9.50,`0.50,"
    "`0,`0,`0.00,`0.00,`,`,`不动产登记费, 住宅,`order-2,`0.05700,`0.60%,`10.00,`0.00,`\r\n"
    + "`2024-06-01 15:20:00,`wx1234567890abcdef,`1900000109,`0,`,`4200000001202406011234567890,"
    "`F2024060100001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`REFUND,`OTHERS,`CNY,`0.00,`0.00,"
    "`50000000382019052709732678859,`R2024060100001,`25.00,`0.00,`ORIGINAL,`SUCCESS,"
    "`居住证办理工本费,`,`-0.15000,`0.60%,`0.00,`25.00,`\r\n"
    + SUMMARY_HEADER
    + "\r\n"
    + "`3,`34.50,`25.00,`0.00,`0.05700,`35.00,`25.00\r\n"
)


def test_parse_trade_bill_of_all_orders() -> None:
    rows = parse_trade_bill(BILL_ALL)
    assert [row.trade_state for row in rows] == ["SUCCESS", "SUCCESS", "REFUND"]
    first, second, refund = rows
    assert first.trade_time == "2024-06-01 10:34:56"
    assert first.appid == APPID
    assert first.mchid == MCHID
    assert first.transaction_id == "4200000001202406011234567890"
    assert first.out_trade_no == "F2024060100001"
    assert first.trade_type == "JSAPI"
    assert first.settlement_total == 2500
    assert first.total == 2500
    assert first.fee_yuan == Decimal("0.15000")
    assert first.rate == "0.60%"
    assert first.description == "居住证办理工本费"
    # A voucher: the settlement amount is the order amount minus the voucher.
    assert (second.total, second.coupon_amount, second.settlement_total) == (1000, 50, 950)
    # A comma inside a value does not split it (values start with a backtick).
    assert second.description == "不动产登记费, 住宅"
    assert second.attach == "order-2"
    assert refund.out_refund_no == "R2024060100001"
    assert refund.refund_id == "50000000382019052709732678859"
    assert (refund.settlement_refund, refund.refund_requested) == (2500, 2500)
    assert refund.refund_type == "ORIGINAL" and refund.refund_status == "SUCCESS"
    assert refund.fee_yuan == Decimal("-0.15000")

    summary = parse_trade_bill_summary(BILL_ALL)
    assert summary.count == 3
    assert summary.settlement_total == 3450
    assert summary.settlement_refund_total == 2500
    assert summary.total == 3500
    assert summary.fee_total_yuan == Decimal("0.05700")
    # The summary adds up to the detail lines.
    assert summary.settlement_total == sum(row.settlement_total for row in rows)
    assert summary.settlement_refund_total == sum(row.settlement_refund for row in rows)


def test_parse_trade_bill_of_a_day_without_orders() -> None:
    text = (
        HEADER_ALL
        + "\r\n"
        + SUMMARY_HEADER
        + "\r\n"
        + "`0,`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00\r\n"
    )
    assert parse_trade_bill(text) == []
    assert parse_trade_bill_summary(text).count == 0


def test_parse_trade_bill_success_type_reads_columns_by_title() -> None:
    """The SUCCESS bill has no refund columns; columns are found by their title."""
    header = (
        "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,"
        "付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注"
    )
    text = (
        header
        + "\n`2024-06-01 10:34:56,`wx1234567890abcdef,`1900000109,`0,`,`4200000001202406011234567890,"
        "`F2024060100001,`oUpF8uMuAJO_M2pxb1Q9zNjWeS6o,`JSAPI,`SUCCESS,`OTHERS,`CNY,`25.00,`0.00,"
        "`居住证办理工本费,`,`0.15000,`0.60%,`25.00,`\n"
        + SUMMARY_HEADER
        + "\n`1,`25.00,`0.00,`0.00,`0.15000,`25.00,`0.00\n"
    )
    (row,) = parse_trade_bill(text)
    assert (row.out_trade_no, row.total, row.settlement_refund, row.out_refund_no) == (
        "F2024060100001",
        2500,
        0,
        "",
    )


@pytest.mark.parametrize(
    "text",
    [
        "",
        "交易时间,商户订单号\r\n",
        # The count disagrees with the detail lines (a truncated download).
        BILL_ALL.replace("`3,`34.50", "`4,`34.50"),
        # A value line without the backtick prefix.
        BILL_ALL.replace("`2024-06-01 11:02:03", "2024-06-01 11:02:03"),
        # A missing column.
        BILL_ALL.replace(",`order-2", ""),
        # An amount that is not one.
        BILL_ALL.replace("`9.50", "`9.5O"),
        # Fractions of a fen.
        BILL_ALL.replace("`9.50", "`9.505"),
    ],
)
def test_malformed_bills_are_refused(text: str) -> None:
    with pytest.raises(BillMalformed):
        parse_trade_bill(text)
