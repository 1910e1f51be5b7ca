"""China's day of an instant: 23:30 UTC is 07:30 the next morning in Beijing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core import workdays
from core.clock import (
    CHINA_TZ,
    SYSTEM_CLOCK,
    FixedClock,
    NaiveDatetime,
    china_date,
    china_time,
    china_today,
)

LATE_SUNDAY_UTC = datetime(2025, 6, 8, 23, 30, tzinfo=UTC)  # Monday 07:30 in Beijing


def test_late_evening_utc_is_the_next_day_in_china() -> None:
    assert china_date(LATE_SUNDAY_UTC) == date(2025, 6, 9)
    assert china_today(LATE_SUNDAY_UTC) == date(2025, 6, 9)
    assert china_time(LATE_SUNDAY_UTC).strftime("%Y-%m-%d %H:%M") == "2025-06-09 07:30"


def test_the_day_turns_at_midnight_beijing_time() -> None:
    assert china_date(datetime(2025, 6, 8, 15, 59, 59, tzinfo=UTC)) == date(2025, 6, 8)
    assert china_date(datetime(2025, 6, 8, 16, 0, tzinfo=UTC)) == date(2025, 6, 9)
    # Whatever zone the instant is written in, the day in China is the same.
    new_york = timezone(timedelta(hours=-4))
    assert china_date(LATE_SUNDAY_UTC.astimezone(new_york)) == date(2025, 6, 9)


def test_a_naive_datetime_has_no_day_in_china() -> None:
    with pytest.raises(NaiveDatetime):
        china_date(datetime(2025, 6, 8, 23, 30))
    with pytest.raises(NaiveDatetime):
        china_today(datetime(2025, 6, 8, 23, 30))
    with pytest.raises(NaiveDatetime):
        FixedClock(datetime(2025, 6, 8, 23, 30))


def test_clocks() -> None:
    clock = FixedClock(LATE_SUNDAY_UTC)
    assert clock.now() == LATE_SUNDAY_UTC
    clock.set(LATE_SUNDAY_UTC + timedelta(days=1))
    assert china_today(clock.now()) == date(2025, 6, 10)
    now = SYSTEM_CLOCK.now()
    assert now.utcoffset() == timedelta(0)
    assert china_today() - china_date(now) in (timedelta(0), timedelta(days=1))  # midnight


def test_one_offset_for_china_across_the_core() -> None:
    assert CHINA_TZ.utcoffset(None) == workdays.CHINA_TZ.utcoffset(None) == timedelta(hours=8)
