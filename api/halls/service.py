"""Halls and appointments (预约): the platform's hall directory mirrored and cached, slots of
half an hour per hall and item, booking without double booking, limits, cancellation, no-shows
and the reminder the day before (docs/halls.md)."""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol

import msgspec

from api.calendars.service import Calendars
from api.catalog.schemas import ItemHall
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationsService
from api.halls import errors
from api.halls import repository as repo
from api.halls.rules import (
    OpeningRule,
    Session,
    china_moment,
    half_hours,
    opening_on,
    paused_until,
)
from api.halls.schemas import (
    Appointment,
    AppointmentList,
    BookAppointment,
    Closure,
    CodeName,
    HallDay,
    HallDetail,
    HallFigureRow,
    HallFigures,
    HallRef,
    HallSlots,
    HallSummary,
    HallWindow,
    OpeningSession,
    Slot,
    SlotDay,
    WindowAppointment,
    WindowDeclaration,
    WindowMaterial,
)
from core.cache import VersionedCache
from core.clients.provincial import PlatformHall, ProvincialHallsClient
from core.clock import Clock, china_time, china_today
from core.db import Connection, Pool
from core.principals import CitizenPrincipal
from core.settings import HallsSettings
from push.service import PushService

log = logging.getLogger(__name__)

MY_LIST_LIMIT = 100
REMIND_BATCH = 500
# The longest period one figures answer covers, and the one shown when none is asked.
MAX_FIGURES_DAYS = 366
DEFAULT_FIGURES_DAYS = 30


class HallWait(msgspec.Struct, frozen=True, kw_only=True):
    """How long a hall's numbers waited from the ticket to the window's call."""

    hall_code: str
    # Numbers called, and their waits from the ticket to the call summed (seconds).
    called: int
    waited_s: float


class Waits(Protocol):
    """The queue as hall figures ask it (bound by the composition root: the queue is built
    after the halls, on them)."""

    async def waits_by_hall(self, conn: Connection, start: date, end: date) -> list[HallWait]:
        """Numbers of slots on the China days ``start`` to ``end`` the windows called."""
        ...


def _hhmm(value: time) -> str:
    return value.strftime("%H:%M")


def _hall_of(row: repo.HallRow) -> PlatformHall:
    return msgspec.convert(row.data, PlatformHall, strict=False)


def _opening(hall: PlatformHall) -> OpeningRule:
    def sessions(items: list[Any]) -> tuple[Session, ...]:
        return tuple(Session(time.fromisoformat(s.start), time.fromisoformat(s.end)) for s in items)

    return OpeningRule(
        hours=sessions(hall.hours),
        saturday_hours=sessions(hall.saturday_hours),
        closures={c.date: c.reason for c in hall.closures},
    )


def _summary_fields(row: repo.HallRow, hall: PlatformHall) -> dict[str, Any]:
    return {
        "code": hall.code,
        "name": hall.name,
        "region": CodeName(code=hall.region_code, name=hall.region_name),
        "address": hall.address,
        "latitude": hall.latitude,
        "longitude": hall.longitude,
        "phone": hall.phone,
        "open": row.status == "open",
    }


def _items_of(hall: PlatformHall) -> list[repo.HallItemRow]:
    """The items a hall serves, each with its capacity per half hour: the windows serving it,
    summed."""
    capacity: dict[str, int] = {}
    names: dict[str, str] = {}
    windows: dict[str, list[str]] = {}
    for window in hall.windows:
        for item in window.items:
            capacity[item.code] = capacity.get(item.code, 0) + max(0, window.slot_capacity)
            names[item.code] = item.name
            windows.setdefault(item.code, []).append(window.number)
    return [
        repo.HallItemRow(
            hall_code=hall.code,
            item_code=code,
            item_name=names[code],
            capacity=capacity[code],
            windows=windows[code],
        )
        for code in sorted(capacity)
    ]


