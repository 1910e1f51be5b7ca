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


class ServiceFigures(_Out, kw_only=True):
    """Service figures of a period (China business days, both ends included)."""

    from_date: date = msgspec.field(name="from")
    to_date: date = msgspec.field(name="to")
    by: By
    rows: list[ServiceFigureRow]
    total: ServiceFigureRow


class RollUpReport(msgspec.Struct, kw_only=True):
    """What one rollup batch did: state changes counted and rollup rows touched; ``more`` when
    finished transactions are left for the next batch."""

    moves: int
    rows: int
    more: bool
