"""Trust transfer to department apps (RFC 8693 token exchange): a one-time ticket the citizen's
session issues, traded by the app, server to server, for a token with the claims its scopes
allow."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import msgspec

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.repository import department_apps as apps_repo
from api.identity.schemas import TicketResponse, TokenExchangeResponse
from api.identity.service.base import ID_NUMBER, PHONE, REAL_NAME, IdentityBase, as_bytes, digest
from core import audit, passwords
from core.db import Connection
from core.principals import CitizenPrincipal

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TICKET_TOKEN_TYPE = "urn:handheld:params:oauth:token-type:ticket"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
SCOPE_CLAIMS = {"openid": "sub", "profile": "name", "idcard": "id_number", "phone": "phone_number"}


class _Ticket(msgspec.Struct):
    citizen_id: str
    client_id: str
    acr: int


class DepartmentApps(IdentityBase):
    async def issue_ticket(
        self, conn: Connection, principal: CitizenPrincipal, client_id: str
    ) -> TicketResponse:
        app = await apps_repo.get_department_app(conn, client_id)
        if app is None or not app.active:
            raise errors.DepartmentAppUnknown()
        ticket = secrets.token_urlsafe(32)
        record = _Ticket(
            citizen_id=str(principal.citizen_id), client_id=client_id, acr=principal.acr
        )
        await self._redis.set(
            "trust:ticket:" + digest(ticket).hex(),
            msgspec.msgpack.encode(record),
            ex=self.settings.ticket_ttl_s,
        )
        return TicketResponse(ticket=ticket, expires_in=self.settings.ticket_ttl_s)

    async def exchange_ticket(
        self,
        conn: Connection,
        *,
        client_id: str,
        client_secret: str,
        grant_type: str,
        subject_token: str,
        subject_token_type: str,
        ip: str | None,
    ) -> TokenExchangeResponse:
        app = await apps_repo.get_department_app(conn, client_id)
        secret_ok = (
            passwords.verify_password(app.secret_hash, client_secret)
            if app
            else passwords.dummy_verify(client_secret)
        )
        if app is None or not app.active or not secret_ok:
            raise errors.ClientInvalid()
        if grant_type != TOKEN_EXCHANGE or subject_token_type != TICKET_TOKEN_TYPE:
            raise errors.UnsupportedGrant()
        raw = await self._redis.getdel("trust:ticket:" + digest(subject_token).hex())
        ticket = msgspec.msgpack.decode(as_bytes(raw), type=_Ticket) if raw else None
        if ticket is None or ticket.client_id != client_id:
            raise errors.TicketInvalid()
        citizen_id = uuid.UUID(ticket.citizen_id)
        claims = await self._claims_for(conn, citizen_id, client_id, app.scopes)
        claims["acr"] = ticket.acr
        token = self.signing.issue(
            claims,
            ttl_s=self.settings.exchanged_token_ttl_s,
            issuer=self.settings.issuer,
            audience=client_id,
        )
        await audit.append(
            conn,
            actor_type="department_app",
            actor_id=client_id,
            action="trust.ticket_exchanged",
            target_type="citizen",
            target_id=str(citizen_id),
            details={"scopes": app.scopes},
            ip=ip,
        )
        return TokenExchangeResponse(
            access_token=token,
            issued_token_type=JWT_TOKEN_TYPE,
            token_type="N_A",
            expires_in=self.settings.exchanged_token_ttl_s,
            scope=" ".join(app.scopes),
        )

    async def _claims_for(
        self, conn: Connection, citizen_id: uuid.UUID, client_id: str, scopes: list[str]
    ) -> dict[str, Any]:
        row = await citizens_repo.get_citizen(conn, citizen_id)
        if row is None:
            raise errors.TicketInvalid()
        # Pairwise subject (OIDC Core §8.1): two department apps cannot correlate a citizen.
        claims: dict[str, Any] = {
            "sub": self.pii.lookup_hash(str(citizen_id), field=f"pairwise:{client_id}").hex()
        }
        if "profile" in scopes and row.real_name_enc:
            claims["name"] = self.pii.decrypt(row.real_name_enc, field=REAL_NAME)
        if "idcard" in scopes and row.id_number_enc:
            claims["id_number"] = self.pii.decrypt(row.id_number_enc, field=ID_NUMBER)
        if "phone" in scopes and row.phone_enc:
            claims["phone_number"] = self.pii.decrypt(row.phone_enc, field=PHONE)
        return claims

    async def register_department_app(
        self, conn: Connection, *, client_id: str, name: str, secret: str, scopes: list[str]
    ) -> None:
        """Add or update a department app (seeding; the secret is stored hashed)."""
        await apps_repo.upsert_department_app(
            conn, client_id, name, passwords.hash_password(secret), scopes
        )
