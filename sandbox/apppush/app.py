"""aiohttp application of the app push aggregator stand-in, modelled on JPush's REST API v3.

``POST /v3/push`` with HTTP Basic ``app_key:master_secret``; devices (registration ids) with
tags and an alias; delivery figures from ``GET /v3/received``. Batch single push (批量单推,
``POST /v3/push/batch/regid/single``): up to 1000 pushes in one request, each keyed by a cid
(推送唯一标识符, ``{appkey}-{uuid}``, a pool from ``GET /v3/push/cid``), answered per cid
with its ``msg_id`` or its own error; a cid pushed before answers its first result again and
pushes nothing (JPush's guard against a caller's retry). Unlike JPush, a well-formed cid need
not come from the pool. Errors are
``{"error": {"code": N, "message": "..."}}`` with JPush's codes. Nothing reaches a phone: every
accepted push is kept for tests (control API). Devices are registered through the control API,
as the SDK in the app would do on the real service.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.clock import Clock, add_clock_routes
from sandbox.faults import FaultInjector
from sandbox.http import error_response, healthz, json_response

API_PREFIX = "/v3/"
PLATFORMS = ("android", "ios")
REGISTRATION_ID_PATTERN = re.compile(r"[0-9A-Za-z]{1,64}")
MAX_REGISTRATION_IDS = 1000
MAX_TAGS = 20
MAX_RECEIVED_IDS = 100
MAX_BULK_DEVICES = 100_000
MAX_BATCH = 1000
VENDORS = ("xiaomi", "huawei", "honor", "oppo", "vivo", "meizu", "fcm")
HUAWEI_CATEGORIES = (
    "IM",
    "VOIP",
    "SUBSCRIPTION",
    "TRAVEL",
    "HEALTH",
    "WORK",
    "ACCOUNT",
    "EXPRESS",
    "FINANCE",
    "DEVICE_REMINDER",
    "SYSTEM_REMINDER",
    "MAIL",
    "PLAY_VOICE",
    "MARKETING",
)


class ApiError(Exception):
    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _bad(message: str) -> ApiError:
    return ApiError(400, 1003, message)


@dataclass
class Device:
    registration_id: str
    platform: str
    online: bool = True
    tags: set[str] = field(default_factory=set)
    alias: str | None = None
    mobile: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "registrationId": self.registration_id,
            "platform": self.platform,
            "online": self.online,
            "tags": sorted(self.tags),
            "alias": self.alias,
            "mobile": self.mobile,
        }


@dataclass
class Push:
    msg_id: str
    sendno: str
    platform: Any
    audience: Any
    notification: Any
    message: Any
    options: Any
    registration_ids: list[str]
    android_received: int
    ios_apns_sent: int
    accepted_at: str

    def describe(self) -> dict[str, Any]:
        return {
            "msgId": self.msg_id,
            "sendno": self.sendno,
            "platform": self.platform,
            "audience": self.audience,
            "notification": self.notification,
            "message": self.message,
            "options": self.options,
            "registrationIds": self.registration_ids,
            "androidReceived": self.android_received,
            "iosApnsSent": self.ios_apns_sent,
            "acceptedAt": self.accepted_at,
        }


@dataclass
class AppPushState:
    clock: Clock = field(default_factory=Clock)
    devices: dict[str, Device] = field(default_factory=dict)
    pushes: dict[str, Push] = field(default_factory=dict)
    next_msg_id: int = 18_100_000_000_000_000
    # Registration id -> registration number (the devices' order, kept across re-registration).
    _order: dict[str, int] = field(default_factory=dict)
    # cid -> the answer of its first successful batch push (a retried cid pushes nothing).
    cids: dict[str, dict[str, Any]] = field(default_factory=dict)

    def reset(self) -> None:
        self.clock.reset()
        self.devices.clear()
        self._order.clear()
        self.pushes.clear()
        self.cids.clear()

    def accept(self, body: dict[str, Any], sendno: str, targets: list[Device]) -> Push:
        msg_id = str(self.next_msg_id)
        self.next_msg_id += 1
        push = Push(
            msg_id=msg_id,
            sendno=sendno,
            platform=body["platform"],
            audience=body.get(
                "audience", {"registration_id": [d.registration_id for d in targets]}
            ),
            notification=body.get("notification"),
            message=body.get("message"),
            options=body.get("options"),
            registration_ids=[d.registration_id for d in targets],
            android_received=sum(1 for d in targets if d.platform == "android" and d.online),
            ios_apns_sent=sum(1 for d in targets if d.platform == "ios"),
            accepted_at=self.clock.rfc3339(),
        )
        self.pushes[msg_id] = push
        return push

    def audience(self, audience: Any, platforms: tuple[str, ...]) -> list[Device]:
        """The devices an audience names, on the given platforms (registration order)."""
        if audience == "all":
            chosen = set(self.devices)
        elif isinstance(audience, dict) and audience:
            chosen = set()
            for i, (kind, values) in enumerate(audience.items()):
                limit = MAX_REGISTRATION_IDS if kind in ("registration_id", "alias") else MAX_TAGS
                if (
                    kind not in ("registration_id", "tag", "tag_and", "alias")
                    or not isinstance(values, list)
                    or not 1 <= len(values) <= limit
                    or not all(isinstance(v, str) and v for v in values)
                ):
                    raise _bad(f"audience.{kind}: 1..{limit} non-empty strings")
                wanted = set(values)
                if i == 0:
                    # The first condition picks from every device; a registration id or an
                    # alias list is looked up, not scanned for (a million devices in a bench).
                    if kind == "registration_id":
                        chosen = {r for r in wanted if r in self.devices}
                        continue
                    chosen = set(self.devices)
                if kind == "registration_id":
                    chosen &= wanted
                elif kind == "alias":
                    chosen = {r for r in chosen if self.devices[r].alias in wanted}
                elif kind == "tag":
                    chosen = {r for r in chosen if self.devices[r].tags & wanted}
                else:
                    chosen = {r for r in chosen if wanted <= self.devices[r].tags}
        else:
            raise _bad('audience: "all" or an object')
        if len(chosen) < len(self.devices):
            # Registration order, without walking every device for a small audience.
            order = sorted(chosen, key=self._order.__getitem__)
            return [self.devices[r] for r in order if self.devices[r].platform in platforms]
        return [d for r, d in self.devices.items() if r in chosen and d.platform in platforms]

    def register(self, device: Device) -> None:
        if device.registration_id not in self._order:
            self._order[device.registration_id] = len(self._order)
        self.devices[device.registration_id] = device


STATE_KEY = web.AppKey("apppush_state", AppPushState)
FAULTS_KEY = web.AppKey("apppush_faults", FaultInjector)
CREDENTIALS_KEY = web.AppKey("apppush_credentials", tuple)


def _api_error(status: int, code: int, message: str) -> web.Response:
    return json_response({"error": {"code": code, "message": message}}, status)


def _control_error(status: int, message: str) -> web.Response:
    return error_response(status, "INVALID_PARAMETER", message)


def _fault_body(status: int) -> dict[str, Any]:
    return {"error": {"code": 1000, "message": f"injected fault (HTTP {status})"}}


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    try:
        return await handler(request)
    except ApiError as exc:
        return _api_error(exc.status, exc.code, exc.message)
    except web.HTTPNotFound:
        return json_response({"code": "NOT_FOUND", "message": f"no endpoint {request.path}"}, 404)
    except web.HTTPMethodNotAllowed:
        return json_response(
            {"code": "METHOD_NOT_ALLOWED", "message": f"{request.method} on {request.path}"}, 405
        )


def _authorized(request: web.Request) -> bool:
    scheme, _, encoded = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except binascii.Error:
        return False
    app_key, secret = request.app[CREDENTIALS_KEY]
    expected = f"{app_key}:{secret}".encode()
    return hmac.compare_digest(decoded, expected)


@web.middleware
async def require_basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(API_PREFIX) and not _authorized(request):
        return _api_error(401, 1004, "Authen failed")
    return await handler(request)


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError as exc:
        raise _bad(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise _bad("body must be a JSON object")
    return body


def _platforms(value: Any) -> tuple[str, ...]:
    if value == "all":
        return PLATFORMS
    if (
        isinstance(value, list)
        and value
        and all(isinstance(p, str) and p in PLATFORMS for p in value)
    ):
        return tuple(value)
    raise _bad('platform: "all" or a list of "android", "ios"')


def _check_content(body: dict[str, Any]) -> None:
    notification, message = body.get("notification"), body.get("message")
    if notification is None and message is None:
        raise _bad("notification or message is required")
    if notification is not None:
        if not isinstance(notification, dict):
            raise _bad("notification must be an object")
        alerts = [notification.get("alert")]
        for platform in PLATFORMS:
            part = notification.get(platform)
            if part is None:
                continue
            if not isinstance(part, dict):
                raise _bad(f"notification.{platform} must be an object")
            alerts.append(part.get("alert"))
            for key in ("title", "category"):
                if key in part and not isinstance(part[key], str):
                    raise _bad(f"notification.{platform}.{key} must be a string")
        if not any(isinstance(a, str | dict) and a for a in alerts):
            raise _bad("notification: alert is required")
    if message is not None and (
        not isinstance(message, dict)
        or not isinstance(message.get("msg_content"), str)
        or not message["msg_content"]
    ):
        raise _bad("message.msg_content is required")


def _check_options(options: Any) -> str:
    """Validates options; the sendno to echo."""
    if options is None:
        return "0"
    if not isinstance(options, dict):
        raise _bad("options must be an object")
    sendno = options.get("sendno", 0)
    if isinstance(sendno, bool) or not isinstance(sendno, int) or not 0 <= sendno < 2**31:
        raise _bad("options.sendno: an integer 0..2147483647")
    ttl = options.get("time_to_live", 86400)
    if isinstance(ttl, bool) or not isinstance(ttl, int) or not 0 <= ttl <= 864000:
        raise _bad("options.time_to_live: 0..864000 seconds")
    channels = options.get("third_party_channel")
    if channels is not None:
        if not isinstance(channels, dict):
            raise _bad("options.third_party_channel must be an object")
        for vendor, settings in channels.items():
            if vendor not in VENDORS or not isinstance(settings, dict):
                raise _bad(f"options.third_party_channel.{vendor}: unknown vendor")
        xiaomi = channels.get("xiaomi", {})
        if "channel_id" in xiaomi and not isinstance(xiaomi["channel_id"], str):
            raise _bad("options.third_party_channel.xiaomi.channel_id must be a string")
        huawei = channels.get("huawei", {})
        if "category" in huawei and huawei["category"] not in HUAWEI_CATEGORIES:
            raise _bad(
                "options.third_party_channel.huawei.category: one of "
                + ", ".join(HUAWEI_CATEGORIES)
            )
    return str(sendno)


async def push(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    body = await _json_object(request)
    platforms = _platforms(body.get("platform"))
    if "audience" not in body:
        raise _bad("audience is required")
    _check_content(body)
    sendno = _check_options(body.get("options"))
    targets = state.audience(body["audience"], platforms)
    if not targets:
        raise ApiError(400, 1011, "cannot find user by this audience")
    pushed = state.accept(body, sendno, targets)
    return json_response({"sendno": sendno, "msg_id": pushed.msg_id})


def _cid_pattern(request: web.Request) -> re.Pattern[str]:
    app_key = re.escape(request.app[CREDENTIALS_KEY][0])
    return re.compile(app_key + r"-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


async def cid_pool(request: web.Request) -> web.Response:
    """``GET /v3/push/cid?count=n&type=push``: n fresh cids (valid for a day at JPush)."""
    raw, kind = request.query.get("count", "1"), request.query.get("type", "push")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_BATCH or kind not in ("push", "schedule"):
        raise _bad(f"count: 1..{MAX_BATCH}; type: push or schedule")
    app_key = request.app[CREDENTIALS_KEY][0]
    return json_response({"cidlist": [f"{app_key}-{uuid.uuid4()}" for _ in range(int(raw))]})


def _single(state: AppPushState, entry: Any) -> dict[str, Any]:
    """One entry of a batch single push: its answer (``msg_id`` or ``error``)."""
    if not isinstance(entry, dict):
        return {"error": {"code": 1003, "message": "each push must be an object"}}
    unknown = set(entry) - {"platform", "target", "notification", "message", "sms_message",
                            "options", "callback"}  # fmt: skip
    if unknown:
        return {"error": {"code": 1009, "message": f"unsupported keys: {sorted(unknown)}"}}
    try:
        platforms = _platforms(entry.get("platform"))
        target = entry.get("target")
        if not isinstance(target, str) or not REGISTRATION_ID_PATTERN.fullmatch(target):
            raise _bad("target: one registration id")
        _check_content(entry)
        sendno = _check_options(entry.get("options"))
    except ApiError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    targets = state.audience({"registration_id": [target]}, platforms)
    if not targets:
        return {"error": {"code": 1011, "message": "cannot find user by this audience"}}
    return {"msg_id": state.accept(entry, sendno, targets).msg_id}


async def batch_single(request: web.Request) -> web.Response:
    """``POST /v3/push/batch/regid/single``: ``{"pushlist": {cid: {platform, target,
    notification, message, options}}}``, each push to one registration id."""
    state = request.app[STATE_KEY]
    body = await _json_object(request)
    pushlist = body.get("pushlist")
    if set(body) != {"pushlist"} or not isinstance(pushlist, dict):
        raise _bad("pushlist: an object of cid -> push")
    if not 1 <= len(pushlist) <= MAX_BATCH:
        raise _bad(f"pushlist: 1..{MAX_BATCH} cids")
    valid = _cid_pattern(request)
    answers: dict[str, Any] = {}
    for cid, entry in pushlist.items():
        if not valid.fullmatch(cid):
            answers[cid] = {"error": {"code": 1003, "message": "cid: {appkey}-{uuid}"}}
        elif cid in state.cids:
            answers[cid] = state.cids[cid]  # a retry: the first answer, nothing pushed again
        else:
            answers[cid] = _single(state, entry)
            if "msg_id" in answers[cid]:
                state.cids[cid] = answers[cid]
    return json_response(answers)


def _device(request: web.Request) -> Device:
    device = request.app[STATE_KEY].devices.get(request.match_info["registration_id"])
    if device is None:
        raise ApiError(400, 7002, "registration_id not exist")
    return device


def _check_tag(tag: Any) -> str:
    if not isinstance(tag, str) or not tag or len(tag.encode()) > 40:
        raise ApiError(400, 7005, "tag: 1..40 bytes")
    return tag


async def get_device(request: web.Request) -> web.Response:
    device = _device(request)
    return json_response(
        {"tags": sorted(device.tags), "alias": device.alias, "mobile": device.mobile}
    )


async def update_device(request: web.Request) -> web.Response:
    device = _device(request)
    body = await _json_object(request)
    tags, alias, mobile = body.get("tags"), body.get("alias"), body.get("mobile")
    new_tags = set(device.tags)
    if tags == "":
        new_tags.clear()
    elif tags is not None:
        if not isinstance(tags, dict) or set(tags) - {"add", "remove"}:
            raise _bad('tags: "" or {"add": [...], "remove": [...]}')
        for op in ("add", "remove"):
            values = tags.get(op, [])
            if not isinstance(values, list):
                raise _bad(f"tags.{op} must be a list")
            checked = {_check_tag(t) for t in values}
            new_tags = new_tags | checked if op == "add" else new_tags - checked
        if len(new_tags) > 1000:
            raise ApiError(400, 7006, "a device has at most 1000 tags")
    if alias is not None and (not isinstance(alias, str) or len(alias.encode()) > 40):
        raise ApiError(400, 7005, 'alias: a string of at most 40 bytes ("" removes it)')
    if mobile is not None and not isinstance(mobile, str):
        raise _bad("mobile must be a string")
    device.tags = new_tags
    if alias is not None:
        device.alias = alias or None
    if mobile is not None:
        device.mobile = mobile or None
    return web.Response(status=200)


async def received(request: web.Request) -> web.Response:
    raw = request.query.get("msg_ids", "")
    ids = [i for i in raw.split(",") if i]
    if not ids or len(ids) > MAX_RECEIVED_IDS:
        raise _bad(f"msg_ids: 1..{MAX_RECEIVED_IDS} comma-separated ids")
    pushes = request.app[STATE_KEY].pushes
    return json_response(
        [
            {
                "msg_id": msg_id,
                "android_received": pushes[msg_id].android_received,
                "ios_apns_sent": pushes[msg_id].ios_apns_sent,
            }
            for msg_id in ids
            if msg_id in pushes
        ]
    )


# -- control ----------------------------------------------------------------------------------


async def control_register_device(request: web.Request) -> web.Response:
    try:
        body = await _json_object(request)
    except ApiError as exc:
        return _control_error(400, exc.message)
    state = request.app[STATE_KEY]
    rid = body.get("registrationId") or secrets.token_hex(10)[:19]
    platform, online = body.get("platform", "android"), body.get("online", True)
    tags, alias = body.get("tags", []), body.get("alias")
    if not isinstance(rid, str) or not REGISTRATION_ID_PATTERN.fullmatch(rid):
        return _control_error(400, "registrationId: 1..64 of [0-9A-Za-z]")
    if platform not in PLATFORMS or not isinstance(online, bool):
        return _control_error(400, "platform: android or ios; online: a boolean")
    if not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags):
        return _control_error(400, "tags: a list of non-empty strings")
    if alias is not None and not isinstance(alias, str):
        return _control_error(400, "alias: a string or null")
    device = Device(rid, platform, online, set(tags), alias or None)
    state.register(device)
    return json_response(device.describe())


async def control_register_devices(request: web.Request) -> web.Response:
    """Many devices at once (load tests): ``{"registrationIds": [...], "platform": "android"}``,
    online and untagged, as if each app had registered itself."""
    try:
        body = await _json_object(request)
    except ApiError as exc:
        return _control_error(400, exc.message)
    rids, platform = body.get("registrationIds"), body.get("platform", "android")
    if (
        not isinstance(rids, list)
        or not 1 <= len(rids) <= MAX_BULK_DEVICES
        or not all(isinstance(r, str) and REGISTRATION_ID_PATTERN.fullmatch(r) for r in rids)
    ):
        return _control_error(400, f"registrationIds: 1..{MAX_BULK_DEVICES} of 1..64 [0-9A-Za-z]")
    if platform not in PLATFORMS:
        return _control_error(400, "platform: android or ios")
    state = request.app[STATE_KEY]
    for rid in rids:
        state.register(Device(rid, platform))
    return json_response({"registered": len(rids)})


async def control_list_devices(request: web.Request) -> web.Response:
    devices = request.app[STATE_KEY].devices.values()
    return json_response({"devices": [d.describe() for d in devices]})


async def control_pushes(request: web.Request) -> web.Response:
    pushes = list(request.app[STATE_KEY].pushes.values())
    rid = request.query.get("registrationId")
    if rid is not None:
        pushes = [p for p in pushes if rid in p.registration_ids]
    return json_response({"pushes": [p.describe() for p in pushes]})


def reset_apppush(app: web.Application) -> None:
    """Back to a new stand-in's state (``POST /_control/reset``; tests sharing one call it)."""
    app[STATE_KEY].reset()
    app[FAULTS_KEY].clear()


