"""Wire types of figures."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec

# How a period's figures are cut: one row per item, department, region, channel, or per China
# day, week (from its Monday) or month (from its first day).
By = Literal["item", "department", "region", "channel", "day", "week", "month"]
Channel = Literal["miniprogram", "app", "hall"]


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class ServiceFigureRow(_Out, kw_only=True):
    """One slice's service figures. Rates are fractions (0.25 is 25 %), null when their
    denominator is 0; durations are working days (nearest rank: the median of 4 cases is the
    2nd), null without cases."""

    key: str
    # Applications: first submissions (draft → submitted) on the period's days.
    applications: int
    accepted: int
    # 容缺受理: accepted with tolerated materials still to come.
    tolerated: int
    completed: int
    # 全程网办: completed cases of items that need no visit to the hall.
    completed_online: int
    # completed_online ÷ completed.
    online_rate: float | None
    # 不予许可 (after acceptance) and 不予受理 (at pre-review).
    refused: int
    not_accepted: int
    # Working days from the application to acceptance, and from acceptance to completion.
    acceptance_median_days: int | None
    acceptance_p90_days: int | None
    completion_median_days: int | None
    completion_p90_days: int | None
    # Against the promised limit (承诺时限): completions on or before their deadline, that ÷
    # completed, and the median and p90 of the completed cases' promised working days.
    completed_in_time: int
    in_time_rate: float | None
    promised_median_days: int | None
    promised_p90_days: int | None
    # Cases whose promised deadline fell on the period's days (up to yesterday), and how many of
    # them were not finished by it (超期); overdue ÷ due.
    due: int
    overdue: int
    overdue_rate: float | None
    # 补正: requests made, cases asked (first request) and asked again (second request);
    # supplemented ÷ applications, repeat_supplemented ÷ supplemented.
    supplement_requests: int
    supplemented: int
    supplement_rate: float | None
    repeat_supplemented: int
    repeat_supplement_rate: float | None
    # 好差评 of ratings given on the period's days (initial, not set aside by an appeal): good
    # (levels 3-5) ÷ ratings; bad (1-2) rectified within 3 working days ÷ bad (差评整改率).
    reviews: int
    good_reviews: int
    good_rate: float | None
    bad_reviews: int
    bad_rectified_in_time: int
    rectified_rate: float | None
    # Payment orders made on the period's days (a duplicate payment left out) and those paid.
    payment_orders: int
    payments_paid: int
    payment_success_rate: float | None


class PushReach(_Out, kw_only=True):
    """Messages of the period on one channel (``inbox``, ``wechat``, ``app``, ``sms``): sent
    (delivered included), delivered (app and SMS receipts), read (the inbox), failed, and
    WeChat recipients without a grant of the template (quota misses). Push reach is per channel
    and day only: it is not cut by item, department or region."""

    channel: str
    sent: int
    delivered: int
    read: int
    failed: int
    quota_misses: int


class ServiceFigures(_Out, kw_only=True):
    """Service figures of a period (China business days, both ends included)."""

    from_date: date = msgspec.field(name="from")
    to_date: date = msgspec.field(name="to")
    by: By
    rows: list[ServiceFigureRow]
    total: ServiceFigureRow
    push_reach: list[PushReach] = msgspec.field(default_factory=list)


class PublicMonth(_Out, kw_only=True):
    """The province's figures of one month (open data, docs/public-figures.md)."""

    month: str
    applications: int
    completed: int
    online_rate: float | None
    reviews: int
    satisfaction: float | None
    average_acceptance_days: float | None
    average_completion_days: float | None


class PublicFigures(_Out, kw_only=True):
    """Monthly figures from ``from`` to ``to`` (months, YYYY-MM), oldest first."""

    from_month: str = msgspec.field(name="from")
    to_month: str = msgspec.field(name="to")
    months: list[PublicMonth]


class SettleReport(msgspec.Struct, kw_only=True):
    """What one settling run did: from which day figures were replaced, rows touched."""

    since: date
    rows: int


class RollUpReport(msgspec.Struct, kw_only=True):
    """What one rollup batch did: state changes counted and rollup rows touched; ``more`` when
    finished transactions are left for the next batch."""

    moves: int
    rows: int
    more: bool
