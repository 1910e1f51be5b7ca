"""Drafting: a declaration started for an item, its form prefilled from the wallet and saved."""

from __future__ import annotations

import uuid
from typing import Any

from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.forms import form_of, licence_fed, licence_prefills, problems
from api.declarations.schemas import DeclarationDetail
from api.declarations.service.base import channel_of
from api.declarations.service.reading import Reading
from core.db import Connection
from core.principals import CitizenPrincipal


class Drafting(Reading):
    async def create(
        self, conn: Connection, principal: CitizenPrincipal, item_code: str
    ) -> DeclarationDetail:
        await repo.acting(conn, principal.actor_id)  # the timeline says who acted
        item = await self._item(conn, item_code)
        if not item.accepting_applications:
            raise errors.ItemNotAccepting(reason=item.status_reason)
        # A company applies for companies' items, a person for persons', an agent within the
        # mandate's items (docs/acting-as.md).
        principal.check_may_apply(item.code, item.guide.targets)
        # "一表申请": what the wallet already knows is filled in, not asked again. Read only
        # when the item has a use for it (a field it fills, a material a licence satisfies).
        form = form_of(item.guide.form)
        wallet = (
            await self._licences.usable_for_declaration(conn, principal.citizen_id)
            if any(m.licence_types for m in item.guide.materials) or licence_fed(form)
            else []
        )
        prefilled = licence_prefills(form, {w.type_code: w.licence_number for w in wallet})
        # The draft, prefilled, and its timeline's first entry: one statement, nothing re-read.
        row, created = await repo.create(
            conn,
            principal.citizen_id,
            item.code,
            item.name,
            department_code=item.department.code,
            region_code=item.region.code,
            channel=channel_of(principal),
            hall_visit=item.online_level != "full_online",
            form_data=prefilled,
        )
        await self._acted(conn, principal, "declaration.create", str(row.id), item.name)
        return await self._detail(
            conn, principal, row, item=item, attached=[], wallet=wallet, timeline=[created]
        )

    async def save_form(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        data: dict[str, Any],
    ) -> DeclarationDetail:
        # The form stored first, where the row is a draft of this citizen's (one statement, its
        # lock taken), then checked against the item's: a refusal rolls the transaction back.
        saved = await repo.save_form(conn, declaration_id, principal.citizen_id, data)
        if saved is None:
            current = await self._owned(conn, principal, declaration_id, lock=True)
            if current.state != "draft":
                raise errors.InvalidState(state=current.state)
            # Back to a draft (a redraft) after the statement's snapshot: saved now, locked.
            saved = await repo.save_form(conn, declaration_id, principal.citizen_id, data)
            assert saved is not None
        row, timeline = saved
        if not principal.covers(row.item_code):
            raise errors.DeclarationNotFound()  # outside the mandate: as if absent
        item = await self._item(conn, row.item_code)
        if found := problems(form_of(item.guide.form), data, complete=False):
            raise errors.FormInvalid(problems=found)
        return await self._detail(conn, principal, row, item=item, timeline=timeline)
