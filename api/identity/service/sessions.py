"""A citizen's sessions: refresh-token rotation (a spent token revokes its family), logout."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from api.identity import errors
from api.identity.repository import tokens as tokens_repo
from api.identity.schemas import TokenPair
from api.identity.service.base import IdentityBase, digest
from core import audit
from core.db import Connection
from core.principals import CitizenPrincipal


class Sessions(IdentityBase):
    async def refresh(self, conn: Connection, refresh_token: str) -> TokenPair:
        row = await tokens_repo.take_refresh(conn, digest(refresh_token))
        if row is None or row.family_revoked or row.expires_at < datetime.now(UTC):
            raise errors.RefreshTokenInvalid()
        if row.used_at is not None:
            # A spent token came back: it was stolen or replayed. Kill the whole family and
            # keep that decision even though the request fails.
            await tokens_repo.revoke_family(conn, row.family_id, "refresh_token_reuse")
            await self.revocations.revoke([str(row.family_id)])
            await audit.append(
                conn,
                actor_type="system",
                actor_id="identity",
                action="token.family_revoked",
                target_type="citizen",
                target_id=str(row.citizen_id),
                details={"reason": "refresh_token_reuse", "family": str(row.family_id)},
            )
            raise errors.RefreshTokenReused(keep_changes=True)
        await tokens_repo.mark_refresh_used(conn, digest(refresh_token))
        return await self._tokens(conn, row.citizen_id, row.family_id, row.method, row.acr)

    async def logout(self, conn: Connection, principal: CitizenPrincipal) -> None:
        await tokens_repo.revoke_family(conn, uuid.UUID(principal.family_id), "logout")
        await self.revocations.revoke([principal.family_id])

    async def logout_everywhere(self, conn: Connection, principal: CitizenPrincipal) -> int:
        families = await tokens_repo.revoke_families_of(conn, principal.citizen_id, "logout_all")
        await self.revocations.revoke(families)
        await audit.append(
            conn,
            actor_type="citizen",
            actor_id=str(principal.citizen_id),
            action="identity.logout_everywhere",
            details={"families": len(families)},
        )
        return len(families)
