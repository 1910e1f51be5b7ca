"""Message push (消息推送) from the WeChat stand-in to the mini-program's server, in safe mode.

Each event is encrypted and signed (``sandbox.wechat.crypto``) and POSTed to the configured URL
with ``?signature=&timestamp=&nonce=&encrypt_type=aes&msg_signature=``. The body is
``{"ToUserName", "Encrypt"}`` JSON, or the XML envelope
``<xml><ToUserName/><Encrypt/></xml>`` when the push format is ``xml`` (the message inside is then
XML too). Delivery is tried up to 3 times, 5 s each, like WeChat; any 2xx acknowledges.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import escape

import aiohttp
import msgspec

from sandbox.clock import Clock
from sandbox.wechat.crypto import aes_key, encrypt, sha1_signature

log = logging.getLogger("sandbox.wechat.push")

PushFormat = Literal["json", "xml"]
PUSH_FORMATS = ("json", "xml")
ATTEMPTS = 3
ATTEMPT_TIMEOUT_SECONDS = 5.0
RETRY_DELAY_SECONDS = 0.2
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def original_id_for(appid: str) -> str:
    """A stable mini-program original id (原始 ID, ``gh_`` + 12 hex) for an appid."""
    return "gh_" + hashlib.sha256(appid.encode()).hexdigest()[:12]


def _xml_value(tag: str, value: Any) -> str:
    if isinstance(value, list):
        return "".join(_xml_value(tag, item) for item in value)
    if isinstance(value, dict):
        inner = "".join(_xml_value(k, v) for k, v in value.items())
        return f"<{tag}>{inner}</{tag}>"
    if isinstance(value, bool | int | float):
        return f"<{tag}>{value}</{tag}>"
    text = str(value).replace("]]>", "]]]]><![CDATA[>")
    return f"<{tag}><![CDATA[{text}]]></{tag}>"


def event_xml(event: dict[str, Any]) -> str:
    """An event as WeChat's XML: numbers bare, strings in CDATA, lists as repeated elements."""
    return "<xml>" + "".join(_xml_value(k, v) for k, v in event.items()) + "</xml>"


def popup_event(
    *,
    original_id: str,
    openid: str,
    create_time: int,
    template_ids: list[str],
    accept: bool,
    list_as_object: bool,
    push_format: PushFormat,
) -> dict[str, Any]:
    """``subscribe_msg_popup_event`` as WeChat sends it in the given format."""
    entries = [
        {
            "TemplateId": template_id,
            "SubscribeStatusString": "accept" if accept else "reject",
            "PopupScene": "0",
        }
        for template_id in template_ids
    ]
    listed: Any = entries[0] if list_as_object and len(entries) == 1 else entries
    event: dict[str, Any] = {
        "ToUserName": original_id,
        "FromUserName": openid,
        "CreateTime": create_time,
        "MsgType": "event",
        "Event": "subscribe_msg_popup_event",
    }
    if push_format == "xml":
        event["SubscribeMsgPopupEvent"] = {"List": listed}
    else:
        event["List"] = listed
    return event


def sent_event(
    *, original_id: str, openid: str, create_time: int, template_id: str, msgid: int
) -> dict[str, Any]:
    """``subscribe_msg_sent_event`` (the delivery result of a sent message); its List is an
    object, as WeChat sends it."""
    return {
        "ToUserName": original_id,
        "FromUserName": openid,
        "CreateTime": create_time,
        "MsgType": "event",
        "Event": "subscribe_msg_sent_event",
        "List": {
            "TemplateId": template_id,
            "MsgID": str(msgid),
            "ErrorCode": "0",
            "ErrorStatus": "success",
        },
    }


def tamper(encrypted: str) -> str:
    """Replace one character of ``Encrypt`` (still base64) so that it no longer matches."""
    index = min(10, len(encrypted) - 3)
    old = encrypted[index]
    new = _B64[(_B64.index(old) + 1) % 64] if old in _B64 else "A"
    return encrypted[:index] + new + encrypted[index + 1 :]


