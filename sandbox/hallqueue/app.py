"""aiohttp application of the hall calling system stand-in (排队叫号系统).

Modelled on the calling systems of Chinese government service halls: a kiosk or an online
channel takes a number (取号) for a hall; numbers wait in one first-come queue per hall; a window
calls the next number (叫号), serves it and completes it (办结), or passes a number that does not
answer (过号). Every change is an event POSTed to the subscriber (our server), signed with
HMAC-SHA256 over ``timestamp.body`` (headers ``X-Queue-Timestamp``, ``X-Queue-Signature``,
``X-Queue-Event-Id``; the timestamp is the wall clock's, the control clock moves the business
times only), delivered in order per hall and retried until answered 2xx (``sandbox.callbacks``).
Each event carries the hall's snapshot (numbers served through, waiting, open windows, average
service time), so the receiver can tell every waiting ticket its position without asking.

API (``Authorization: Bearer <api_key>``):
- ``POST /queue/v1/halls/{hallCode}/tickets`` ``{requestId, itemCode, channel, reference}``: take
  a number; a ``requestId`` seen before answers its ticket again (200, not 201).
- ``GET /queue/v1/tickets/{ticketId}``, ``GET /queue/v1/halls/{hallCode}``: read back.

Windows are played through the control API: ``POST /_control/halls/{hallCode}/windows/{window}/
call-next`` | ``complete`` | ``skip``; ``POST /_control/halls/{hallCode}/walk-in`` takes a number
at the kiosk; ``POST /_control/halls/{hallCode}`` sets the hall's windows and default service
time; ``/_control/callbacks`` lists deliveries; ``/_control/callback-faults`` duplicates or
holds them.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Literal, TypeVar

import msgspec
from aiohttp import web

from sandbox.callbacks import CallbackSender, CallbackService, Delivery, add_control_routes, sign
from sandbox.clock import Clock, add_clock_routes
from sandbox.http import ApiError, errors_as_json, healthz, json_response, require_api_key

log = logging.getLogger("sandbox.hallqueue")

API_PREFIX = "/queue/"
DEFAULT_CALLBACK_SECRET = "dev-hallqueue-secret"
DEFAULT_WINDOWS = 2
DEFAULT_SERVICE_SECONDS = 300
# The average service time is taken over this many of the hall's last completed tickets.
SERVICE_SAMPLE = 20

Status = Literal["waiting", "called", "completed", "skipped"]
EventType = Literal["ticket.issued", "ticket.called", "ticket.completed", "ticket.skipped"]
HallCode = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class TakeBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    request_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    item_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] = ""
    # online (booked through a channel) or kiosk (taken in the hall).
    channel: Literal["online", "kiosk"] = "online"
    # The channel's own reference (its booking), shown at the window.
    reference: Annotated[str, msgspec.Meta(max_length=64)] = ""


class HallBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    windows: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    service_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | None = None


class FaultsBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    # Every event delivered twice.
    duplicate: bool = False
    # Deliveries held (not attempted) until the faults are cleared.
    hold: bool = False


class Snapshot(msgspec.Struct, rename="camel"):
    hall_code: str
    # The hall's last event when the snapshot was taken: a receiver keeps the newest.
    sequence: int
    # Every number with seq <= servedThrough has been called (first come, first called).
    served_through: int
    waiting: int
    open_windows: int
    avg_service_seconds: int


class TicketView(msgspec.Struct, rename="camel"):
    ticket_id: str
    hall_code: str
    request_id: str | None
    number: str
    seq: int
    status: Status
    channel: str
    item_code: str
    reference: str
    window: str | None
    issued_at: str
    called_at: str | None
    finished_at: str | None
    # Waiting numbers ahead of this one (0: next); None once called.
    position: int | None


class Event(msgspec.Struct, rename="camel"):
    event_id: str
    hall_code: str
    # Per hall, from 1, with no gaps: the order the events happened in.
    sequence: int
    type: EventType
    occurred_at: str
    ticket: TicketView
    hall: Snapshot


@dataclass
class Ticket:
    ticket_id: str
    hall_code: str
    request_id: str | None
    seq: int
    channel: str
    item_code: str
    reference: str
    issued_at: float
    status: Status = "waiting"
    window: str | None = None
    called_at: float | None = None
    finished_at: float | None = None

    @property
    def number(self) -> str:
        # A: numbers taken online, B: at the kiosk; one sequence for both (one queue).
        return f"{'A' if self.channel == 'online' else 'B'}{self.seq:03d}"


@dataclass
class Hall:
    code: str
    windows: int = DEFAULT_WINDOWS
    default_service_seconds: int = DEFAULT_SERVICE_SECONDS
    tickets: list[Ticket] = field(default_factory=list)
    served_through: int = 0
    # window -> the ticket it called and has not finished
    serving: dict[str, Ticket] = field(default_factory=dict)
    durations: list[float] = field(default_factory=list)
    event_sequence: int = 0

    def snapshot(self) -> Snapshot:
        recent = self.durations[-SERVICE_SAMPLE:]
        avg = round(sum(recent) / len(recent)) if recent else self.default_service_seconds
        return Snapshot(
            hall_code=self.code,
            sequence=self.event_sequence,
            served_through=self.served_through,
            waiting=sum(1 for t in self.tickets if t.status == "waiting"),
            open_windows=self.windows,
            avg_service_seconds=max(1, avg),
        )


class CallingSystem(CallbackService):
    """The halls' queues and the outbox of their events."""

    def __init__(
        self, *, callback_url: str | None, callback_secret: str, retry_base: float
    ) -> None:
        # The business clock (issue, call and finish times); signatures carry the wall
        # clock's, so a test may move this one by hours and the events still verify.
        super().__init__(
            sender=CallbackSender(
                secret=callback_secret,
                header_prefix="X-Queue",
                retry_base=retry_base,
                faults=FaultsBody(),
            )
        )
        self.clock = Clock()
        self.callback_url = callback_url
        self.halls: dict[str, Hall] = {}
        self.by_id: dict[str, Ticket] = {}
        self.by_request: dict[str, Ticket] = {}

    # --- queues ----------------------------------------------------------------------------

    def hall(self, code: str) -> Hall:
        hall = self.halls.get(code)
        if hall is None:
            hall = self.halls[code] = Hall(code=code)
        return hall

    def view(self, ticket: Ticket) -> TicketView:
        hall = self.hall(ticket.hall_code)
        return TicketView(
            ticket_id=ticket.ticket_id,
            hall_code=ticket.hall_code,
            request_id=ticket.request_id,
            number=ticket.number,
            seq=ticket.seq,
            status=ticket.status,
            channel=ticket.channel,
            item_code=ticket.item_code,
            reference=ticket.reference,
            window=ticket.window,
            issued_at=self.clock.rfc3339(ticket.issued_at),
            called_at=self.clock.rfc3339(ticket.called_at) if ticket.called_at else None,
            finished_at=self.clock.rfc3339(ticket.finished_at) if ticket.finished_at else None,
            position=ticket.seq - hall.served_through - 1 if ticket.status == "waiting" else None,
        )

    def take(self, hall_code: str, body: TakeBody | None) -> tuple[Ticket, bool]:
        if body is not None and (known := self.by_request.get(body.request_id)) is not None:
            if known.hall_code != hall_code:
                raise ApiError(409, "REQUEST_ID_REUSED", "requestId was used for another hall")
            return known, False
        hall = self.hall(hall_code)
        ticket = Ticket(
            ticket_id=uuid.uuid4().hex,
            hall_code=hall_code,
            request_id=body.request_id if body else None,
            seq=len(hall.tickets) + 1,
            channel=body.channel if body else "kiosk",
            item_code=body.item_code if body else "",
            reference=body.reference if body else "",
            issued_at=self.clock.now(),
        )
        hall.tickets.append(ticket)
        self.by_id[ticket.ticket_id] = ticket
        if ticket.request_id is not None:
            self.by_request[ticket.request_id] = ticket
        self._emit(hall, "ticket.issued", ticket)
        return ticket, True

    def call_next(self, hall_code: str, window: str) -> Ticket:
        hall = self.hall(hall_code)
        if window in hall.serving:
            raise ApiError(409, "WINDOW_BUSY", f"window {window} has not finished its number")
        waiting = [t for t in hall.tickets if t.status == "waiting"]
        if not waiting:
            raise ApiError(409, "QUEUE_EMPTY", "no number is waiting")
        ticket = min(waiting, key=lambda t: t.seq)
        ticket.status, ticket.window, ticket.called_at = "called", window, self.clock.now()
        hall.served_through = max(hall.served_through, ticket.seq)
        hall.serving[window] = ticket
        self._emit(hall, "ticket.called", ticket)
        return ticket

    def finish(
        self, hall_code: str, window: str, status: Literal["completed", "skipped"]
    ) -> Ticket:
        hall = self.hall(hall_code)
        ticket = hall.serving.pop(window, None)
        if ticket is None:
            raise ApiError(409, "WINDOW_IDLE", f"window {window} is serving no number")
        ticket.status, ticket.finished_at = status, self.clock.now()
        if status == "completed" and ticket.called_at is not None:
            hall.durations.append(max(1.0, ticket.finished_at - ticket.called_at))
        self._emit(hall, "ticket.completed" if status == "completed" else "ticket.skipped", ticket)
        return ticket

    # --- events ----------------------------------------------------------------------------

    def _emit(self, hall: Hall, type_: EventType, ticket: Ticket) -> None:
        hall.event_sequence += 1
        event = Event(
            event_id=uuid.uuid4().hex,
            hall_code=hall.code,
            sequence=hall.event_sequence,
            type=type_,
            occurred_at=self.clock.rfc3339(),
            ticket=self.view(ticket),
            hall=hall.snapshot(),
        )
        self.sender.send(
            Delivery(
                event_id=event.event_id,
                stream=hall.code,
                sequence=event.sequence,
                url=self.callback_url,
                body=msgspec.json.encode(event),
                labels={"hallCode": hall.code, "type": type_},
            ),
            no_url="no callback URL configured",
        )

    async def reset(self, callback_url: str | None) -> None:
        await self.sender.reset()
        self.callback_url = callback_url
        self.halls.clear()
        self.by_id.clear()
        self.by_request.clear()
        self.clock.reset()


