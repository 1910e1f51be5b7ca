from __future__ import annotations

from datetime import datetime

import msgspec


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class InboxMessage(_Out, kw_only=True):
    id: str
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
