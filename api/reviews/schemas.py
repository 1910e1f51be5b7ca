"""Wire contracts of good/bad review: camelCase, requests refuse unknown fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Level = Annotated[int, msgspec.Meta(ge=1, le=5, description="1 非常不满意 … 5 非常满意")]
TagCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Note = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


# --- citizens ------------------------------------------------------------------------------


class Scores(_In, kw_only=True):
    """The online indicator set (GB/T 39734): each 1-5."""

    overall: Level
    efficiency: Level
    guide_accuracy: Level
    convenience: Level
    ease_of_use: Level


class RateRequest(_In, kw_only=True):
    level: Level
    scores: Scores | None = None
    tags: Annotated[list[TagCode], msgspec.Meta(max_length=10)] = []
    text: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ScoresOut(_Out, kw_only=True):
    overall: int
    efficiency: int
    guide_accuracy: int
    convenience: int
    ease_of_use: int


class Tag(_Out, kw_only=True):
    code: str
    label: str
    sentiment: Literal["good", "bad"]


class LevelLabel(_Out, kw_only=True):
    level: int
    label: str
    bad: bool


class TagCatalogue(_Out, kw_only=True):
    levels: list[LevelLabel]
    tags: list[Tag]


class Review(_Out, kw_only=True):
    id: str
    declaration_id: str
    item_code: str
    item_name: str
    channel: Literal["wechat", "app", "hall"]
    kind: Literal["initial", "follow_up"]
    level: int
    level_label: str
    bad: bool
    scores: ScoresOut | None = None
    tags: list[Tag] = []
    text: str = ""
    rated_at: datetime
    # Whether the platform's rating system has received it (reported by a job).
    reported: bool = False


class CitizenTicket(_Out, kw_only=True):
    """What the citizen sees of the rectification of their bad review."""

    status: Literal["processing", "resolved", "closed"]
    outcome: Literal["rectified", "explained", "appeal_upheld"] | None = None
    note: str | None = None
    due_on: date | None = None
    # Counted on a year without the State Council's notice: may move when it is imported.
    due_provisional: bool = False
    resolved_at: datetime | None = None


class DeclarationReviews(_Out, kw_only=True):
    declaration_id: str
    # The channel of this session: the one a rating posted now would carry.
    channel: Literal["wechat", "app", "hall"]
    reviews: list[Review]
    can_rate: bool
    # What a rating posted now would be: the first on this channel, or the one follow-up.
    next_kind: Literal["initial", "follow_up"] | None = None
    ticket: CitizenTicket | None = None


# --- staff ---------------------------------------------------------------------------------


class ContactRequest(_In, kw_only=True):
    """The call back to the citizen (回访): what was said and agreed."""

    note: Note


class ResolveRequest(_In, kw_only=True):
    outcome: Literal["rectified", "explained"]
    # Published to the citizen.
    note: Note


class AppealRequest(_In, kw_only=True):
    """A malicious or mistaken rating: why it should not count."""

    reason: Note


class AppealDecision(_In, kw_only=True):
    upheld: bool
    note: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class TicketSummary(_Out, kw_only=True):
    id: str
    review_id: str
    declaration_id: str
    item_code: str
    item_name: str
    department_code: str
    department_name: str
    channel: Literal["wechat", "app", "hall"]
    level: int
    state: Literal["open", "contacted", "rectified", "explained", "appealing", "closed"]
    outcome: Literal["rectified", "explained", "appeal_upheld"] | None = None
    due_on: date | None = None
    due_provisional: bool = False
    flag: Literal["none", "due_soon", "late"]
    resolved_at: datetime | None = None
    resolved_on_time: bool | None = None
    created_at: datetime
    updated_at: datetime


class TicketPage(_Out, kw_only=True):
    items: list[TicketSummary]
    total: int


class Contact(_Out, kw_only=True):
    """Masked (docs/domain.md §9): enough to confirm who is called."""

    name: str | None = None
    phone: str | None = None


class CallNumber(_Out, kw_only=True):
    """The citizen's whole number, for the call back only (each disclosure is audited)."""

    phone: str


class Appeal(_Out, kw_only=True):
    reason: str
    from_state: str
    appealed_at: datetime
    upheld: bool | None = None
    note: str | None = None
    decided_at: datetime | None = None


class TicketEvent(_Out, kw_only=True):
    action: str
    from_state: str | None = None
    to_state: str
    staff: str | None = None
    note: str | None = None
    at: datetime


class TicketDetail(TicketSummary, kw_only=True):
    """The summary's fields, then the rating, the matter, the contact and the history."""

    review: Review
    text: str = ""  # the rating's text, for quick reading
    case_number: str | None = None
    declaration_state: str
    contact: Contact
    contacted_at: datetime | None = None
    contact_note: str | None = None
    resolution_note: str | None = None
    closed_at: datetime | None = None
    appeal: Appeal | None = None
    follow_up: Review | None = None
    events: list[TicketEvent] = []


class Satisfaction(_Out, kw_only=True):
    key: str
    name: str
    count: int
    average_level: float | None = None
    # Shares of ratings at levels 3-5 (好评, including 基本满意) and 1-2 (差评).
    good_rate: float | None = None
    bad_reviews: int = 0
    bad_rate: float | None = None


class TicketFigures(_Out, kw_only=True):
    total: int
    unresolved: int
    due_soon: int
    late: int
    resolved: int
    resolved_on_time: int
    appeals_upheld: int
    # Resolved by the due date ÷ tickets whose timeliness is known (resolved, or late).
    on_time_rate: float | None = None


class FollowUpFigures(_Out, kw_only=True):
    count: int
    average_level: float | None = None
    improved: int = 0


class Figures(_Out, kw_only=True):
    from_date: date | None = None
    to_date: date | None = None
    overall: Satisfaction
    by_item: list[Satisfaction]
    by_department: list[Satisfaction]
    by_channel: list[Satisfaction]
    tickets: TicketFigures
    follow_ups: FollowUpFigures
