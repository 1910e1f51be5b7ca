"""Wire contracts of the working-day calendar, and the notice file's format."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec

FIRST_YEAR, LAST_YEAR = 1990, 2200  # the table's CHECK


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


# --- the notice file (docs/calendar-notice.md): TOML, keys exactly as written there ------------


class NoticeHoliday(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    first: date = msgspec.field(name="from")
    last: date | None = msgspec.field(default=None, name="to")
    # 调休: weekend days that are working days because of this holiday.
    workdays: list[date] = []


class Notice(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    year: Annotated[int, msgspec.Meta(ge=FIRST_YEAR, le=LAST_YEAR)]
    source: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
    url: Annotated[str, msgspec.Meta(max_length=1000)] | None = None
    holiday: Annotated[list[NoticeHoliday], msgspec.Meta(min_length=1, max_length=50)]


# --- the staff API --------------------------------------------------------------------------


class NoticeUpload(_In, kw_only=True):
    """The notice file's text (TOML), as ``handheld calendar import FILE`` reads it."""

    notice: Annotated[str, msgspec.Meta(min_length=1, max_length=65536)]


class ImportResult(_Out, kw_only=True):
    year: int
    source: str
    holidays: int
    workdays: int
    # The year had official data before (a corrected notice, or the library's transcription).
    replaced: bool
    calendar_version: int


class CalendarDay(_Out, kw_only=True):
    day: date
    name: str


class YearSummary(_Out, kw_only=True):
    year: int
    source: str
    source_url: str | None = None
    imported_by: str
    imported_at: datetime
    holidays: int
    workdays: int


class CalendarOverview(_Out, kw_only=True):
    today: date
    calendar_version: int
    official_years: list[YearSummary]
    # This year or, from 1 December, next year has no notice: deadlines reaching it are
    # provisional until it is imported (also on /readyz and handheld_calendar_next_year_missing).
    warning: str | None = None


class CalendarYear(_Out, kw_only=True):
    year: int
    # False: computed by the provisional rule (no notice imported for this year).
    official: bool
    source: str | None = None
    source_url: str | None = None
    imported_by: str | None = None
    imported_at: datetime | None = None
    holidays: list[CalendarDay]
    workdays: list[CalendarDay]
