"""The rules of good/bad review (docs/domain.md §6), free of I/O: levels, tags, who may rate when,
the rectification deadline and the ticket lifecycle (also enforced by a trigger, migration 0014).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from core.clock import china_date
from core.principals import CitizenPrincipal
from core.workdays import Deadline, WorkingCalendar

# "hall": a visit booked online and handled at a service hall's window (rated through its queue
# number, api/queue).
Channel = Literal["wechat", "app", "hall"]
TicketState = Literal["open", "contacted", "rectified", "explained", "appealing", "closed"]
Flag = Literal["none", "due_soon", "late"]

# GB/T 39734-2020: five levels, 1-2 are bad reviews (差评).
LEVELS: dict[int, str] = {
    5: "非常满意",
    4: "满意",
    3: "基本满意",
    2: "不满意",
    1: "非常不满意",
}
BAD_LEVELS = frozenset({1, 2})

# 办结: the department has decided the matter, granted (completed) or refused (不予许可). A
# refusal is a finished service, and leaving refused applicants out would bias the figures
# towards the satisfied. Not accepted (不予受理) and withdrawn matters were never handled.
RATEABLE_STATES = frozenset({"completed", "refused"})

RECTIFY_WORKING_DAYS = 3  # Art. 23
DUE_SOON_WORKING_DAYS = 1

# Tags a citizen may attach (codes on the wire, Chinese labels from the catalogue). The bad
# ones lead with the most common bad-review causes in Guangdong's published data.
TAGS: dict[str, tuple[str, Literal["good", "bad"]]] = {
    "fast": ("办理速度快", "good"),
    "clear_guide": ("办事指南清晰准确", "good"),
    "easy_to_use": ("操作简便", "good"),
    "no_visit": ("不用跑腿", "good"),
    "friendly_staff": ("服务态度好", "good"),
    "overdue_without_reason": ("无故超期办理", "bad"),
    "conditions_beyond_guide": ("增设办理条件", "bad"),
    "materials_beyond_guide": ("要求提供指南以外的材料", "bad"),
    "guide_inaccurate": ("办事指南不准确", "bad"),
    "repeated_submission": ("重复提交材料", "bad"),
    "hard_to_use": ("系统操作不便", "bad"),
    "poor_attitude": ("服务态度差", "bad"),
}

# Ticket lifecycle: the same pairs as the trigger in migration 0014.
TICKET_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"contacted", "appealing"}),
    "contacted": frozenset({"rectified", "explained", "appealing"}),
    "appealing": frozenset({"open", "contacted", "closed"}),
    "rectified": frozenset({"closed"}),
    "explained": frozenset({"closed"}),
    "closed": frozenset(),
}
UNRESOLVED = frozenset({"open", "contacted", "appealing"})


def channel_of(principal: CitizenPrincipal) -> Channel:
    """The channel a rating carries: the mini-program signs in with WeChat (``wechat``); the
    app signs in through the platform's identity or by SMS code."""
    return "wechat" if principal.method == "wechat" else "app"


def is_bad(level: int) -> bool:
    return level in BAD_LEVELS


def can_move(current: str, target: str) -> bool:
    return target in TICKET_MOVES.get(current, frozenset())


def rectification_due(rated_at: datetime, calendar: WorkingCalendar) -> Deadline:
    """Three working days after the rating (the day rated does not count; China's calendar
    day decides); provisional when counted on a year without the State Council's notice."""
    return calendar.add_working_days(china_date(rated_at), RECTIFY_WORKING_DAYS)


def flag_of(today: date, due: date | None, calendar: WorkingCalendar) -> Flag:
    """``late`` after the due date; ``due_soon`` when at most one working day is left."""
    if due is None:
        return "none"
    if today > due:
        return "late"
    if calendar.working_days_between(today, due) <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "none"