class HallsService:
    def __init__(
        self,
        *,
        pool: Pool,
        cache: VersionedCache,
        client: ProvincialHallsClient,
        calendars: Calendars,
        catalog: CatalogService,
        declarations: DeclarationsService,
        push: PushService,
        settings: HallsSettings,
        clock: Clock,
    ) -> None:
        self.pool = pool
        self.cache = cache
        self._client = client
        self._calendars = calendars
        self._catalog = catalog
        self._declarations = declarations
        self._push = push
        self.settings = settings
        self.clock = clock
        self.waits: Waits | None = None

    # --- the hall directory (the halls.sync job) -----------------------------------------------

    async def sync(self) -> int:
        """Mirror the platform's hall directory; returns how many halls changed. No connection
        is held while the platform is asked; a change re-renders halls and item guides."""
        halls = await self._client.halls()
        changed = 0
        async with self.pool.acquire() as conn, conn.transaction():
            for hall in halls:
                row = repo.HallRow(
                    code=hall.code,
                    name=hall.name,
                    region_code=hall.region_code,
                    status=hall.status,
                    platform_version=hall.version,
                    platform_updated_at=hall.updated_at,
                    data=msgspec.to_builtins(hall),
                )
                changed += await repo.upsert_hall(conn, row, _items_of(hall))
        if changed:
            await self.cache.bump()
            await self._catalog.invalidate()
        log.info("halls synced", extra={"received": len(halls), "changed": changed})
        return changed

    # --- reads (halls: cached by the controllers) ----------------------------------------------

    async def list_halls(
        self, conn: Connection, item_code: str | None, region: str | None
    ) -> list[HallSummary]:
        return [
            HallSummary(**_summary_fields(r, _hall_of(r)))
            for r in await repo.halls(conn, item_code, region)
        ]

    async def hall_detail(self, conn: Connection, code: str) -> HallDetail:
        row = await repo.hall(conn, code)
        if row is None:
            raise errors.HallNotFound(hallCode=code)
        hall = _hall_of(row)
        return HallDetail(
            **_summary_fields(row, hall),
            hours=[OpeningSession(start=s.start, end=s.end) for s in hall.hours],
            saturday_hours=[OpeningSession(start=s.start, end=s.end) for s in hall.saturday_hours],
            closures=[Closure(date=c.date, reason=c.reason) for c in hall.closures],
            windows=[
                HallWindow(
                    number=w.number,
                    name=w.name,
                    items=[CodeName(code=i.code, name=i.name) for i in w.items],
                    slot_capacity=w.slot_capacity,
                )
                for w in hall.windows
            ],
            items=[
                CodeName(code=i.item_code, name=i.item_name)
                for i in await repo.hall_items(conn, code)
            ],
            version=row.platform_version,
        )

    async def halls_of_item(self, conn: Connection, item_code: str) -> list[ItemHall]:
        """For the catalogue: the halls whose windows serve an item (its guide lists them)."""
        halls = [_hall_of(r) for r in await repo.halls(conn, item_code, None)]
        return [
            ItemHall(
                code=h.code,
                name=h.name,
                address=h.address,
                phone=h.phone,
                latitude=h.latitude,
                longitude=h.longitude,
            )
            for h in halls
        ]

    async def _hall_and_item(
        self, conn: Connection, hall_code: str, item_code: str
    ) -> tuple[repo.HallRow, PlatformHall, repo.HallItemRow]:
        row = await repo.hall(conn, hall_code)
        if row is None:
            raise errors.HallNotFound(hallCode=hall_code)
        served = await repo.hall_item(conn, hall_code, item_code)
        if served is None:
            raise errors.ItemNotServed(hallCode=hall_code, itemCode=item_code)
        return row, _hall_of(row), served

    def _days(self, today: date) -> list[date]:
        return [today + timedelta(days=n) for n in range(self.settings.book_days_ahead)]

    async def slots(self, conn: Connection, hall_code: str, item_code: str) -> HallSlots:
        """The days bookable now (today and the next ``book_days_ahead - 1``), each open or
        closed (with why), and the half hours still ahead with the places left."""
        row, hall, served = await self._hall_and_item(conn, hall_code, item_code)
        now = self.clock.now()
        days = self._days(china_today(now))
        calendar = await self._calendars.current(conn)
        taken = {
            (b.day, b.starts_at): b.booked
            for b in await repo.booked(conn, hall_code, item_code, days[0], days[-1])
        }
        rule = _opening(hall)
        out = []
        for day in days:
            opening = opening_on(rule, day, calendar)
            if row.status != "open":
                out.append(SlotDay(date=day, open=False, closed_reason="暂停服务"))
                continue
            if not opening.open:
                out.append(SlotDay(date=day, open=False, closed_reason=opening.closed_reason))
                continue
            slots = [
                Slot(
                    start=_hhmm(start),
                    end=_hhmm(end),
                    capacity=served.capacity,
                    remaining=max(0, served.capacity - taken.get((day, start), 0)),
                )
                for start, end in half_hours(opening.sessions)
                if china_moment(day, start) > now
            ]
            out.append(SlotDay(date=day, open=True, slots=slots))
        return HallSlots(
            hall=CodeName(code=hall.code, name=hall.name),
            item=CodeName(code=served.item_code, name=served.item_name),
            days=out,
        )

    # --- booking -------------------------------------------------------------------------------

    def _pause_rule(self) -> str:
        s = self.settings
        return (
            f"{s.no_show_window_days}天内预约未到{s.no_show_limit}次，"
            f"自最近一次未到之日起暂停预约{s.pause_days}天"
        )

    async def _paused_until(
        self, conn: Connection, citizen_id: uuid.UUID, today: date
    ) -> date | None:
        s = self.settings
        since = today - timedelta(days=s.no_show_window_days + s.pause_days)
        return paused_until(
            await repo.no_show_days(conn, citizen_id, since),
            today,
            limit=s.no_show_limit,
            window_days=s.no_show_window_days,
            pause_days=s.pause_days,
        )

    async def book(
        self, conn: Connection, principal: CitizenPrincipal, data: BookAppointment
    ) -> Appointment:
        row, hall, served = await self._hall_and_item(conn, data.hall_code, data.item_code)
        now = self.clock.now()
        today = china_today(now)
        start = time.fromisoformat(data.start)
        opening = opening_on(_opening(hall), data.date, await self._calendars.current(conn))
        offered = dict(half_hours(opening.sessions)) if opening.open else {}
        if (
            row.status != "open"
            or data.date not in self._days(today)
            or start not in offered
            or china_moment(data.date, start) <= now
        ):
            raise errors.SlotUnavailable(date=str(data.date), start=data.start)
        if data.declaration_id is not None:
            declaration = await self._declarations.for_hall(
                conn, principal.citizen_id, data.declaration_id
            )
            if (
                declaration is None
                or declaration.state != "draft"
                or declaration.item_code != data.item_code
            ):
                raise errors.DeclarationNotUsable(declarationId=str(data.declaration_id))
        # One citizen's bookings one at a time: the limit below is counted under the lock.
        await repo.lock_citizen(conn, principal.citizen_id)
        until = await self._paused_until(conn, principal.citizen_id, today)
        if until is not None:
            raise errors.BookingPaused(
                f"{self._pause_rule()}。您可于{until.isoformat()}起再次预约。",
                rule=self._pause_rule(),
                pausedUntil=until.isoformat(),
            )
        if await repo.holds_slot(
            conn, principal.citizen_id, data.hall_code, data.item_code, data.date, start
        ):
            raise errors.AlreadyBooked()
        limit = self.settings.max_open_bookings
        if await repo.open_count(conn, principal.citizen_id, now) >= limit:
            raise errors.TooManyOpen(
                f"同时最多可保留{limit}个未办理的预约，请先办理或取消已有预约。", maxOpen=limit
            )
        if not await repo.take_place(
            conn, data.hall_code, data.item_code, data.date, start, served.capacity
        ):
            raise errors.SlotFull(date=str(data.date), start=data.start)
        appointment_id = uuid.uuid4()
        await repo.insert(
            conn,
            repo.AppointmentRow(
                id=appointment_id,
                citizen_id=principal.citizen_id,
                hall_code=data.hall_code,
                item_code=data.item_code,
                item_name=served.item_name,
                day=data.date,
                starts_at=start,
                ends_at=offered[start],
                declaration_id=data.declaration_id,
                status="booked",
                booked_at=now,
                cancelled_at=None,
                reminded_at=None,
            ),
        )
        stored = await repo.appointment(conn, appointment_id, principal.citizen_id)
        assert stored is not None
        return self._appointment(stored, now)

    def _cutoff(self, row: repo.AppointmentRow) -> datetime:
        return china_moment(row.day, row.starts_at) - timedelta(
            minutes=self.settings.cancel_cutoff_minutes
        )

    def _appointment(self, row: repo.AppointmentWithHall, now: datetime) -> Appointment:
        hall = row.hall_data
        cutoff = self._cutoff(row)
        return Appointment(
            id=row.id,
            hall=HallRef(
                code=row.hall_code,
                name=row.hall_name,
                address=hall.get("address", ""),
                phone=hall.get("phone", ""),
                latitude=hall.get("latitude", 0.0),
                longitude=hall.get("longitude", 0.0),
            ),
            item=CodeName(code=row.item_code, name=row.item_name),
            date=row.day,
            start=_hhmm(row.starts_at),
            end=_hhmm(row.ends_at),
            status=row.status,  # type: ignore[arg-type]
            declaration_id=row.declaration_id,
            booked_at=row.booked_at,
            cancellable_until=china_time(cutoff)
            if row.status == "booked" and now < cutoff
            else None,
            cancelled_at=row.cancelled_at,
        )

    async def mine(self, conn: Connection, principal: CitizenPrincipal) -> AppointmentList:
        now = self.clock.now()
        rows = await repo.of_citizen(conn, principal.citizen_id, MY_LIST_LIMIT)
        return AppointmentList(
            items=[self._appointment(r, now) for r in rows],
            open_count=await repo.open_count(conn, principal.citizen_id, now),
            max_open=self.settings.max_open_bookings,
            paused_until=await self._paused_until(conn, principal.citizen_id, china_today(now)),
        )

    async def get(
        self, conn: Connection, principal: CitizenPrincipal, appointment_id: uuid.UUID
    ) -> Appointment:
        row = await repo.appointment(conn, appointment_id, principal.citizen_id)
        if row is None:
            raise errors.AppointmentNotFound()
        return self._appointment(row, self.clock.now())

    async def cancel(
        self, conn: Connection, principal: CitizenPrincipal, appointment_id: uuid.UUID
    ) -> Appointment:
        row = await repo.appointment(conn, appointment_id, principal.citizen_id, lock=True)
        if row is None:
            raise errors.AppointmentNotFound()
        if row.status != "booked":
            raise errors.NotCancellable(status=row.status)
        now = self.clock.now()
        cutoff = self._cutoff(row)
        if now >= cutoff:
            raise errors.CancelTooLate(
                f"预约开始前{self.settings.cancel_cutoff_minutes}分钟内不可取消。",
                cancellableUntil=china_time(cutoff).isoformat(),
            )
        await repo.cancel(conn, row.id, now)
        await repo.release_place(conn, row.hall_code, row.item_code, row.day, row.starts_at)
        stored = await repo.appointment(conn, appointment_id, principal.citizen_id)
        assert stored is not None
        return self._appointment(stored, now)

    # --- supervision (the halls.supervise job) -------------------------------------------------

    async def remind(self, conn: Connection) -> int:
        """Tell everyone booked for tomorrow (from ``remind_from_hour`` China time today).
        Idempotent: a booking is reminded once (``reminded_at``, and push's dedupe key)."""
        now = self.clock.now()
        if china_time(now).hour < self.settings.remind_from_hour:
            return 0
        tomorrow = china_today(now) + timedelta(days=1)
        rows = await repo.to_remind(conn, tomorrow, now, REMIND_BATCH)
        halls: dict[str, PlatformHall] = {}
        for row in rows:
            if row.hall_code not in halls:
                stored = await repo.hall(conn, row.hall_code)
                assert stored is not None
                halls[row.hall_code] = _hall_of(stored)
            hall = halls[row.hall_code]
            await self._push.notify(
                conn,
                row.citizen_id,
                "appointment.reminder",
                {
                    "item": row.item_name,
                    "hall": hall.name,
                    "address": hall.address,
                    "date": row.day.isoformat(),
                    "time": f"{_hhmm(row.starts_at)}-{_hhmm(row.ends_at)}",
                    "cutoff": china_time(self._cutoff(row)).strftime("%m月%d日%H:%M"),
                },
                dedupe_key=f"appointment:{row.id}:reminder",
                link=f"/pages/appointments/index?id={row.id}",
            )
        await repo.mark_reminded(conn, [r.id for r in rows], now)
        return len(rows)

    async def mark_no_shows(self, conn: Connection) -> int:
        """Bookings whose slot ended ``no_show_grace_minutes`` ago with nobody arrived count as
        no-shows; the citizen is told, with the pause rule (and the pause, when it starts)."""
        now = self.clock.now()
        rows = await repo.mark_no_shows(
            conn, now - timedelta(minutes=self.settings.no_show_grace_minutes), now
        )
        for row in rows:
            until = await self._paused_until(conn, row.citizen_id, china_today(now))
            rule = f"{self._pause_rule()}。"
            if until is not None:
                rule += f"您的预约功能已暂停，{until.isoformat()}起可再次预约。"
            await self._push.notify(
                conn,
                row.citizen_id,
                "appointment.no_show",
                {
                    "item": row.item_name,
                    "hall": row.hall_code,
                    "date": row.day.isoformat(),
                    "time": _hhmm(row.starts_at),
                    "rule": rule,
                },
                dedupe_key=f"appointment:{row.id}:no_show",
                link=f"/pages/appointments/index?id={row.id}",
            )
        return len(rows)

    # --- the hall's window (staff) -------------------------------------------------------------

    async def hall_day(self, conn: Connection, hall_code: str, day: date) -> HallDay:
        """A hall's bookings of a day, with the materials each carried declaration holds."""
        row = await repo.hall(conn, hall_code)
        if row is None:
            raise errors.HallNotFound(hallCode=hall_code)
        out = []
        for a in await repo.of_hall_day(conn, hall_code, day):
            declaration = None
            if a.declaration_id is not None:
                found = await self._declarations.for_hall(conn, a.citizen_id, a.declaration_id)
                if found is not None:
                    declaration = WindowDeclaration(
                        id=found.id,
                        state=found.state,
                        materials=[
                            WindowMaterial(
                                code=m.code,
                                name=m.name,
                                required=m.required,
                                provided=m.provided,
                                file_name=m.file_name,
                                licence_number=m.licence_number,
                            )
                            for m in found.materials
                        ],
                    )
            out.append(
                WindowAppointment(
                    id=a.id,
                    item=CodeName(code=a.item_code, name=a.item_name),
                    start=_hhmm(a.starts_at),
                    end=_hhmm(a.ends_at),
                    status=a.status,  # type: ignore[arg-type]
                    declaration=declaration,
                )
            )
        return HallDay(hall=CodeName(code=row.code, name=row.name), date=day, appointments=out)

    # --- for the queue (arrival in the hall) ---------------------------------------------------

    async def arrive(self, conn: Connection, appointment_id: uuid.UUID) -> bool:
        """The citizen of a booking arrived (it is no no-show); False unless it was booked."""
        return await repo.arrive(conn, appointment_id, self.clock.now())

    async def complete(self, conn: Connection, appointment_id: uuid.UUID, at: datetime) -> bool:
        """The window completed the visit (the queue number's end): the booking is
        ``completed``, in "my bookings" and in the hall's figures. False unless it was arrived
        (a replayed event changes nothing)."""
        return await repo.complete(conn, appointment_id, at)

    # --- figures per hall (ops) ----------------------------------------------------------------

    async def figures(self, conn: Connection, start: date | None, end: date | None) -> HallFigures:
        """Every hall's bookings of the period (by slot day), no-shows and the average wait
        from the ticket to the call; the last ``DEFAULT_FIGURES_DAYS`` days when none is
        given."""
        end = end or china_today(self.clock.now())
        start = start or end - timedelta(days=DEFAULT_FIGURES_DAYS - 1)
        if start > end:
            raise errors.InvalidPeriod("from is after to")
        if (end - start).days >= MAX_FIGURES_DAYS:
            raise errors.InvalidPeriod(f"a period is at most {MAX_FIGURES_DAYS} days")
        waits: dict[str, HallWait] = {}
        if self.waits is not None:
            waits = {w.hall_code: w for w in await self.waits.waits_by_hall(conn, start, end)}
        rows = [
            _figure_row(r, waits.get(r.hall_code)) for r in await repo.figures(conn, start, end)
        ]
        return HallFigures(
            from_date=start, to_date=end, overall=_overall(rows, waits), by_hall=rows
        )


def _rates(row: HallFigureRow) -> HallFigureRow:
    settled = row.arrived + row.completed + row.no_shows
    row.no_show_rate = round(row.no_shows / settled, 4) if settled else None
    return row


def _figure_row(row: repo.HallFiguresRow, wait: HallWait | None) -> HallFigureRow:
    return _rates(
        HallFigureRow(
            **msgspec.structs.asdict(row),
            called=wait.called if wait else 0,
            average_wait_s=round(wait.waited_s / wait.called) if wait and wait.called else None,
        )
    )


def _overall(rows: list[HallFigureRow], waits: dict[str, HallWait]) -> HallFigureRow:
    """Every hall together: the average wait is over every number called."""
    counts = ("bookings", "cancelled", "pending", "arrived", "completed", "no_shows", "called")
    total = {name: sum(getattr(r, name) for r in rows) for name in counts}
    waited = sum(waits[r.hall_code].waited_s for r in rows if r.hall_code in waits)
    return _rates(
        HallFigureRow(
            hall_code="",
            hall_name="合计",
            **total,
            average_wait_s=round(waited / total["called"]) if total["called"] else None,
        )
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s bookings become ``target``'s."""
    return await repo.absorb_citizen(conn, source, target)
