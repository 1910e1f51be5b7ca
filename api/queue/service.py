"""Queue numbers (取号) in service halls: a citizen who has arrived for a booked slot (the hall's
QR code scanned, or the phone at the hall) takes a number from the hall's calling system; its
position and estimated wait follow the hall's queue live; the window's call is pushed; once the
window has completed the visit the citizen rates it on the "hall booked online" channel.

The number is taken by a job (the calling system is an outside system): the request answers at
once with the ticket ``requested`` and the live stream tells the number when it comes. The
calling system's events arrive as signed callbacks, stored once (an inbox) and applied by a job;
each carries the hall's queue, so every open page recomputes its position without a query."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import msgspec
from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from api.queue import errors
from api.queue import repository as repo
from api.queue.rules import (
    distance_m,
    estimated_wait_s,
    hall_of_qr,
    hall_qr,
    moves_forward,
    position,
    within_slot,
)
from api.queue.schemas import HallQr, QueueTicket, TakeNumber, TicketList
from api.queue.tasks import APPLY_JOB, TAKE_JOB, ApplyJob, TakeJob
from api.reviews.schemas import RateRequest, Review
from api.reviews.service import ReviewsService
from core import jobs
from core.clients.hallqueue import HallQueueClient, HallSnapshot, QueueEvent, SystemTicket
from core.clock import CHINA_TZ, Clock
from core.db import Connection, Pool
from core.principals import CitizenPrincipal
from core.settings import HallQueueSettings
from push.service import PushService

log = logging.getLogger(__name__)

_encode = msgspec.json.encode


class Booking(msgspec.Struct, frozen=True, kw_only=True):
    """What the queue needs of a booking (from the halls domain): whose, where, when."""

    appointment_id: uuid.UUID
    citizen_id: uuid.UUID
    # Only a ``booked`` booking takes a number (``arrived`` once it has one).
    status: str
    hall_code: str
    hall_name: str
    item_code: str
    item_name: str
    slot_start: datetime
    slot_end: datetime
    declaration_id: uuid.UUID | None = None
    # The hall's coordinates (GCJ-02), None when the hall has none published.
    latitude: float | None = None
    longitude: float | None = None


class Bookings(Protocol):
    """The halls domain as the queue asks it (bound by the composition root)."""

    async def booking_for_queue(
        self, conn: Connection, principal: CitizenPrincipal, appointment_id: uuid.UUID
    ) -> Booking | None:
        """The citizen's own booking; None for another's or a missing one."""
        ...

    async def booking_arrived(self, conn: Connection, appointment_id: uuid.UUID) -> None:
        """The citizen is at the hall with a number: the booking is kept (no no-show)."""
        ...

    async def booking_completed(
        self, conn: Connection, appointment_id: uuid.UUID, at: datetime
    ) -> None:
        """The window completed the visit."""
        ...


def hall_channel(hall_code: str) -> str:
    return f"queue:hall:{hall_code}"


def ticket_channel(ticket_id: uuid.UUID) -> str:
    return f"queue:ticket:{ticket_id}"


@dataclass(frozen=True, slots=True)
class Publication:
    channel: str
    data: bytes


def _snapshot(hall: repo.HallRow | HallSnapshot | None) -> HallSnapshot | None:
    if hall is None or isinstance(hall, HallSnapshot):
        return hall
    return HallSnapshot(
        hall_code=hall.hall_code,
        served_through=hall.served_through,
        waiting=hall.waiting,
        open_windows=hall.open_windows,
        avg_service_seconds=hall.avg_service_seconds,
    )


def ticket_view(row: repo.TicketRow, hall: repo.HallRow | HallSnapshot | None) -> QueueTicket:
    """The ticket as the citizen sees it; position and wait from the hall's last snapshot."""
    ahead = wait = None
    snapshot = _snapshot(hall)
    if row.state == "waiting" and row.seq is not None and snapshot is not None:
        ahead = position(row.seq, snapshot.served_through)
        wait = estimated_wait_s(ahead, snapshot.open_windows, snapshot.avg_service_seconds)
    return QueueTicket(
        id=str(row.id),
        appointment_id=str(row.appointment_id),
        hall_code=row.hall_code,
        hall_name=row.hall_name,
        item_code=row.item_code,
        item_name=row.item_name,
        declaration_id=str(row.declaration_id) if row.declaration_id else None,
        slot_start=row.slot_start,
        slot_end=row.slot_end,
        state=row.state,  # type: ignore[arg-type]  # CHECK in migration 0032
        number=row.number,
        position=ahead,
        estimated_wait_s=wait,
        window=row.window_no,
        taken_at=row.taken_at,
        called_at=row.called_at,
        finished_at=row.finished_at,
        can_rate=row.state == "completed" and row.declaration_id is not None,
    )


