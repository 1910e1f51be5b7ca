from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class DeclarationNotFound(NotFound):
    """Also for another citizen's declaration: no oracle."""

    code = "DECLARATION_NOT_FOUND"


class NotFinished(Conflict):
    """Only a finished matter (办结: completed or refused) can be rated."""

    code = "REVIEW_NOT_FINISHED"


class AlreadyRated(Conflict):
    """一事一评: rated on this channel already, and no follow-up is open."""

    code = "REVIEW_ALREADY_GIVEN"


class UnknownTag(DomainError):
    status_code = 422
    code = "REVIEW_TAG_UNKNOWN"


class TicketNotFound(NotFound):
    code = "REVIEW_TICKET_NOT_FOUND"


class TicketState(Conflict):
    code = "REVIEW_TICKET_STATE_CONFLICT"


class NoPhoneNumber(Conflict):
    code = "REVIEW_NO_PHONE_NUMBER"


class InvalidPeriod(DomainError):
    code = "INVALID_PARAMETER"


class AppealSelfDecision(Conflict):
    """Whoever filed an appeal does not decide it."""

    code = "REVIEW_APPEAL_SELF_DECISION"
