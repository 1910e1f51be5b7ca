"""Pure rules of halls and appointments: when a hall is open, its half-hour slots, the no-show
pause. No I/O; the service feeds them the hall, the working calendar and the dates."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

import msgspec

from core.clock import CHINA_TZ
from core.workdays import WorkingCalendar

SLOT_MINUTES = 30
SATURDAY = 5


class Session(msgspec.Struct, frozen=True):
    start: time
    end: time


class OpeningRule(msgspec.Struct, frozen=True, kw_only=True):
    """A hall's hours as the platform publishes them (docs/halls.md)."""

    hours: tuple[Session, ...]
    saturday_hours: tuple[Session, ...] = ()
    closures: dict[date, str] = {}


class DayOpening(msgspec.Struct, frozen=True, kw_only=True):
    open: bool
    sessions: tuple[Session, ...] = ()
    # Why the hall is shut that day: a holiday's name, 周末, or the hall's own closure.
    closed_reason: str | None = None


def opening_on(rule: OpeningRule, day: date, calendar: WorkingCalendar) -> DayOpening:
    """Working days open in ``hours`` (a 调休 Saturday too); a Saturday that is no working day
    and no holiday in ``saturday_hours``; holidays, Sundays and the hall's closures shut."""
    if day in rule.closures:
        return DayOpening(open=False, closed_reason=rule.closures[day] or "闭厅")
    if calendar.is_working_day(day):
        return DayOpening(open=bool(rule.hours), sessions=rule.hours)
    holidays, _ = calendar.year_days(day.year)
    if day in holidays:
        return DayOpening(open=False, closed_reason=holidays[day] or "节假日")
    if day.weekday() == SATURDAY and rule.saturday_hours:
        return DayOpening(open=True, sessions=rule.saturday_hours)
    return DayOpening(open=False, closed_reason="周末")


def half_hours(sessions: Iterable[Session]) -> list[tuple[time, time]]:
    """Every whole half hour inside the sessions: (start, end)."""
    slots = []
    for session in sessions:
        at = datetime.combine(date.min, session.start)
        end = datetime.combine(date.min, session.end)
        while at + timedelta(minutes=SLOT_MINUTES) <= end:
            slots.append((at.time(), (at + timedelta(minutes=SLOT_MINUTES)).time()))
            at += timedelta(minutes=SLOT_MINUTES)
    return slots


def china_moment(day: date, at: time) -> datetime:
    """A day and a wall-clock time in China as an aware datetime."""
    return datetime.combine(day, at, tzinfo=CHINA_TZ)


def paused_until(
    no_show_days: Sequence[date], today: date, *, limit: int, window_days: int, pause_days: int
) -> date | None:
    """The first day booking is open again, or None when it is not paused now.

    ``limit`` no-shows within ``window_days`` days (the day of the last one counting back,
    both ends inclusive) pause booking for ``pause_days`` days from that last no-show: with
    3/90/30, no-shows on 1 Mar, 20 Apr and 28 May pause booking from 28 May through 26 June;
    it opens again on 27 June. No-shows whose pause has been served do not pause again."""
    days = sorted(no_show_days)
    for i in range(len(days) - 1, limit - 2, -1):
        last = days[i]
        first = days[i - limit + 1]
        if (last - first).days < window_days:
            until = last + timedelta(days=pause_days)
            return until if until > today else None
    return None
