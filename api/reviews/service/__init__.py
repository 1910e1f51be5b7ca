"""Good/bad review's use cases, one module each, joined in ``ReviewsService``:

- ``ratings``: citizens rate a finished matter (一事一评, one follow-up after rectification);
- ``tickets``: staff work rectification tickets; supervision flags; deadlines recomputed;
- ``figures``: satisfaction and rectification figures;
- ``reporting``: ratings reported to the platform (a job).

The rules they apply (levels, tags, ticket moves, deadlines) are ``api.reviews.rules``.
"""

from __future__ import annotations

import uuid

from api.reviews import repository as repo
from api.reviews.service._base import OUTCOME_LABELS
from api.reviews.service.figures import FigureCases
from api.reviews.service.ratings import RatingCases
from api.reviews.service.reporting import ReportingCases
from api.reviews.service.tickets import TicketCases
from core.db import Connection


class ReviewsService(RatingCases, TicketCases, FigureCases, ReportingCases):
    """Good/bad review of a process (built by ``api.reviews.deps``)."""

    # --- for the hotline (a complaint about a rectification links to its ticket) ---

    async def ticket_for_complaint(
        self, conn: Connection, citizen_id: uuid.UUID, declaration_id: uuid.UUID
    ) -> uuid.UUID | None:
        """The citizen's latest rectification ticket on the declaration; None without one."""
        tickets = await repo.tickets_of_declaration(conn, declaration_id)
        mine = [t.id for t in tickets if t.citizen_id == citizen_id]
        return mine[-1] if mine else None


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s ratings and tickets become ``target``'s (called by
    api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)


__all__ = ["OUTCOME_LABELS", "ReviewsService", "absorb_citizen"]
