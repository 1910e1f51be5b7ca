"""The inbox: messages written in the caller's transaction, read by the citizen; WeChat
subscription grants, devices and channel preferences."""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from collections.abc import Mapping

import msgspec
from wechatpy.crypto import WeChatCrypto

from core import jobs
from core.db import Connection
from push.errors import MessageNotFound, NoWechatIdentity, PushEventRejected
from push.events import EventType
from push.repository import messages as repo
from push.repository.messages import PreferencesRow, QuotaRow
from push.schemas import FAN_OUT_JOB, InboxMessage, InboxPage, MessageJob
from push.service.base import PushBase
from push.service.templates import render

PUSH_WINDOW_S = 300


async def write_message(
    conn: Connection,
    citizen_id: uuid.UUID,
    event_type: EventType,
    params: Mapping[str, str],
    *,
    dedupe_key: str,
    link: str | None = None,
) -> bool:
    """The inbox message and its fan-out job, on the caller's connection (``notify``)."""
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


class Messages(PushBase):
    async def notify(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        event_type: EventType,
        params: Mapping[str, str],
        *,
        dedupe_key: str,
        link: str | None = None,
    ) -> bool:
        """Tell a citizen about an event; a repeated ``dedupe_key`` changes nothing.

        Runs on the caller's connection inside its transaction, so a message exists if and
        only if the change it reports committed. The inbox message is written here; the other
        channels (WeChat subscribe message, app push, SMS for what must not be missed) are
        chosen and sent by jobs enqueued in the same transaction. A company's message reaches
        its agents from the fan-out job (``Deliveries.fan_out``)."""
        return await write_message(
            conn, citizen_id, event_type, params, dedupe_key=dedupe_key, link=link
        )

    async def inbox(
        self, conn: Connection, citizen_id: uuid.UUID, page: int, page_size: int
    ) -> InboxPage:
        rows, total, unread = await repo.list_messages(
            conn, citizen_id, page_size, (page - 1) * page_size
        )
        items = [
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
        ]
        return InboxPage(items=items, total=total, unread=unread, page=page, page_size=page_size)

    async def mark_read(
        self, conn: Connection, citizen_id: uuid.UUID, message_id: uuid.UUID
    ) -> None:
        if not await repo.mark_read(conn, citizen_id, message_id):
            raise MessageNotFound()

    async def absorb_citizen(
        self, conn: Connection, source: uuid.UUID, target: uuid.UUID
    ) -> dict[str, int]:
        """One person, one account: ``source``'s inbox, devices, preferences and tags become
        ``target``'s (called by api.identity when it joins a person's accounts). WeChat
        subscription quotas are keyed by openid, which moves with the identity, so stay as
        they are."""
        return await repo.absorb_citizen(conn, source, target)

    # --- WeChat subscribe-message grants --------------------------------------------------------

    def _long_term(self, template_id: str) -> bool:
        return template_id == self.settings.template_notice

    async def report_subscriptions(
        self, conn: Connection, citizen_id: uuid.UUID, results: Mapping[str, str]
    ) -> list[QuotaRow]:
        """The client's report of the popup: accepted templates are credited (WeChat stays the
        authority: a send it refuses with 43101 zeroes the quota)."""
        contact = await self.recipients.push_contact(conn, citizen_id, self.settings.appid)
        if contact is None or contact.openid is None:
            raise NoWechatIdentity()
        for template_id, answer in results.items():
            if answer == "accept":
                await repo.credit_quota(
                    conn, contact.openid, template_id, self._long_term(template_id)
                )
        return await repo.quotas(conn, contact.openid)

    def check_url_signature(self, signature: str, timestamp: str, nonce: str) -> None:
        token = self.settings.push_token.reveal()
        expected = hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()  # noqa: S324 - WeChat's scheme
        # Compared as bytes: compare_digest refuses str with non-ASCII characters (a 500
        # otherwise).
        if not token or not hmac.compare_digest(expected.encode(), signature.encode()):
            raise PushEventRejected()

    async def receive_push_event(
        self, conn: Connection, body: bytes, msg_signature: str, timestamp: str, nonce: str
    ) -> None:
        """Verify (signature, timestamp window), decrypt with wechatpy's crypto, store once,
        apply."""
        settings = self.settings
        token, aes_key = settings.push_token.reveal(), settings.push_aes_key.reveal()
        if not token or not aes_key or not timestamp.isdigit():
            raise PushEventRejected()
        if abs(time.time() - int(timestamp)) > PUSH_WINDOW_S:
            raise PushEventRejected("stale timestamp")
        try:
            envelope = msgspec.json.decode(body)
            crypto = WeChatCrypto(token, aes_key, settings.appid)
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
                    await repo.credit_quota(conn, openid, template_id, self._long_term(template_id))

    # --- devices and preferences ----------------------------------------------------------------

    async def register_device(
        self, conn: Connection, citizen_id: uuid.UUID, registration_id: str, platform: str
    ) -> None:
        await repo.register_device(conn, registration_id, citizen_id, platform)

    async def preferences(self, conn: Connection, citizen_id: uuid.UUID) -> PreferencesRow:
        return await repo.preferences(conn, citizen_id)

    async def set_preferences(
        self, conn: Connection, citizen_id: uuid.UUID, wechat: bool, app: bool, sms: bool
    ) -> None:
        await repo.set_preferences(conn, citizen_id, wechat, app, sms)
