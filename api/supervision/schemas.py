"""Wire types of supervision (电子监察): the list of open cases and the monthly cards."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import msgspec

Flag = Literal["none", "yellow", "red"]
Colour = Literal["none", "yellow", "red"]
# Why a card was given (Chinese labels in the console's i18n table and the staff message).
Reason = Literal["overdue", "late_rectifications", "repeat_supplements", "asked_twice"]


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class SupervisedCase(_Out, kw_only=True):
    """An open case as supervisors see it: no personal data but the applicant's masked name."""

    id: str
    case_number: str | None
    item_code: str
    item_name: str
    department_code: str
    department_name: str | None
    state: str
    # 张** (null when the account has no real name bound).
    applicant: str | None
    submitted_at: datetime | None
    # The deadline watched: pre-review while submitted, the promised one after acceptance.
    due: date | None
    due_provisional: bool
    # Working days from today (China) to the deadline; negative once it has passed.
    working_days_left: int | None
    # yellow: one working day left or less; red: overdue (set by the hourly supervision job).
    flag: Flag
    # Materials this case's department asked for although already given (Yongchang Art. 17).
    asked_twice: int


class SupervisedCasePage(_Out, kw_only=True):
    items: list[SupervisedCase]
    total: int
    limit: int
    offset: int


class Card(_Out, kw_only=True):
    """A department's month: the card (``none``, ``yellow``, ``red``), why, and its counts."""

    month: str  # YYYY-MM, a China calendar month
    colour: Colour
    reasons: list[Reason]
    overdue: int
    late_rectifications: int
    repeat_supplements: int
    asked_twice: int
    # Whether the month has been computed (a month before the first computed one is not).
    computed: bool


class DepartmentCards(_Out, kw_only=True):
    department_code: str
    department_name: str | None
    # Oldest first: the trend over the months asked.
    months: list[Card]


class CardRules(_Out, kw_only=True):
    """The thresholds in force (HANDHELD_SUPERVISION_*): a count at or above its threshold."""

    red_overdue: int
    red_late_rectifications: int
    red_asked_twice: int
    yellow_overdue: int
    yellow_late_rectifications: int
    yellow_repeat_supplements: int
    yellow_asked_twice: int


class SupervisionCards(_Out, kw_only=True):
    months: list[str]
    departments: list[DepartmentCards]
    rules: CardRules


class CardsJob(msgspec.Struct, frozen=True):
    """The monthly job's payload: the month (its first day)."""

    month: date
