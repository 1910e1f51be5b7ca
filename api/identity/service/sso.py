"""Real name through the platform's unified identity (OAuth 2.0 + PKCE + OIDC): a sign-in, or
a binding of the signed-in account; either joins every account of the person."""

from __future__ import annotations

import logging
import secrets
from typing import Literal

import msgspec

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.schemas import SsoStartResponse, TokenPair
from api.identity.service.base import ID_NUMBER, PHONE, REAL_NAME, REAL_NAME_LEVEL, as_bytes
from api.identity.service.merge import AccountMerge
from core import audit
from core.clients.provincial_identity import IdTokenInvalid, SsoGrantRejected, pkce_pair
from core.db import Connection
from core.pii import valid_id_number
from core.principals import CitizenPrincipal

log = logging.getLogger(__name__)


class _SsoState(msgspec.Struct):
    verifier: str
    nonce: str
    purpose: Literal["login", "bind"]
    citizen_id: str | None


class RealNameSso(AccountMerge):
    async def sso_start(
        self, purpose: Literal["login", "bind"], principal: CitizenPrincipal | None
    ) -> SsoStartResponse:
        if purpose == "bind" and principal is None:
            raise errors.TokenMissing()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        record = _SsoState(
            verifier=verifier,
            nonce=nonce,
            purpose=purpose,
            # A login started while signed in (the app, by SMS) is that account's too.
            citizen_id=str(principal.citizen_id) if principal else None,
        )
        await self._redis.set(
            f"sso:state:{state}", msgspec.msgpack.encode(record), ex=self.settings.sso_state_ttl_s
        )
        return SsoStartResponse(
            authorize_url=self._sso.authorize_url(
                state=state, nonce=nonce, code_challenge=challenge
            ),
            state=state,
            expires_in=self.settings.sso_state_ttl_s,
        )

    async def sso_complete(
        self, conn: Connection, code: str, state: str, principal: CitizenPrincipal | None
    ) -> TokenPair:
        # GETDEL: a state is good for one completion, whatever its outcome.
        raw = await self._redis.getdel(f"sso:state:{state}")
        if raw is None:
            raise errors.SsoStateInvalid()
        record = msgspec.msgpack.decode(as_bytes(raw), type=_SsoState)
        if record.purpose == "bind" and (
            principal is None or str(principal.citizen_id) != record.citizen_id
        ):
            raise errors.SsoStateInvalid()
        try:
            tokens = await self._sso.exchange_code(code, record.verifier)
            claims = await self._sso.verify_id_token(tokens.id_token, nonce=record.nonce)
        except (SsoGrantRejected, IdTokenInvalid) as exc:
            log.warning("sso rejected", extra={"reason": str(exc)})
            raise errors.SsoRejected() from exc
        info = await self._sso.userinfo(tokens.access_token)
        if info.sub != claims.get("sub") or not valid_id_number(info.id_number):
            raise errors.SsoRejected()
        id_hash = self.pii.lookup_hash(info.id_number, field=ID_NUMBER)
        # The signed-in account that started this (always for a binding; for a login only when
        # the same session completes it).
        session = (
            principal.citizen_id
            if principal and record.citizen_id == str(principal.citizen_id)
            else None
        )
        # A phone counts only when the platform verified it (level 2 and up).
        phone_hash = (
            self.pii.lookup_hash(info.phone, field=PHONE)
            if info.phone and info.assurance_level >= REAL_NAME_LEVEL
            else None
        )
        joined = await self._join(
            conn, id_hash=id_hash, session=session, phone_hash=phone_hash, via=record.purpose
        )
        citizen_id = joined if joined is not None else await citizens_repo.create_citizen(conn)
        await citizens_repo.lock_citizen(conn, citizen_id)
        await citizens_repo.set_real_name(
            conn,
            citizen_id,
            real_name_enc=self.pii.encrypt(info.name, field=REAL_NAME),
            id_number_enc=self.pii.encrypt(info.id_number, field=ID_NUMBER),
            id_number_hash=id_hash,
            assurance_level=info.assurance_level,
            platform_subject=info.sub,
            region_code=info.id_number[:6],
        )
        if info.phone:
            await citizens_repo.set_phone(
                conn,
                citizen_id,
                self.pii.encrypt(info.phone, field=PHONE),
                self.pii.lookup_hash(info.phone, field=PHONE),
            )
        await audit.append(
            conn,
            actor_type="citizen",
            actor_id=str(citizen_id),
            action=f"identity.sso_{record.purpose}",
            target_type="citizen",
            target_id=str(citizen_id),
            details={"assuranceLevel": info.assurance_level},
        )
        # A binding upgrades the session it came from: a mini-program session stays a WeChat
        # one (the channel of what the citizen does next, e.g. ratings, follows it).
        method = principal.method if record.purpose == "bind" and principal else "sso"
        return await self._issue(conn, citizen_id, method, info.assurance_level)
