"""Wire types of the hotline: what citizens file and read, what staff see."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Kind = Literal["consultation", "complaint", "suggestion"]
State = Literal["pending", "received", "accepted", "transferred", "replied", "closed"]
Flag = Literal["none", "due_soon", "late"]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")]


class _In(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class NewTicket(_In, frozen=True, kw_only=True):
    """A question (咨询), complaint (投诉) or suggestion (建议), about at most one of an item, a
    department or one of the citizen's declarations. ``aboutRectification``: a complaint about
    how a bad review of that declaration was rectified (linked to its ticket)."""

    kind: Kind
    title: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    content: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    item_code: Code | None = None
    department_code: Code | None = None
    declaration_id: uuid.UUID | None = None
    about_rectification: bool = False


class RateReply(_In, frozen=True, kw_only=True):
    """The citizen's satisfaction with the reply (满意度回访), once."""

    result: Satisfaction
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class TimelineEntry(_Out, kw_only=True):
    kind: str
    label: str
    department_name: str | None = None
    text: str | None = None
    at: datetime


class HotlineTicket(_Out, kw_only=True):
    id: str
    kind: Kind
    kind_label: str
    title: str
    content: str
    subject_type: str
    item_code: str | None = None
    item_name: str | None = None
    declaration_id: str | None = None
    about_rectification: bool = False
    department_name: str | None = None
    state: State
    state_label: str
    ticket_number: str | None = None
    reply: str | None = None
    replied_at: datetime | None = None
    due_on: date
    due_provisional: bool = False
    overdue: bool = False
    replied_on_time: bool | None = None
    satisfaction: Satisfaction | None = None
    satisfaction_label: str | None = None
    can_rate: bool = False
    created_at: datetime
    # The detail only (empty in lists).
    timeline: list[TimelineEntry] = []


class HotlineTicketPage(_Out, kw_only=True):
    items: list[HotlineTicket]
    total: int


class StaffHotlineTicket(HotlineTicket, kw_only=True):
    """As staff see it: no personal data of the citizen, the deadline flag, the delivery to
    12345, the review ticket a rectification complaint is linked to."""

    flag: Flag = "none"
    department_code: str = ""
    delivery: str = "pending"
    refusal: str | None = None
    review_ticket_id: str | None = None


class StaffTicketPage(_Out, kw_only=True):
    items: list[StaffHotlineTicket]
    total: int


class DepartmentFigures(_Out, kw_only=True):
    department_code: str
    department_name: str
    total: int
    consultations: int
    complaints: int
    suggestions: int
    replied: int
    replied_on_time: int
    unreplied: int
    # Unreplied past the due day, and replied after it.
    overdue: int
    on_time_rate: float | None
    rated: int
    satisfied: int
    basically_satisfied: int
    dissatisfied: int
    # (satisfied + basically satisfied) ÷ rated
    satisfaction_rate: float | None


class HotlineFigures(_Out, kw_only=True):
    from_date: date | None = None
    to_date: date | None = None
    overall: DepartmentFigures
    by_department: list[DepartmentFigures]
