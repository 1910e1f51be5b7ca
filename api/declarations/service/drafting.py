"""Drafting: a declaration started for an item, its form prefilled from the wallet and saved."""

from __future__ import annotations

import uuid
from typing import Any

from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.forms import form_of, licence_prefills, problems
from api.declarations.schemas import DeclarationDetail
from api.declarations.service.base import channel_of
from api.declarations.service.reading import Reading
from core.db import Connection
from core.principals import CitizenPrincipal


class Drafting(Reading):
    async def create(
        self, conn: Connection, principal: CitizenPrincipal, item_code: str
    ) -> DeclarationDetail:
        item = await self._item(conn, item_code)
        if not item.accepting_applications:
            raise errors.ItemNotAccepting(reason=item.status_reason)
        declaration_id = await repo.create(
            conn,
            principal.citizen_id,
            item.code,
            item.name,
            department_code=item.department.code,
            region_code=item.region.code,
            channel=channel_of(principal),
            hall_visit=item.online_level != "full_online",
        )
        # "一表申请": what the wallet already knows is filled in, not asked again.
        wallet = await self._licences.usable_for_declaration(conn, principal.citizen_id)
        prefilled = licence_prefills(
            form_of(item.guide.form), {w.type_code: w.licence_number for w in wallet}
        )
        if prefilled:
            row = await repo.update(conn, declaration_id, form_data=prefilled)
        else:
            row = await self._owned(conn, principal, declaration_id)
        return await self._detail(conn, row, item=item, attached=[], wallet=wallet)

    async def save_form(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        data: dict[str, Any],
    ) -> DeclarationDetail:
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row.state != "draft":
            raise errors.InvalidState(state=row.state)
        item = await self._item(conn, row.item_code)
        if found := problems(form_of(item.guide.form), data, complete=False):
            raise errors.FormInvalid(problems=found)
        row = await repo.update(conn, declaration_id, form_data=data)
        return await self._detail(conn, row, item=item)