class QueueService:
    def __init__(
        self,
        *,
        pool: Pool,
        settings: HallQueueSettings,
        system: HallQueueClient,
        bookings: Bookings,
        reviews: ReviewsService,
        push: PushService,
        live: RedisChannelsPubSubBackend,
        clock: Clock,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self.system = system
        self.bookings = bookings
        self.reviews = reviews
        self.push = push
        self.live = live
        self.clock = clock

    @property
    def callback_secret(self) -> str:
        return self.settings.callback_secret.reveal()

    # --- citizens --------------------------------------------------------------------------

    async def take_number(
        self, conn: Connection, principal: CitizenPrincipal, data: TakeNumber
    ) -> tuple[QueueTicket, bool]:
        """The booking's ticket (created: True), or the one it has already (False)."""
        booking = await self.bookings.booking_for_queue(conn, principal, data.appointment_id)
        if booking is None or booking.citizen_id != principal.citizen_id:
            raise errors.BookingNotFound()
        existing = await repo.ticket_of_appointment(conn, booking.appointment_id)
        if existing is not None:
            return ticket_view(existing, await repo.hall(conn, existing.hall_code)), False
        if booking.status != "booked":
            raise errors.BookingNotOpen(status=booking.status)
        now = self.clock.now()
        if not within_slot(
            now, booking.slot_start, booking.slot_end, self.settings.early_arrival_s
        ):
            raise errors.OutsideSlot(
                slotStart=booking.slot_start.isoformat(),
                slotEnd=booking.slot_end.isoformat(),
                earlyArrivalMinutes=self.settings.early_arrival_s // 60,
            )
        method, distance = self._presence(booking, data)
        ticket_id = await repo.insert_ticket(
            conn,
            citizen_id=principal.citizen_id,
            appointment_id=booking.appointment_id,
            hall_code=booking.hall_code,
            hall_name=booking.hall_name,
            item_code=booking.item_code,
            item_name=booking.item_name,
            declaration_id=booking.declaration_id,
            slot_start=booking.slot_start,
            slot_end=booking.slot_end,
            arrival_method=method,
            arrival_distance_m=distance,
            taken_at=now,
        )
        if ticket_id is None:  # the same booking's number taken at this very moment
            existing = await repo.ticket_of_appointment(conn, booking.appointment_id)
            assert existing is not None
            return ticket_view(existing, await repo.hall(conn, existing.hall_code)), False
        await self.bookings.booking_arrived(conn, booking.appointment_id)
        await jobs.enqueue(
            conn, TAKE_JOB, TakeJob(str(ticket_id)), dedupe_key=f"queue-take:{ticket_id}"
        )
        row = await repo.ticket(conn, ticket_id)
        assert row is not None
        return ticket_view(row, None), True

    def _presence(self, booking: Booking, data: TakeNumber) -> tuple[str, float | None]:
        """How the citizen showed they are at the hall: its QR, else the phone's location."""
        if data.qr is not None:
            hall_code = hall_of_qr(self.settings.qr_secret.reveal(), data.qr)
            if hall_code is None:
                raise errors.QrInvalid()
            if hall_code != booking.hall_code:
                raise errors.WrongHall()
            return "qr", None
        if data.location is None:
            raise errors.QrInvalid("扫描大厅二维码或开启定位后取号")
        if booking.latitude is None or booking.longitude is None:
            raise errors.NoHallLocation()
        distance = distance_m(
            data.location.latitude, data.location.longitude, booking.latitude, booking.longitude
        )
        if distance > self.settings.arrival_radius_m:
            raise errors.TooFar(
                distanceMetres=round(distance), radiusMetres=round(self.settings.arrival_radius_m)
            )
        return "location", distance

    async def _own(
        self, conn: Connection, principal: CitizenPrincipal, ticket_id: uuid.UUID
    ) -> repo.TicketRow:
        row = await repo.ticket(conn, ticket_id)
        if row is None or row.citizen_id != principal.citizen_id:
            raise errors.TicketNotFound()
        return row

    async def ticket(
        self, conn: Connection, principal: CitizenPrincipal, ticket_id: uuid.UUID
    ) -> QueueTicket:
        row = await self._own(conn, principal, ticket_id)
        return ticket_view(row, await repo.hall(conn, row.hall_code))

    async def tickets(self, conn: Connection, principal: CitizenPrincipal) -> TicketList:
        rows = await repo.tickets_of(conn, principal.citizen_id, 50)
        halls = {code: await repo.hall(conn, code) for code in {r.hall_code for r in rows}}
        return TicketList(tickets=[ticket_view(r, halls[r.hall_code]) for r in rows])

    async def rate(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        ticket_id: uuid.UUID,
        data: RateRequest,
    ) -> Review:
        """好差评 of the visit, on the "hall booked online" channel: the matter the window
        handled is the declaration the booking carried."""
        row = await self._own(conn, principal, ticket_id)
        if row.state != "completed":
            raise errors.NotCompleted(state=row.state)
        if row.declaration_id is None:
            raise errors.NothingToRate()
        return await self.reviews.rate(conn, principal, row.declaration_id, data, channel="hall")

    async def live_ticket(
        self, principal: CitizenPrincipal, ticket_id: uuid.UUID
    ) -> tuple[repo.TicketRow, QueueTicket]:
        """The ticket now, for a live stream that has just subscribed. The stream outlives
        the request's transaction (released before the response starts), so this reads on a
        pooled connection of its own, one short statement pair."""
        async with self.pool.acquire() as conn:
            row = await self._own(conn, principal, ticket_id)
            return row, ticket_view(row, await repo.hall(conn, row.hall_code))

    async def check_own(
        self, conn: Connection, principal: CitizenPrincipal, ticket_id: uuid.UUID
    ) -> None:
        await self._own(conn, principal, ticket_id)

    # --- staff -----------------------------------------------------------------------------

    def hall_qr(self, hall_code: str) -> HallQr:
        secret = self.settings.qr_secret.reveal()
        if not secret:
            raise errors.QrNotConfigured()
        return HallQr(hall_code=hall_code, qr=hall_qr(secret, hall_code))

    async def waits_by_hall(
        self, conn: Connection, start: date, end: date
    ) -> list[repo.HallWaitRow]:
        """For hall figures: per hall, the numbers of slots on the China days ``start`` to
        ``end`` that a window called, and their waits from the ticket to the call."""
        return await repo.waits_by_hall(
            conn,
            datetime.combine(start, time(), CHINA_TZ),
            datetime.combine(end + timedelta(days=1), time(), CHINA_TZ),
        )

    # --- jobs and callbacks ----------------------------------------------------------------

    async def take_from_system(self, ticket_id: uuid.UUID) -> None:
        """Ask the calling system for the ticket's number (our id is its request id, so a
        retry after a lost answer gets the same number), record it, tell the open page."""
        async with self.pool.acquire() as conn:
            row = await repo.ticket(conn, ticket_id)
        if row is None or row.system_ticket_id is not None:
            return
        answer = await self.system.take_number(
            row.hall_code,
            request_id=str(ticket_id),
            item_code=row.item_code,
            reference=str(row.appointment_id),
        )
        published = [Publication(ticket_channel(ticket_id), b'{"changed":true}')]
        async with self.pool.acquire() as conn, conn.transaction():
            await self._record(conn, ticket_id, answer.ticket)
            # The hall's queue as of the answer, unless an event already brought a newer one.
            if await repo.apply_snapshot(conn, answer.hall.sequence, answer.hall):
                published.append(Publication(hall_channel(row.hall_code), _encode(answer.hall)))
        await self.publish(published)

    async def _record(self, conn: Connection, ticket_id: uuid.UUID, ticket: SystemTicket) -> None:
        await repo.record_number(
            conn,
            ticket_id,
            system_ticket_id=ticket.ticket_id,
            number=ticket.number,
            seq=ticket.seq,
            issued_at=ticket.issued_at,
        )

    async def store_callback(
        self, conn: Connection, event: QueueEvent, body: dict[str, Any]
    ) -> bool:
        """Store the event once; a new one is applied by a job (answered at once)."""
        new = await repo.store_event(conn, event, body)
        if new:
            await jobs.enqueue(
                conn,
                APPLY_JOB,
                ApplyJob(event.event_id),
                dedupe_key=f"queue-event:{event.event_id}",
            )
        return new

    async def apply_event(self, conn: Connection, event_id: str) -> list[Publication]:
        """Apply a stored event: the hall's queue if the event is newer than the one applied
        (events of a hall carry its sequence), our ticket's state if it moves forward. Returns
        what open pages should hear once the transaction commits."""
        stored = await repo.event(conn, event_id)
        if stored is None or stored.applied_at is not None:
            return []
        event = msgspec.convert(stored.body, QueueEvent, strict=False)
        published: list[Publication] = []
        if await repo.apply_snapshot(conn, event.sequence, event.hall):
            published.append(Publication(hall_channel(event.hall_code), _encode(event.hall)))
        ticket_id = _our_id(event.ticket.request_id)
        row = await repo.ticket(conn, ticket_id, lock=True) if ticket_id else None
        if row is not None and row.hall_code == event.hall_code:
            if row.system_ticket_id is None:
                await self._record(conn, row.id, event.ticket)
            if await self._move(conn, row, event):
                published.append(Publication(ticket_channel(row.id), b'{"changed":true}'))
        await repo.mark_applied(conn, event_id, self.clock.now())
        return published

    async def _move(self, conn: Connection, row: repo.TicketRow, event: QueueEvent) -> bool:
        target = event.ticket.status
        current = "waiting" if row.state == "requested" else row.state
        if not moves_forward(current, target):
            return row.state == "requested"  # the number itself is news
        await repo.move(
            conn,
            row.id,
            target,
            window_no=event.ticket.window,
            called_at=event.ticket.called_at,
            finished_at=event.ticket.finished_at,
        )
        link = f"/pages/queue/index?id={row.id}"
        if target == "called":
            await self.push.notify(
                conn,
                row.citizen_id,
                "queue.called",
                {
                    "item": row.item_name,
                    "number": event.ticket.number,
                    "window": event.ticket.window or "",
                    "hall": row.hall_name,
                },
                dedupe_key=f"queue:{row.id}:called",
                link=link,
            )
        elif target == "completed":
            at = event.ticket.finished_at or self.clock.now()
            await self.bookings.booking_completed(conn, row.appointment_id, at)
            await self.push.notify(
                conn,
                row.citizen_id,
                "queue.completed",
                {"item": row.item_name, "hall": row.hall_name},
                dedupe_key=f"queue:{row.id}:completed",
                link=link,
            )
        return True

    async def publish(self, published: Sequence[Publication]) -> None:
        for item in published:
            await self.live.publish(item.data, [item.channel])


def _our_id(request_id: str | None) -> uuid.UUID | None:
    """Our ticket id, when the number was taken by us (a kiosk's has no request id)."""
    if not request_id:
        return None
    try:
        return uuid.UUID(request_id)
    except ValueError:
        return None


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s numbers become ``target``'s."""
    return await repo.absorb_citizen(conn, source, target)


__all__ = [
    "Booking",
    "Bookings",
    "QueueService",
    "absorb_citizen",
    "hall_channel",
    "ticket_channel",
]
