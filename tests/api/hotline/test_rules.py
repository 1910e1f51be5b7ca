"""Reply deadlines and flags of hotline tickets on the working-day calendar (pure rules)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from api.hotline.rules import flag_of, on_time, reply_days, reply_due
from core.settings import HotlineSettings
from core.workdays import library_calendar

CST = timezone(timedelta(hours=8))


def test_reply_days_follow_the_kind_and_the_province_settings() -> None:
    defaults = HotlineSettings()
    assert [reply_days(k, defaults) for k in ("consultation", "complaint", "suggestion")] == [
        1,
        5,
        5,
    ]
    stricter = HotlineSettings(consultation_reply_days=2, complaint_reply_days=3)
    assert reply_days("complaint", stricter) == 3 and reply_days("consultation", stricter) == 2


def test_deadlines_skip_holidays_and_count_from_china_s_day() -> None:
    calendar = library_calendar()
    # Filed on 30 September 2025 (Beijing): National Day and the Mid-Autumn Festival rest
    # 1-8 October; 11 October (Saturday) is a shifted working day.
    filed = datetime(2025, 9, 30, 10, 0, tzinfo=CST)
    assert reply_due(filed, 1, calendar).day == date(2025, 10, 9)
    assert reply_due(filed, 5, calendar).day == date(2025, 10, 14)
    # 23:30 UTC on 29 September is already the 30th in Beijing.
    late_evening_utc = datetime(2025, 9, 29, 23, 30, tzinfo=UTC)
    assert reply_due(late_evening_utc, 1, calendar).day == date(2025, 10, 9)


def test_flags_and_replies_on_time() -> None:
    calendar = library_calendar()
    due = date(2025, 10, 14)
    assert flag_of(date(2025, 10, 9), due, calendar) == "none"
    assert flag_of(date(2025, 10, 13), due, calendar) == "due_soon"
    assert flag_of(due, due, calendar) == "due_soon"
    assert flag_of(date(2025, 10, 15), due, calendar) == "late"
    assert on_time(datetime(2025, 10, 14, 15, 59, tzinfo=UTC), due)  # 23:59 Beijing
    assert not on_time(datetime(2025, 10, 14, 16, 0, tzinfo=UTC), due)
