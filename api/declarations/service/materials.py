"""Materials: uploads and library files attached to a declaration, e-licences chosen for it
(免提交, under the holder's consent), and the materials as a case sends them to the platform."""

from __future__ import annotations

import uuid

from api.catalog.schemas import GuideMaterial, ItemDetail
from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.schemas import DeclarationDetail, LibraryMaterial
from api.declarations.service.base import library_entry, mandate_items
from api.declarations.service.reading import Reading
from core.clients.provincial import CaseFile, CaseLicence, CaseMaterial
from core.db import Connection
from core.principals import CitizenPrincipal
from core.uploads import ReceivedFile

ALL_FORMATS = {"pdf", "jpg", "png", "ofd"}


class Materials(Reading):
    async def _editable_material(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, code: str
    ) -> tuple[repo.DeclarationRow, GuideMaterial, ItemDetail]:
        row = await self._owned(conn, principal, declaration_id, lock=True)
        tolerated_late = row.state in ("accepted", "processing") and code in row.tolerated_missing
        if row.state not in ("draft", "needs_supplement") and not tolerated_late:
            raise errors.InvalidState(state=row.state)
        item = await self._item(conn, row.item_code)
        material = next((m for m in item.guide.materials if m.code == code), None)
        if material is None:
            raise errors.UnknownMaterial(materialCode=code)
        return row, material, item

    async def check_upload_target(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, code: str
    ) -> tuple[int, set[str]]:
        """Before reading any body: the size limit and formats the guide sets for this material."""
        _, material, _ = await self._editable_material(conn, principal, declaration_id, code)
        formats = {f.lower().replace("jpeg", "jpg") for f in material.formats} & ALL_FORMATS
        return (material.max_size_kb or 10240) * 1024, formats or set(ALL_FORMATS)

    async def attach_upload(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        code: str,
        received: ReceivedFile,
        storage_key: str,
    ) -> tuple[LibraryMaterial, bool]:
        """Returns the library entry and whether the stored object is new (else delete it)."""
        row, _, _ = await self._editable_material(conn, principal, declaration_id, code)
        material_id, created = await repo.library_add(
            conn,
            citizen_id=principal.citizen_id,
            sha256=bytes.fromhex(received.sha256_hex),
            size=received.size,
            kind=received.kind,
            content_type=received.content_type,
            display_name=received.display_name,
            storage_key=storage_key,
        )
        await repo.attach(conn, declaration_id, code, material_id=material_id)
        entry = await repo.material(conn, material_id, principal.citizen_id)
        assert entry is not None
        await self._acted(
            conn, principal, "declaration.material", str(declaration_id), row.item_name
        )
        return library_entry(entry), created

    async def reuse(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        code: str,
        material_id: uuid.UUID,
    ) -> DeclarationDetail:
        row, _, item = await self._editable_material(conn, principal, declaration_id, code)
        # Under a mandate limited to items, only a file already attached to a declaration of a
        # covered item (one the agent may read anyway): the rest of the library is not theirs
        # to see or send (docs/acting-as.md). The same answer as for an id of no one's.
        entry = await repo.material(
            conn, material_id, principal.citizen_id, items=mandate_items(principal)
        )
        if entry is None:
            raise errors.MaterialNotUsable(materialCode=code)
        await repo.attach(conn, declaration_id, code, material_id=material_id)
        return await self._detail(conn, principal, row, item=item)

    async def use_licence(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        code: str,
        licence_number: str,
    ) -> DeclarationDetail:
        row, material, item = await self._editable_material(conn, principal, declaration_id, code)
        held = await self._licences.usable_for_declaration(
            conn, principal.citizen_id, licence_number
        )
        if not held or held[0].type_code not in material.licence_types:
            raise errors.LicenceNotUsable(materialCode=code)
        await repo.attach(conn, declaration_id, code, licence_number=licence_number)
        # Choosing the licence for this application is the consent to use it (授权用证).
        await self._licences.consent_for_declaration(
            conn, principal.citizen_id, licence_number, declaration_id, row.item_name
        )
        return await self._detail(conn, principal, row, item=item)

    async def remove_material(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, code: str
    ) -> None:
        await self._editable_material(conn, principal, declaration_id, code)
        await repo.detach(conn, declaration_id, code)

    async def library(self, conn: Connection, principal: CitizenPrincipal) -> list[LibraryMaterial]:
        # The guard keeps a mandate limited to items away from the library routes; were one to
        # get here, it would see what it may reuse and no more.
        rows = await repo.library(conn, principal.citizen_id, items=mandate_items(principal))
        return [library_entry(r) for r in rows]

    async def material_key(
        self, conn: Connection, principal: CitizenPrincipal, material_id: uuid.UUID
    ) -> tuple[str, str, str]:
        entry = await repo.material(
            conn, material_id, principal.citizen_id, items=mandate_items(principal)
        )
        if entry is None:
            raise errors.MaterialNotFound()
        return entry.storage_key, entry.content_type, entry.display_name

    async def _case_materials(
        self,
        conn: Connection,
        declaration_id: uuid.UUID,
        attached: list[repo.AttachedRow] | None = None,
    ) -> list[CaseMaterial]:
        """The attached materials as the platform takes them: files, and licences with their
        type (all the licences' types in one query)."""
        if attached is None:
            attached = await repo.attached(conn, declaration_id)
        types = await self._licences.types_for_declaration(
            conn, [r.licence_number for r in attached if r.licence_number]
        )
        result = []
        for r in attached:
            if r.licence_number:
                licence = CaseLicence(
                    licence_number=r.licence_number, type_code=types.get(r.licence_number, "")
                )
                result.append(CaseMaterial(code=r.material_code, licence=licence))
            else:
                file = CaseFile(
                    file_id=str(r.material_id),
                    file_name=r.display_name or "",
                    sha256=r.sha256 or "",
                    size=r.size or 0,
                    content_type=r.content_type or "",
                )
                result.append(CaseMaterial(code=r.material_code, files=[file]))
        return result
