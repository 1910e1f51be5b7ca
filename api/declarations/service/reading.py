"""Reading declarations: one in full (form, materials with what could satisfy them, timeline,
due dates, the applicant's masked data) and the citizen's list."""

from __future__ import annotations

import uuid

import msgspec

from api.catalog.schemas import ItemDetail
from api.declarations import repository as repo
from api.declarations.forms import form_of
from api.declarations.schemas import (
    DeclarationDetail,
    DeclarationPage,
    DeclarationSummary,
    DeliveryRefusal,
    LibraryMaterial,
    Prefill,
    RequiredMaterial,
    SupplementNotice,
)
from api.declarations.service.base import (
    DeclarationsBase,
    attached_file,
    library_entry,
    mandate_items,
    summary_fields,
    timeline_entry,
)
from api.identity.service import CitizenForCase
from api.licences.schemas import DeclarationLicence
from core.db import Connection
from core.pii import mask_id_number, mask_name, mask_phone
from core.principals import CitizenPrincipal


class Reading(DeclarationsBase):
    async def detail(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        return await self._detail(
            conn, principal, await self._owned(conn, principal, declaration_id)
        )

    async def _detail(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        row: repo.DeclarationRow,
        *,
        item: ItemDetail | None = None,
        attached: list[repo.AttachedRow] | None = None,
        citizen: CitizenForCase | None = None,
        wallet: list[DeclarationLicence] | None = None,
        timeline: list[repo.EventRow] | None = None,
    ) -> DeclarationDetail:
        """The declaration as the citizen sees it. What the caller has already read or written
        in this transaction (the item, the attached materials, the citizen, the wallet, the
        timeline) is passed in and not read again; the library and wallet are read only when a
        material still open could be satisfied from them. Under a mandate limited to items the
        library offered is the files attached to the owner's declarations of covered items
        (``repo.library``), and the licences offered are those the item's materials accept."""
        if item is None:
            item = await self._item(conn, row.item_code)
        if attached is None:
            # An item asking for no material has none to show.
            attached = await repo.attached(conn, row.id) if item.guide.materials else []
        by_code = {a.material_code: a for a in attached}
        still_open = [m for m in item.guide.materials if m.code not in by_code]
        library: list[LibraryMaterial] = []
        if still_open:
            library = [
                library_entry(r)
                for r in await repo.library(conn, row.citizen_id, items=mandate_items(principal))
            ]
        if wallet is None:
            wallet = (
                await self._licences.usable_for_declaration(conn, row.citizen_id)
                if any(m.licence_types for m in still_open)
                else []
            )
        materials = []
        for m in item.guide.materials:
            got = by_code.get(m.code)
            materials.append(
                RequiredMaterial(
                    code=m.code,
                    name=m.name,
                    required=m.required,
                    tolerance=m.tolerance,
                    formats=m.formats,
                    max_size_kb=m.max_size_kb,
                    licence_types=m.licence_types,
                    file=attached_file(got) if got else None,
                    licence_number=got.licence_number if got else None,
                    needs_replacement=bool(got and got.needs_replacement),
                    problem=got.problem if got else None,
                    suggestions=[f for f in library if f.kind in m.formats] if not got else [],
                    licence_suggestions=[
                        w.licence_number for w in wallet if w.type_code in m.licence_types
                    ]
                    if not got
                    else [],
                )
            )
        if citizen is None:
            citizen = await self._identity.citizen_for_case(conn, row.citizen_id)
            assert citizen is not None
        notice = row.supplement_notice
        return DeclarationDetail(
            **summary_fields(row),
            form=form_of(item.guide.form),
            form_data=row.form_data,
            prefill=_prefill(citizen),
            materials=materials,
            timeline=[
                timeline_entry(e)
                for e in (timeline if timeline is not None else await repo.events(conn, row.id))
            ],
            supplement=SupplementNotice(notice=notice["notice"], items=notice["items"])
            if notice
            else None,
            tolerated_missing=list(row.tolerated_missing),
            result=row.result,
            pre_review_due=row.pre_review_due,
            pre_review_due_provisional=row.pre_review_due_provisional,
            accepted_at=row.accepted_at,
            finished_at=row.finished_at,
            refusal=msgspec.convert(row.delivery_refusal, DeliveryRefusal)
            if row.delivery_refusal
            else None,
        )

    async def list_mine(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        state: str | None,
        page: int,
        page_size: int,
    ) -> DeclarationPage:
        rows, total = await repo.list_for(
            conn,
            principal.citizen_id,
            state,
            page_size,
            (page - 1) * page_size,
            items=mandate_items(principal),
        )
        return DeclarationPage(
            # Field by field from the rows' attributes, in one call (a keyword call per row
            # cost four times as much on this hottest of lists).
            items=msgspec.convert(rows, list[DeclarationSummary], from_attributes=True),
            total=total,
            page=page,
            page_size=page_size,
        )


def _prefill(citizen: CitizenForCase) -> Prefill:
    return Prefill(
        name=mask_name(citizen.real_name) if citizen.real_name else None,
        id_number=mask_id_number(citizen.id_number) if citizen.id_number else None,
        phone=mask_phone(citizen.phone) if citizen.phone else None,
    )
