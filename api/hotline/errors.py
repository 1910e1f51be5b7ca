from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class TicketNotFound(NotFound, code="HOTLINE_TICKET_NOT_FOUND"):
    """Also for another citizen's ticket: no oracle."""


class SubjectUnknown(DomainError, status=400, code="HOTLINE_SUBJECT_UNKNOWN"):
    """The item, department or declaration named does not exist (or is not the citizen's)."""


class BlankText(DomainError, status=400, code="HOTLINE_TEXT_BLANK"):
    """A title or content of spaces only."""


class SubjectAmbiguous(DomainError, status=400, code="HOTLINE_SUBJECT_AMBIGUOUS"):
    """At most one of item, department and declaration."""


class NoRectification(Conflict, code="HOTLINE_NO_RECTIFICATION"):
    """A complaint about a rectification needs a bad review's ticket on that declaration."""


class NotReplied(Conflict, code="HOTLINE_NOT_REPLIED"):
    """The reply is rated once it has come."""


class AlreadyRated(Conflict, code="HOTLINE_ALREADY_RATED"): ...


class CallbackRejected(DomainError, status=401, code="CALLBACK_SIGNATURE_INVALID"): ...


class InvalidPeriod(DomainError, code="INVALID_PARAMETER"): ...
