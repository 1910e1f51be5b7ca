"""Working days on the official calendar of the State Council (holidays and 调休 shifts).

Deadlines (pre-review within 2 working days, promised time limits of items) are counted in
working days, where some weekends are working days (调休) and some weekdays are holidays. The
calendar comes from ``chinesecalendar``, which transcribes the State Council's yearly notice.

Coverage: the installed chinesecalendar (1.11.0) covers 2004 to 2026 inclusive; ``FIRST_YEAR``
and ``LAST_YEAR`` are read from the library's own data, so upgrading it when the State Council
publishes the next year's notice (usually in November) extends them. A date outside them raises
``CalendarUnknown`` and counts ``handheld_calendar_unknown_total``: a deadline computed by
guessing (weekends only) could be wrong by a week around Spring Festival, and a wrong deadline
is worse than none — alert on the counter and upgrade the package.

Counting rule: the day a case is received never counts; day 1 is the first working day strictly
after it (次日起算). So a case received on a Monday has day 1 on Tuesday, and one received on a
Saturday has day 1 on Monday, unless Sunday is a shifted working day, which is then day 1.
Datetimes with a time zone are first converted to China Standard Time (UTC+8, no daylight
saving since 1991): the calendar day in China decides. Naive datetimes are taken as CST.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import chinese_calendar
from prometheus_client import Counter

CHINA_TZ = timezone(timedelta(hours=8), "CST")
FIRST_YEAR = min(chinese_calendar.holidays).year
LAST_YEAR = max(chinese_calendar.holidays).year

CALENDAR_UNKNOWN = Counter(
    "handheld_calendar_unknown",
    "Working-day computations refused because the official calendar of that year is not known",
)

_ONE_DAY = timedelta(days=1)


class CalendarUnknown(Exception):
    """The official calendar of this date's year is not in the installed chinesecalendar."""

    def __init__(self, day: date) -> None:
        super().__init__(
            f"no official working-day calendar for {day.isoformat()}"
            f" (known: {FIRST_YEAR}-{LAST_YEAR}); upgrade chinesecalendar"
        )
        self.day = day


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(CHINA_TZ)
        return value.date()
    return value


def is_working_day(day: date | datetime) -> bool:
    d = _as_date(day)
    if not FIRST_YEAR <= d.year <= LAST_YEAR:
        CALENDAR_UNKNOWN.inc()
        raise CalendarUnknown(d)
    try:
        return bool(chinese_calendar.is_workday(d))
    except NotImplementedError as exc:  # the library's own range check, should ours drift
        CALENDAR_UNKNOWN.inc()
        raise CalendarUnknown(d) from exc


def add_working_days(start: date | datetime, n: int) -> date:
    """The n-th working day after ``start`` (see the counting rule); ``n == 0`` is start's day."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = _as_date(start)
    while n > 0:
        day += _ONE_DAY
        if is_working_day(day):
            n -= 1
    return day


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    """Working days in ``(a, b]``: after ``a``, up to and including ``b``.

    The inverse of ``add_working_days``: ``working_days_between(a, add_working_days(a, n)) ==
    n``. Negative when ``b`` is before ``a`` (e.g. how overdue a case is).
    """
    start, end = _as_date(a), _as_date(b)
    if end < start:
        return -working_days_between(end, start)
    count = 0
    day = start
    while day < end:
        day += _ONE_DAY
        if is_working_day(day):
            count += 1
    return count


__all__ = [
    "CALENDAR_UNKNOWN",
    "FIRST_YEAR",
    "LAST_YEAR",
    "CalendarUnknown",
    "add_working_days",
    "is_working_day",
    "working_days_between",
]
