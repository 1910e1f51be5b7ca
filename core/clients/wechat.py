"""Client of the WeChat server API (mini-program login, access token, phone number, subscribe
messages).

WeChat answers errors with HTTP 200 and an ``errcode``; the client turns the ones a caller can
act on into exceptions and the rest into ``OutsideSystemError``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar
from urllib.parse import quote

import aiohttp
import msgspec
from redis.asyncio import Redis

from core.errors import OutsideSystemError
from core.http import JsonApiClient
from core.settings import HttpClientSettings, WechatSettings

log = logging.getLogger(__name__)

# Codes from wx.login / getPhoneNumber that are wrong, used or expired.
_BAD_CODE = frozenset({40029, 40163, 40226})
_BAD_TOKEN = frozenset({40001, 42001, 40014})


class WechatCodeRejected(Exception):
    """The code from the mini-program is invalid, used or expired (the client must retry)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode = errcode


class _Reply(msgspec.Struct, kw_only=True):
    errcode: int = 0
    errmsg: str = ""


class Code2Session(_Reply, kw_only=True):
    openid: str = ""
    session_key: str = ""
    unionid: str | None = None


class _Token(_Reply, kw_only=True):
    access_token: str = ""
    expires_in: int = 0


class _PhoneInfo(msgspec.Struct, kw_only=True):
    phoneNumber: str = ""
    purePhoneNumber: str = ""
    countryCode: str = ""


class _PhoneReply(_Reply, kw_only=True):
    phone_info: _PhoneInfo | None = None


class SubscribeResult(_Reply, kw_only=True):
    msgid: int = 0


