"""WeChat's message-push events: accepted when built with wechatpy's own crypto, rejected when
tampered with, forged or stale; an accepted popup event credits the subscribe-message quota."""

from __future__ import annotations

import json
import time

import asyncpg
import httpx
from wechatpy.crypto import PrpCrypto, _get_signature

from tests.fixtures.identity import Outside, wechat_login
from tests.fixtures.standins import WECHAT_APPID, WECHAT_PUSH_AES_KEY, WECHAT_PUSH_TOKEN

HOOK = "/api/v1/hooks/wechat/message-push"


def _popup_event(openid: str, template: str, answer: str = "accept") -> str:
    return json.dumps({
        "ToUserName": "gh_handheld", "FromUserName": openid, "CreateTime": int(time.time()),
        "MsgType": "event", "Event": "subscribe_msg_popup_event",
        "List": [{"TemplateId": template, "SubscribeStatusString": answer, "PopupScene": "0"}],
    }, ensure_ascii=False)  # fmt: skip


def _envelope(event: str, timestamp: str | None = None) -> tuple[dict[str, str], bytes]:
    """Encrypted and signed by wechatpy, the independent implementation."""
    import base64

    key = base64.b64decode(WECHAT_PUSH_AES_KEY + "=")
    encrypt = PrpCrypto(key).encrypt(event, WECHAT_APPID)
    encrypt = encrypt.decode() if isinstance(encrypt, bytes) else encrypt
    ts = timestamp or str(int(time.time()))
    nonce = "n0nce123"
    query = {
        "timestamp": ts, "nonce": nonce, "encrypt_type": "aes",
        "msg_signature": _get_signature(WECHAT_PUSH_TOKEN, ts, nonce, encrypt),
        "signature": _get_signature(WECHAT_PUSH_TOKEN, ts, nonce, ""),
    }  # fmt: skip
    return query, json.dumps({"ToUserName": "gh_handheld", "Encrypt": encrypt}).encode()


async def test_event_from_wechatpy_credits_quota(
    client: httpx.AsyncClient, outside: Outside, db: asyncpg.Connection
) -> None:
    await wechat_login(client, outside, "wx-henry")
    openid = await db.fetchval("SELECT openid FROM citizen_wechat")
    query, body = _envelope(_popup_event(openid, "TPL_PROGRESS"))
    resp = await client.post(HOOK, params=query, content=body)
    assert resp.status_code == 200 and resp.text == "success"
    again = await client.post(HOOK, params=query, content=body)  # WeChat's retry
    assert again.status_code == 200
    quota = await db.fetchrow("SELECT quota, long_term FROM wechat_subscriptions")
    assert (quota["quota"], quota["long_term"]) == (1, False)  # the retry counted once


async def test_tampered_forged_or_stale_events_are_rejected(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    query, body = _envelope(_popup_event("o-someone", "TPL_PROGRESS"))
    envelope = json.loads(body)
    flipped = (
        envelope["Encrypt"][:-6]
        + ("A" if envelope["Encrypt"][-6] != "A" else "B")
        + envelope["Encrypt"][-5:]
    )
    tampered = json.dumps({**envelope, "Encrypt": flipped}).encode()
    assert (await client.post(HOOK, params=query, content=tampered)).status_code == 401
    forged = {**query, "msg_signature": "0" * 40}
    assert (await client.post(HOOK, params=forged, content=body)).status_code == 401
    old_query, old_body = _envelope(
        _popup_event("o-someone", "TPL_PROGRESS"), str(int(time.time()) - 3600)
    )
    assert (await client.post(HOOK, params=old_query, content=old_body)).status_code == 401
    assert await db.fetchval("SELECT count(*) FROM wechat_subscriptions") == 0


async def test_url_verification(client: httpx.AsyncClient) -> None:
    ts, nonce = str(int(time.time())), "abc"
    import hashlib

    signature = hashlib.sha1("".join(sorted([WECHAT_PUSH_TOKEN, ts, nonce])).encode()).hexdigest()
    ok = await client.get(HOOK, params={"signature": signature, "timestamp": ts, "nonce": nonce,
                                        "echostr": "hello-wechat"})  # fmt: skip
    assert ok.status_code == 200 and ok.text == "hello-wechat"
    bad = await client.get(HOOK, params={"signature": "x", "timestamp": ts, "nonce": nonce,
                                         "echostr": "hello-wechat"})  # fmt: skip
    assert bad.status_code == 401