SYSTEM_KEY = web.AppKey("hallqueue", CallingSystem)
T = TypeVar("T")


def _system(request: web.Request) -> CallingSystem:
    return request.app[SYSTEM_KEY]


def _hall_code(request: web.Request) -> str:
    code = request.match_info["hallCode"]
    try:
        return msgspec.convert(code, HallCode)
    except msgspec.ValidationError as exc:
        raise ApiError(400, "INVALID_PARAMETER", f"hallCode: {exc}") from exc


def _window(request: web.Request) -> str:
    window = request.match_info["window"]
    if not window.isalnum() or len(window) > 16:
        raise ApiError(400, "INVALID_PARAMETER", "window: 1-16 letters or digits")
    return window


async def _decode(request: web.Request, type_: type[T]) -> T:
    raw = await request.read()
    try:
        return msgspec.json.decode(raw or b"{}", type=type_)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


# --- API ---------------------------------------------------------------------------------


async def take_ticket(request: web.Request) -> web.Response:
    hall_code = _hall_code(request)
    body = await _decode(request, TakeBody)
    system = _system(request)
    ticket, created = system.take(hall_code, body)
    return json_response(
        {"ticket": system.view(ticket), "hall": system.hall(hall_code).snapshot()},
        status=201 if created else 200,
    )


