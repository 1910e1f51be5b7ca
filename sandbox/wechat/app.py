"""aiohttp application of the WeChat stand-in (server APIs of a mini-program).

Follows WeChat's conventions: HTTP 200 for every answer, errors as ``{"errcode", "errmsg"}``
with the real codes, success bodies without ``errcode`` (except the newer ``/wxa/`` APIs, which
answer ``errcode: 0`` like the real ones). The control API (``/_control/``) is ours: it uses
HTTP statuses and ``{"code", "message"}`` errors.
"""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from aiohttp import web

from sandbox.clock import parse_clock_body
from sandbox.wechat.state import MOBILE_PATTERN, USER_PATTERN, WeChatState, valid_code

STATE_KEY = web.AppKey("wechat_state", WeChatState)


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(
        status=status,
        body=msgspec.json.encode(body),
        content_type="application/json",
        charset="utf-8",
    )


def _control_error(status: int, code: str, message: str) -> web.Response:
    return _json({"code": code, "message": message}, status)


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
    if not valid_code(js_code) or state.code_expired(js_code):
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


async def _json_body(request: web.Request) -> dict[str, Any] | None:
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError:
        return None
    return body if isinstance(body, dict) else None


async def stable_token(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _json_body(request)
    if body is None:
        return wx_error(47001, "data format error")
    if body.get("grant_type") != "client_credential":
        return wx_error(40002, "invalid grant_type")
    appid, secret = body.get("appid", ""), body.get("secret", "")
    force_refresh = body.get("force_refresh", False)
    if not isinstance(appid, str) or not isinstance(secret, str):
        return wx_error(47001, "data format error")
    if not isinstance(force_refresh, bool):
        return wx_error(47001, "data format error: force_refresh must be a boolean")
    failure = _check_app(state, appid, secret)
    if failure is not None:
        return failure
    if not secrets.compare_digest(secret.encode(), state.secret.encode()):
        return wx_error(40125, "invalid appsecret")
    token, expires_in = state.stable_token(force_refresh)
    return _json({"access_token": token, "expires_in": expires_in})


def _check_token(state: WeChatState, token: str) -> web.Response | None:
    if not token:
        return wx_error(41001, "access_token missing")
    status = state.token_status(token)
    if status == "expired":
        return wx_error(42001, "access_token expired")
    if status == "invalid":
        return wx_error(40001, "invalid credential, access_token is invalid or not latest")
    return None


async def get_user_phone_number(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    failure = _check_token(state, request.query.get("access_token", ""))
    if failure is not None:
        return failure
    body = await _json_body(request)
    if body is None:
        return wx_error(47001, "data format error")
    code = body.get("code")
    phone = state.redeem_phone_code(code) if isinstance(code, str) else None
    if phone is None:
        return wx_error(40029, "invalid code")
    return _json(
        {
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": phone,
                "purePhoneNumber": phone,
                "countryCode": "86",
                "watermark": {"timestamp": int(state.clock.now()), "appid": state.appid},
            },
        }
    )


async def healthz(request: web.Request) -> web.Response:
    return _json({"status": "ok"})


async def control_reset(request: web.Request) -> web.Response:
    request.app[STATE_KEY].reset()
    return _json({"status": "reset"})


async def _control_user(request: web.Request) -> tuple[dict[str, Any], str] | web.Response:
    body = await _json_body(request)
    if body is None:
        return _control_error(400, "INVALID_PARAMETER", "body must be a JSON object")
    user = body.get("user")
    if not isinstance(user, str) or not USER_PATTERN.fullmatch(user):
        return _control_error(400, "INVALID_PARAMETER", "user: 1..64 of [0-9A-Za-z_-]")
    return body, user


async def control_register_user(request: web.Request) -> web.Response:
    parsed = await _control_user(request)
    if isinstance(parsed, web.Response):
        return parsed
    body, user = parsed
    phone = body.get("phone")
    if not isinstance(phone, str) or not MOBILE_PATTERN.fullmatch(phone):
        return _control_error(400, "INVALID_PARAMETER", "phone: a mainland mobile number")
    request.app[STATE_KEY].register_phone(user, phone)
    return _json({"user": user, "phone": phone})


async def control_login_code(request: web.Request) -> web.Response:
    parsed = await _control_user(request)
    if isinstance(parsed, web.Response):
        return parsed
    return _json({"code": request.app[STATE_KEY].mint_login_code(parsed[1])})


async def control_phone_code(request: web.Request) -> web.Response:
    parsed = await _control_user(request)
    if isinstance(parsed, web.Response):
        return parsed
    code = request.app[STATE_KEY].mint_phone_code(parsed[1])
    if code is None:
        return _control_error(
            404, "USER_NOT_FOUND", "no phone for this user: POST /_control/users first"
        )
    return _json({"code": code})


async def control_set_clock(request: web.Request) -> web.Response:
    clock = request.app[STATE_KEY].clock
    try:
        clock.set_offset(parse_clock_body(await request.read()))
    except ValueError as exc:
        return _control_error(400, "INVALID_PARAMETER", str(exc))
    return _json(clock.describe())


async def control_get_clock(request: web.Request) -> web.Response:
    return _json(request.app[STATE_KEY].clock.describe())


def build_wechat_app(*, appid: str, secret: str) -> web.Application:
    """Build the WeChat stand-in for one mini-program (appid, secret)."""
    if not appid or not secret:
        raise ValueError("appid and secret must not be empty")
    app = web.Application()
    app[STATE_KEY] = WeChatState(appid=appid, secret=secret)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/cgi-bin/token", get_token)
    app.router.add_post("/cgi-bin/stable_token", stable_token)
    app.router.add_get("/sns/jscode2session", jscode2session)
    app.router.add_post("/wxa/business/getuserphonenumber", get_user_phone_number)
    app.router.add_post("/_control/reset", control_reset)
    app.router.add_post("/_control/users", control_register_user)
    app.router.add_post("/_control/codes", control_login_code)
    app.router.add_post("/_control/phone-codes", control_phone_code)
    app.router.add_get("/_control/clock", control_get_clock)
    app.router.add_post("/_control/clock", control_set_clock)
    return app
