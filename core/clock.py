"""The time, and the business day it falls on: always the calendar day in China.

Deadlines, acceptance dates, supervision, review tickets, bills and licence validity are days
of China Standard Time (UTC+8, no daylight saving since 1991). A UTC instant's ``.date()`` is
the wrong day from 00:00 to 08:00 in Beijing: a submission at 07:00 on a Monday would count
from Sunday. So domain code never calls ``.date()`` on a datetime, ``date.today()`` or
``datetime.utcnow()``; it derives a day with ``china_date`` / ``china_today`` (a test scans
the code for it). A naive datetime is refused: whether it meant UTC or Beijing cannot be known.

Where the time comes from is a ``Clock``: the system's in production, a fixed one in tests (so
a test can stand at 23:30 UTC, which is 07:30 the next day in China).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Protocol

# The same offset as core.workdays.CHINA_TZ; here so that this module depends on nothing.
CHINA_TZ = timezone(timedelta(hours=8), "CST")
# PostgreSQL's name for it: SQL derives a day with ``(ts AT TIME ZONE 'Asia/Shanghai')::date``.
CHINA_TZ_NAME = "Asia/Shanghai"


class NaiveDatetime(ValueError):
    """A datetime without a time zone where a business day is derived from it."""


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, time-zone aware."""
        ...


class SystemClock:
    """The machine's clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


SYSTEM_CLOCK = SystemClock()


class FixedClock:
    """A clock that stays where it is set (tests; replays of a past moment)."""

    def __init__(self, at: datetime) -> None:
        self.set(at)

    def set(self, at: datetime) -> None:
        if at.utcoffset() is None:
            raise NaiveDatetime(f"a clock needs a time zone: {at!r}")
        self.at = at

    def now(self) -> datetime:
        return self.at


def china_time(moment: datetime) -> datetime:
    """``moment`` on China's wall clock (for a time shown to people: 更新时间 and the like)."""
    if moment.utcoffset() is None:
        raise NaiveDatetime(f"no time zone on {moment!r}: which day it is in China is unknown")
    return moment.astimezone(CHINA_TZ)


def china_date(moment: datetime) -> date:
    """The calendar day in China of ``moment`` (which must carry a time zone)."""
    return china_time(moment).date()


def china_today(now: datetime | None = None) -> date:
    """Today in China: the day of ``now`` (default: the system clock)."""
    return china_date(now if now is not None else SYSTEM_CLOCK.now())


__all__ = [
    "CHINA_TZ",
    "CHINA_TZ_NAME",
    "SYSTEM_CLOCK",
    "Clock",
    "FixedClock",
    "NaiveDatetime",
    "SystemClock",
    "china_date",
    "china_time",
    "china_today",
]
