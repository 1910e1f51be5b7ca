"""Wire contracts of queue numbers: camelCase, requests refuse unknown fields."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

Latitude = Annotated[float, msgspec.Meta(ge=-90, le=90)]
Longitude = Annotated[float, msgspec.Meta(ge=-180, le=180)]


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class Location(_In, kw_only=True):
    """Where the phone is (``wx.getLocation``, GCJ-02)."""

    latitude: Latitude
    longitude: Longitude


class TakeNumber(_In, kw_only=True):
    """Arrival for a booking: the hall's QR code as scanned, or the phone's location."""

    appointment_id: uuid.UUID
    qr: Annotated[str, msgspec.Meta(min_length=1, max_length=256)] | None = None
    location: Location | None = None


class QueueTicket(_Out, kw_only=True):
    id: str
    appointment_id: str
    hall_code: str
    hall_name: str
    item_code: str
    item_name: str
    declaration_id: str | None = None
    slot_start: datetime
    slot_end: datetime
    # requested: the number is being taken; waiting → called → completed, or skipped (过号).
    state: Literal["requested", "waiting", "called", "completed", "skipped"]
    number: str | None = None
    # Waiting numbers ahead (0: next) and the estimated wait, while waiting.
    position: int | None = None
    estimated_wait_s: int | None = None
    window: str | None = None
    taken_at: datetime
    called_at: datetime | None = None
    finished_at: datetime | None = None
    # Whether the visit can be rated now on the "hall booked online" channel.
    can_rate: bool = False


class TicketList(_Out, kw_only=True):
    tickets: list[QueueTicket]


class HallQr(_Out, kw_only=True):
    hall_code: str
    # The text to print as the QR code at the hall's entrance.
    qr: str
