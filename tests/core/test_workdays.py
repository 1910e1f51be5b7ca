from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import chinese_calendar
import pytest

from core.clock import NaiveDatetime
from core.workdays import (
    FIRST_YEAR,
    LAST_YEAR,
    Deadline,
    WorkingCalendar,
    add_working_days,
    is_working_day,
    library_calendar,
    provisional_holidays,
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
    with pytest.raises(NaiveDatetime):  # no zone: which day it is in China is unknown
        add_working_days(datetime(2025, 9, 27, 23, 0), 1)


def test_the_calendar_never_runs_out() -> None:
    # Past the last notice the library knows, deadlines are counted on the provisional rule and
    # say so; nothing is refused.
    after = library_calendar().add_working_days(date(LAST_YEAR, 12, 20), 30)
    assert after.provisional and after.day.year == LAST_YEAR + 1
    assert library_calendar().add_working_days(date(2099, 6, 1), 60).provisional
    assert working_days_between(date(2026, 12, 31), date(2027, 1, 5)) == 2  # Jan 4 and 5
    assert not is_working_day(date(FIRST_YEAR - 1, 10, 1))


def test_provisional_2027_follows_the_national_rules() -> None:
    assert provisional_holidays(2027) == {
        date(2027, 1, 1): "元旦",
        # 除夕 2027-02-05 to 初三 (New Year's Day of the lunar year is 2027-02-06).
        date(2027, 2, 5): "春节",
        date(2027, 2, 6): "春节",
        date(2027, 2, 7): "春节",
        date(2027, 2, 8): "春节",
        date(2027, 4, 5): "清明节",
        date(2027, 5, 1): "劳动节",
        date(2027, 5, 2): "劳动节",
        date(2027, 6, 9): "端午节",
        date(2027, 9, 15): "中秋节",
        date(2027, 10, 1): "国庆节",
        date(2027, 10, 2): "国庆节",
        date(2027, 10, 3): "国庆节",
    }
    calendar = library_calendar()
    assert not calendar.is_official(2027)
    assert not calendar.is_working_day(date(2027, 2, 8))  # Monday, 初三
    assert calendar.is_working_day(date(2027, 2, 9))  # no 调休 without a notice
    assert not calendar.is_working_day(date(2027, 1, 30))  # an ordinary Saturday


@pytest.mark.parametrize(
    ("year", "qingming", "new_years_eve"),
    [(2027, 5, date(2027, 2, 5)), (2028, 4, date(2028, 1, 25)), (2029, 4, date(2029, 2, 12)),
     (2030, 5, date(2030, 2, 2))],
)  # fmt: skip
def test_qingming_is_the_solar_term_and_spring_festival_starts_on_new_years_eve(
    year: int, qingming: int, new_years_eve: date
) -> None:
    days = provisional_holidays(year)
    assert days[date(year, 4, qingming)] == "清明节"
    spring = sorted(d for d, name in days.items() if name == "春节")
    assert spring == [new_years_eve + timedelta(days=i) for i in range(4)]


def test_mid_autumn_within_national_day_is_one_day_off() -> None:
    days = provisional_holidays(2028)  # 中秋 is 3 October 2028
    assert days[date(2028, 10, 3)] == "中秋节、国庆节"
    assert len(days) == 12


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_rule_agrees_with_the_notices_under_the_amended_rules(year: int) -> None:
    # 2025 and 2026 are the first years under the amended holiday rules (Spring Festival from
    # 除夕, Labour Day 2 days): every statutory day of the rule is a holiday in their notices.
    official = {d for d in chinese_calendar.holidays if d.year == year}
    assert set(provisional_holidays(year)) <= official


def test_deadlines_into_a_year_without_a_notice_are_provisional() -> None:
    calendar = library_calendar()
    # Received Wednesday 2026-12-30: day 1 Thursday 31st, then 1 January (provisional holiday)
    # and the weekend, day 2 Monday 2027-01-04.
    assert calendar.add_working_days(date(2026, 12, 30), 2) == Deadline(date(2027, 1, 4), True)
    # Received Monday 2026-12-28: both days in 2026, on the official calendar.
    assert calendar.add_working_days(date(2026, 12, 28), 2) == Deadline(date(2026, 12, 30), False)
    assert calendar.add_working_days(date(2026, 12, 31), 0) == Deadline(date(2026, 12, 31), False)


def test_an_imported_notice_replaces_the_provisional_rule() -> None:
    library = library_calendar()
    # A 2027 notice as the State Council writes them: Spring Festival 5-13 February with
    # Sunday 31 January and Saturday 20 February worked.
    calendar = WorkingCalendar(
        official_years=[*library.official_years, 2027],
        holidays={**library.holidays, **{date(2027, 2, 5) + timedelta(days=i): "春节"
                                         for i in range(9)}},
        workdays={**library.workdays, date(2027, 1, 31): "春节", date(2027, 2, 20): "春节"},
        version=7,
    )  # fmt: skip
    assert calendar.is_working_day(date(2027, 2, 20)) and calendar.is_working_day(date(2027, 1, 31))
    assert not calendar.is_working_day(date(2027, 2, 10))
    assert calendar.is_working_day(date(2027, 10, 1))  # not in this (partial) notice
    # Received Friday 19 February: day 1 is the shifted Saturday.
    assert calendar.add_working_days(date(2027, 2, 19), 1) == Deadline(date(2027, 2, 20), False)
    assert library.add_working_days(date(2027, 2, 19), 1) == Deadline(date(2027, 2, 22), True)
    holidays, workdays = calendar.year_days(2027)
    assert len(holidays) == 9 and list(workdays) == [date(2027, 1, 31), date(2027, 2, 20)]
    assert len(library.year_days(2027)[0]) == 13 and not library.year_days(2027)[1]


def test_negative_n_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2025, 1, 6), -1)
