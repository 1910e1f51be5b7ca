"""Declaration rules: drafts, materials, submission that is never lost, the platform's events.

``DeclarationsService`` is one object (one dependency for handlers and jobs) composed of one
mixin per use case, each in its own module:

- ``reading``: a declaration in full, the citizen's list (``Reading``, which the others build on)
- ``drafting``: start a draft, save its form
- ``materials``: uploads, library files and e-licences attached; materials as a case sends them
- ``submission``: submit, deliver to the platform (read / call / record), refusal, redraft
- ``supplements``: 补正 and 容缺, and their deliveries
- ``withdrawal``: take a declaration back
- ``supervision``: deadline flags, deadlines recomputed when the calendar changes
- ``platform_events``: the platform's callbacks stored once and applied in sequence
- ``fees_and_licences``: fee notices, the payment's echo, the issued licence into the wallet

Mixins rather than collaborator objects: the use cases share one state (the collaborators in
``base.DeclarationsBase``) and one way to answer (``Reading._detail``), and a mixin reaches
them as ``self`` without a second layer of wiring. Each mixin inherits what it calls, so mypy
checks every call across modules.

Every method that touches the database takes the caller's connection first: the request's
transaction, or the one a job opens (``api.declarations.tasks``). The service never opens a
transaction of its own; it reaches other domains only through their services.
"""

from __future__ import annotations

import uuid

import msgspec

from api.declarations import repository as repo
from api.declarations.service.base import (
    PRE_REVIEW_DAYS,
    STATE_EVENTS,
    SUBMIT_ROUTE,
    FeeNotices,
    refusal_text,
)
from api.declarations.service.drafting import Drafting
from api.declarations.service.submission import Submission, SubmissionSent
from api.declarations.service.supervision import Supervision
from api.declarations.service.supplements import Supplements
from api.declarations.service.withdrawal import Withdrawal
from core.db import Connection


class DeclarationForReview(msgspec.Struct, frozen=True, kw_only=True):
    """What good/bad review needs of a declaration: whose it is, how far it went, its item and
    the platform's case number."""

    id: uuid.UUID
    citizen_id: uuid.UUID
    state: str
    item_code: str
    item_name: str
    case_number: str | None


class DeclarationsService(Drafting, Submission, Supplements, Withdrawal, Supervision):
    """Every use case of declarations (see the package's docstring for where each lives)."""

    # --- for push ---

    async def push_applicants(
        self, conn: Connection, item_code: str, *, after: uuid.UUID, limit: int
    ) -> list[uuid.UUID]:
        """Who applied for an item (a notice's audience): push.service.recipients.Applicants."""
        return await repo.applicant_ids(conn, item_code, after=after, limit=limit)

    # --- for reviews ---

    async def for_review(
        self, conn: Connection, declaration_id: uuid.UUID
    ) -> DeclarationForReview | None:
        """A declaration as a rating or a rectification ticket sees it; None when unknown."""
        row = await repo.rated_declaration(conn, declaration_id)
        return None if row is None else DeclarationForReview(**msgspec.structs.asdict(row))


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s declarations and material library become
    ``target``'s (called by api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)


__all__ = [
    "PRE_REVIEW_DAYS",
    "STATE_EVENTS",
    "SUBMIT_ROUTE",
    "DeclarationForReview",
    "DeclarationsService",
    "FeeNotices",
    "SubmissionSent",
    "absorb_citizen",
    "refusal_text",
]
