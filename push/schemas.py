"""Push's wire types: the inbox, subscriptions, devices and preferences, notices, and the
payloads of its jobs (the queue stores them as JSON)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


# --- the inbox -----------------------------------------------------------------------------------


class InboxMessage(_Out, kw_only=True):
    id: str
    # An EventType (push.events), or "notice" for a notice's message.
    event_type: str
    title: str
    body: str
    link: str | None
    created_at: datetime
    read: bool


class InboxPage(_Out, kw_only=True):
    items: list[InboxMessage]
    total: int
    unread: int
    page: int
    page_size: int


# --- WeChat subscribe messages, devices, preferences ---------------------------------------------


class SubscriptionReport(_In, kw_only=True):
    """What wx.requestSubscribeMessage answered: templateId → accept | reject | ban | filter."""

    results: dict[str, Literal["accept", "reject", "ban", "filter"]]


class Quota(_Out, kw_only=True):
    template_id: str
    quota: int
    long_term: bool


class DeviceRegistration(_In, kw_only=True):
    registration_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    platform: Literal["android", "ios", "harmony"]


class Preferences(_In, kw_only=True):
    """Which channels besides the inbox (always on) may carry a citizen's messages."""

    wechat: bool = True
    app: bool = True
    sms: bool = True


# --- notices (通知公告) ----------------------------------------------------------------------------

Title = msgspec.Meta(min_length=1, max_length=60)
Body = msgspec.Meta(min_length=1, max_length=2000)
RegionCode = msgspec.Meta(pattern=r"^[0-9]{6}$")


class Audience(_In, kw_only=True):
    kind: Literal["all", "region", "tag", "item", "list"]
    # region: household registration in this region (620000 province, 620100 city, 620102
    # district); item: citizens who applied for this item; list: these citizen ids.
    region_code: Annotated[str, RegionCode] | None = None
    tag: str | None = None
    item_code: str | None = None
    citizen_ids: list[uuid.UUID] = []


NoticeChannel = Literal["inbox", "wechat", "app"]
NOTICE_CHANNELS: tuple[NoticeChannel, ...] = ("inbox", "wechat", "app")


class NoticeDraft(_In, kw_only=True):
    title: Annotated[str, Title]
    body: Annotated[str, Body]
    audience: Audience
    link: str | None = None
    # Every channel the citizen allows: the inbox always, WeChat (long-term notice template)
    # where they have an openid and a grant, app push where they have a device. A draft may
    # narrow it (the inbox is always in); old consoles sending ["inbox", "wechat"] still work.
    channels: list[NoticeChannel] = msgspec.field(default_factory=lambda: list(NOTICE_CHANNELS))
    # Urgent: also by SMS to citizens with a phone who allow SMS; its cost is shown before
    # approval and the approver confirms it (NoticeApproval).
    urgent: bool = False
    # With its offset: a bare "09:00" would be read in the server's zone, not Beijing's.
    send_at: Annotated[datetime, msgspec.Meta(tz=True)] | None = None


class NoticeApproval(_In, kw_only=True):
    """What the approver saw: an urgent notice's SMS cost in fen (refused with 409 when the
    cost is not that any more)."""

    sms_cost_fen: Annotated[int, msgspec.Meta(ge=0)] | None = None


class SmsEstimate(_Out, kw_only=True):
    """An urgent notice's SMS: recipients (a phone, SMS allowed), parts per message (70
    characters in one, 67 per part when longer, signature included), price per part and the
    total, in fen. ``approved``: the figures the approver confirmed (else the live estimate)."""

    recipients: int
    parts: int
    price_fen: int
    cost_fen: int
    approved: bool = False


class ChannelFigures(_Out, kw_only=True):
    """One channel of a notice. ``sent`` counts delivered ones too; ``delivered`` is None where
    the channel has no receipt, ``read`` where it cannot tell; ``quotaMisses`` (WeChat only):
    recipients with an openid who allow WeChat but hold no grant of the notice template."""

    queued: int = 0
    sent: int = 0
    delivered: int | None = None
    read: int | None = None
    failed: int = 0
    skipped: int = 0
    quota_misses: int | None = None


class NoticeFigures(_Out, kw_only=True):
    targeted: int | None
    sent: int
    read: int
    # Per channel: inbox, then each other channel the notice uses (wechat, app, sms).
    channels: dict[str, ChannelFigures] = {}


class Notice(_Out, kw_only=True):
    id: str
    title: str
    body: str
    link: str | None
    audience: dict[str, Any]
    channels: list[str]
    urgent: bool = False
    # Urgent notices: the SMS estimate (live while a draft, as approved afterwards).
    sms: SmsEstimate | None = None
    status: str
    created_by: str
    approved_by: str | None
    send_at: datetime | None
    created_at: datetime
    finished_at: datetime | None
    figures: NoticeFigures


class TagRequest(_In, kw_only=True):
    tag: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    citizen_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=100_000)]


class TagResult(_Out, kw_only=True):
    tag: str
    tagged: int


# --- jobs: names and payloads --------------------------------------------------------------------
# Defined here, below the service that enqueues them (the layers contract keeps the service from
# importing push.tasks); push.tasks registers their handlers and re-exports them.

FAN_OUT_JOB = "push.fan_out"
DELIVER_JOB = "push.deliver"
NOTICE_BATCH_JOB = "push.notice_batch"
NOTICE_CHANNEL_JOB = "push.notice_channel_batch"
RECEIPTS_JOB = "push.receipts"


class MessageJob(msgspec.Struct):
    message_id: str


class DeliveryJob(msgspec.Struct):
    message_id: str
    channel: str


class BatchJob(msgspec.Struct):
    notice_id: str


class ChannelBatchJob(msgspec.Struct):
    channel: str
    message_ids: list[str]


class ReachDay(msgspec.Struct, frozen=True, kw_only=True):
    """Push reach of one China day on one channel (``inbox``, ``wechat``, ``app``, ``sms``), for
    the service figures: ``sent`` counts delivered ones too; ``read`` is the inbox's;
    ``quota_misses`` WeChat's recipients without a grant of the template."""

    day: date
    channel: str
    sent: int
    delivered: int
    read: int
    failed: int
    quota_misses: int
