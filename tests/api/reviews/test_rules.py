"""Pure rules of good/bad review: channels, the deadline on the official calendar, flags, moves."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from api.reviews.rules import (
    LEVELS,
    TICKET_MOVES,
    can_move,
    channel_of,
    flag_of,
    is_bad,
    rectification_due,
)
from core.principals import CitizenPrincipal
from core.workdays import Deadline, library_calendar
from tests.fixtures.reviews import CST

CALENDAR = library_calendar()


def _principal(method: str) -> CitizenPrincipal:
    return CitizenPrincipal(citizen_id=uuid.uuid4(), family_id="f", acr=2, method=method)


def test_channel_follows_the_login_method() -> None:
    assert channel_of(_principal("wechat")) == "wechat"
    assert channel_of(_principal("sso")) == "app"
    assert channel_of(_principal("sms")) == "app"


def test_levels() -> None:
    assert [LEVELS[n] for n in (5, 4, 3, 2, 1)] == [
        "非常满意",
        "满意",
        "基本满意",
        "不满意",
        "非常不满意",
    ]
    assert [n for n in range(1, 6) if is_bad(n)] == [1, 2]


@pytest.mark.parametrize(
    ("rated", "due"),
    [
        # Before National Day 2025 (1-8 October off; Saturday 11 October is worked, 调休).
        (datetime(2025, 9, 30, 10, 0, tzinfo=CST), date(2025, 10, 11)),
        # 15:30 UTC is 23:30 in China: still the 30th there, which is what counts.
        (datetime(2025, 9, 30, 15, 30, tzinfo=UTC), date(2025, 10, 11)),
        # An ordinary Friday: Monday, Tuesday, Wednesday.
        (datetime(2025, 6, 13, 9, 0, tzinfo=CST), date(2025, 6, 18)),
        # Rated on a Saturday: the weekend does not count.
        (datetime(2025, 6, 14, 9, 0, tzinfo=CST), date(2025, 6, 18)),
    ],
)
def test_rectification_due_in_three_working_days(rated: datetime, due: date) -> None:
    assert rectification_due(rated, CALENDAR) == Deadline(due, provisional=False)


def test_a_year_without_a_notice_has_a_provisional_due_date() -> None:
    # 2040-01-02 is a Monday; no notice for 2040: weekends and statutory holidays only.
    assert rectification_due(datetime(2040, 1, 2, tzinfo=CST), CALENDAR) == Deadline(
        date(2040, 1, 5), provisional=True
    )


def test_flags() -> None:
    due = date(2025, 10, 11)
    assert flag_of(date(2025, 9, 30), due, CALENDAR) == "none"  # three working days left
    assert flag_of(date(2025, 10, 9), due, CALENDAR) == "none"  # two left
    assert flag_of(date(2025, 10, 10), due, CALENDAR) == "due_soon"
    assert flag_of(due, due, CALENDAR) == "due_soon"
    assert flag_of(date(2025, 10, 12), due, CALENDAR) == "late"
    assert flag_of(date(2025, 10, 12), None, CALENDAR) == "none"


def test_ticket_moves() -> None:
    assert can_move("open", "contacted") and not can_move("open", "rectified")
    assert can_move("contacted", "explained") and can_move("appealing", "closed")
    assert not TICKET_MOVES["closed"]
