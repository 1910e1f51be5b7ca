from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest
from prometheus_client import REGISTRY

from core.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    CalendarUnknown,
    add_working_days,
    is_working_day,
    working_days_between,
)

SUNDAY, SATURDAY = 6, 5


def shifted_working_days(year: int, holiday: str) -> list[date]:
    """Weekend days the State Council made working days (调休) for a holiday, per the library."""
    return sorted(
        d for d, name in chinese_calendar.workdays.items() if d.year == year and name == holiday
    )


def holidays_between(first: date, last: date) -> list[date]:
    return sorted(d for d in chinese_calendar.holidays if first <= d <= last)


def unknown_count() -> float:
    return REGISTRY.get_sample_value("handheld_calendar_unknown_total") or 0.0


def test_coverage_is_read_from_the_library() -> None:
    assert FIRST_YEAR == 2004
    assert LAST_YEAR >= 2026
    assert is_working_day(date(FIRST_YEAR, 1, 5))
    assert not is_working_day(date(LAST_YEAR, 1, 1))


def test_2025_national_day_and_mid_autumn() -> None:
    # What the library holds for 2025: Oct 1-8 off (National Day with Mid-Autumn on Oct 6),
    # made up for on Sunday Sept 28 and Saturday Oct 11.
    shifted = shifted_working_days(2025, "National Day")
    assert shifted == [date(2025, 9, 28), date(2025, 10, 11)]
    assert [d.weekday() for d in shifted] == [SUNDAY, SATURDAY]
    off = holidays_between(date(2025, 9, 29), date(2025, 10, 12))
    assert off == [date(2025, 10, day) for day in range(1, 9)]
    assert chinese_calendar.holidays[date(2025, 10, 6)] == "Mid-autumn Festival"

    assert all(is_working_day(d) for d in shifted)
    assert not any(is_working_day(d) for d in off)
    assert not is_working_day(date(2025, 9, 27))  # the Saturday before stays a rest day

    # Received on Saturday Sept 27: the shifted Sunday is day 1.
    assert add_working_days(date(2025, 9, 27), 1) == date(2025, 9, 28)
    # Received on Friday Sept 26: day 1 is that Sunday too; the 2-working-day pre-review
    # deadline falls on Monday Sept 29.
    assert add_working_days(date(2025, 9, 26), 2) == date(2025, 9, 29)
    # Received on Tuesday Sept 30: the holiday is skipped, day 1 is Thursday Oct 9 and day 3
    # the shifted Saturday Oct 11.
    assert add_working_days(date(2025, 9, 30), 1) == date(2025, 10, 9)
    assert add_working_days(date(2025, 9, 30), 3) == date(2025, 10, 11)
    assert add_working_days(date(2025, 9, 30), 4) == date(2025, 10, 13)
    # Received during the holiday: counting starts on the first working day after it.
    assert add_working_days(date(2025, 10, 3), 1) == date(2025, 10, 9)

    assert working_days_between(date(2025, 9, 30), date(2025, 10, 9)) == 1
    # Sun 28, Mon 29, Tue 30, Thu 9, Fri 10, Sat 11, Mon 13.
    assert working_days_between(date(2025, 9, 26), date(2025, 10, 13)) == 7
    assert working_days_between(date(2025, 10, 13), date(2025, 9, 26)) == -7
    assert working_days_between(date(2025, 10, 1), date(2025, 10, 8)) == 0


def test_ordinary_weekend() -> None:
    saturday = date(2025, 11, 15)
    assert saturday.weekday() == SATURDAY
    assert add_working_days(saturday, 1) == date(2025, 11, 17)
    assert add_working_days(date(2025, 11, 17), 1) == date(2025, 11, 18)
    assert add_working_days(saturday, 0) == saturday


def test_2026_spring_festival() -> None:
    shifted = shifted_working_days(2026, "Spring Festival")
    assert shifted == [date(2026, 2, 14), date(2026, 2, 28)]
    assert all(d.weekday() == SATURDAY for d in shifted)
    off = holidays_between(date(2026, 2, 14), date(2026, 2, 28))
    assert off == [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]  # Feb 15-23

    # Received on Friday Feb 13: day 1 is the shifted Saturday, day 2 the first day after the
    # festival.
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    # A promised 5 working days from the Saturday Feb 14 receipt: Feb 24-27 and Sat Feb 28.
    assert add_working_days(date(2026, 2, 14), 5) == date(2026, 2, 28)
    assert working_days_between(date(2026, 2, 13), date(2026, 3, 2)) == 7


def test_add_and_between_are_inverse() -> None:
    start = date(2025, 9, 1)
    for offset in range(0, 200, 3):
        a = start + timedelta(days=offset)
        for n in (0, 1, 2, 5, 20):
            assert working_days_between(a, add_working_days(a, n)) == n


def test_datetimes_count_by_the_day_in_china() -> None:
    # 17:00 UTC on Saturday Sept 27 is already Sunday Sept 28 (a working day) in Beijing.
    received = datetime(2025, 9, 27, 17, 0, tzinfo=UTC)
    assert is_working_day(received)
    assert add_working_days(received, 1) == date(2025, 9, 29)
    assert add_working_days(datetime(2025, 9, 27, 23, 0), 1) == date(2025, 9, 28)


def test_uncovered_year_is_refused_and_counted() -> None:
    before = unknown_count()
    with pytest.raises(CalendarUnknown):
        is_working_day(date(LAST_YEAR + 1, 3, 2))
    with pytest.raises(CalendarUnknown):
        is_working_day(date(FIRST_YEAR - 1, 3, 3))
    # Running past the end of the known calendar is refused rather than guessed.
    with pytest.raises(CalendarUnknown) as info:
        add_working_days(date(LAST_YEAR, 12, 20), 30)
    assert info.value.day == date(LAST_YEAR + 1, 1, 1)
    with pytest.raises(CalendarUnknown):
        working_days_between(date(LAST_YEAR, 12, 1), date(LAST_YEAR + 1, 1, 5))
    assert unknown_count() == before + 4


def test_negative_n_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2025, 1, 6), -1)
