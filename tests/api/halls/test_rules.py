"""The pure rules: opening days on the official calendar, half hours, the no-show pause."""

from __future__ import annotations

from datetime import date, time

from api.halls.rules import OpeningRule, Session, half_hours, opening_on, paused_until
from core.workdays import library_calendar

RULE = OpeningRule(
    hours=(Session(time(9), time(12)), Session(time(13, 30), time(17, 30))),
    saturday_hours=(Session(time(9), time(12)),),
    closures={date(2026, 6, 18): "系统升级闭厅"},
)


def test_opening_follows_the_calendar_and_the_halls_closures() -> None:
    calendar = library_calendar()
    assert opening_on(RULE, date(2026, 6, 15), calendar).open  # Monday
    assert opening_on(RULE, date(2026, 6, 18), calendar).closed_reason == "系统升级闭厅"
    assert opening_on(RULE, date(2026, 6, 19), calendar).closed_reason == "端午节"
    # A Saturday of the holiday is shut; an ordinary Saturday opens in the morning only.
    assert not opening_on(RULE, date(2026, 6, 20), calendar).open
    saturday = opening_on(RULE, date(2026, 6, 27), calendar)
    assert saturday.open and saturday.sessions == RULE.saturday_hours
    assert opening_on(RULE, date(2026, 6, 28), calendar).closed_reason == "周末"
    # A 调休 Sunday is a working day: full hours (2026-10-11, after National Day).
    shifted = date(2026, 10, 11)
    if calendar.is_working_day(shifted):
        assert opening_on(RULE, shifted, calendar).sessions == RULE.hours
    without_saturday = OpeningRule(hours=RULE.hours)
    assert opening_on(without_saturday, date(2026, 6, 27), calendar).closed_reason == "周末"


def test_half_hours_fit_inside_the_sessions() -> None:
    slots = half_hours((Session(time(9), time(10, 15)), Session(time(13, 30), time(14, 30))))
    assert slots == [
        (time(9), time(9, 30)),
        (time(9, 30), time(10)),
        (time(13, 30), time(14)),
        (time(14), time(14, 30)),
    ]


def _paused(days: list[date], today: date) -> date | None:
    return paused_until(days, today, limit=3, window_days=90, pause_days=30)


def test_three_no_shows_in_ninety_days_pause_thirty() -> None:
    three = [date(2026, 3, 1), date(2026, 4, 20), date(2026, 5, 28)]
    assert _paused(three, date(2026, 5, 28)) == date(2026, 6, 27)
    assert _paused(three, date(2026, 6, 26)) == date(2026, 6, 27)
    assert _paused(three, date(2026, 6, 27)) is None  # served
    assert _paused(three[:2], date(2026, 5, 28)) is None
    # 90 days between the first and the third: no longer "within 90 days".
    spread = [date(2026, 3, 1), date(2026, 4, 20), date(2026, 5, 30)]
    assert _paused(spread, date(2026, 5, 30)) is None
    # A fourth no-show right after a pause pauses again (with the two before it).
    assert _paused([*three, date(2026, 7, 1)], date(2026, 7, 1)) == date(2026, 7, 31)