async def get_ticket(request: web.Request) -> web.Response:
    system = _system(request)
    ticket = system.by_id.get(request.match_info["ticketId"])
    if ticket is None:
        raise ApiError(404, "TICKET_NOT_FOUND", "no such ticket")
    return json_response(
        {"ticket": system.view(ticket), "hall": system.hall(ticket.hall_code).snapshot()}
    )


async def get_hall(request: web.Request) -> web.Response:
    return json_response(_system(request).hall(_hall_code(request)).snapshot())


# --- control: the hall's windows and kiosk -----------------------------------------------


async def control_hall(request: web.Request) -> web.Response:
    body = await _decode(request, HallBody)
    hall = _system(request).hall(_hall_code(request))
    if body.windows is not None:
        hall.windows = body.windows
    if body.service_seconds is not None:
        hall.default_service_seconds = body.service_seconds
    return json_response(hall.snapshot())


async def control_walk_in(request: web.Request) -> web.Response:
    system = _system(request)
    ticket, _ = system.take(_hall_code(request), None)
    return json_response({"ticket": system.view(ticket)}, status=201)


async def control_call_next(request: web.Request) -> web.Response:
    system = _system(request)
    ticket = system.call_next(_hall_code(request), _window(request))
    return json_response({"ticket": system.view(ticket)})


