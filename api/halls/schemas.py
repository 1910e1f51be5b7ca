"""Public contract of halls and appointments (camelCase on the wire; new fields get defaults)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

AppointmentStatus = Literal["booked", "cancelled", "arrived", "completed", "no_show"]
ClockTime = Annotated[str, msgspec.Meta(pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class CodeName(_Out, kw_only=True):
    code: str
    name: str


class OpeningSession(_Out, kw_only=True):
    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")


class Closure(_Out, kw_only=True):
    date: date
    reason: str


class HallWindow(_Out, kw_only=True):
    number: str
    name: str
    items: list[CodeName]
    # Appointments per item and half hour at this window.
    slot_capacity: int


class HallSummary(_Out, kw_only=True):
    code: str
    name: str
    region: CodeName
    address: str
    # GCJ-02, as wx.openLocation takes them.
    latitude: float
    longitude: float
    phone: str
    open: bool = True


class HallDetail(HallSummary, kw_only=True):
    hours: list[OpeningSession]
    saturday_hours: list[OpeningSession] = []
    closures: list[Closure] = []
    windows: list[HallWindow] = []
    items: list[CodeName] = []
    version: int = 0


class Slot(_Out, kw_only=True):
    start: str
    end: str
    capacity: int
    remaining: int


class SlotDay(_Out, kw_only=True):
    date: date
    open: bool
    closed_reason: str | None = None
    slots: list[Slot] = []


class HallSlots(_Out, kw_only=True):
    hall: CodeName
    item: CodeName
    days: list[SlotDay]


class BookAppointment(_In, kw_only=True):
    hall_code: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    item_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    date: date
    start: ClockTime
    # A draft declaration of the same citizen for the item: the window sees its materials.
    declaration_id: uuid.UUID | None = None


class HallRef(_Out, kw_only=True):
    code: str
    name: str
    address: str
    phone: str
    latitude: float
    longitude: float


class Appointment(_Out, kw_only=True):
    id: uuid.UUID
    hall: HallRef
    item: CodeName
    date: date
    start: str
    end: str
    status: AppointmentStatus
    declaration_id: uuid.UUID | None = None
    booked_at: datetime
    # Until when (China time) the citizen can still cancel it; null once it cannot be.
    cancellable_until: datetime | None = None
    cancelled_at: datetime | None = None


class AppointmentList(_Out, kw_only=True):
    items: list[Appointment]
    # How many more the citizen may book now, and until when booking is paused (if it is).
    open_count: int = 0
    max_open: int = 0
    paused_until: date | None = None


class WindowMaterial(_Out, kw_only=True):
    code: str
    name: str
    required: bool
    provided: bool
    file_name: str | None = None
    licence_number: str | None = None


class WindowDeclaration(_Out, kw_only=True):
    id: uuid.UUID
    state: str
    materials: list[WindowMaterial]


class WindowAppointment(_Out, kw_only=True):
    """A booking as the hall's window sees it before the citizen arrives."""

    id: uuid.UUID
    item: CodeName
    start: str
    end: str
    status: AppointmentStatus
    declaration: WindowDeclaration | None = None


class HallDay(_Out, kw_only=True):
    hall: CodeName
    date: date
    appointments: list[WindowAppointment]


class HallFigureRow(_Out, kw_only=True):
    """One hall's bookings of a period by what became of them, and how long its numbers
    waited from the ticket to the window's call."""

    hall_code: str
    hall_name: str
    region_name: str = ""
    # Booked and not cancelled; each is one of pending, arrived, completed or noShows.
    bookings: int
    cancelled: int = 0
    # Still ahead (or within the no-show grace).
    pending: int = 0
    # At the hall with a number, not completed yet.
    arrived: int = 0
    completed: int = 0
    no_shows: int = 0
    # noShows ÷ the bookings whose day has passed (arrived, completed or no-show); null if none.
    no_show_rate: float | None = None
    # Numbers the window called, and their average wait from the ticket to the call (seconds).
    called: int = 0
    average_wait_s: int | None = None


class HallFigures(_Out, kw_only=True):
    from_date: date = msgspec.field(name="from")
    to_date: date = msgspec.field(name="to")
    overall: HallFigureRow
    by_hall: list[HallFigureRow]
