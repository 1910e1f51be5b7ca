from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class DeclarationNotFound(NotFound, code="DECLARATION_NOT_FOUND"):
    """Also for another citizen's declaration: no oracle."""


class NotFinished(Conflict, code="REVIEW_NOT_FINISHED"):
    """Only a finished matter (办结: completed or refused) can be rated."""


class AlreadyRated(Conflict, code="REVIEW_ALREADY_GIVEN"):
    """一事一评: rated on this channel already, and no follow-up is open."""


class UnknownTag(DomainError, status=422, code="REVIEW_TAG_UNKNOWN"): ...


class TicketNotFound(NotFound, code="REVIEW_TICKET_NOT_FOUND"): ...


class TicketState(Conflict, code="REVIEW_TICKET_STATE_CONFLICT"): ...


class NoPhoneNumber(Conflict, code="REVIEW_NO_PHONE_NUMBER"): ...


class InvalidPeriod(DomainError, code="INVALID_PARAMETER"): ...


class AppealSelfDecision(Conflict, code="REVIEW_APPEAL_SELF_DECISION"):
    """Whoever filed an appeal does not decide it."""
