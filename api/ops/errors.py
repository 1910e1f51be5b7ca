from __future__ import annotations

from core.errors import Conflict, NotFound


class DeadLetterNotFound(NotFound):
    """No parked job with this id (already retried or discarded, or never parked)."""

    code = "DEAD_LETTER_NOT_FOUND"


class JobAlreadyQueued(Conflict):
    """The same work (its dedupe key) is queued or running already: nothing to retry."""

    code = "JOB_ALREADY_QUEUED"