async def control_complete(request: web.Request) -> web.Response:
    system = _system(request)
    ticket = system.finish(_hall_code(request), _window(request), "completed")
    return json_response({"ticket": system.view(ticket)})


async def control_skip(request: web.Request) -> web.Response:
    system = _system(request)
    ticket = system.finish(_hall_code(request), _window(request), "skipped")
    return json_response({"ticket": system.view(ticket)})


class ResetBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    callback_url: str | None = None


async def reset_hallqueue(app: web.Application, callback_url: str | None = None) -> None:
    """Forget every hall, ticket and delivery; events go to ``callback_url`` from now on."""
    await app[SYSTEM_KEY].reset(callback_url)


async def control_reset(request: web.Request) -> web.Response:
    body = await _decode(request, ResetBody)
    await reset_hallqueue(request.app, body.callback_url)
    return json_response({"status": "reset"})


def build_hallqueue_app(
    *,
    api_key: str,
    callback_url: str | None = None,
    callback_secret: str = DEFAULT_CALLBACK_SECRET,
    callback_retry_base: float = 0.2,
) -> web.Application:
    """The calling system; clients authenticate with ``Bearer <api_key>``; events go to
    ``callback_url`` signed with ``callback_secret``."""
    if not api_key or not callback_secret:
        raise ValueError("api_key and callback_secret must not be empty")
    app = web.Application(middlewares=[errors_as_json, require_api_key(API_PREFIX, api_key)])
    system = CallingSystem(
        callback_url=callback_url,
        callback_secret=callback_secret,
        retry_base=callback_retry_base,
    )
    app[SYSTEM_KEY] = system
    # Its own reset: the body may say where events go from then on.
    add_control_routes(app, lambda app: app[SYSTEM_KEY], faults=FaultsBody)
    app.router.add_get("/healthz", healthz)
    app.router.add_post("/queue/v1/halls/{hallCode}/tickets", take_ticket)
    app.router.add_get("/queue/v1/halls/{hallCode}", get_hall)
    app.router.add_get("/queue/v1/tickets/{ticketId}", get_ticket)
    app.router.add_post("/_control/reset", control_reset)
    app.router.add_post("/_control/halls/{hallCode}", control_hall)
    app.router.add_post("/_control/halls/{hallCode}/walk-in", control_walk_in)
    app.router.add_post("/_control/halls/{hallCode}/windows/{window}/call-next", control_call_next)
    app.router.add_post("/_control/halls/{hallCode}/windows/{window}/complete", control_complete)
    app.router.add_post("/_control/halls/{hallCode}/windows/{window}/skip", control_skip)
    add_clock_routes(app, lambda app: app[SYSTEM_KEY].clock)
    return app


__all__ = ["DEFAULT_CALLBACK_SECRET", "build_hallqueue_app", "reset_hallqueue", "sign"]
