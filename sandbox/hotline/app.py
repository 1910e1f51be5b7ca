"""aiohttp application of the 12345 hotline platform stand-in (12345政务服务便民热线).

Modelled on a province's 12345 work-order (工单) system as a channel such as a mobile service
app sees it: a channel files a consultation (咨询), complaint (投诉) or suggestion (建议) with
its own request id (the idempotency key: the same id always answers the same ticket), gets a
ticket number, and is told of every step of the ticket — received, accepted (受理), transferred
to a department (转办), replied (答复/办结回复), closed (办结) and the citizen's satisfaction
(满意度回访) — by a signed callback (HMAC-SHA256 over ``timestamp.body``, ``sandbox.callbacks``)
that is retried until the receiver answers 2xx. Each ticket's events carry a sequence number (1, 2, …) and go out in
order, one ticket at a time.

The hotline's operators and departments are played by the control API
(``/_control/tickets/{number}/accept|transfer|reply|close``) or, in development, by a processor
that moves every open ticket one step on a timer. Everything lives in memory.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from aiohttp import web

from sandbox.callbacks import CallbackSender, CallbackService, Delivery, add_control_routes
from sandbox.clock import Clock, add_clock_routes
from sandbox.faults import FaultInjector
from sandbox.http import ApiError, errors_as_json, json_response, require_api_key

log = logging.getLogger("sandbox.hotline")

API_PREFIX = "/hotline/"
DEFAULT_CALLBACK_SECRET = "dev-hotline-secret"
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
# The department a ticket about nothing in particular goes to, and the processor's reply.
HOTLINE_OFFICE = {"code": "12345", "name": "12345热线办公室"}
SCRIPTED_REPLY = "您反映的问题已由承办单位核实处理，感谢您的监督与支持。"

Kind = Literal["consultation", "complaint", "suggestion"]
Status = Literal["received", "accepted", "transferred", "replied", "closed"]
EventType = Literal["received", "accepted", "transferred", "replied", "closed", "rated"]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]

# Allowed moves of a ticket; anything else is 409 INVALID_STATE. A transferred ticket may be
# transferred again (the first department says it is not theirs: 退回重派).
MOVES: dict[str, frozenset[str]] = {
    "received": frozenset({"accepted"}),
    "accepted": frozenset({"transferred", "replied"}),
    "transferred": frozenset({"transferred", "replied"}),
    "replied": frozenset({"closed"}),
    "closed": frozenset(),
}
RATEABLE = frozenset({"replied", "closed"})

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Short = Annotated[str, msgspec.Meta(max_length=200)]


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class Party(_Body, frozen=True):
    """Who calls: the citizen's name and callback number (the hotline calls back)."""

    name: Short = ""
    phone: Short = ""


class Subject(_Body, frozen=True):
    """What the ticket is about: a service item, a department, a case, or nothing named."""

    type: Literal["item", "department", "case", "none"] = "none"
    code: Short = ""
    name: Short = ""