class _SubscribeMessage(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The body of 订阅消息 send; ``data`` already encoded (``subscribe_data``): a notice sends
    the same fields to thousands, encoded once."""

    touser: str
    template_id: str
    data: msgspec.Raw
    miniprogram_state: str
    lang: str
    page: str | None = None


def subscribe_data(data: dict[str, str]) -> msgspec.Raw:
    """A template's fields as 订阅消息 wants them, encoded once for many sends."""
    return msgspec.Raw(msgspec.json.encode({key: {"value": value} for key, value in data.items()}))


R = TypeVar("R", bound=_Reply)


# How long a process uses the token it read from Redis before reading it again.
TOKEN_MEMO_S = 30.0

# Errors the caller acts on rather than retrying blindly.
NO_QUOTA = 43101
BAD_ARGUMENT = 47003
THROTTLED = frozenset({45009, 45011})


class WechatClient(JsonApiClient):
    system = "wechat"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        redis: Redis,
        settings: WechatSettings,
        http_settings: HttpClientSettings,
    ) -> None:
        super().__init__(session, settings.base_url, http_settings)
        self._redis = redis
        self.appid = settings.appid
        self._secret = settings.secret
        self._token_key = f"wechat:access-token:{settings.appid}"
        self._lock_key = f"wechat:access-token-refresh:{settings.appid}"
        # The token as last read from Redis, and until when (monotonic) it is used without
        # asking Redis again: a notice sends thousands a second, each needing the token.
        self._memo: tuple[str, float] | None = None
        # The send path with a token written in (token, path): quoted once per token.
        self._send_path: tuple[str, str] = ("", "")

    async def code2session(self, code: str) -> Code2Session:
        reply = await self._call(
            "GET",
            "jscode2session",
            "/sns/jscode2session",
            Code2Session,
            params={
                "appid": self.appid,
                "secret": self._secret.reveal(),
                "js_code": code,
                "grant_type": "authorization_code",
            },
        )
        self._raise_for(reply, "jscode2session")
        return reply

    async def phone_number(self, code: str) -> str:
        reply = await self._with_token(
            lambda token: self._call(
                "POST",
                "getuserphonenumber",
                "/wxa/business/getuserphonenumber",
                _PhoneReply,
                params={"access_token": token},
                json={"code": code},
            )
        )
        self._raise_for(reply, "getuserphonenumber")
        if reply.phone_info is None or not reply.phone_info.purePhoneNumber:
            raise OutsideSystemError("wechat getuserphonenumber: no phone_info")
        return reply.phone_info.purePhoneNumber

    async def _with_token(self, send: Callable[[str], Awaitable[R]]) -> R:
        """``send(token)`` with the cached access token, and once more with a fresh one when
        WeChat rejects it (another process refreshed it, or WeChat expired it early). Not a
        retry of a failure: the second request is a different one."""
        reply = await send(await self.access_token())
        if reply.errcode in _BAD_TOKEN:
            reply = await send(await self.access_token(force_refresh=True))
        return reply

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """The stable access token, cached in Redis (and for ``TOKEN_MEMO_S`` in the process)
        and refreshed by one process at a time. A token another process replaced stays valid
        at WeChat for minutes (stable_token), and one WeChat rejects is refreshed at once
        (``_with_token``), so the short memo never sends a dead token twice."""
        memo = self._memo
        if not force_refresh and memo is not None and time.monotonic() < memo[1]:
            return memo[0]
        token = await self._access_token(force_refresh)
        self._memo = (token, time.monotonic() + TOKEN_MEMO_S)
        return token

    async def _access_token(self, force_refresh: bool) -> str:
        if not force_refresh and (cached := await self._redis.get(self._token_key)):
            return cached.decode() if isinstance(cached, bytes) else str(cached)
        for _ in range(50):
            if await self._redis.set(self._lock_key, b"1", nx=True, ex=10):
                try:
                    return await self._refresh(force_refresh)
                finally:
                    await self._redis.delete(self._lock_key)
            await asyncio.sleep(0.1)  # someone else is refreshing: wait for their result
            if not force_refresh and (cached := await self._redis.get(self._token_key)):
                return cached.decode() if isinstance(cached, bytes) else str(cached)
        raise OutsideSystemError("wechat access token: refresh lock not released")

    async def _refresh(self, force: bool) -> str:
        reply = await self._call(
            "POST",
            "stable_token",
            "/cgi-bin/stable_token",
            _Token,
            json={
                "grant_type": "client_credential",
                "appid": self.appid,
                "secret": self._secret.reveal(),
                "force_refresh": force,
            },
        )
        self._raise_for(reply, "stable_token")
        # Refresh five minutes early so no request goes out with a token about to expire.
        await self._redis.set(
            self._token_key, reply.access_token.encode(), ex=max(60, reply.expires_in - 300)
        )
        return reply.access_token

    @staticmethod
    def _raise_for(reply: _Reply, operation: str) -> None:
        if reply.errcode == 0:
            return
        if reply.errcode in _BAD_CODE:
            raise WechatCodeRejected(reply.errcode, reply.errmsg)
        raise OutsideSystemError(f"wechat {operation}: {reply.errcode} {reply.errmsg}")

    async def send_subscribe_message(
        self,
        *,
        openid: str,
        template_id: str,
        data: dict[str, str] | msgspec.Raw,
        page: str | None,
        state: str,
    ) -> SubscribeResult:
        """订阅消息: returns WeChat's answer (errcode 0 sent; 43101 no quota; 47003 bad data;
        45009/45011 throttled); an expired access token is refreshed once. ``data``: the
        template's fields, or ``subscribe_data`` of them (many sends of the same fields)."""
        body = msgspec.json.encode(
            _SubscribeMessage(
                touser=openid,
                template_id=template_id,
                data=data if isinstance(data, msgspec.Raw) else subscribe_data(data),
                miniprogram_state=state,
                lang="zh_CN",
                page=page or None,
            )
        )
        reply = await self._send_encoded(await self.access_token(), body)
        if reply.errcode in _BAD_TOKEN:
            reply = await self._send_encoded(await self.access_token(force_refresh=True), body)
        return reply

    async def _send_encoded(self, token: str, body: bytes) -> SubscribeResult:
        if self._send_path[0] != token:
            # The query written out, once per token: a notice sends thousands a second, and
            # building it from parameters was a tenth of each send's cost.
            path = f"/cgi-bin/message/subscribe/send?access_token={quote(token, safe='')}"
            self._send_path = (token, path)
        return await self._call(
            "POST", "subscribe_send", self._send_path[1], SubscribeResult, body=body
        )
