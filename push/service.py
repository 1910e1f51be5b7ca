"""Push: the public ``notify`` other domains call, and the inbox citizens read.

``notify`` runs on the caller's connection inside its transaction, so a message exists if and
only if the change it reports committed. Channels beyond the inbox (WeChat subscribe
messages, app push, SMS) arrive with the push issue as jobs enqueued here.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from core.db import Connection
from core.errors import NotFound
from push import repository as repo
from push.schemas import InboxMessage, InboxPage
from push.templates import render


async def notify(
    conn: Connection,
    citizen_id: uuid.UUID,
    event_type: str,
    params: Mapping[str, str],
    *,
    dedupe_key: str,
    link: str | None = None,
) -> bool:
    """Tell a citizen about an event; a repeated ``dedupe_key`` changes nothing."""
    title, body = render(event_type, params)
    return await repo.insert_message(
        conn,
        citizen_id=citizen_id,
        event_type=event_type,
        title=title,
        body=body,
        link=link,
        dedupe_key=dedupe_key,
    )


async def inbox(conn: Connection, citizen_id: uuid.UUID, page: int, page_size: int) -> InboxPage:
    rows, total, unread = await repo.list_messages(
        conn, citizen_id, page_size, (page - 1) * page_size
    )
    return InboxPage(
        items=[
            InboxMessage(
                id=str(r["id"]), event_type=r["event_type"], title=r["title"], body=r["body"],
                link=r["link"], created_at=r["created_at"], read=r["read_at"] is not None,
            )
            for r in rows
        ],
        total=total, unread=unread, page=page, page_size=page_size,
    )  # fmt: skip


class MessageNotFound(NotFound):
    code = "MESSAGE_NOT_FOUND"


async def mark_read(conn: Connection, citizen_id: uuid.UUID, message_id: uuid.UUID) -> None:
    if not await repo.mark_read(conn, citizen_id, message_id):
        raise MessageNotFound()