class Department(_Body, frozen=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class CreateBody(_Body, frozen=True):
    request_id: Key
    kind: Kind
    title: Title
    content: Text
    citizen: Party = Party()
    subject: Subject = Subject()
    # The department the channel believes responsible (the hotline may transfer elsewhere).
    department: Department | None = None
    # What the channel links the ticket to on its side (a review ticket, a case number).
    reference: Short = ""
    callback_url: str | None = None


class SatisfactionBody(_Body, frozen=True):
    result: Satisfaction
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class TransferBody(_Body, frozen=True):
    department: Department
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ReplyBody(_Body, frozen=True):
    text: Text
    # The answering department, when it is not the one the ticket sits with.
    department: Department | None = None


class EmptyBody(_Body, frozen=True):
    note: Annotated[str, msgspec.Meta(max_length=500)] = ""


class CallbackFaults(_Body, frozen=True):
    """``duplicate``: every event is delivered twice; ``reorder``: an event is held until the
    ticket's next one went out; ``bad_signature``: signatures do not verify; ``delay_seconds``
    before each attempt."""

    duplicate: bool = False
    reorder: bool = False
    bad_signature: bool = False
    delay_seconds: float = 0.0


class TicketEvent(msgspec.Struct, rename="camel"):
    event_id: str
    ticket_number: str
    request_id: str
    sequence: int
    type: EventType
    status: Status
    occurred_at: str
    department: dict[str, str] | None = None
    reply: str | None = None
    satisfaction: Satisfaction | None = None
    note: str | None = None


@dataclass
class Ticket:
    number: str
    request_id: str
    body: CreateBody
    status: Status
    created_at: str
    department: dict[str, str] | None = None
    reply: str | None = None
    replied_at: str | None = None
    satisfaction: Satisfaction | None = None
    satisfaction_comment: str = ""
    events: list[TicketEvent] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        return {
            "ticketNumber": self.number,
            "requestId": self.request_id,
            "kind": self.body.kind,
            "title": self.body.title,
            "content": self.body.content,
            "subject": msgspec.to_builtins(self.body.subject),
            "reference": self.body.reference,
            "status": self.status,
            "department": self.department,
            "reply": self.reply,
            "repliedAt": self.replied_at,
            "satisfaction": self.satisfaction,
            "satisfactionComment": self.satisfaction_comment,
            "createdAt": self.created_at,
            "sequence": len(self.events),
            "events": msgspec.to_builtins(self.events),
        }


class Hotline(CallbackService):
    """The work orders, numbered per day of China time; the scripted processor moves every open
    one a step each round."""

    def __init__(
        self,
        *,
        clock: Clock,
        sender: CallbackSender,
        default_url: str | None,
        auto_process_seconds: float | None,
    ) -> None:
        # Signatures carry the wall clock's time (the transport's), not the control clock's.
        super().__init__(sender=sender, auto_process_seconds=auto_process_seconds)
        self.clock = clock
        self.default_url = default_url
        self.tickets: dict[str, Ticket] = {}
        self.by_request: dict[str, str] = {}
        self._serial = 0

    async def reset(self) -> None:
        await self.sender.reset()
        self.tickets.clear()
        self.by_request.clear()
        self._serial = 0
        self.clock.reset()

    def get(self, number: str) -> Ticket:
        ticket = self.tickets.get(number)
        if ticket is None:
            raise ApiError(404, "TICKET_NOT_FOUND", f"no ticket {number}")
        return ticket

    def create(self, body: CreateBody) -> tuple[Ticket, bool]:
        known = self.by_request.get(body.request_id)
        if known is not None:
            ticket = self.tickets[known]
            same = (ticket.body.kind, ticket.body.title, ticket.body.content) == (
                body.kind,
                body.title,
                body.content,
            )
            if not same:
                raise ApiError(409, "REQUEST_ID_REUSED", "requestId already names another ticket")
            return ticket, False
        self._serial += 1
        day = dt.datetime.fromtimestamp(self.clock.now(), CHINA_TIME).strftime("%Y%m%d")
        number = f"12345-{day}-{self._serial:06d}"
        ticket = Ticket(
            number=number,
            request_id=body.request_id,
            body=body,
            status="received",
            created_at=self.clock.rfc3339(),
        )
        self.tickets[number] = ticket
        self.by_request[body.request_id] = number
        self._record(ticket, "received")
        return ticket, True

    def move(
        self,
        ticket: Ticket,
        target: Status,
        *,
        department: dict[str, str] | None = None,
        reply: str | None = None,
        note: str = "",
    ) -> Ticket:
        if target not in MOVES[ticket.status]:
            raise ApiError(409, "INVALID_STATE", f"cannot move from {ticket.status} to {target}")
        ticket.status = target
        if department is not None:
            ticket.department = department
        if reply is not None:
            ticket.reply = reply
            ticket.replied_at = self.clock.rfc3339()
        self._record(ticket, target, reply=reply, note=note or None)
        return ticket

    def rate(self, ticket: Ticket, body: SatisfactionBody) -> Ticket:
        if ticket.satisfaction is not None:
            if ticket.satisfaction == body.result:
                return ticket  # the same rating sent again
            raise ApiError(409, "ALREADY_RATED", "the citizen has rated this ticket already")
        if ticket.status not in RATEABLE:
            raise ApiError(409, "NOT_REPLIED", "a ticket is rated once it has been replied to")
        ticket.satisfaction = body.result
        ticket.satisfaction_comment = body.comment
        self._record(ticket, "rated", note=body.comment or None)
        return ticket

    def _record(
        self, ticket: Ticket, kind: EventType, *, reply: str | None = None, note: str | None = None
    ) -> None:
        event = TicketEvent(
            event_id=secrets.token_hex(12),
            ticket_number=ticket.number,
            request_id=ticket.request_id,
            sequence=len(ticket.events) + 1,
            type=kind,
            status=ticket.status,
            occurred_at=self.clock.rfc3339(),
            department=ticket.department,
            reply=reply,
            satisfaction=ticket.satisfaction if kind == "rated" else None,
            note=note,
        )
        ticket.events.append(event)
        self.sender.send(
            Delivery(
                event_id=event.event_id,
                stream=ticket.number,
                sequence=event.sequence,
                url=ticket.body.callback_url or self.default_url,
                body=msgspec.json.encode(event),
                labels={"ticketNumber": ticket.number, "type": event.type},
            ),
            no_url="no callback URL (the ticket has none and no default is set)",
        )

    def step(self, ticket: Ticket) -> bool:
        """The scripted processor: one step along received → accepted → transferred (to the
        department named, else the hotline office) → replied → closed."""
        if ticket.status == "received":
            self.move(ticket, "accepted")
        elif ticket.status == "accepted":
            named = ticket.body.department
            target = {"code": named.code, "name": named.name} if named else dict(HOTLINE_OFFICE)
            self.move(ticket, "transferred", department=target)
        elif ticket.status == "transferred":
            self.move(ticket, "replied", reply=SCRIPTED_REPLY)
        elif ticket.status == "replied":
            self.move(ticket, "closed")
        else:
            return False
        return True

    def process(self) -> None:
        for ticket in list(self.tickets.values()):
            self.step(ticket)


HOTLINE_KEY = web.AppKey("hotline", Hotline)
FAULTS_KEY = web.AppKey("hotline_faults", FaultInjector)

_T = TypeVar("_T")


async def _decode(request: web.Request, kind: type[_T], *, empty_ok: bool = False) -> _T:
    raw = await request.read()
    if empty_ok and not raw.strip():
        raw = b"{}"
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


def _hotline(request: web.Request) -> Hotline:
    return request.app[HOTLINE_KEY]


async def create_ticket(request: web.Request) -> web.Response:
    body = await _decode(request, CreateBody)
    if body.callback_url is not None and not body.callback_url.startswith(("http://", "https://")):
        raise ApiError(400, "INVALID_PARAMETER", "callbackUrl: an http(s) URL")
    ticket, created = _hotline(request).create(body)
    return json_response(ticket.describe(), status=201 if created else 200)


async def get_ticket(request: web.Request) -> web.Response:
    return json_response(_hotline(request).get(request.match_info["number"]).describe())


async def rate_ticket(request: web.Request) -> web.Response:
    hotline = _hotline(request)
    ticket = hotline.get(request.match_info["number"])
    body = await _decode(request, SatisfactionBody)
    return json_response(hotline.rate(ticket, body).describe())


async def control_accept(request: web.Request) -> web.Response:
    hotline = _hotline(request)
    ticket = hotline.get(request.match_info["number"])
    body = await _decode(request, EmptyBody, empty_ok=True)
    return json_response(hotline.move(ticket, "accepted", note=body.note).describe())


async def control_transfer(request: web.Request) -> web.Response:
    hotline = _hotline(request)
    ticket = hotline.get(request.match_info["number"])
    body = await _decode(request, TransferBody)
    department = {"code": body.department.code, "name": body.department.name}
    moved = hotline.move(ticket, "transferred", department=department, note=body.note)
    return json_response(moved.describe())


async def control_reply(request: web.Request) -> web.Response:
    hotline = _hotline(request)
    ticket = hotline.get(request.match_info["number"])
    body = await _decode(request, ReplyBody)
    department = (
        {"code": body.department.code, "name": body.department.name} if body.department else None
    )
    return json_response(
        hotline.move(ticket, "replied", department=department, reply=body.text).describe()
    )


async def control_close(request: web.Request) -> web.Response:
    hotline = _hotline(request)
    ticket = hotline.get(request.match_info["number"])
    body = await _decode(request, EmptyBody, empty_ok=True)
    return json_response(hotline.move(ticket, "closed", note=body.note).describe())


async def control_tickets(request: web.Request) -> web.Response:
    tickets = _hotline(request).tickets.values()
    return json_response({"tickets": [t.describe() for t in tickets]})


async def reset_hotline(app: web.Application) -> None:
    """Back to a new stand-in's state (``POST /_control/reset``; tests sharing one call it):
    no tickets, no deliveries pending, no faults, clock offset 0."""
    await app[HOTLINE_KEY].reset()
    app[FAULTS_KEY].clear()


def build_hotline_app(
    *,
    api_key: str,
    callback_secret: str = DEFAULT_CALLBACK_SECRET,
    callback_url: str | None = None,
    auto_process_seconds: float | None = None,
    callback_retry_base: float = 0.2,
) -> web.Application:
    """Build the 12345 stand-in; channels authenticate with ``Bearer <api_key>``. Events go to
    each ticket's ``callbackUrl``, else ``callback_url``, signed with ``callback_secret``;
    ``auto_process_seconds`` turns on the scripted processor."""
    if not api_key:
        raise ValueError("api_key must not be empty")
    if not callback_secret:
        raise ValueError("callback_secret must not be empty")
    clock = Clock()
    faults = FaultInjector(default_prefix=API_PREFIX)
    app = web.Application(
        middlewares=[errors_as_json, faults.middleware(), require_api_key(API_PREFIX, api_key)]
    )
    app[HOTLINE_KEY] = Hotline(
        clock=clock,
        sender=CallbackSender(
            secret=callback_secret,
            header_prefix="X-12345",
            retry_base=callback_retry_base,
            faults=CallbackFaults(),
        ),
        default_url=callback_url,
        auto_process_seconds=auto_process_seconds,
    )
    app[FAULTS_KEY] = faults
    add_control_routes(
        app, lambda app: app[HOTLINE_KEY], faults=CallbackFaults, reset=reset_hotline
    )
    app.router.add_post("/hotline/v1/tickets", create_ticket)
    app.router.add_get("/hotline/v1/tickets/{number}", get_ticket)
    app.router.add_post("/hotline/v1/tickets/{number}/satisfaction", rate_ticket)

    app.router.add_get("/_control/tickets", control_tickets)
    app.router.add_post("/_control/tickets/{number}/accept", control_accept)
    app.router.add_post("/_control/tickets/{number}/transfer", control_transfer)
    app.router.add_post("/_control/tickets/{number}/reply", control_reply)
    app.router.add_post("/_control/tickets/{number}/close", control_close)
    faults.add_control_routes(app)
    add_clock_routes(app, lambda app: app[HOTLINE_KEY].clock)
    return app
