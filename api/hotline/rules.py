"""The rules of hotline tickets, free of I/O: kinds, reply deadlines on the working-day
calendar, the deadline flag, what each of 12345's steps does to a ticket."""

from __future__ import annotations

from datetime import date, datetime

from api.hotline.schemas import Flag, State
from core.clock import china_date
from core.settings import HotlineSettings
from core.workdays import Deadline, WorkingCalendar

KIND_LABELS: dict[str, str] = {"consultation": "咨询", "complaint": "投诉", "suggestion": "建议"}
STATE_LABELS: dict[str, str] = {
    "pending": "提交中",
    "received": "已登记",
    "accepted": "已受理",
    "transferred": "已转办",
    "replied": "已答复",
    "closed": "已办结",
}
# A ticket 12345 refused (a documented refusal): the citizen sees it was not taken.
REFUSED_LABEL = "未被12345热线接收"
SATISFACTION_LABELS: dict[str, str] = {
    "satisfied": "满意",
    "basically_satisfied": "基本满意",
    "dissatisfied": "不满意",
}
# The citizen's timeline: one label per entry kind.
EVENT_LABELS: dict[str, str] = {
    "filed": "已提交",
    "received": "12345热线已登记",
    "accepted": "12345热线已受理",
    "transferred": "已转办承办单位",
    "replied": "承办单位已答复",
    "closed": "已办结",
    "rated": "已评价",
    "refused": "12345热线未接收",
    "flagged": "已超过答复期限，督办中",
}

# 12345's status after each of its events; ``rated`` changes no state.
STATE_AFTER: dict[str, State] = {
    "received": "received",
    "accepted": "accepted",
    "transferred": "transferred",
    "replied": "replied",
    "closed": "closed",
}
ANSWERED = frozenset({"replied", "closed"})
DUE_SOON_WORKING_DAYS = 1


def reply_days(kind: str, settings: HotlineSettings) -> int:
    """Working days to the reply: consultations 1, complaints and suggestions 5 (settings,
    per province rules)."""
    return {
        "consultation": settings.consultation_reply_days,
        "complaint": settings.complaint_reply_days,
        "suggestion": settings.suggestion_reply_days,
    }[kind]


def reply_due(filed_at: datetime, days: int, calendar: WorkingCalendar) -> Deadline:
    """``days`` working days after the day filed (that day does not count; China's calendar
    day decides); provisional when counted on a year without the State Council's notice."""
    return calendar.add_working_days(china_date(filed_at), days)


def flag_of(today: date, due: date, calendar: WorkingCalendar) -> Flag:
    """``late`` after the due date; ``due_soon`` when at most one working day is left."""
    if today > due:
        return "late"
    if calendar.working_days_between(today, due) <= DUE_SOON_WORKING_DAYS:
        return "due_soon"
    return "none"


def on_time(replied_at: datetime, due: date) -> bool:
    """Replied on time: China's day of the reply is the due day or before."""
    return china_date(replied_at) <= due
