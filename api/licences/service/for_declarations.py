"""What declarations ask of the wallet: a declaration's materials may be e-licences of the
wallet; their use is consented (``ConsentCases``) and logged."""

from __future__ import annotations

import uuid

from api.licences import errors
from api.licences import repository as repo
from api.licences.schemas import DeclarationLicence
from api.licences.service._base import LicencesBase, today
from core.db import Connection


class DeclarationCases(LicencesBase):
    async def usable_for_declaration(
        self, conn: Connection, citizen_id: uuid.UUID, licence_number: str | None = None
    ) -> list[DeclarationLicence]:
        """The licences that may satisfy a material (or the one numbered ``licence_number``)."""
        return await repo.usable_for_declaration(conn, citizen_id, licence_number)

    async def types_for_declaration(
        self, conn: Connection, licence_numbers: list[str]
    ) -> dict[str, str]:
        """Each licence's type, as a case submitted to the platform names it."""
        return await repo.types_of(conn, licence_numbers) if licence_numbers else {}

    async def use_for_declaration_submission(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        licence_numbers: list[str],
        declaration_id: uuid.UUID,
    ) -> None:
        """The use of all the licences of a submission at once: each needs an active consent
        and is still valid (else the error, and the caller's transaction rolls back the uses
        logged with it)."""
        if not licence_numbers:
            return
        found = {
            u.licence_number: u
            for u in await repo.use_for_declaration(
                conn, citizen_id, licence_numbers, str(declaration_id)
            )
        }
        on = today()
        for number in licence_numbers:
            use = found.get(number)
            if use is None or use.consent_id is None:
                raise errors.ConsentRequired(licenceNumber=number)
            status = use.status
            if status == "valid" and use.valid_until is not None and use.valid_until < on:
                status = "expired"
            if status not in ("valid", "pending"):
                raise errors.LicenceNoLongerValid(licenceNumber=number, status=status)
