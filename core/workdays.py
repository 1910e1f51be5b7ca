"""Working days on China's official calendar: the State Council's holidays and 调休 shifts, and a
provisional calendar for years whose notice is not known yet. Pure arithmetic, no I/O.

Deadlines (pre-review within 2 working days, promised time limits of items, rectification of
bad reviews) are counted in working days, where some weekends are working days (调休) and some
weekdays are holidays. A deadline is a legal obligation: it must always exist, so no date is
ever "unknown".

- **Official years** come from the State Council's yearly notice (国务院办公厅关于某年部分节假日
  安排的通知). The product keeps them in PostgreSQL (``api.calendars``: loaded from
  ``chinesecalendar`` for the years it knows, and imported from each new notice), and builds a
  ``WorkingCalendar`` from them. On an official day: a listed 调休 working day works, a listed
  holiday rests, any other day works Monday to Friday.
- **Provisional years** (no notice loaded) follow the national holiday rules (全国年节及纪念日
  放假办法, as amended in 2024): weekends rest, plus New Year's Day (Jan 1), Spring Festival
  (4 days: New Year's Eve 除夕 to 初三), Qingming (the solar-term day 清明), Labour Day
  (May 1-2), Dragon Boat (5th day of the 5th lunar month), Mid-Autumn (15th of the 8th lunar
  month) and National Day (Oct 1-3). No 调休 working days: those only a notice can set. The
  lunar and solar-term dates come from ``borax`` (pure Python, no dependencies, lunar tables
  and the 24 solar terms for 1900-2100).
- A deadline is **provisional** when any day examined to reach it lies in a provisional year:
  ``WorkingCalendar.add_working_days`` says so, and the product shows it and recomputes it when
  that year's notice is imported.

Counting rule: the day a case is received never counts; day 1 is the first working day strictly
after it (次日起算). So a case received on a Monday has day 1 on Tuesday, and one received on a
Saturday has day 1 on Monday, unless Sunday is a shifted working day, which is then day 1.
Datetimes with a time zone are first converted to China Standard Time (UTC+8, no daylight
saving since 1991): the calendar day in China decides. Naive datetimes are refused (core.clock).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from importlib.metadata import version
from typing import NamedTuple

import chinese_calendar
from borax.calendars.lunardate import LunarDate, TermUtils

from core.clock import CHINA_TZ, china_date

# What the installed chinesecalendar transcribes (1.11.0: 2004 to 2026).
LIBRARY_SOURCE = f"chinesecalendar {version('chinesecalendar')}"
FIRST_YEAR = min(chinese_calendar.holidays).year
LAST_YEAR = max(chinese_calendar.holidays).year

# chinesecalendar names holidays in English; the notices (and we) in Chinese.
LIBRARY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "Mid-autumn Festival": "中秋节",
    "National Day": "国庆节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}

_ONE_DAY = timedelta(days=1)


class Deadline(NamedTuple):
    day: date
    # Some day examined to reach it lies in a year without an official notice.
    provisional: bool


def _as_date(value: date | datetime) -> date:
    return china_date(value) if isinstance(value, datetime) else value


@functools.lru_cache(maxsize=64)
def provisional_holidays(year: int) -> Mapping[date, str]:
    """The statutory holidays of ``year`` by the national rules (see the module's docstring)."""
    new_year = LunarDate(year, 1, 1).to_solar_date()
    days: dict[date, str] = {}

    def add(day: date, name: str) -> None:
        # Two festivals on one day (Mid-Autumn within National Day) make one day off.
        days[day] = f"{days[day]}、{name}" if day in days else name

    add(date(year, 1, 1), "元旦")
    for offset in range(-1, 3):  # 除夕, 初一, 初二, 初三
        add(new_year + timedelta(days=offset), "春节")
    add(TermUtils.nth_term_day(year, term_name="清明"), "清明节")
    add(date(year, 5, 1), "劳动节")
    add(date(year, 5, 2), "劳动节")
    add(LunarDate(year, 5, 5).to_solar_date(), "端午节")
    add(LunarDate(year, 8, 15).to_solar_date(), "中秋节")
    for day in (1, 2, 3):
        add(date(year, 10, day), "国庆节")
    return dict(sorted(days.items()))


class WorkingCalendar:
    """Official years with their holidays and 调休 working days; provisional years computed.

    ``holidays`` and ``workdays`` are the days a notice lists (a notice may list a day of the
    year before it: 元旦 can start on 30 December). ``version`` is where the data came from
    (the database's calendar version), so a process can tell whether it holds the latest.
    """

    def __init__(
        self,
        *,
        official_years: Iterable[int],
        holidays: Mapping[date, str],
        workdays: Mapping[date, str],
        version: int = 0,
    ) -> None:
        self.official_years = frozenset(official_years)
        self.holidays = dict(holidays)
        self.workdays = dict(workdays)
        self.version = version

    @classmethod
    def from_library(cls) -> WorkingCalendar:
        """The years the installed chinesecalendar knows, and nothing else."""
        return cls(
            official_years=range(FIRST_YEAR, LAST_YEAR + 1),
            holidays={d: LIBRARY_NAMES.get(n, n) for d, n in chinese_calendar.holidays.items()},
            workdays={d: LIBRARY_NAMES.get(n, n) for d, n in chinese_calendar.workdays.items()},
        )

    def is_official(self, year: int) -> bool:
        return year in self.official_years

    def is_provisional(self, day: date | datetime) -> bool:
        return not self.is_official(_as_date(day).year)

    def is_working_day(self, day: date | datetime) -> bool:
        d = _as_date(day)
        if d in self.workdays:
            return True
        if d in self.holidays:
            return False
        if not self.is_official(d.year) and d in provisional_holidays(d.year):
            return False
        return d.weekday() < 5

    def year_days(self, year: int) -> tuple[dict[date, str], dict[date, str]]:
        """Holidays and 调休 working days of ``year``: the notice's, or the provisional rule's."""
        holidays = {d: n for d, n in self.holidays.items() if d.year == year}
        workdays = {d: n for d, n in self.workdays.items() if d.year == year}
        if not self.is_official(year):
            holidays = {**provisional_holidays(year), **holidays}
        return dict(sorted(holidays.items())), dict(sorted(workdays.items()))

    def add_working_days(self, start: date | datetime, n: int) -> Deadline:
        """The n-th working day after ``start`` (see the counting rule); ``n == 0`` is start's
        day. Provisional when any day after ``start`` up to the result is in a provisional year."""
        if n < 0:
            raise ValueError("n must not be negative")
        day = _as_date(start)
        provisional = False
        while n > 0:
            day += _ONE_DAY
            provisional = provisional or not self.is_official(day.year)
            if self.is_working_day(day):
                n -= 1
        return Deadline(day, provisional)

    def working_days_between(self, a: date | datetime, b: date | datetime) -> int:
        """Working days in ``(a, b]``: after ``a``, up to and including ``b``.

        The inverse of ``add_working_days``: ``working_days_between(a, add_working_days(a,
        n).day) == n``. Negative when ``b`` is before ``a`` (e.g. how overdue a case is).
        """
        start, end = _as_date(a), _as_date(b)
        if end < start:
            return -self.working_days_between(end, start)
        count = 0
        day = start
        while day < end:
            day += _ONE_DAY
            if self.is_working_day(day):
                count += 1
        return count


@functools.cache
def library_calendar() -> WorkingCalendar:
    return WorkingCalendar.from_library()


# The functions below count on the installed chinesecalendar plus the provisional rule, without
# the database: for scripts and tests. The product asks ``api.calendars`` for the calendar the
# database holds (which includes the notices imported since the library was released).


def is_working_day(day: date | datetime) -> bool:
    return library_calendar().is_working_day(day)


def add_working_days(start: date | datetime, n: int) -> date:
    """The n-th working day after ``start`` on the library's calendar (the day only)."""
    return library_calendar().add_working_days(start, n).day


def working_days_between(a: date | datetime, b: date | datetime) -> int:
    return library_calendar().working_days_between(a, b)


__all__ = [
    "CHINA_TZ",
    "FIRST_YEAR",
    "LAST_YEAR",
    "LIBRARY_NAMES",
    "LIBRARY_SOURCE",
    "Deadline",
    "WorkingCalendar",
    "add_working_days",
    "is_working_day",
    "library_calendar",
    "provisional_holidays",
    "working_days_between",
]
