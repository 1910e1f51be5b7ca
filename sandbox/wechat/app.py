"""aiohttp application of the WeChat stand-in (server APIs of a mini-program).

Follows WeChat's conventions: HTTP 200 for every answer, errors as ``{"errcode", "errmsg"}``
with the real codes, success bodies without ``errcode``.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from aiohttp import web

from sandbox.wechat.state import WeChatState, valid_code

STATE_KEY = web.AppKey("wechat_state", WeChatState)


def _json(body: Any) -> web.Response:
    return web.Response(
        body=msgspec.json.encode(body), content_type="application/json", charset="utf-8"
    )


def wx_error(errcode: int, errmsg: str) -> web.Response:
    """An error as WeChat sends it; errmsg carries a request id like the real service."""
    return _json({"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(12)}"})


def _check_app(state: WeChatState, appid: str, secret: str) -> web.Response | None:
    if not appid:
        return wx_error(41002, "appid missing")
    if not secret:
        return wx_error(41004, "appsecret missing")
    if appid != state.appid:
        return wx_error(40013, "invalid appid")
    return None


async def get_token(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    query = request.query
    if query.get("grant_type") != "client_credential":
        return wx_error(40002, "invalid grant_type")
    appid, secret = query.get("appid", ""), query.get("secret", "")
    failure = _check_app(state, appid, secret)
    if failure is not None:
        return failure
    if not secrets.compare_digest(secret.encode(), state.secret.encode()):
        return wx_error(40001, "invalid credential, access_token is invalid or not latest")
    return _json({"access_token": state.issue_token(), "expires_in": 7200})


async def jscode2session(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    query = request.query
    appid, secret = query.get("appid", ""), query.get("secret", "")
    failure = _check_app(state, appid, secret)
    if failure is not None:
        return failure
    if not secrets.compare_digest(secret.encode(), state.secret.encode()):
        return wx_error(40125, "invalid appsecret")
    if query.get("grant_type") != "authorization_code":
        return wx_error(40002, "invalid grant_type")
    js_code = query.get("js_code", "")
    if not valid_code(js_code):
        return wx_error(40029, "invalid code")
    session = state.login(js_code)
    if session is None:
        return wx_error(40163, "code been used")
    return _json(
        {
            "openid": session.openid,
            "session_key": session.session_key,
            "unionid": session.unionid,
        }
    )


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def control_reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return _json({"status": "reset"})


def build_wechat_app(*, appid: str, secret: str) -> web.Application:
    """Build the WeChat stand-in for one mini-program (appid, secret)."""
    if not appid or not secret:
        raise ValueError("appid and secret must not be empty")
    app = web.Application()
    app[STATE_KEY] = WeChatState(appid=appid, secret=secret)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/cgi-bin/token", get_token)
    app.router.add_get("/sns/jscode2session", jscode2session)
    app.router.add_post("/_control/reset", control_reset)
    return app
