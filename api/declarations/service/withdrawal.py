"""Withdrawal: the citizen takes a declaration back (at the platform too once it has a case)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.schemas import DeclarationDetail
from api.declarations.service.base import STATE_EVENTS
from api.declarations.service.reading import Reading
from api.declarations.states import WITHDRAWABLE
from core.clients.provincial import PlatformRefused
from core.db import Connection
from core.principals import CitizenPrincipal


class Withdrawal(Reading):
    async def withdraw(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        reason: str,
    ) -> DeclarationDetail:
        await repo.acting(conn, principal.actor_id)  # the timeline says who acted
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row.state not in WITHDRAWABLE:
            raise errors.InvalidState(state=row.state)
        if row.case_number:
            # At the platform already: only it can say whether the case is still withdrawable.
            try:
                await self._cases.withdraw(row.case_number, reason or "申请人撤回")
            except PlatformRefused as exc:
                raise errors.InvalidState(state=row.state, platform=exc.code) from exc
        moved = await repo.move(
            conn,
            declaration_id,
            row.state,
            "withdrawn",
            "citizen",
            reason=reason or None,
            finished_at=datetime.now(UTC),
        )
        await self._moved(conn, row, "withdrawn", reason or None)
        await self._push.notify(
            conn,
            principal.citizen_id,
            STATE_EVENTS["withdrawn"],
            {"item": row.item_name},
            dedupe_key=f"{declaration_id}:withdrawn",
        )
        await self._acted(
            conn, principal, "declaration.withdraw", str(declaration_id), row.item_name
        )
        return await self._detail(conn, principal, moved)
