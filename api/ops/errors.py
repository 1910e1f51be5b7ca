from __future__ import annotations

from core.errors import Conflict, NotFound


class DeadLetterNotFound(NotFound, code="DEAD_LETTER_NOT_FOUND"):
    """No parked job with this id (already retried or discarded, or never parked)."""


class JobAlreadyQueued(Conflict, code="JOB_ALREADY_QUEUED"):
    """The same work (its dedupe key) is queued or running already: nothing to retry."""
