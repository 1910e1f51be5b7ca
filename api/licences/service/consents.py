"""Consents and uses: the citizen lets a declaration or a department app use a licence; every
use is logged for the holder. Department apps read with the token of a trust transfer."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import jwt

from api.licences import errors
from api.licences import repository as repo
from api.licences.schemas import ConsentEntry, DepartmentLicence, Grantee, UseEntry
from api.licences.service._base import SIGNED_DATA, LicencesBase, effective_status, pairwise_sub
from core import audit
from core.db import Connection
from core.principals import CitizenPrincipal
from core.signing import TokenInvalid as SigningTokenInvalid


class ConsentCases(LicencesBase):
    async def consents(self, conn: Connection, principal: CitizenPrincipal) -> list[ConsentEntry]:
        rows = await repo.consents(conn, principal.citizen_id)
        now = datetime.now(UTC)
        return [
            ConsentEntry(
                id=str(r.id),
                licence_id=str(r.licence_id),
                licence_name=r.licence_name,
                licence_number=r.licence_number,
                grantee=Grantee(kind=r.grantee_kind, id=r.grantee_id, name=r.grantee_name),  # type: ignore[arg-type]
                purpose=r.purpose,
                granted_at=r.granted_at,
                expires_at=r.expires_at,
                revoked_at=r.revoked_at,
                active=r.revoked_at is None and (r.expires_at is None or r.expires_at > now),
            )
            for r in rows
        ]

    async def grant(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        licence_id: uuid.UUID,
        client_id: str,
        purpose: str,
        days: int,
    ) -> ConsentEntry:
        row = await self._owned(conn, principal, licence_id)
        if (status := effective_status(row.status, row.valid_until, self._today())) != "valid":
            raise errors.LicenceNotDisplayable(status=status)
        app_name = await self._identity.department_app_name(conn, client_id)
        if app_name is None:
            raise errors.DepartmentAppUnknown()
        consent_id = await repo.add_consent(
            conn,
            citizen_id=principal.citizen_id,
            licence_id=licence_id,
            grantee_kind="department_app",
            grantee_id=client_id,
            grantee_name=app_name,
            purpose=purpose,
            pairwise_sub=pairwise_sub(self._pii, principal.citizen_id, client_id),
            expires_at=datetime.now(UTC) + timedelta(days=days),
        )
        return next(c for c in await self.consents(conn, principal) if c.id == str(consent_id))

    async def revoke(
        self, conn: Connection, principal: CitizenPrincipal, consent_id: uuid.UUID
    ) -> None:
        if not await repo.revoke_consent(conn, consent_id, principal.citizen_id):
            raise errors.ConsentNotFound()

    async def uses(self, conn: Connection, principal: CitizenPrincipal) -> list[UseEntry]:
        rows = await repo.uses(conn, principal.citizen_id)
        return [
            UseEntry(
                id=str(r.id),
                licence_id=str(r.licence_id),
                licence_name=r.licence_name,
                licence_number=r.licence_number,
                user=Grantee(kind=r.grantee_kind, id=r.grantee_id, name=r.grantee_name),  # type: ignore[arg-type]
                purpose=r.purpose,
                consent_id=str(r.consent_id),
                used_at=r.used_at,
            )
            for r in rows
        ]

    # --- called by declarations, inside their transaction --------------------------------------

    async def consent_for_declaration(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        licence_number: str,
        declaration_id: uuid.UUID,
        item_name: str,
    ) -> None:
        """The citizen chose this licence for a material of this declaration: that choice is the
        consent, recorded (once per declaration and licence) so it shows and can be revoked."""
        row = await repo.by_number(conn, licence_number, citizen_id)
        if row is None:
            raise errors.LicenceNotFound()
        if await repo.active_consent(conn, row.id, "declaration", str(declaration_id)) is None:
            await repo.add_consent(
                conn,
                citizen_id=citizen_id,
                licence_id=row.id,
                grantee_kind="declaration",
                grantee_id=str(declaration_id),
                grantee_name=item_name,
                purpose=f"作为申请材料办理：{item_name}",
                pairwise_sub=None,
                expires_at=None,
            )

    async def use_for_declaration(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        licence_number: str,
        declaration_id: uuid.UUID,
    ) -> None:
        """The declaration is submitted with this licence: allowed only under an active consent;
        the use is logged for the holder."""
        row = await repo.by_number(conn, licence_number, citizen_id)
        consent = (
            await repo.active_consent(conn, row.id, "declaration", str(declaration_id))
            if row is not None
            else None
        )
        if row is None or consent is None:
            raise errors.ConsentRequired(licenceNumber=licence_number)
        # Revoked or expired since it was attached (a pending one is still being imported).
        if (status := effective_status(row.status, row.valid_until)) not in ("valid", "pending"):
            raise errors.LicenceNoLongerValid(licenceNumber=licence_number, status=status)
        await repo.add_use(
            conn,
            consent_id=consent.id,
            citizen_id=citizen_id,
            licence_id=row.id,
            purpose=consent.purpose,
        )

    # --- department apps (trust transfer) ------------------------------------------------------

    async def for_department(
        self, conn: Connection, token: str | None, ip: str | None
    ) -> list[DepartmentLicence]:
        """The licences the citizen behind an exchanged token consented to this app using;
        each one returned is a use, logged for the holder."""
        if not token:
            raise errors.DepartmentTokenInvalid()
        try:
            audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
            if not isinstance(audience, str):
                raise errors.DepartmentTokenInvalid()
            claims = self._signing.verify(token, issuer=self._auth.issuer, audience=audience)
        except (jwt.InvalidTokenError, SigningTokenInvalid) as exc:
            raise errors.DepartmentTokenInvalid() from exc
        if (
            await self._identity.department_app_name(conn, audience) is None
            or claims.get("typ") == "citizen"
        ):
            raise errors.DepartmentTokenInvalid()
        result = []
        for r in await repo.department_consents(conn, audience, str(claims.get("sub"))):
            status = effective_status(r.status, r.valid_until, self._today())
            if status != "valid" or r.signed_data_enc is None or r.signature is None:
                continue
            await repo.add_use(
                conn,
                consent_id=r.id,
                citizen_id=r.citizen_id,
                licence_id=r.licence_id,
                purpose=r.purpose,
            )
            await audit.append(
                conn,
                actor_type="department_app",
                actor_id=audience,
                action="licence.used",
                target_type="licence",
                target_id=str(r.licence_id),
                details={"consent": str(r.id)},
                ip=ip,
            )
            data = self._pii.decrypt(r.signed_data_enc, field=SIGNED_DATA).encode("utf-8")
            result.append(
                DepartmentLicence(
                    consent_id=str(r.id),
                    licence_number=r.licence_number,
                    type_code=r.type_code,
                    name=r.licence_name,
                    issuer_code=r.issuer_code,
                    issuer_name=r.issuer_name,
                    valid_from=r.valid_from,
                    valid_until=r.valid_until,
                    status=status,  # type: ignore[arg-type]
                    signed_data=base64.b64encode(data).decode(),
                    signature=base64.b64encode(r.signature).decode(),
                    key_id=r.key_id,
                )
            )
        return result
