"""HTTP of queue numbers: citizens take a number on arrival, follow it live and rate the visit;
the calling system's events come in signed; staff print each hall's QR code."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, Parameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from api.queue import errors
from api.queue.schemas import HallQr, QueueTicket, TakeNumber, TicketList
from api.queue.service import QueueService, hall_channel, ticket_channel, ticket_view
from api.reviews.schemas import RateRequest, Review
from core.clients.hallqueue import HallSnapshot, QueueEvent
from core.db import Connection
from core.openapi import problem_responses
from core.principals import CitizenPrincipal, StaffPrincipal
from core.webhooks import SignatureInvalid, verify_hmac_signature

_hall_decoder = msgspec.json.Decoder(HallSnapshot)
_encode = msgspec.json.encode


class QueueController(Controller):
    path = "/api/v1/queue/tickets"
    tags = ["queue 取号"]  # noqa: RUF012 - Litestar reads a list

    @post(
        "",
        status_code=HTTP_201_CREATED,
        responses=problem_responses(400, 401, 404, 409, 422),
        summary="Take a queue number on arrival for a booking (hall QR or location)",
    )
    async def take(
        self,
        data: JSONBody[TakeNumber],
        citizen: NamedDependency[CitizenPrincipal],
        queue: NamedDependency[QueueService],
        db_connection: NamedDependency[Connection],
    ) -> Response[QueueTicket]:
        ticket, created = await queue.take_number(db_connection, citizen, data)
        return Response(ticket, status_code=HTTP_201_CREATED if created else HTTP_200_OK)

    @get("", responses=problem_responses(401), summary="My queue numbers, newest first")
    async def mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        queue: NamedDependency[QueueService],
        db_read: NamedDependency[Connection],
    ) -> TicketList:
        return await queue.tickets(db_read, citizen)

    @get(
        "/{ticket_id:uuid}",
        responses=problem_responses(400, 401, 404),
        summary="A queue number: state, position and estimated wait, window",
    )
    async def one(
        self,
        ticket_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        queue: NamedDependency[QueueService],
        db_read: NamedDependency[Connection],
    ) -> QueueTicket:
        return await queue.ticket(db_read, citizen, ticket_id)

    @get(
        "/{ticket_id:uuid}/live",
        responses=problem_responses(400, 401, 404),
        media_type="text/event-stream",
        summary="Server-sent events: the number, its position and wait, the call, live",
    )
    async def live(
        self,
        ticket_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        queue: NamedDependency[QueueService],
        channels: NamedDependency[ChannelsPlugin],
        db_read: NamedDependency[Connection],
    ) -> ServerSentEvent:
        # Another citizen's number is refused before the stream starts (404, no oracle).
        await queue.check_own(db_read, citizen, ticket_id)

        async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
            async with channels.start_subscription([ticket_channel(ticket_id)]) as mine:
                row, view = await queue.live_ticket(citizen, ticket_id)
                async with channels.start_subscription([hall_channel(row.hall_code)]) as hall:
                    # Subscribed first, read second: nothing that happens in between is missed.
                    yield ServerSentEventMessage(event="ticket", data=_encode(view).decode())
                    async for message in _merged(mine, hall):
                        if message[0] == "ticket":
                            row, view = await queue.live_ticket(citizen, ticket_id)
                        else:
                            view = ticket_view(row, _hall_decoder.decode(message[1]))
                        yield ServerSentEventMessage(event="ticket", data=_encode(view).decode())

        return ServerSentEvent(events())

    @post(
        "/{ticket_id:uuid}/rating",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 404, 409, 422),
        summary='Rate the visit the window completed (channel "hall booked online")',
    )
    async def rate(
        self,
        ticket_id: FromPath[uuid.UUID],
        data: JSONBody[RateRequest],
        citizen: NamedDependency[CitizenPrincipal],
        queue: NamedDependency[QueueService],
        db_connection: NamedDependency[Connection],
    ) -> Review:
        return await queue.rate(db_connection, citizen, ticket_id, data)


async def _merged(*subscribers: Any) -> AsyncGenerator[tuple[str, bytes], None]:
    """The messages of the ticket's and the hall's subscriptions as they come."""
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    names = ("ticket", "hall")

    async def pump(name: str, subscriber: Any) -> None:
        async for message in subscriber.iter_events():
            await queue.put((name, message))

    tasks = [asyncio.create_task(pump(n, s)) for n, s in zip(names, subscribers, strict=True)]
    try:
        while True:
            yield await queue.get()
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class QueueCallbackController(Controller):
    path = "/api/v1/hooks/hallqueue"
    tags = ["platform hooks"]  # noqa: RUF012

    @post("/events", status_code=HTTP_200_OK, responses=problem_responses(401))
    async def events(
        self,
        request: Request[Any, Any, Any],
        queue: NamedDependency[QueueService],
        db_connection: NamedDependency[Connection],
    ) -> Response[dict[str, str]]:
        """The calling system's events: signature and timestamp window checked on the raw
        body, stored once by event id, applied by a job; answered at once."""
        body = await request.body()
        try:
            verify_hmac_signature(
                secret=queue.callback_secret,
                timestamp=request.headers.get("x-queue-timestamp"),
                body=body,
                signature=request.headers.get("x-queue-signature"),
            )
            event = msgspec.json.decode(body, type=QueueEvent)
        except (SignatureInvalid, msgspec.DecodeError) as exc:
            raise errors.CallbackRejected() from exc
        new = await queue.store_callback(db_connection, event, msgspec.json.decode(body))
        return Response({"status": "accepted" if new else "duplicate"})


class QueueOpsController(Controller):
    path = "/ops/v1/queue"
    tags = ["ops queue"]  # noqa: RUF012

    @get(
        "/halls/{hall_code:str}/qr",
        opt={"staff_roles": ["operator", "admin"]},
        responses=problem_responses(400, 401, 403),
        summary="The text of a hall's QR code (posted at its entrance) for taking numbers",
    )
    async def qr(
        self,
        hall_code: Annotated[str, Parameter(pattern=r"^[A-Za-z0-9_-]{1,64}$")],
        staff: NamedDependency[StaffPrincipal],
        queue: NamedDependency[QueueService],
    ) -> HallQr:
        return queue.hall_qr(hall_code)


__all__ = ["QueueCallbackController", "QueueController", "QueueOpsController"]
