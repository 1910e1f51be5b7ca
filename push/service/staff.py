"""The staff inbox: messages to staff members written in the caller's transaction (the
supervision cards go to a department's supervisors this way) and read in the ops console.

Staff accounts carry no phone number or WeChat identity, so the inbox is the one staff
channel; a rerun of whatever wrote a message writes nothing twice (``dedupe_key``)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Literal

from core.db import Connection
from push.errors import MessageNotFound
from push.repository import staff as repo
from push.schemas import InboxMessage, InboxPage
from push.service.base import PushBase

StaffEventType = Literal["supervision.card"]

# Chinese first (title, body), like the citizens' templates.
STAFF_TEMPLATES: dict[StaffEventType, tuple[str, str]] = {
    "supervision.card": (
        "电子监察{colour}牌：{department}",
        "{month} {department} 被亮{colour}牌：{reasons}。请及时整改。",
    ),
}


class StaffInbox(PushBase):
    async def notify_staff(
        self,
        conn: Connection,
        staff_id: uuid.UUID,
        event_type: StaffEventType,
        params: Mapping[str, str],
        *,
        dedupe_key: str,
        link: str | None = None,
    ) -> bool:
        """Tell a staff member; a repeated ``dedupe_key`` changes nothing (returns False)."""
        title, body = STAFF_TEMPLATES[event_type]
        return (
            await repo.insert(
                conn,
                staff_id=staff_id,
                event_type=event_type,
                title=title.format_map(params),
                body=body.format_map(params),
                link=link,
                dedupe_key=dedupe_key,
            )
            is not None
        )

    async def staff_inbox(
        self, conn: Connection, staff_id: uuid.UUID, page: int, page_size: int
    ) -> InboxPage:
        rows = await repo.page(conn, staff_id, page_size, (page - 1) * page_size)
        return InboxPage(
            items=[
                InboxMessage(
                    id=str(r.id),
                    event_type=r.event_type,
                    title=r.title,
                    body=r.body,
                    link=r.link,
                    created_at=r.created_at,
                    read=r.read_at is not None,
                )
                for r in rows
            ],
            total=rows[0].total if rows else 0,
            unread=rows[0].unread if rows else 0,
            page=page,
            page_size=page_size,
        )

    async def mark_staff_read(
        self, conn: Connection, staff_id: uuid.UUID, message_id: uuid.UUID
    ) -> None:
        if not await repo.mark_read(conn, staff_id, message_id):
            raise MessageNotFound()
