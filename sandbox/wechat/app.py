"""aiohttp application of the WeChat stand-in (server APIs of a mini-program).

Follows WeChat's conventions: HTTP 200 for every answer, errors as ``{"errcode", "errmsg"}``
with the real codes, success bodies without ``errcode`` (except the newer ``/wxa/`` APIs, which
answer ``errcode: 0`` like the real ones, as does ``message/subscribe/send``). Message-push
events (``sandbox.wechat.push``) go to the configured push URL. The control API
(``/_control/``) is ours: it uses HTTP statuses and ``{"code", "message"}`` errors.
"""

from __future__ import annotations

import secrets
from types import EllipsisType
from typing import Any

import msgspec
from aiohttp import web

from sandbox.clock import add_clock_routes
from sandbox.http import error_response, healthz, json_response
from sandbox.wechat.crypto import DEFAULT_PUSH_AES_KEY, DEFAULT_PUSH_TOKEN
from sandbox.wechat.push import (
    PUSH_FORMATS,
    PushFormat,
    PushSender,
    original_id_for,
    popup_event,
    sent_event,
)
from sandbox.wechat.state import (
    MOBILE_PATTERN,
    USER_PATTERN,
    WeChatState,
    openid_for,
    valid_code,
)
from sandbox.wechat.subscribe import (
    DEFAULT_DAILY_LIMIT,
    KEY_PATTERN,
    LANGS,
    MINIPROGRAM_STATES,
    TEMPLATE_ID_PATTERN,
    SubscribeState,
    Template,
    value_valid,
)

STATE_KEY = web.AppKey("wechat_state", WeChatState)
SUBSCRIBE_KEY = web.AppKey("wechat_subscribe", SubscribeState)
PUSH_KEY = web.AppKey("wechat_push", PushSender)
# Openids one bulk subscription call may credit (load tests seed a million in pages).
MAX_BULK_OPENIDS = 100_000


