"""Non-tax payments (非税缴款): payment notices (缴款通知书) and electronic receipts (电子缴款票据).

When a case of a charged item is accepted, the platform issues a payment notice for the item's
fee and announces it with a case callback (``cases.py``). The citizen pays through our product
(WeChat Pay); the product reports the payment here and gets the electronic receipt. Reports are
idempotent by ``transactionId``; every accepted report call is kept for tests.

Notices and reports live in memory only (like cases) and go with ``/_control/reset``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import msgspec
from aiohttp import web

from sandbox.clock import Clock
from sandbox.http import ApiError, json_response

NOTICE_VALID_SECONDS = 7 * 86400
DEFAULT_AMOUNT_FEN = 100  # an on-demand notice for a free item, when no amount is given
FALLBACK_REGION = "620000"
# A reported ``paidAt`` may run ahead of the stand-in clock by this much (clock skew).
PAID_AT_SKEW_SECONDS = 300
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))

NoticeStatus = Literal["unpaid", "paid", "expired"]


# -- wire structs ------------------------------------------------------------------------------


class _Out(msgspec.Struct, rename="camel"):
    """Base of answer structs (None is encoded as null)."""


class PaymentNoticeInfo(_Out):
    """The notice as a case callback carries it (``CaseEvent.paymentNotice``)."""

    notice_number: str
    payment_code: str
    amount_fen: int
    item_name: str
    payee: str
    payee_code: str
    issued_at: str
    expires_at: str
    status: str


class PaymentReceipt(_Out):
    """电子缴款票据."""

    receipt_number: str
    notice_number: str
    amount_fen: int
    payee: str
    paid_at: str
    issued_at: str
    check_code: str
    item_name: str


class NoticeView(PaymentNoticeInfo):
    """``GET /gov/payments/v1/notices/{noticeNumber}``: the notice, its case and its receipt."""

    case_number: str
    receipt: PaymentReceipt | None


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    pass


class PaymentReport(_Body):
    transaction_id: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    out_trade_no: Annotated[str, msgspec.Meta(pattern=r"^[0-9A-Za-z]{6,32}$")]
    amount_fen: Annotated[int, msgspec.Meta(gt=0)]
    paid_at: str
    channel: Literal["wechatpay"]


class IssueNoticeBody(_Body):
    amount_fen: Annotated[int, msgspec.Meta(gt=0, le=100_000_000)] | None = None


# -- state -------------------------------------------------------------------------------------


@dataclass
class Payment:
    transaction_id: str
    out_trade_no: str
    channel: str
    receipt: PaymentReceipt


@dataclass
class Notice:
    case_number: str
    notice_number: str
    payment_code: str
    amount_fen: int
    item_name: str
    payee: str
    payee_code: str
    issued: float
    expires: float
    issued_at: str
    expires_at: str
    payment: Payment | None = None


@dataclass
class ReportRecord:
    notice_number: str
    transaction_id: str
    out_trade_no: str
    amount_fen: int
    paid_at: str
    channel: str
    received_at: str
    repeat: bool
    receipt_number: str

    def describe(self) -> dict[str, Any]:
        return {
            "noticeNumber": self.notice_number,
            "transactionId": self.transaction_id,
            "outTradeNo": self.out_trade_no,
            "amountFen": self.amount_fen,
            "paidAt": self.paid_at,
            "channel": self.channel,
            "receivedAt": self.received_at,
            "repeat": self.repeat,
            "receiptNumber": self.receipt_number,
        }


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of a string of digits."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return len(number) > 1 and number.isdigit() and luhn_digit(number[:-1]) == number[-1]


def _parse_time(text: str) -> float:
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ApiError(400, "INVALID_PARAMETER", "paidAt: expected an RFC 3339 timestamp") from exc
    if value.tzinfo is None or "T" not in text.upper():
        raise ApiError(400, "INVALID_PARAMETER", "paidAt: needs a date, a time and an offset")
    return value.timestamp()


class PaymentDesk:
    """Payment notices by number, their payments, and every accepted payment report."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._notices: dict[str, Notice] = {}
        self._by_case: dict[str, str] = {}  # case number → its latest notice
        self.reports: list[ReportRecord] = []
        # Told of each notice paid (the first report): a postage paid ships the result.
        self.on_paid: Callable[[Notice], None] | None = None
        # Not reset: numbers stay unique for the life of the process.
        self._numbers: set[str] = set()

    def reset(self) -> None:
        self._notices.clear()
        self._by_case.clear()
        self.reports.clear()

    # -- notices ---------------------------------------------------------------------------

    def issue(
        self,
        *,
        case_number: str,
        region_code: str,
        item_name: str,
        payee: str,
        payee_code: str,
        amount_fen: int,
    ) -> Notice:
        now = self._clock.now()
        expires = now + NOTICE_VALID_SECONDS
        notice = Notice(
            case_number=case_number,
            notice_number=self._notice_number(region_code, now),
            payment_code=self._unique(lambda: _luhn_number(f"{secrets.randbelow(10**15):015d}")),
            amount_fen=amount_fen,
            item_name=item_name,
            payee=payee,
            payee_code=payee_code,
            issued=now,
            expires=expires,
            issued_at=self._clock.rfc3339(now),
            expires_at=self._clock.rfc3339(expires),
        )
        self._notices[notice.notice_number] = notice
        self._by_case[case_number] = notice.notice_number
        return notice

    def get(self, number: str) -> Notice:
        notice = self._notices.get(number)
        if notice is None:
            raise ApiError(404, "NOTICE_NOT_FOUND", f"no payment notice {number}")
        return notice

    def for_case(self, case_number: str) -> Notice | None:
        """The case's latest notice, if any."""
        number = self._by_case.get(case_number)
        return None if number is None else self._notices[number]

    def status(self, notice: Notice) -> NoticeStatus:
        if notice.payment is not None:
            return "paid"
        return "expired" if self._clock.now() > notice.expires else "unpaid"

    def info(self, notice: Notice) -> PaymentNoticeInfo:
        return PaymentNoticeInfo(
            notice_number=notice.notice_number,
            payment_code=notice.payment_code,
            amount_fen=notice.amount_fen,
            item_name=notice.item_name,
            payee=notice.payee,
            payee_code=notice.payee_code,
            issued_at=notice.issued_at,
            expires_at=notice.expires_at,
            status=self.status(notice),
        )

    def view(self, notice: Notice) -> NoticeView:
        return NoticeView(
            **msgspec.structs.asdict(self.info(notice)),
            case_number=notice.case_number,
            receipt=None if notice.payment is None else notice.payment.receipt,
        )

    # -- payments --------------------------------------------------------------------------

    def report(self, number: str, body: PaymentReport) -> PaymentReceipt:
        """Record a payment; the same ``transactionId`` again gets the same receipt."""
        notice = self.get(number)
        paid_at = _parse_time(body.paid_at)
        if notice.payment is not None:
            if notice.payment.transaction_id != body.transaction_id:
                raise ApiError(
                    409,
                    "NOTICE_ALREADY_PAID",
                    f"notice {number} is already paid by another transaction",
                )
            return self._accepted(notice, body, repeat=True)
        if paid_at > notice.expires:
            raise ApiError(410, "NOTICE_EXPIRED", f"notice {number} expired at {notice.expires_at}")
        if paid_at > self._clock.now() + PAID_AT_SKEW_SECONDS:
            raise ApiError(400, "INVALID_PARAMETER", "paidAt: in the future")
        if body.amount_fen != notice.amount_fen:
            raise ApiError(
                400,
                "AMOUNT_MISMATCH",
                f"amountFen {body.amount_fen} is not the notice amount {notice.amount_fen}",
            )
        receipt = PaymentReceipt(
            receipt_number=self._receipt_number(),
            notice_number=notice.notice_number,
            amount_fen=notice.amount_fen,
            payee=notice.payee,
            paid_at=self._clock.rfc3339(paid_at),
            issued_at=self._clock.rfc3339(),
            check_code=f"{secrets.randbelow(10**6):06d}",
            item_name=notice.item_name,
        )
        notice.payment = Payment(
            transaction_id=body.transaction_id,
            out_trade_no=body.out_trade_no,
            channel=body.channel,
            receipt=receipt,
        )
        if self.on_paid is not None:
            self.on_paid(notice)
        return self._accepted(notice, body, repeat=False)

    def _accepted(self, notice: Notice, body: PaymentReport, *, repeat: bool) -> PaymentReceipt:
        assert notice.payment is not None
        receipt = notice.payment.receipt
        self.reports.append(
            ReportRecord(
                notice_number=notice.notice_number,
                transaction_id=body.transaction_id,
                out_trade_no=body.out_trade_no,
                amount_fen=body.amount_fen,
                paid_at=body.paid_at,
                channel=body.channel,
                received_at=self._clock.rfc3339(),
                repeat=repeat,
                receipt_number=receipt.receipt_number,
            )
        )
        return receipt

    # -- numbers ---------------------------------------------------------------------------

    def _notice_number(self, region_code: str, now: float) -> str:
        """20 digits: region code (6) + year (2) + random serial (11) + Luhn check digit."""
        region = region_code if len(region_code) == 6 and region_code.isdigit() else FALLBACK_REGION
        year = dt.datetime.fromtimestamp(now, CHINA_TIME).strftime("%y")
        return self._unique(lambda: _luhn_number(f"{region}{year}{secrets.randbelow(10**11):011d}"))

    def _receipt_number(self) -> str:
        """18 digits: the receipt code (8: province 62, kind 0101, year) + serial (10)."""
        year = dt.datetime.fromtimestamp(self._clock.now(), CHINA_TIME).strftime("%y")
        return self._unique(lambda: f"620101{year}{secrets.randbelow(10**10):010d}")

    def _unique(self, make: Callable[[], str]) -> str:
        while True:
            number = make()
            if number not in self._numbers:
                self._numbers.add(number)
                return number