@dataclass
class Delivery:
    id: int
    openid: str
    event: dict[str, Any]
    format: PushFormat
    tampered: bool
    url: str | None
    attempts: int = 0
    delivered: bool = False
    last_error: str | None = None
    query: dict[str, str] = field(default_factory=dict)
    body: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "openid": self.openid,
            "event": self.event,
            "format": self.format,
            "tampered": self.tampered,
            "url": self.url,
            "query": self.query,
            "body": self.body,
            "attempts": self.attempts,
            "delivered": self.delivered,
            "lastError": self.last_error,
        }


@dataclass
class PushSender:
    appid: str
    token: str
    encoding_aes_key: str
    url: str | None
    format: PushFormat
    original_id: str
    clock: Clock
    sent_events: bool = False
    retry_delay: float = RETRY_DELAY_SECONDS
    deliveries: list[Delivery] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _initial: tuple[str | None, PushFormat, bool] = (None, "json", False)

    def __post_init__(self) -> None:
        self.key = aes_key(self.encoding_aes_key)
        if self.format not in PUSH_FORMATS:
            raise ValueError("push format must be 'json' or 'xml'")
        self._initial = (self.url, self.format, self.sent_events)

    def describe(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "format": self.format,
            "sentEvents": self.sent_events,
            "toUserName": self.original_id,
        }

    def envelope(self, event: dict[str, Any], *, tampered: bool) -> tuple[dict[str, str], str]:
        """(query, body) of one delivery: encrypt, sign, and tamper after signing if asked."""
        plain = event_xml(event).encode() if self.format == "xml" else msgspec.json.encode(event)
        encrypted = encrypt(self.key, self.appid, plain)
        timestamp = str(int(self.clock.now()))
        nonce = str(secrets.randbelow(10**10))
        query = {
            "signature": sha1_signature(self.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "encrypt_type": "aes",
            "msg_signature": sha1_signature(self.token, timestamp, nonce, encrypted),
        }
        if tampered:
            encrypted = tamper(encrypted)
        to_user = str(event.get("ToUserName", self.original_id))
        if self.format == "xml":
            body = (
                f"<xml><ToUserName><![CDATA[{escape(to_user)}]]></ToUserName>"
                f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
            )
        else:
            body = msgspec.json.encode({"ToUserName": to_user, "Encrypt": encrypted}).decode()
        return query, body

    def push(self, openid: str, event: dict[str, Any], *, tampered: bool = False) -> Delivery:
        """Queue one event; sent in the background when a URL is configured."""
        delivery = Delivery(
            id=len(self.deliveries) + 1,
            openid=openid,
            event=event,
            format=self.format,
            tampered=tampered,
            url=self.url,
        )
        self.deliveries.append(delivery)
        if self.url is None:
            delivery.last_error = "no push URL configured"
            return delivery
        task = asyncio.get_running_loop().create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return delivery

    async def _deliver(self, delivery: Delivery) -> None:
        assert delivery.url is not None
        content_type = "text/xml" if delivery.format == "xml" else "application/json"
        timeout = aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            for attempt in range(ATTEMPTS):
                if attempt:
                    await asyncio.sleep(self.retry_delay)
                query, body = self.envelope(delivery.event, tampered=delivery.tampered)
                delivery.query, delivery.body = query, body
                delivery.attempts += 1
                try:
                    async with http.post(
                        delivery.url,
                        params=query,
                        data=body.encode(),
                        headers={"Content-Type": f"{content_type}; charset=utf-8"},
                    ) as resp:
                        await resp.read()
                        if 200 <= resp.status < 300:
                            delivery.delivered = True
                            return
                        delivery.last_error = f"HTTP {resp.status}"
                except (aiohttp.ClientError, TimeoutError) as exc:
                    delivery.last_error = f"{type(exc).__name__}: {exc}"
        log.info("push event %s not acknowledged: %s", delivery.id, delivery.last_error)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def retarget(self, url: str | None) -> None:
        """Send to ``url`` from now on and after every ``reset``, as if built with it."""
        self.url = url
        self._initial = (url, self._initial[1], self._initial[2])

    def reset(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.deliveries.clear()
        self.url, self.format, self.sent_events = self._initial
