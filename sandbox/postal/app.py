"""aiohttp application of the postal express stand-in (邮政速递 / EMS 政务专递).

Modelled on a courier's order API as a government platform uses it for 邮寄送达 (delivery of
paper results, Yongchang rules Art. 22): the sender (the provincial platform, for the
department that produced the result) books a shipment with its own request id — the
idempotency key: the same id always answers the same waybill — and gets a waybill number
(运单号). The courier then reports each tracking step of the waybill — collected (揽收), in
transit (运输中), out for delivery (派送中), signed for (签收) — to the callback URL the booking
named, as a signed callback (HMAC-SHA256 over ``timestamp.body``, headers ``X-Postal-*``)
retried until the receiver answers 2xx (``sandbox.callbacks``, the stand-ins' one sender). Each
waybill's events carry a sequence (1, 2, …) and go out in order, one waybill at a time.

The couriers are played by the control API (``/_control/shipments/{waybill}/advance``) or, in
development, by a processor that moves every open shipment one step on a timer. Everything
lives in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from aiohttp import web

from sandbox.callbacks import CallbackSender, CallbackService, Delivery, add_control_routes
from sandbox.clock import Clock, add_clock_routes
from sandbox.faults import FaultInjector
from sandbox.http import ApiError, errors_as_json, json_response, require_api_key

log = logging.getLogger("sandbox.postal")

API_PREFIX = "/postal/"
DEFAULT_CALLBACK_SECRET = "dev-postal-secret"
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
CARRIER = "EMS"

Status = Literal["created", "collected", "in_transit", "out_for_delivery", "delivered"]
STEPS: tuple[Status, ...] = ("created", "collected", "in_transit", "out_for_delivery", "delivered")
DESCRIPTIONS: dict[str, str] = {
    "created": "邮件已交寄，等待揽收",
    "collected": "快递员已揽收",
    "in_transit": "快件运输中",
    "out_for_delivery": "快件派送中",
    "delivered": "快件已签收",
}

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^1[3-9]\d{9}$")]
Region = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]
Address = Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
Short = Annotated[str, msgspec.Meta(max_length=100)]
_URL = re.compile(r"^https?://[^\s/]+")


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class Party(_Body, frozen=True):
    name: Name
    phone: Annotated[str, msgspec.Meta(min_length=5, max_length=20)]
    address: Address
    region_code: Region | None = None
    postcode: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")] | None = None


class Recipient(_Body, frozen=True):
    name: Name
    phone: Phone
    region_code: Region
    address: Address
    postcode: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")] | None = None


class ShipmentBody(_Body, frozen=True):
    request_id: Key
    sender: Party
    recipient: Recipient
    contents: Short = "政务服务办理结果"
    reference: Short = ""
    callback_url: str | None = None


class AdvanceBody(_Body, frozen=True):
    to: Status | None = None
    location: Short = ""


class CallbackFaults(_Body, frozen=True):
    """``duplicate``: every event is delivered twice; ``bad_signature``: signatures do not
    verify; ``delay_seconds`` before each attempt."""

    duplicate: bool = False
    bad_signature: bool = False
    delay_seconds: float = 0.0


class TrackingEvent(msgspec.Struct, rename="camel"):
    event_id: str
    waybill_number: str
    request_id: str
    carrier: str
    sequence: int
    type: Status
    description: str
    location: str
    occurred_at: str


@dataclass
class Shipment:
    waybill_number: str
    body: ShipmentBody
    status: Status
    created_at: str
    events: list[TrackingEvent] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "waybillNumber": self.waybill_number,
            "carrier": CARRIER,
            "requestId": self.body.request_id,
            "reference": self.body.reference,
            "status": self.status,
            "createdAt": self.created_at,
            "recipientRegion": self.body.recipient.region_code,
            "sequence": len(self.events),
            "events": msgspec.to_builtins(self.events),
        }


class PostOffice(CallbackService):
    """The shipments, waybill numbers 11 + 11 digits (13 characters, as EMS's domestic ones);
    the scripted couriers move every open one a step each round."""

    def __init__(
        self,
        *,
        clock: Clock,
        sender: CallbackSender,
        default_url: str | None,
        auto_process_seconds: float | None,
    ) -> None:
        super().__init__(sender=sender, auto_process_seconds=auto_process_seconds)
        self.clock = clock
        self.default_url = default_url
        self.shipments: dict[str, Shipment] = {}
        self.by_request: dict[str, str] = {}

    async def reset(self) -> None:
        await self.sender.reset()
        self.shipments.clear()
        self.by_request.clear()
        self.clock.reset()

    def get(self, number: str) -> Shipment:
        shipment = self.shipments.get(number)
        if shipment is None:
            raise ApiError(404, "WAYBILL_NOT_FOUND", f"no waybill {number}")
        return shipment

    def book(self, body: ShipmentBody) -> tuple[Shipment, bool]:
        known = self.by_request.get(body.request_id)
        if known is not None:
            shipment = self.shipments[known]
            if shipment.body.recipient != body.recipient:
                raise ApiError(409, "REQUEST_ID_REUSED", "requestId already names another shipment")
            return shipment, False
        while True:
            number = f"11{secrets.randbelow(10**11):011d}"
            if number not in self.shipments:
                break
        shipment = Shipment(
            waybill_number=number, body=body, status="created", created_at=self.clock.rfc3339()
        )
        self.shipments[number] = shipment
        self.by_request[body.request_id] = number
        # The booking itself is the first event: the sender learns the waybill by callback too.
        self._emit(shipment, "created", "")
        return shipment, True

    def advance(self, shipment: Shipment, to: Status | None, location: str = "") -> Shipment:
        index = STEPS.index(shipment.status)
        target = to or (STEPS[index + 1] if index + 1 < len(STEPS) else None)
        if target is None or STEPS.index(target) <= index:
            raise ApiError(409, "INVALID_STATE", f"cannot move from {shipment.status} to {to}")
        # Steps skipped by a jump are reported too: the receiver sees every one, in order.
        for step in STEPS[index + 1 : STEPS.index(target) + 1]:
            self._emit(shipment, step, location)
        return shipment

    def _emit(self, shipment: Shipment, step: Status, location: str) -> None:
        shipment.status = step
        event = TrackingEvent(
            event_id=secrets.token_hex(12),
            waybill_number=shipment.waybill_number,
            request_id=shipment.body.request_id,
            carrier=CARRIER,
            sequence=len(shipment.events) + 1,
            type=step,
            description=DESCRIPTIONS[step],
            location=location or _location(shipment, step),
            occurred_at=self.clock.rfc3339(),
        )
        shipment.events.append(event)
        self.sender.send(
            Delivery(
                event_id=event.event_id,
                stream=shipment.waybill_number,
                sequence=event.sequence,
                url=shipment.body.callback_url or self.default_url,
                body=msgspec.json.encode(event),
                labels={"waybillNumber": shipment.waybill_number, "sequence": event.sequence},
            ),
            no_url="no callback URL (the shipment has none and no default is set)",
        )

    def process(self) -> None:
        for shipment in list(self.shipments.values()):
            if shipment.status != "delivered":
                self.advance(shipment, None)


def _location(shipment: Shipment, step: str) -> str:
    if step in ("created", "collected", "in_transit"):
        return f"寄件地 {shipment.body.sender.region_code or ''}".strip()
    return f"收件地 {shipment.body.recipient.region_code}"


POST_OFFICE_KEY = web.AppKey("post_office", PostOffice)
FAULTS_KEY = web.AppKey("postal_faults", FaultInjector)

_T = TypeVar("_T")


async def _decode(request: web.Request, kind: type[_T], *, empty_ok: bool = False) -> _T:
    raw = await request.read()
    if empty_ok and not raw.strip():
        raw = b"{}"
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


def _office(request: web.Request) -> PostOffice:
    return request.app[POST_OFFICE_KEY]


async def book_shipment(request: web.Request) -> web.Response:
    body = await _decode(request, ShipmentBody)
    if body.callback_url is not None and not _URL.match(body.callback_url):
        raise ApiError(400, "INVALID_PARAMETER", "callbackUrl: an http(s) URL")
    shipment, created = _office(request).book(body)
    return json_response(shipment.describe(), 201 if created else 200)


async def get_shipment(request: web.Request) -> web.Response:
    return json_response(_office(request).get(request.match_info["number"]).describe())


async def control_advance(request: web.Request) -> web.Response:
    office = _office(request)
    shipment = office.get(request.match_info["number"])
    body = await _decode(request, AdvanceBody, empty_ok=True)
    return json_response(office.advance(shipment, body.to, body.location).describe())


async def control_shipments(request: web.Request) -> web.Response:
    return json_response({"shipments": [s.describe() for s in _office(request).shipments.values()]})


async def reset_postal(app: web.Application) -> None:
    """Back to a new stand-in's state (``POST /_control/reset``; tests sharing one call it)."""
    await app[POST_OFFICE_KEY].reset()
    app[FAULTS_KEY].clear()


def build_postal_app(
    *,
    api_key: str,
    callback_secret: str = DEFAULT_CALLBACK_SECRET,
    callback_url: str | None = None,
    auto_process_seconds: float | None = None,
    callback_retry_base: float = 0.2,
) -> web.Application:
    """Build the postal stand-in; senders authenticate with ``Bearer <api_key>``. Tracking
    events go to each shipment's ``callbackUrl``, else ``callback_url``, signed with
    ``callback_secret``; ``auto_process_seconds`` turns on the scripted couriers."""
    if not api_key:
        raise ValueError("api_key must not be empty")
    if not callback_secret:
        raise ValueError("callback_secret must not be empty")
    clock = Clock()
    faults = FaultInjector(default_prefix=API_PREFIX)
    app = web.Application(
        middlewares=[errors_as_json, faults.middleware(), require_api_key(API_PREFIX, api_key)]
    )
    app[POST_OFFICE_KEY] = PostOffice(
        clock=clock,
        sender=CallbackSender(
            secret=callback_secret,
            header_prefix="X-Postal",
            retry_base=callback_retry_base,
            faults=CallbackFaults(),
        ),
        default_url=callback_url,
        auto_process_seconds=auto_process_seconds,
    )
    app[FAULTS_KEY] = faults
    add_control_routes(
        app, lambda app: app[POST_OFFICE_KEY], faults=CallbackFaults, reset=reset_postal
    )
    app.router.add_post("/postal/v1/shipments", book_shipment)
    app.router.add_get("/postal/v1/shipments/{number}", get_shipment)
    app.router.add_get("/_control/shipments", control_shipments)
    app.router.add_post("/_control/shipments/{number}/advance", control_advance)
    faults.add_control_routes(app)
    add_clock_routes(app, lambda app: app[POST_OFFICE_KEY].clock)
    return app
