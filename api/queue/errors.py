from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class BookingNotFound(NotFound, code="QUEUE_BOOKING_NOT_FOUND"):
    """Also for another citizen's booking: no oracle."""


class BookingNotOpen(Conflict, code="QUEUE_BOOKING_NOT_OPEN"):
    """Cancelled, missed or already finished: no number for it."""


class OutsideSlot(Conflict, code="QUEUE_OUTSIDE_SLOT"):
    """A number is taken on arrival for the booked slot (from a little before it starts)."""


class TooFar(Conflict, code="QUEUE_TOO_FAR"):
    """The phone's location is not at the hall."""


class NoHallLocation(Conflict, code="QUEUE_HALL_LOCATION_UNKNOWN"):
    """The hall has no coordinates: its QR code is the only way in."""


class QrInvalid(DomainError, code="QUEUE_QR_INVALID"):
    """Not a hall QR code we signed."""


class WrongHall(Conflict, code="QUEUE_WRONG_HALL"):
    """The QR code is another hall's than the booking's."""


class TicketNotFound(NotFound, code="QUEUE_TICKET_NOT_FOUND"):
    """Also for another citizen's number: no oracle."""


class NotCompleted(Conflict, code="QUEUE_NOT_COMPLETED"):
    """A visit is rated once the window has completed it."""


class NothingToRate(Conflict, code="QUEUE_NOTHING_TO_RATE"):
    """The booking carried no declaration: the hall's own rating device takes the rating."""


class CallbackRejected(DomainError, status=401, code="CALLBACK_SIGNATURE_INVALID"):
    """Forged, stale or malformed calling-system event."""


class QrNotConfigured(Conflict, code="QUEUE_QR_NOT_CONFIGURED"):
    """No secret to sign hall QR codes with (HANDHELD_QUEUE_QR_SECRET)."""