def _luhn_number(body: str) -> str:
    return body + luhn_digit(body)


# -- handlers ----------------------------------------------------------------------------------

PAYMENTS_KEY = web.AppKey("provincial_payments", PaymentDesk)


def _desk(request: web.Request) -> PaymentDesk:
    return request.app[PAYMENTS_KEY]


async def get_notice(request: web.Request) -> web.Response:
    desk = _desk(request)
    return json_response(desk.view(desk.get(request.match_info["noticeNumber"])))


async def report_payment(request: web.Request) -> web.Response:
    desk = _desk(request)
    number = request.match_info["noticeNumber"]
    desk.get(number)  # 404 before 400
    try:
        body = msgspec.json.decode(await request.read(), type=PaymentReport)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc
    return json_response(desk.report(number, body))


async def control_payment_reports(request: web.Request) -> web.Response:
    number = request.query.get("noticeNumber")
    reports = [
        r.describe() for r in _desk(request).reports if number is None or r.notice_number == number
    ]
    return json_response({"reports": reports})


def add_payment_routes(app: web.Application, desk: PaymentDesk) -> None:
    app[PAYMENTS_KEY] = desk
    app.router.add_get("/gov/payments/v1/notices/{noticeNumber}", get_notice)
    app.router.add_post("/gov/payments/v1/notices/{noticeNumber}/payments", report_payment)
    app.router.add_get("/_control/payment-reports", control_payment_reports)
