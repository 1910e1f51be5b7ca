"""Errors of halls and appointments: a stable code each, the citizen's text in ``core.i18n``."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class HallNotFound(NotFound, code="HALL_NOT_FOUND"): ...


class ItemNotServed(NotFound, code="HALL_ITEM_NOT_SERVED"):
    """The hall has no window for the item."""


class AppointmentNotFound(NotFound, code="APPOINTMENT_NOT_FOUND"):
    """Also for another citizen's booking: no oracle."""


class SlotUnavailable(Conflict, code="APPOINTMENT_SLOT_UNAVAILABLE"):
    """Not a slot the hall offers: closed that day, outside its hours, past, or too far ahead."""


class SlotFull(Conflict, code="APPOINTMENT_SLOT_FULL"):
    """Someone else took the last place (the race for the last slot ends here)."""


class AlreadyBooked(Conflict, code="APPOINTMENT_ALREADY_BOOKED"): ...


class TooManyOpen(Conflict, code="APPOINTMENT_LIMIT_REACHED"): ...


class BookingPaused(Conflict, code="APPOINTMENT_PAUSED"):
    """Three no-shows in 90 days: booking is paused for 30 days; the rule is in the answer."""


class CancelTooLate(Conflict, code="APPOINTMENT_CANCEL_TOO_LATE"): ...


class NotCancellable(Conflict, code="APPOINTMENT_NOT_CANCELLABLE"): ...


class DeclarationNotUsable(Conflict, code="APPOINTMENT_DECLARATION_NOT_USABLE"):
    """The declaration is not the citizen's draft for this item."""


class InvalidPeriod(DomainError, code="INVALID_PARAMETER"): ...
