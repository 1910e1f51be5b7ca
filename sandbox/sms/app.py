"""aiohttp application of the SMS gateway stand-in.

Modelled on the HTTP APIs of typical Chinese SMS gateways: a registered signature (签名) and
template (模板) with parameters, per-phone flow control (流控), a message id per accepted
message. Nothing is sent; every accepted message is kept for tests to read through the control
API.
"""

from __future__ import annotations

import re
import secrets
from collections import deque
from dataclasses import dataclass, field

import msgspec
from aiohttp import web

from sandbox.clock import Clock, add_clock_routes
from sandbox.faults import FaultInjector
from sandbox.http import error_response, errors_as_json, healthz, json_response, require_api_key

API_PREFIX = "/sms/"
MOBILE_PATTERN = re.compile(r"1[3-9][0-9]{9}")
# Per-phone flow control: at most FLOW_LIMIT accepted messages in any FLOW_WINDOW_SECONDS.
FLOW_LIMIT = 5
FLOW_WINDOW_SECONDS = 60
MAX_RECEIPT_IDS = 100


class SendBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    phone: str
    sign_name: str
    template_code: str
    template_params: dict[str, str] = {}
    out_id: str | None = None


class Message(msgspec.Struct, rename="camel"):
    message_id: str
    phone: str
    sign_name: str
    template_code: str
    template_params: dict[str, str]
    out_id: str | None
    accepted_at: str


class Receipt(msgspec.Struct, rename="camel"):
    message_id: str
    status: str  # DELIVERED | FAILED
    error_code: str | None
    reported_at: str


@dataclass
class SmsState:
    clock: Clock = field(default_factory=Clock)
    messages: list[Message] = field(default_factory=list)
    # phone -> clock times of its accepted messages inside the flow-control window
    recent: dict[str, deque[float]] = field(default_factory=dict)
    # message id -> its delivery receipt, decided when the message is accepted
    receipts: dict[str, Receipt] = field(default_factory=dict)
    failing_phones: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self.clock.reset()
        self.messages.clear()
        self.recent.clear()
        self.receipts.clear()
        self.failing_phones.clear()

    def flow_allows(self, phone: str) -> bool:
        now = self.clock.now()
        times = self.recent.setdefault(phone, deque())
        while times and (times[0] <= now - FLOW_WINDOW_SECONDS or times[0] > now):
            times.popleft()
        return len(times) < FLOW_LIMIT

    def accept(self, body: SendBody, phone: str) -> Message:
        now = self.clock.now()
        self.recent.setdefault(phone, deque()).append(now)
        message = Message(
            message_id=secrets.token_hex(16),
            phone=phone,
            sign_name=body.sign_name,
            template_code=body.template_code,
            template_params=dict(body.template_params),
            out_id=body.out_id,
            accepted_at=self.clock.rfc3339(now),
        )
        self.messages.append(message)
        failed = phone in self.failing_phones
        self.receipts[message.message_id] = Receipt(
            message_id=message.message_id,
            status="FAILED" if failed else "DELIVERED",
            error_code="UNDELIVERABLE" if failed else None,
            reported_at=message.accepted_at,
        )
        return message


STATE_KEY = web.AppKey("sms_state", SmsState)
FAULTS_KEY = web.AppKey("sms_faults", FaultInjector)


def normalize_phone(value: str) -> str | None:
    """The 11-digit mainland mobile number (``+86`` / ``86`` / ``0086`` prefixes allowed)."""
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and len(value) == len(prefix) + 11:
            value = value[len(prefix) :]
            break
    return value if MOBILE_PATTERN.fullmatch(value) else None


async def send_message(request: web.Request) -> web.Response:
    state = request.app[STATE_KEY]
    try:
        body = msgspec.json.decode(await request.read(), type=SendBody)
    except msgspec.DecodeError as exc:
        return error_response(400, "INVALID_PARAMETER", str(exc))
    if not body.sign_name.strip() or not body.template_code.strip():
        return error_response(
            400, "INVALID_PARAMETER", "signName and templateCode must not be empty"
        )
    phone = normalize_phone(body.phone)
    if phone is None:
        return error_response(
            400, "INVALID_PHONE", f"not a mainland China mobile number: {body.phone}"
        )
    if not state.flow_allows(phone):
        return error_response(
            429,
            "FLOW_CONTROL",
            f"触发号码流控：同一号码每分钟最多 {FLOW_LIMIT} 条",
        )
    message = state.accept(body, phone)
    return json_response({"messageId": message.message_id, "status": "accepted"})


async def receipts(request: web.Request) -> web.Response:
    ids = [i for i in request.query.get("messageIds", "").split(",") if i]
    if not ids or len(ids) > MAX_RECEIPT_IDS:
        return error_response(
            400, "INVALID_PARAMETER", f"messageIds: 1..{MAX_RECEIPT_IDS} comma-separated ids"
        )
    known = request.app[STATE_KEY].receipts
    return json_response({"receipts": [known[i] for i in ids if i in known]})


# -- control ----------------------------------------------------------------------------------


async def control_messages(request: web.Request) -> web.Response:
    messages = request.app[STATE_KEY].messages
    phone = request.query.get("phone")
    if phone is not None:
        wanted = normalize_phone(phone) or phone
        messages = [m for m in messages if m.phone == wanted]
    return json_response({"messages": messages})


class FailBody(msgspec.Struct, forbid_unknown_fields=True):
    phone: str
    fail: bool = True


async def control_sms_fail(request: web.Request) -> web.Response:
    try:
        body = msgspec.json.decode(await request.read(), type=FailBody)
    except msgspec.DecodeError as exc:
        return error_response(400, "INVALID_PARAMETER", str(exc))
    phone = normalize_phone(body.phone)
    if phone is None:
        return error_response(
            400, "INVALID_PHONE", f"not a mainland China mobile number: {body.phone}"
        )
    failing = request.app[STATE_KEY].failing_phones
    if body.fail:
        failing.add(phone)
    else:
        failing.discard(phone)
    return json_response({"failingPhones": sorted(failing)})


def reset_sms(app: web.Application) -> None:
    """Back to a new stand-in's state (``POST /_control/reset``; tests sharing one call it)."""
    app[STATE_KEY].reset()
    app[FAULTS_KEY].clear()


async def control_reset(request: web.Request) -> web.Response:
    reset_sms(request.app)
    return json_response({"status": "reset"})


def build_sms_app(*, api_key: str) -> web.Application:
    """Build the SMS gateway stand-in; clients authenticate with ``Bearer <api_key>``."""
    if not api_key:
        raise ValueError("api_key must not be empty")
    faults = FaultInjector(default_prefix=API_PREFIX)
    app = web.Application(
        middlewares=[errors_as_json, faults.middleware(), require_api_key(API_PREFIX, api_key)]
    )
    app[STATE_KEY] = SmsState()
    app[FAULTS_KEY] = faults

    app.router.add_get("/healthz", healthz)
    app.router.add_post("/sms/v1/messages", send_message)
    app.router.add_get("/sms/v1/receipts", receipts)

    app.router.add_get("/_control/messages", control_messages)
    app.router.add_post("/_control/sms-fail", control_sms_fail)
    app.router.add_post("/_control/reset", control_reset)
    faults.add_control_routes(app)
    add_clock_routes(app, lambda app: app[STATE_KEY].clock)
    return app
