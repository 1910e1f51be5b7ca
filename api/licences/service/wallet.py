"""The holder's wallet: the list, one licence, its file; licences arriving from declarations."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from api.licences import errors
from api.licences import repository as repo
from api.licences.schemas import LicenceDetail, LicenceSummary
from api.licences.service._base import HOLDER_NAME, LicencesBase, effective_status, status_text
from api.licences.tasks import IMPORT_JOB, LicenceJob
from core import audit, i18n, jobs
from core.clients.provincial_legal import CompanyLicence
from core.db import Connection
from core.pii import mask_name
from core.principals import CitizenPrincipal


class WalletCases(LicencesBase):
    def _summary_fields(self, row: repo.LicenceRow, locale: str) -> dict[str, Any]:
        status = effective_status(row.status, row.valid_until, self._today())
        holder = (
            mask_name(self._pii.decrypt(row.holder_name_enc, field=HOLDER_NAME))
            if row.holder_name_enc
            else None
        )
        return {
            "id": str(row.id),
            "licence_number": row.licence_number,
            "type_code": row.type_code,
            "name": row.name,
            "holder_name": holder,
            "issuer_code": row.issuer_code,
            "issuer_name": row.issuer_name,
            "valid_from": row.valid_from,
            "valid_until": row.valid_until,
            "issued_at": row.issued_at,
            "status": status,
            "status_text": status_text(status, locale),
            "problem": row.problem,
            "problem_text": i18n.text(row.problem, locale) if row.problem else None,
            "usable": status == "valid",
            "has_file": bool(row.file_key),
        }

    async def wallet(
        self, conn: Connection, principal: CitizenPrincipal, locale: str
    ) -> list[LicenceSummary]:
        rows = await repo.list_for(conn, principal.citizen_id)
        return [LicenceSummary(**self._summary_fields(r, locale)) for r in rows]

    async def detail(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID, locale: str
    ) -> LicenceDetail:
        row = await self._owned(conn, principal, licence_id)
        return LicenceDetail(
            **self._summary_fields(row, locale),
            revoked_at=row.revoked_at,
            revocation_reason=row.revocation_reason,
            signature_verified=row.signature is not None and row.status != "invalid",
            key_id=row.key_id,
            file_type=row.file_type,
            declaration_id=str(row.declaration_id) if row.declaration_id else None,
            imported_at=row.imported_at,
        )

    async def file(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID, ip: str
    ) -> tuple[AsyncIterator[bytes], str, str]:
        row = await self._owned(conn, principal, licence_id)
        if not row.file_key or row.status == "invalid":
            raise errors.LicenceFileUnavailable()
        await audit.append(
            conn,
            actor_type="citizen",
            actor_id=str(principal.citizen_id),
            action="licence.file_downloaded",
            target_type="licence",
            target_id=str(licence_id),
            ip=ip,
        )
        kind = row.file_type or "pdf"
        media = {"pdf": "application/pdf", "ofd": "application/ofd"}.get(kind, "application/pdf")
        stream = await self.storage.get_stream(row.file_key)
        return stream, media, f"{row.licence_number}.{kind}"

    # --- called by identity, inside its transaction ----------------------------------------------

    async def adopt_company_licences(
        self, conn: Connection, company_id: uuid.UUID, licences: Sequence[CompanyLicence]
    ) -> None:
        """A company's licences the platform lists (its 营业执照): into the company's wallet,
        imported and checked (signature, holder = its code) like any other."""
        for licence in licences:
            await self.record_issued(
                conn,
                citizen_id=company_id,
                licence_number=licence.licence_number,
                type_code=licence.type_code,
                name=licence.type_name,
                issued_at=licence.issued_at,
                declaration_id=None,
            )

    # --- called by declarations, inside their transaction --------------------------------------

    async def record_issued(
        self,
        conn: Connection,
        *,
        citizen_id: uuid.UUID,
        licence_number: str,
        type_code: str,
        name: str,
        issued_at: datetime,
        declaration_id: uuid.UUID | None,
    ) -> None:
        """A case completed with a licence: into the wallet as ``pending``, imported by a job."""
        if await repo.add_pending(
            conn,
            licence_number=licence_number,
            citizen_id=citizen_id,
            type_code=type_code,
            name=name,
            issued_at=issued_at,
            declaration_id=declaration_id,
        ):
            await jobs.enqueue(
                conn, IMPORT_JOB, LicenceJob(licence_number), dedupe_key=f"import:{licence_number}"
            )