def wx_error(errcode: int, errmsg: str) -> web.Response:
    """An error as WeChat sends it; errmsg carries a request id like the real service."""
    return json_response({"errcode": errcode, "errmsg": f"{errmsg} rid: {secrets.token_hex(12)}"})


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
    return json_response({"access_token": state.issue_token(), "expires_in": 7200})


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
    return json_response(
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
    return json_response({"access_token": token, "expires_in": expires_in})


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
    return json_response(
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


def reset_wechat(app: web.Application, push_url: str | EllipsisType | None = ...) -> None:
    """Back to a new stand-in's state (``POST /_control/reset``; tests sharing one call it).

    ``push_url``, when given, is where message-push events go from now on, as if the stand-in
    had been built with it (None: nowhere): each test's API listens on a port of its own.
    """
    app[STATE_KEY].reset()
    app[SUBSCRIBE_KEY].reset()
    if not isinstance(push_url, EllipsisType):
        app[PUSH_KEY].retarget(push_url)
    app[PUSH_KEY].reset()


async def control_reset(request: web.Request) -> web.Response:
    reset_wechat(request.app)
    return json_response({"status": "reset"})


async def _control_user(request: web.Request) -> tuple[dict[str, Any], str] | web.Response:
    body = await _json_body(request)
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    user = body.get("user")
    if not isinstance(user, str) or not USER_PATTERN.fullmatch(user):
        return error_response(400, "INVALID_PARAMETER", "user: 1..64 of [0-9A-Za-z_-]")
    return body, user


async def control_register_user(request: web.Request) -> web.Response:
    parsed = await _control_user(request)
    if isinstance(parsed, web.Response):
        return parsed
    body, user = parsed
    phone = body.get("phone")
    if not isinstance(phone, str) or not MOBILE_PATTERN.fullmatch(phone):
        return error_response(400, "INVALID_PARAMETER", "phone: a mainland mobile number")
    request.app[STATE_KEY].register_phone(user, phone)
    return json_response({"user": user, "phone": phone})


async def control_login_code(request: web.Request) -> web.Response:
    parsed = await _control_user(request)
    if isinstance(parsed, web.Response):
        return parsed
    return json_response({"code": request.app[STATE_KEY].mint_login_code(parsed[1])})


async def control_phone_code(request: web.Request) -> web.Response:
    parsed = await _control_user(request)
    if isinstance(parsed, web.Response):
        return parsed
    code = request.app[STATE_KEY].mint_phone_code(parsed[1])
    if code is None:
        return error_response(
            404, "USER_NOT_FOUND", "no phone for this user: POST /_control/users first"
        )
    return json_response({"code": code})


# -- subscribe messages (订阅消息) ---------------------------------------------------------------


def _known_openid(request: web.Request, openid: str) -> bool:
    return (
        openid in request.app[STATE_KEY].sessions
        or openid in request.app[SUBSCRIBE_KEY].known_openids
    )


def _invalid_argument(what: str) -> web.Response:
    return wx_error(47003, f"argument invalid! {what}")


async def subscribe_send(request: web.Request) -> web.Response:
    subscribe = request.app[SUBSCRIBE_KEY]
    failure = _check_token(request.app[STATE_KEY], request.query.get("access_token", ""))
    if failure is not None:
        return failure
    if subscribe.rate_exceeded():
        return wx_error(45011, "api minute-quota reach limit mustslower retry next minute")
    body = await _json_body(request)
    if body is None:
        return wx_error(47001, "data format error")
    template_id = body.get("template_id")
    template = subscribe.templates.get(template_id) if isinstance(template_id, str) else None
    if template is None:
        return wx_error(40037, "invalid template_id")
    touser = body.get("touser")
    if not isinstance(touser, str) or not _known_openid(request, touser):
        return wx_error(40003, "invalid openid")
    page = body.get("page")
    if page is not None and (not isinstance(page, str) or len(page) > 1024):
        return _invalid_argument("page invalid")
    state = body.get("miniprogram_state", "formal")
    if state not in MINIPROGRAM_STATES:
        return _invalid_argument("miniprogram_state invalid")
    lang = body.get("lang", "zh_CN")
    if lang not in LANGS:
        return _invalid_argument("lang invalid")
    data = body.get("data")
    if not isinstance(data, dict):
        return _invalid_argument("data invalid")
    for key in data:
        if key not in template.keys:
            return _invalid_argument(f"data.{key} not in template")
    for key in template.keys:
        entry = data.get(key)
        value = entry.get("value") if isinstance(entry, dict) else None
        if value is None or value == "":
            return _invalid_argument(f"data.{key}.value is empty")
        if not isinstance(value, str) or not value_valid(key, value):
            return _invalid_argument(f"data.{key}.value invalid")
    if subscribe.daily_exceeded(template.template_id):
        return wx_error(45009, "reach max api daily quota limit")
    if not subscribe.has_quota(touser, template):
        return wx_error(43101, "user refuse to accept the msg")
    msgid = subscribe.record_send(
        template,
        {
            "touser": touser,
            "template_id": template.template_id,
            "page": page,
            "miniprogram_state": state,
            "lang": lang,
            "data": {key: {"value": data[key]["value"]} for key in template.keys},
        },
    )
    push = request.app[PUSH_KEY]
    if push.sent_events:
        push.push(
            touser,
            sent_event(
                original_id=push.original_id,
                openid=touser,
                create_time=int(push.clock.now()),
                template_id=template.template_id,
                msgid=msgid,
            ),
        )
    return json_response({"errcode": 0, "errmsg": "ok", "msgid": msgid})


def _openid_of(request: web.Request, body: dict[str, Any]) -> str | web.Response:
    """The openid named by ``openid``, or derived from ``user`` like jscode2session does."""
    openid, user = body.get("openid"), body.get("user")
    if isinstance(openid, str) and openid:
        return openid
    if isinstance(user, str) and USER_PATTERN.fullmatch(user):
        return openid_for(request.app[STATE_KEY].appid, user)
    return error_response(400, "INVALID_PARAMETER", "give openid, or user: 1..64 of [0-9A-Za-z_-]")


async def control_add_template(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    template_id, title = body.get("templateId"), body.get("title")
    kind, keys = body.get("kind", "one_time"), body.get("keys")
    key_names = body.get("keyNames", {})
    if not isinstance(template_id, str) or not TEMPLATE_ID_PATTERN.fullmatch(template_id):
        return error_response(400, "INVALID_PARAMETER", "templateId: 1..64 of [0-9A-Za-z_-]")
    if not isinstance(title, str) or not title:
        return error_response(400, "INVALID_PARAMETER", "title: a non-empty string")
    if kind not in ("one_time", "long_term"):
        return error_response(400, "INVALID_PARAMETER", "kind: one_time or long_term")
    if (
        not isinstance(keys, list)
        or not 1 <= len(keys) <= 20
        or len(set(map(str, keys))) != len(keys)
        or not all(isinstance(k, str) and KEY_PATTERN.fullmatch(k) for k in keys)
    ):
        return error_response(
            400, "INVALID_PARAMETER", "keys: 1..20 distinct keys like thing1, phrase2, time3"
        )
    if not isinstance(key_names, dict) or not all(isinstance(v, str) for v in key_names.values()):
        return error_response(400, "INVALID_PARAMETER", "keyNames: {key: name}")
    template = Template(template_id, title, kind, tuple(keys), dict(key_names))
    request.app[SUBSCRIBE_KEY].templates[template_id] = template
    return json_response(template.describe())


async def control_list_templates(request: web.Request) -> web.Response:
    templates = request.app[SUBSCRIBE_KEY].templates.values()
    return json_response({"templates": [t.describe() for t in templates]})


async def control_subscribe(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    openid = _openid_of(request, body)
    if isinstance(openid, web.Response):
        return openid
    subscribe = request.app[SUBSCRIBE_KEY]
    raw_ids = body.get("templateIds", [body.get("templateId")])
    if (
        not isinstance(raw_ids, list)
        or not 1 <= len(raw_ids) <= 3
        or not all(isinstance(t, str) and t in subscribe.templates for t in raw_ids)
    ):
        return error_response(
            400, "INVALID_PARAMETER", "templateId (or templateIds, 1..3) of known templates"
        )
    template_ids: list[str] = list(raw_ids)
    accept, count = body.get("accept", True), body.get("count", 1)
    list_as_object = body.get("listAsObject", False)
    if not isinstance(accept, bool) or not isinstance(list_as_object, bool):
        return error_response(400, "INVALID_PARAMETER", "accept, listAsObject: booleans")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        return error_response(400, "INVALID_PARAMETER", "count: 1..1000")
    for template_id in template_ids:
        subscribe.credit(openid, subscribe.templates[template_id], accept, count)
    push = request.app[PUSH_KEY]
    delivery = push.push(
        openid,
        popup_event(
            original_id=push.original_id,
            openid=openid,
            create_time=int(push.clock.now()),
            template_ids=template_ids,
            accept=accept,
            list_as_object=list_as_object,
            push_format=push.format,
        ),
    )
    return json_response(
        {
            "openid": openid,
            "quotas": subscribe.quotas_of(openid),
            "pushEventId": delivery.id,
            "pushed": delivery.url is not None,
        }
    )


async def control_subscribe_many(request: web.Request) -> web.Response:
    """Many users accept one template at once (load tests): ``{"openids": [...],
    "templateId": ..., "count": 1}``. No message-push events are sent for them."""
    body = await _json_body(request)
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    subscribe = request.app[SUBSCRIBE_KEY]
    openids, template_id = body.get("openids"), body.get("templateId")
    count = body.get("count", 1)
    if (
        not isinstance(openids, list)
        or not 1 <= len(openids) <= MAX_BULK_OPENIDS
        or not all(isinstance(o, str) and o for o in openids)
    ):
        return error_response(
            400, "INVALID_PARAMETER", f"openids: 1..{MAX_BULK_OPENIDS} non-empty strings"
        )
    if not isinstance(template_id, str) or template_id not in subscribe.templates:
        return error_response(400, "INVALID_PARAMETER", "templateId: a known template")
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        return error_response(400, "INVALID_PARAMETER", "count: 1..1000")
    template = subscribe.templates[template_id]
    for openid in openids:
        subscribe.credit(openid, template, True, count)
    return json_response({"subscribed": len(openids)})


def _query_openid(request: web.Request) -> str | None:
    openid = request.query.get("openid")
    user = request.query.get("user")
    if openid is None and user is not None:
        return openid_for(request.app[STATE_KEY].appid, user)
    return openid


async def control_get_subscriptions(request: web.Request) -> web.Response:
    openid = _query_openid(request)
    if openid is None:
        return error_response(400, "INVALID_PARAMETER", "openid or user is required")
    return json_response({"openid": openid, "quotas": request.app[SUBSCRIBE_KEY].quotas_of(openid)})


async def control_sent(request: web.Request) -> web.Response:
    openid = _query_openid(request)
    sent = request.app[SUBSCRIBE_KEY].sent
    if openid is not None:
        sent = [m for m in sent if m["touser"] == openid]
    return json_response({"messages": sent})


async def control_set_limits(request: web.Request) -> web.Response:
    body = await _json_body(request)
    subscribe = request.app[SUBSCRIBE_KEY]
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    daily = body.get("dailyLimit", subscribe.daily_limit)
    per_second = body.get("perSecond", subscribe.per_second)
    if isinstance(daily, bool) or not isinstance(daily, int) or daily < 0:
        return error_response(400, "INVALID_PARAMETER", "dailyLimit: an integer >= 0")
    if per_second is not None and (
        isinstance(per_second, bool) or not isinstance(per_second, int) or per_second < 1
    ):
        return error_response(400, "INVALID_PARAMETER", "perSecond: null or an integer >= 1")
    subscribe.daily_limit, subscribe.per_second = daily, per_second
    return await control_get_limits(request)


async def control_get_limits(request: web.Request) -> web.Response:
    subscribe = request.app[SUBSCRIBE_KEY]
    return json_response({"dailyLimit": subscribe.daily_limit, "perSecond": subscribe.per_second})


# -- message push (消息推送) ----------------------------------------------------------------------


async def control_push_event(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    openid = _openid_of(request, body)
    if isinstance(openid, web.Response):
        return openid
    event, tampered = body.get("event"), body.get("tamper", False)
    if not isinstance(event, dict) or not isinstance(tampered, bool):
        return error_response(400, "INVALID_PARAMETER", "event: an object; tamper: a boolean")
    push = request.app[PUSH_KEY]
    full = {
        "ToUserName": push.original_id,
        "FromUserName": openid,
        "CreateTime": int(push.clock.now()),
        **event,
    }
    delivery = push.push(openid, full, tampered=tampered)
    return json_response(
        {"pushEventId": delivery.id, "pushed": delivery.url is not None, "event": full}
    )


async def control_list_push_events(request: web.Request) -> web.Response:
    deliveries = request.app[PUSH_KEY].deliveries
    return json_response({"deliveries": [d.describe() for d in deliveries]})


async def control_get_push_config(request: web.Request) -> web.Response:
    return json_response(request.app[PUSH_KEY].describe())


async def control_set_push_config(request: web.Request) -> web.Response:
    body = await _json_body(request)
    push = request.app[PUSH_KEY]
    if body is None:
        return error_response(400, "INVALID_PARAMETER", "body must be a JSON object")
    url = body.get("url", push.url)
    push_format = body.get("format", push.format)
    sent_events = body.get("sentEvents", push.sent_events)
    if url is not None and (
        not isinstance(url, str) or not url.startswith(("http://", "https://"))
    ):
        return error_response(400, "INVALID_PARAMETER", "url: null or an http(s) URL")
    if push_format not in PUSH_FORMATS or not isinstance(sent_events, bool):
        return error_response(400, "INVALID_PARAMETER", "format: json or xml; sentEvents: bool")
    push.url, push.format, push.sent_events = url, push_format, sent_events
    return json_response(push.describe())


async def _close_push(app: web.Application) -> None:
    await app[PUSH_KEY].close()


def build_wechat_app(
    *,
    appid: str,
    secret: str,
    push_url: str | None = None,
    push_token: str = DEFAULT_PUSH_TOKEN,
    push_aes_key: str = DEFAULT_PUSH_AES_KEY,
    push_format: PushFormat = "json",
    original_id: str | None = None,
    subscribe_daily_limit: int = DEFAULT_DAILY_LIMIT,
    subscribe_per_second: int | None = None,
    push_retry_delay: float = 0.2,
) -> web.Application:
    """Build the WeChat stand-in for one mini-program (appid, secret).

    Message-push events go to ``push_url`` (none when None), signed with ``push_token`` and
    encrypted with ``push_aes_key`` (a 43-character EncodingAESKey), in ``push_format``.
    """
    if not appid or not secret:
        raise ValueError("appid and secret must not be empty")
    if not push_token:
        raise ValueError("push_token must not be empty")
    app = web.Application()
    state = WeChatState(appid=appid, secret=secret)
    app[STATE_KEY] = state
    app[SUBSCRIBE_KEY] = SubscribeState(
        clock=state.clock, daily_limit=subscribe_daily_limit, per_second=subscribe_per_second
    )
    app[PUSH_KEY] = PushSender(
        appid=appid,
        token=push_token,
        encoding_aes_key=push_aes_key,
        url=push_url,
        format=push_format,
        original_id=original_id or original_id_for(appid),
        clock=state.clock,
        retry_delay=push_retry_delay,
    )
    app.on_shutdown.append(_close_push)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/cgi-bin/token", get_token)
    app.router.add_post("/cgi-bin/stable_token", stable_token)
    app.router.add_get("/sns/jscode2session", jscode2session)
    app.router.add_post("/wxa/business/getuserphonenumber", get_user_phone_number)
    app.router.add_post("/cgi-bin/message/subscribe/send", subscribe_send)
    app.router.add_post("/_control/reset", control_reset)
    app.router.add_get("/_control/templates", control_list_templates)
    app.router.add_post("/_control/templates", control_add_template)
    app.router.add_get("/_control/subscriptions", control_get_subscriptions)
    app.router.add_post("/_control/subscriptions", control_subscribe)
    app.router.add_post("/_control/subscriptions/bulk", control_subscribe_many)
    app.router.add_get("/_control/sent", control_sent)
    app.router.add_get("/_control/subscribe-limits", control_get_limits)
    app.router.add_post("/_control/subscribe-limits", control_set_limits)
    app.router.add_get("/_control/push-events", control_list_push_events)
    app.router.add_post("/_control/push-events", control_push_event)
    app.router.add_get("/_control/push-config", control_get_push_config)
    app.router.add_post("/_control/push-config", control_set_push_config)
    app.router.add_post("/_control/users", control_register_user)
    app.router.add_post("/_control/codes", control_login_code)
    app.router.add_post("/_control/phone-codes", control_phone_code)
    add_clock_routes(app, lambda app: app[STATE_KEY].clock)
    return app
