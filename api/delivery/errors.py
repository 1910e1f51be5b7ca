"""Errors of the address book and of paper results' delivery: a stable code each, the
citizen's text in ``core.i18n``."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class AddressNotFound(NotFound, code="ADDRESS_NOT_FOUND"):
    """Also for another citizen's address: no oracle."""


class AddressInvalid(DomainError, status=400, code="ADDRESS_INVALID"):
    """A field that passes the schema but not the rules (a phone that is no mobile number, a
    region code no county has, a street of spaces); ``field`` names it."""


class AddressBookFull(Conflict, code="ADDRESS_BOOK_FULL"): ...


class DeliveryNotFound(NotFound, code="DELIVERY_NOT_FOUND"):
    """The declaration is not the citizen's (or has no delivery yet)."""


class NoPaperResult(Conflict, code="DELIVERY_NOT_AVAILABLE"):
    """The item's result is electronic only: nothing to pick up or post."""


class PostalNotOffered(Conflict, code="DELIVERY_POSTAL_NOT_OFFERED"): ...


class DeliveryLocked(Conflict, code="DELIVERY_LOCKED"):
    """The result is produced (or the declaration is over): the choice stands."""


class HallNotServing(DomainError, status=400, code="DELIVERY_HALL_INVALID"):
    """Pickup at a hall that does not serve the item (or none named where halls do)."""


class AddressUnknown(DomainError, status=400, code="DELIVERY_ADDRESS_UNKNOWN"):
    """Postal delivery to an address that is not in the citizen's book."""


class CallbackRejected(DomainError, status=401, code="CALLBACK_SIGNATURE_INVALID"): ...
