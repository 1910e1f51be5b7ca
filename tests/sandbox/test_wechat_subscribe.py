"""Subscribe messages and message push on the WeChat stand-in, over real HTTP on loopback.

Push events are checked by an independent decryption written here on ``cryptography`` and by
wechatpy as a peer (its ``WeChatCrypto.decrypt_message`` takes the JSON envelope as a dict, or
the XML envelope as text).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import struct
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import xmltodict  # type: ignore[import-untyped]
from aiohttp import web
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from wechatpy.crypto import WeChatCrypto
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from sandbox.runner import RunningApp, start_app
from sandbox.wechat.app import build_wechat_app
from sandbox.wechat.state import openid_for

APPID = "wxtest000000000001"
SECRET = "test-wechat-secret"
PUSH_TOKEN = "test-push-token"
# 43 characters: base64 of 32 bytes without the trailing "=".
PUSH_AES_KEY = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode().rstrip("=")
ORIGINAL_ID = "gh_0123456789ab"
SEND = "/cgi-bin/message/subscribe/send"


@dataclass
class Receiver:
    """A tiny message-push endpoint: records every request, answers ``status``."""

    status: int = 200
    requests: asyncio.Queue[tuple[dict[str, str], bytes, str]] = field(
        default_factory=asyncio.Queue
    )
    server: RunningApp | None = None

    async def handle(self, request: web.Request) -> web.Response:
        await self.requests.put((dict(request.query), await request.read(), request.content_type))
        return web.Response(status=self.status, text="success")

    @property
    def url(self) -> str:
        assert self.server is not None
        return self.server.url + "/wechat/push"

    async def next(self) -> tuple[dict[str, str], bytes, str]:
        return await asyncio.wait_for(self.requests.get(), 10)


@dataclass
class WeChat:
    server: RunningApp
    http: aiohttp.ClientSession
    receiver: Receiver

    async def token(self) -> str:
        params = {"grant_type": "client_credential", "appid": APPID, "secret": SECRET}
        async with self.http.get(self.server.url + "/cgi-bin/token", params=params) as resp:
            token: str = (await resp.json())["access_token"]
            return token

    async def send(self, token: str, body: dict[str, Any]) -> dict[str, Any]:
        url = self.server.url + SEND
        async with self.http.post(url, params={"access_token": token}, json=body) as resp:
            assert resp.status == 200
            result: dict[str, Any] = await resp.json()
            return result

    async def control(
        self, method: str, path: str, body: Any = None, status: int = 200, **params: str
    ) -> Any:
        url = self.server.url + "/_control" + path
        async with self.http.request(method, url, json=body, params=params) as resp:
            assert resp.status == status, await resp.text()
            return await resp.json()


@pytest_asyncio.fixture
async def wechat() -> AsyncIterator[WeChat]:
    receiver = Receiver()
    receiver_app = web.Application()
    receiver_app.router.add_post("/wechat/push", receiver.handle)
    receiver.server = await start_app(receiver_app)
    server = await start_app(
        build_wechat_app(
            appid=APPID,
            secret=SECRET,
            push_url=receiver.url,
            push_token=PUSH_TOKEN,
            push_aes_key=PUSH_AES_KEY,
            original_id=ORIGINAL_ID,
            push_retry_delay=0.01,
        )
    )
    async with aiohttp.ClientSession() as http:
        yield WeChat(server, http, receiver)
    await server.close()
    await receiver.server.close()


def progress(openid: str, **overrides: str) -> dict[str, Any]:
    values = {
        "thing1": "居民身份证补领（丢失补领）",
        "phrase2": "已受理",
        "time3": "2026-01-05 09:30",
        "thing4": "请留意后续通知",
    } | overrides
    return {
        "touser": openid,
        "template_id": "TPL_PROGRESS",
        "page": "pages/cases/detail?id=1",
        "miniprogram_state": "developer",
        "lang": "zh_CN",
        "data": {key: {"value": value} for key, value in values.items()},
    }


def independent_decrypt(encrypted: str) -> tuple[bytes, str]:
    """Decrypt ``Encrypt`` by WeChat's documented scheme, without the stand-in's code."""
    key = base64.b64decode(PUSH_AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    plain = decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()
    pad = plain[-1]
    assert 1 <= pad <= 32 and len(plain) % 32 == 0
    plain = plain[:-pad]
    (length,) = struct.unpack("!I", plain[16:20])
    return plain[20 : 20 + length], plain[20 + length :].decode()


def sha1_sorted(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


async def test_quota_credit_debit_and_43101(wechat: WeChat) -> None:
    # Log in as alice, then credit alice's openid by user key.
    async with wechat.http.get(
        wechat.server.url + "/sns/jscode2session",
        params={
            "appid": APPID,
            "secret": SECRET,
            "js_code": "alice.1",
            "grant_type": "authorization_code",
        },
    ) as resp:
        openid = (await resp.json())["openid"]
    assert openid == openid_for(APPID, "alice")
    token = await wechat.token()

    refused = await wechat.send(token, progress(openid))
    assert refused["errcode"] == 43101
    assert refused["errmsg"].startswith("user refuse to accept the msg")

    credited = await wechat.control(
        "POST", "/subscriptions", {"user": "alice", "templateId": "TPL_PROGRESS", "count": 2}
    )
    assert credited["openid"] == openid
    assert credited["quotas"] == [
        {"templateId": "TPL_PROGRESS", "kind": "one_time", "status": "accept", "remaining": 2}
    ]
    first = await wechat.send(token, progress(openid))
    assert first["errcode"] == 0 and first["errmsg"] == "ok" and isinstance(first["msgid"], int)
    second = await wechat.send(token, progress(openid, phrase2="办理中"))
    assert second["errcode"] == 0 and second["msgid"] != first["msgid"]
    assert (await wechat.send(token, progress(openid)))["errcode"] == 43101
    quotas = await wechat.control("GET", "/subscriptions", openid=openid)
    assert quotas["quotas"][0]["remaining"] == 0

    sent = (await wechat.control("GET", "/sent", openid=openid))["messages"]
    assert [m["msgid"] for m in sent] == [first["msgid"], second["msgid"]]
    assert sent[1]["touser"] == openid and sent[1]["template_id"] == "TPL_PROGRESS"
    assert sent[1]["data"]["phrase2"] == {"value": "办理中"}
    assert sent[1]["page"] == "pages/cases/detail?id=1" and sent[1]["sentAt"].endswith("Z")

    # A reject credits nothing; quota is per template.
    await wechat.control(
        "POST", "/subscriptions", {"openid": openid, "templateId": "TPL_RESULT", "accept": False}
    )
    result = {
        "touser": openid,
        "template_id": "TPL_RESULT",
        "data": {
            "thing1": {"value": "居民身份证补领"},
            "phrase2": {"value": "已办结"},
            "date3": {"value": "2026年1月5日"},
            "thing4": {"value": "窗口领取"},
        },
    }
    assert (await wechat.send(token, result))["errcode"] == 43101


async def test_send_errors(wechat: WeChat) -> None:
    openid = openid_for(APPID, "bob")
    token = await wechat.token()
    await wechat.control("POST", "/subscriptions", {"user": "bob", "templateId": "TPL_PROGRESS"})

    assert (await wechat.send("nope", progress(openid)))["errcode"] == 40001
    assert (await wechat.send(token, progress(openid) | {"template_id": "TPL_X"}))[
        "errcode"
    ] == 40037
    unknown = await wechat.send(token, progress(openid_for(APPID, "nobody")))
    assert unknown["errcode"] == 40003

    long_thing = await wechat.send(token, progress(openid, thing1="一" * 21))
    assert long_thing["errcode"] == 47003
    assert long_thing["errmsg"].startswith("argument invalid! data.thing1.value invalid")
    for overrides, key in (
        ({"phrase2": "正在审核中啊"}, "phrase2"),  # 6 characters
        ({"phrase2": "ok"}, "phrase2"),  # a phrase is Chinese
        ({"time3": "明天"}, "time3"),
        ({"time3": "2026-02-30 10:00"}, "time3"),
    ):
        body = await wechat.send(token, progress(openid, **overrides))
        assert body["errcode"] == 47003, overrides
        assert f"data.{key}.value invalid" in body["errmsg"]
    missing = progress(openid)
    del missing["data"]["thing4"]
    assert (await wechat.send(token, missing))["errcode"] == 47003
    assert (await wechat.send(token, progress(openid) | {"miniprogram_state": "x"}))[
        "errcode"
    ] == 47003
    # Exactly 20 characters is fine, and nothing above used the quota up.
    assert (await wechat.send(token, progress(openid, thing1="一" * 20)))["errcode"] == 0

    # An expired token.
    await wechat.control("POST", "/clock", {"offsetSeconds": 7201})
    assert (await wechat.send(token, progress(openid)))["errcode"] == 42001


async def test_number_key_and_custom_template(wechat: WeChat) -> None:
    template = {
        "templateId": "TPL_FEE",
        "title": "缴费提醒",
        "kind": "one_time",
        "keys": ["thing1", "number2", "amount3"],
    }
    described = await wechat.control("POST", "/templates", template)
    assert described["templateId"] == "TPL_FEE" and described["keys"] == template["keys"]
    await wechat.control("POST", "/templates", template | {"keys": ["bogus1"]}, status=400)
    listed = await wechat.control("GET", "/templates")
    assert {"TPL_PROGRESS", "TPL_RESULT", "TPL_NOTICE", "TPL_FEE"} <= {
        t["templateId"] for t in listed["templates"]
    }

    openid = openid_for(APPID, "carol")
    await wechat.control("POST", "/subscriptions", {"user": "carol", "templateId": "TPL_FEE"})
    token = await wechat.token()

    def fee(number: str) -> dict[str, Any]:
        data = {"thing1": "居民身份证工本费", "number2": number, "amount3": "40.00元"}
        return {
            "touser": openid,
            "template_id": "TPL_FEE",
            "data": {k: {"value": v} for k, v in data.items()},
        }

    assert (await wechat.send(token, fee("四十")))["errcode"] == 47003
    assert (await wechat.send(token, fee("40")))["errcode"] == 0


async def test_long_term_templates(wechat: WeChat) -> None:
    openid = openid_for(APPID, "dave")
    token = await wechat.token()
    notice = {
        "touser": openid,
        "template_id": "TPL_NOTICE",
        "data": {"thing1": {"value": "春节假期办事安排"}, "thing2": {"value": "大厅2月1日起照常"}},
    }
    # Never logged in nor subscribed: WeChat does not know this openid.
    assert (await wechat.send(token, notice))["errcode"] == 40003
    await wechat.control("POST", "/subscriptions", {"user": "dave", "templateId": "TPL_NOTICE"})
    quotas = (await wechat.control("GET", "/subscriptions", user="dave"))["quotas"]
    assert quotas == [
        {"templateId": "TPL_NOTICE", "kind": "long_term", "status": "accept", "remaining": None}
    ]
    for _ in range(5):
        assert (await wechat.send(token, notice))["errcode"] == 0
    # The user turns it off.
    await wechat.control(
        "POST", "/subscriptions", {"user": "dave", "templateId": "TPL_NOTICE", "accept": False}
    )
    assert (await wechat.send(token, notice))["errcode"] == 43101


async def test_daily_limit_and_rate_limit(wechat: WeChat) -> None:
    openid = openid_for(APPID, "erin")
    token = await wechat.token()
    await wechat.control(
        "POST", "/subscriptions", {"user": "erin", "templateId": "TPL_PROGRESS", "count": 10}
    )
    limits = await wechat.control("POST", "/subscribe-limits", {"dailyLimit": 2})
    assert limits == {"dailyLimit": 2, "perSecond": None}
    assert (await wechat.send(token, progress(openid)))["errcode"] == 0
    assert (await wechat.send(token, progress(openid)))["errcode"] == 0
    over = await wechat.send(token, progress(openid))
    assert over["errcode"] == 45009
    # A new day (China time) starts a new count.
    await wechat.control("POST", "/clock", {"offsetSeconds": 86400})
    token = await wechat.token()
    assert (await wechat.send(token, progress(openid)))["errcode"] == 0

    await wechat.control("POST", "/subscribe-limits", {"dailyLimit": 100, "perSecond": 2})
    await wechat.control("POST", "/clock", {"offsetSeconds": 86402})  # an empty window
    codes = [(await wechat.send(token, progress(openid)))["errcode"] for _ in range(3)]
    assert codes == [0, 0, 45011]

    await wechat.control("POST", "/reset")
    assert await wechat.control("GET", "/subscribe-limits") == {
        "dailyLimit": 100000,
        "perSecond": None,
    }


async def test_popup_event_pushed_json(wechat: WeChat) -> None:
    openid = openid_for(APPID, "frank")
    answer = await wechat.control(
        "POST",
        "/subscriptions",
        {"user": "frank", "templateIds": ["TPL_PROGRESS", "TPL_NOTICE"]},
    )
    assert answer["pushed"] is True
    query, body, content_type = await wechat.receiver.next()
    assert content_type == "application/json"
    assert set(query) == {"signature", "timestamp", "nonce", "encrypt_type", "msg_signature"}
    assert query["encrypt_type"] == "aes"
    envelope = json.loads(body)
    assert set(envelope) == {"ToUserName", "Encrypt"} and envelope["ToUserName"] == ORIGINAL_ID

    # Independent check of the signatures and the encryption.
    timestamp, nonce = query["timestamp"], query["nonce"]
    assert query["signature"] == sha1_sorted(PUSH_TOKEN, timestamp, nonce)
    assert query["msg_signature"] == sha1_sorted(PUSH_TOKEN, timestamp, nonce, envelope["Encrypt"])
    check_signature(PUSH_TOKEN, query["signature"], timestamp, nonce)  # wechatpy
    msg, appid = independent_decrypt(envelope["Encrypt"])
    assert appid == APPID
    event = json.loads(msg)
    assert event["ToUserName"] == ORIGINAL_ID and event["FromUserName"] == openid
    assert event["MsgType"] == "event" and event["Event"] == "subscribe_msg_popup_event"
    assert isinstance(event["CreateTime"], int)
    assert event["List"] == [
        {"TemplateId": "TPL_PROGRESS", "SubscribeStatusString": "accept", "PopupScene": "0"},
        {"TemplateId": "TPL_NOTICE", "SubscribeStatusString": "accept", "PopupScene": "0"},
    ]

    # wechatpy as a peer: it takes the JSON envelope as a dict.
    crypto = WeChatCrypto(PUSH_TOKEN, PUSH_AES_KEY, APPID)
    plain = crypto.decrypt_message(envelope, query["msg_signature"], timestamp, nonce)
    assert json.loads(plain) == event

    deliveries = (await wechat.control("GET", "/push-events"))["deliveries"]
    assert deliveries[-1]["delivered"] is True and deliveries[-1]["attempts"] == 1


async def test_popup_event_single_template_as_object_and_reject(wechat: WeChat) -> None:
    await wechat.control(
        "POST",
        "/subscriptions",
        {"user": "gina", "templateId": "TPL_RESULT", "accept": False, "listAsObject": True},
    )
    query, body, _ = await wechat.receiver.next()
    envelope = json.loads(body)
    crypto = WeChatCrypto(PUSH_TOKEN, PUSH_AES_KEY, APPID)
    plain = crypto.decrypt_message(
        envelope, query["msg_signature"], query["timestamp"], query["nonce"]
    )
    event = json.loads(plain)
    assert event["List"] == {
        "TemplateId": "TPL_RESULT",
        "SubscribeStatusString": "reject",
        "PopupScene": "0",
    }


async def test_popup_event_pushed_xml(wechat: WeChat) -> None:
    config = await wechat.control("POST", "/push-config", {"format": "xml"})
    assert config["format"] == "xml" and config["url"] == wechat.receiver.url
    openid = openid_for(APPID, "hank")
    await wechat.control(
        "POST", "/subscriptions", {"user": "hank", "templateIds": ["TPL_PROGRESS", "TPL_RESULT"]}
    )
    query, body, content_type = await wechat.receiver.next()
    assert content_type == "text/xml"
    crypto = WeChatCrypto(PUSH_TOKEN, PUSH_AES_KEY, APPID)
    # wechatpy parses the XML envelope itself.
    plain = crypto.decrypt_message(
        body.decode(), query["msg_signature"], query["timestamp"], query["nonce"]
    )
    event = xmltodict.parse(plain)["xml"]
    assert event["FromUserName"] == openid and event["Event"] == "subscribe_msg_popup_event"
    entries = event["SubscribeMsgPopupEvent"]["List"]
    assert [e["TemplateId"] for e in entries] == ["TPL_PROGRESS", "TPL_RESULT"]
    assert all(e["SubscribeStatusString"] == "accept" for e in entries)


async def test_raw_push_event_and_tamper(wechat: WeChat) -> None:
    openid = openid_for(APPID, "ivy")
    event = {"MsgType": "event", "Event": "subscribe_msg_change_event", "List": []}
    answer = await wechat.control("POST", "/push-events", {"openid": openid, "event": event})
    assert answer["event"]["FromUserName"] == openid
    crypto = WeChatCrypto(PUSH_TOKEN, PUSH_AES_KEY, APPID)
    query, body, _ = await wechat.receiver.next()
    plain = crypto.decrypt_message(
        json.loads(body),
        query["msg_signature"],
        query["timestamp"],
        query["nonce"],
    )
    assert json.loads(plain)["Event"] == "subscribe_msg_change_event"

    await wechat.control("POST", "/push-events", {"user": "ivy", "event": event, "tamper": True})
    query, body, _ = await wechat.receiver.next()
    envelope = json.loads(body)
    assert query["msg_signature"] != sha1_sorted(
        PUSH_TOKEN, query["timestamp"], query["nonce"], envelope["Encrypt"]
    )
    with pytest.raises(InvalidSignatureException):
        crypto.decrypt_message(envelope, query["msg_signature"], query["timestamp"], query["nonce"])
    # The plain signature (no Encrypt in it) still verifies.
    assert query["signature"] == sha1_sorted(PUSH_TOKEN, query["timestamp"], query["nonce"])


async def test_push_retried_three_times_and_sent_events(wechat: WeChat) -> None:
    wechat.receiver.status = 500
    await wechat.control("POST", "/subscriptions", {"user": "jack", "templateId": "TPL_PROGRESS"})
    for _ in range(3):
        await wechat.receiver.next()

    async def settled() -> dict[str, Any]:
        for _ in range(200):
            last: dict[str, Any] = (await wechat.control("GET", "/push-events"))["deliveries"][-1]
            if last["attempts"] == 3 and last["lastError"] == "HTTP 500":
                return last
            await asyncio.sleep(0.02)
        raise AssertionError("delivery did not settle")

    last = await settled()
    assert last["delivered"] is False
    assert wechat.receiver.requests.empty()

    # subscribe_msg_sent_event after a send, when turned on (its List is an object).
    wechat.receiver.status = 200
    await wechat.control("POST", "/push-config", {"sentEvents": True})
    token = await wechat.token()
    sent = await wechat.send(token, progress(openid_for(APPID, "jack")))
    assert sent["errcode"] == 0
    query, body, _ = await wechat.receiver.next()
    crypto = WeChatCrypto(PUSH_TOKEN, PUSH_AES_KEY, APPID)
    event = json.loads(
        crypto.decrypt_message(
            json.loads(body),
            query["msg_signature"],
            query["timestamp"],
            query["nonce"],
        )
    )
    assert event["Event"] == "subscribe_msg_sent_event"
    assert event["List"] == {
        "TemplateId": "TPL_PROGRESS",
        "MsgID": str(sent["msgid"]),
        "ErrorCode": "0",
        "ErrorStatus": "success",
    }


async def test_no_push_url_records_without_sending() -> None:
    server = await start_app(build_wechat_app(appid=APPID, secret=SECRET))
    try:
        async with aiohttp.ClientSession() as http:
            url = server.url + "/_control/subscriptions"
            async with http.post(url, json={"user": "kim", "templateId": "TPL_NOTICE"}) as resp:
                assert resp.status == 200
                assert (await resp.json())["pushed"] is False
            async with http.get(server.url + "/_control/push-config") as resp:
                config = await resp.json()
            assert config["url"] is None and config["toUserName"].startswith("gh_")
    finally:
        await server.close()


async def test_control_validation(wechat: WeChat) -> None:
    await wechat.control("POST", "/subscriptions", {"user": "x", "templateId": "NOPE"}, 400)
    await wechat.control("POST", "/subscriptions", {"templateId": "TPL_PROGRESS"}, 400)
    await wechat.control(
        "POST", "/subscriptions", {"user": "x", "templateId": "TPL_PROGRESS", "count": 0}, 400
    )
    await wechat.control(
        "POST",
        "/subscriptions",
        {
            "user": "x",
            "templateIds": ["TPL_PROGRESS", "TPL_RESULT", "TPL_NOTICE", "TPL_SUPPLEMENT"],
        },
        400,
    )
    await wechat.control("GET", "/subscriptions", status=400)
    await wechat.control("POST", "/push-config", {"format": "yaml"}, 400)