async def control_reset(request: web.Request) -> web.Response:
    reset_apppush(request.app)
    return json_response({"status": "reset"})


def build_apppush_app(*, app_key: str, master_secret: str) -> web.Application:
    """Build the app push stand-in; clients authenticate with Basic ``app_key:master_secret``."""
    if not app_key or not master_secret:
        raise ValueError("app_key and master_secret must not be empty")
    faults = FaultInjector(default_prefix=API_PREFIX, error_body=_fault_body)
    app = web.Application(middlewares=[errors_as_json, faults.middleware(), require_basic_auth])
    app[STATE_KEY] = AppPushState()
    app[FAULTS_KEY] = faults
    app[CREDENTIALS_KEY] = (app_key, master_secret)

    app.router.add_get("/healthz", healthz)
    app.router.add_post("/v3/push", push)
    app.router.add_get("/v3/push/cid", cid_pool)
    app.router.add_post("/v3/push/batch/regid/single", batch_single)
    app.router.add_get("/v3/devices/{registration_id}", get_device)
    app.router.add_post("/v3/devices/{registration_id}", update_device)
    app.router.add_get("/v3/received", received)

    app.router.add_get("/_control/devices", control_list_devices)
    app.router.add_post("/_control/devices", control_register_device)
    app.router.add_post("/_control/devices/bulk", control_register_devices)
    app.router.add_get("/_control/pushes", control_pushes)
    app.router.add_post("/_control/reset", control_reset)
    faults.add_control_routes(app)
    add_clock_routes(app, lambda app: app[STATE_KEY].clock)
    return app
