"""Push: the public ``notify`` other domains call, and the inbox citizens read.

``notify`` runs on the caller's connection inside its transaction, so a message exists if and
only if the change it reports committed. Channels beyond the inbox (WeChat subscribe
messages, app push, SMS) arrive with the push issue as jobs enqueued here.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

import asyncpg
import msgspec
from wechatpy.crypto import WeChatCrypto

from core import jobs
from core.db import Connection
from core.errors import Conflict, DomainError, NotFound
from push import repository as repo
from push.events import EventType
from push.schemas import InboxMessage, InboxPage
from push.templates import render

if TYPE_CHECKING:
    from push.tasks import PushContext


async def notify(
    conn: Connection,
    citizen_id: uuid.UUID,
    event_type: EventType,
    params: Mapping[str, str],
    *,
    dedupe_key: str,
    link: str | None = None,
) -> bool:
    """Tell a citizen about an event; a repeated ``dedupe_key`` changes nothing.

    The inbox message is written here; the other channels (WeChat subscribe message, SMS for
    what must not be missed) are chosen and sent by jobs enqueued in the same transaction."""
    title, body = render(event_type, params)
    message_id = await repo.insert_message(
        conn,
        citizen_id=citizen_id,
        event_type=event_type,
        title=title,
        body=body,
        link=link,
        dedupe_key=dedupe_key,
        params=dict(params),
    )
    if message_id is None:
        return False
    await jobs.enqueue(
        conn, FAN_OUT_JOB, MessageJob(str(message_id)), dedupe_key=f"fan-out:{message_id}"
    )
    return True


FAN_OUT_JOB = "push.fan_out"
DELIVER_JOB = "push.deliver"


class MessageJob(msgspec.Struct):
    message_id: str


class DeliveryJob(msgspec.Struct):
    message_id: str
    channel: str


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


# --- WeChat subscribe-message grants ------------------------------------------------------------


class PushEventRejected(DomainError):
    status_code = 401
    code = "WECHAT_PUSH_SIGNATURE_INVALID"


class NoWechatIdentity(Conflict):
    code = "WECHAT_NOT_BOUND"


PUSH_WINDOW_S = 300


def _long_term(push: PushContext, template_id: str) -> bool:
    return template_id == push.settings.template_notice


async def report_subscriptions(
    conn: Connection,
    push: PushContext,
    citizen_id: uuid.UUID,
    results: Mapping[str, str],
) -> list[asyncpg.Record]:
    """The client's report of the popup: accepted templates are credited (WeChat stays the
    authority: a send it refuses with 43101 zeroes the quota)."""
    openid = await repo.openid_of(conn, citizen_id, push.settings.appid)
    if openid is None:
        raise NoWechatIdentity()
    for template_id, answer in results.items():
        if answer == "accept":
            await repo.credit_quota(conn, openid, template_id, _long_term(push, template_id))
    return await repo.quotas(conn, openid)


def check_url_signature(push: PushContext, signature: str, timestamp: str, nonce: str) -> None:
    token = push.settings.push_token.reveal()
    expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 - WeChat's scheme
    # Compared as bytes: compare_digest refuses str with non-ASCII characters (a 500 otherwise).
    if not token or not hmac.compare_digest(expected.encode(), signature.encode()):
        raise PushEventRejected()


async def receive_push_event(
    conn: Connection,
    push: PushContext,
    body: bytes,
    msg_signature: str,
    timestamp: str,
    nonce: str,
) -> None:
    """Verify (signature, timestamp window), decrypt with wechatpy's crypto, store once, apply."""
    token, aes_key = push.settings.push_token.reveal(), push.settings.push_aes_key.reveal()
    if not token or not aes_key or not timestamp.isdigit():
        raise PushEventRejected()
    if abs(time.time() - int(timestamp)) > PUSH_WINDOW_S:
        raise PushEventRejected("stale timestamp")
    try:
        envelope = msgspec.json.decode(body)
        crypto = WeChatCrypto(token, aes_key, push.settings.appid)
        plain = crypto.decrypt_message(envelope, msg_signature, timestamp, nonce)
        event = msgspec.json.decode(plain if isinstance(plain, bytes) else plain.encode())
    except Exception as exc:
        raise PushEventRejected() from exc
    openid = str(event.get("FromUserName", ""))
    digest = hashlib.sha256(plain if isinstance(plain, bytes) else plain.encode()).digest()
    name = str(event.get("Event", ""))
    if not await repo.store_push_event(conn, digest, openid, name, event):
        return  # WeChat retried: applied already
    if name == "subscribe_msg_popup_event":
        entries = event.get("List") or []
        for entry in entries if isinstance(entries, list) else [entries]:
            if entry.get("SubscribeStatusString") == "accept":
                template_id = str(entry.get("TemplateId", ""))
                await repo.credit_quota(conn, openid, template_id, _long_term(push, template_id))


async def register_device(
    conn: Connection, citizen_id: uuid.UUID, registration_id: str, platform: str
) -> None:
    await repo.register_device(conn, registration_id, citizen_id, platform)


async def preferences(conn: Connection, citizen_id: uuid.UUID) -> asyncpg.Record:
    return await repo.preferences(conn, citizen_id)


async def set_preferences(
    conn: Connection, citizen_id: uuid.UUID, wechat: bool, app: bool, sms: bool
) -> None:
    await repo.set_preferences(conn, citizen_id, wechat, app, sms)


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s inbox, devices, preferences and tags become
    ``target``'s (called by api.identity when it joins a person's accounts). WeChat
    subscription quotas are keyed by openid, which moves with the identity, so stay as they are."""
    return await repo.absorb_citizen(conn, source, target)
