"""Parties a person may act for (docs/acting-as.md): companies from the platform's
legal-person register, and later people who authorised them (委托代办). The per-request check
is ``acting.ActingAs``; this module keeps the mandates it reads true to the platform."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

import msgspec

from api.identity import errors
from api.identity.repository import for_domains as domains_repo
from api.identity.repository import parties as parties_repo
from api.identity.schemas import (
    ActingView,
    AgentsResponse,
    AgentView,
    GrantAgentRequest,
    PartiesResponse,
    PartyView,
)
from api.identity.service.base import ID_NUMBER, REAL_NAME, USCC, IdentityBase
from core import audit
from core.clients.provincial_legal import Authorisation, LegalRefused, RevocationEvent
from core.db import Connection
from core.errors import InvalidParameter, OutsideSystemError
from core.pii import mask_name, valid_id_number
from core.principals import CitizenPrincipal
from core.uscc import mask_uscc, valid_uscc
from core.webhooks import SignatureInvalid, verify_hmac_signature

log = logging.getLogger(__name__)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


class Parties(IdentityBase):
    # --- the person's side: whom may I act for ---

    async def parties(self, conn: Connection, principal: CitizenPrincipal) -> PartiesResponse:
        """The parties the signed-in person may act for, after asking the platform."""
        checked = await self.sync_authorisations(conn, principal.citizen_id)
        rows = await parties_repo.live_for_agent(conn, principal.citizen_id)
        own = await self.profile(conn, principal.citizen_id)
        parties = [
            PartyView(
                id=str(principal.citizen_id), kind="natural", name=own.name or "", role="self"
            )
        ]
        parties += [self._party_view(r) for r in rows]
        return PartiesResponse(parties=parties, platform_checked=checked)

    async def acting_view(self, conn: Connection, principal: CitizenPrincipal) -> ActingView:
        """Whom the request acts for (the party named by X-Acting-As, or the person)."""
        if not principal.acting:
            own = await self.profile(conn, principal.citizen_id)
            party = PartyView(
                id=str(principal.citizen_id), kind="natural", name=own.name or "", role="self"
            )
            return ActingView(party=party, actor_id=str(principal.citizen_id))
        rows = await parties_repo.live_for_agent(conn, principal.actor)
        row = next((r for r in rows if r.mandate_id == principal.mandate_id), None)
        if row is None:  # revoked between the check and here
            raise errors.MandateRevoked()
        return ActingView(party=self._party_view(row), actor_id=str(principal.actor))

    def _party_view(self, row: parties_repo.PartyRow) -> PartyView:
        if row.kind == "legal":
            name = row.legal_name or ""
            uscc = mask_uscc(self.pii.decrypt(row.uscc_enc, field=USCC)) if row.uscc_enc else None
        else:
            name = (
                mask_name(self.pii.decrypt(row.real_name_enc, field=REAL_NAME))
                if row.real_name_enc
                else ""
            )
            uscc = None
        return PartyView(
            id=str(row.party_id),
            kind="legal" if row.kind == "legal" else "natural",
            name=name,
            role=row.role,  # type: ignore[arg-type]
            uscc=uscc,
            legal_type=row.legal_type,
            mandate_id=str(row.mandate_id),
            items=row.items,
            valid_until=_iso(row.valid_until),
        )

    async def sync_authorisations(self, conn: Connection, person_id: uuid.UUID) -> bool:
        """The person's mandates from the platform made true to its authorisation list: new
        ones added, changed ones updated, revoked or vanished ones revoked here (and in every
        process). False when the platform could not be asked (nothing changes then)."""
        id_number = await self._id_number(conn, person_id)
        if id_number is None:
            return True  # no real name: the platform knows no authorisation of theirs
        try:
            listed = await self._legal.authorisations_of(id_number)
        except OutsideSystemError as exc:
            log.warning("legal-person register unavailable", extra={"reason": str(exc)})
            return False
        revoked: list[uuid.UUID] = []
        seen: set[str] = set()
        for auth in listed:
            if auth.agent_id_number.upper() != id_number.upper() or not valid_uscc(auth.uscc):
                continue
            seen.add(auth.id)
            revoked += await self._apply(conn, person_id, auth)
        vanished = [
            mandate_id
            for mandate_id, external in await parties_repo.platform_mandates_of_agent(
                conn, person_id
            )
            if external not in seen
        ]
        revoked += await parties_repo.revoke(conn, vanished, "revoked at the platform")
        if revoked:
            await self.acting.revoked(revoked)
        return True

    async def _apply(
        self, conn: Connection, person_id: uuid.UUID, auth: Authorisation
    ) -> list[uuid.UUID]:
        """One authorisation of the platform's list into our mandates; returns the mandates it
        revoked."""
        party_id = await parties_repo.upsert_company(
            conn,
            uscc_enc=self.pii.encrypt(auth.uscc, field=USCC),
            uscc_hash=self.pii.lookup_hash(auth.uscc, field=USCC),
            name=auth.company_name,
            legal_type=auth.company_type,
        )
        if self.company_licences is not None and auth.company_licences:
            await self.company_licences(conn, party_id, auth.company_licences)
        existing = await parties_repo.mandate_by_external(conn, auth.id)
        if auth.status == "revoked":
            if existing is None or existing.revoked_at is not None:
                return []
            return await parties_repo.revoke(conn, [existing.id], "revoked at the platform")
        if existing is not None and existing.revoked_at is None:
            if await parties_repo.update_platform_mandate(
                conn,
                existing.id,
                role=auth.role,
                items=auth.items,
                valid_from=auth.valid_from,
                valid_until=auth.valid_until,
            ):
                self.acting.forget(person_id, party_id)
            return []
        if existing is not None:
            return []  # revoked here (by the representative through us): stays revoked
        superseded: list[uuid.UUID] = []
        current = await parties_repo.mandate_for(conn, person_id, party_id)
        if current is not None and current.revoked_at is None:
            superseded = await parties_repo.revoke(conn, [current.id], "superseded")
        await parties_repo.insert_mandate(
            conn,
            principal_id=party_id,
            agent_id=person_id,
            role=auth.role,
            source="platform",
            items=auth.items,
            valid_from=auth.valid_from,
            valid_until=auth.valid_until,
            external_id=auth.id,
        )
        self.acting.forget(person_id, party_id)
        return superseded

    async def _id_number(self, conn: Connection, person_id: uuid.UUID) -> str | None:
        blob = await domains_repo.id_number_enc(conn, person_id)
        return self.pii.decrypt(blob, field=ID_NUMBER) if blob else None

    # --- the legal representative's side: the company's agents ---

    async def _represented(
        self, conn: Connection, principal: CitizenPrincipal, party_id: uuid.UUID
    ) -> parties_repo.CompanyRow:
        """The company, when the signed-in person is its legal representative now."""
        mandate = await parties_repo.mandate_for(conn, principal.citizen_id, party_id)
        now = datetime.now(UTC)
        if (
            mandate is None
            or mandate.revoked_at is not None
            or mandate.party_kind != "legal"
            or (mandate.valid_until is not None and mandate.valid_until <= now)
        ):
            raise errors.PartyNotFound()
        if mandate.role != "representative":
            raise errors.RepresentativeOnly()
        company = await parties_repo.company(conn, party_id)
        if company is None or company.uscc_enc is None:
            raise errors.PartyNotFound()
        return company

    async def agents(
        self, conn: Connection, principal: CitizenPrincipal, party_id: uuid.UUID
    ) -> AgentsResponse:
        await self._represented(conn, principal, party_id)
        rows = await parties_repo.agents_of(conn, party_id)
        return AgentsResponse(agents=[self._agent_view(r) for r in rows])

    def _agent_view(self, row: parties_repo.AgentRow) -> AgentView:
        return AgentView(
            mandate_id=str(row.mandate_id),
            name=mask_name(self.pii.decrypt(row.real_name_enc, field=REAL_NAME))
            if row.real_name_enc
            else None,
            role=row.role,
            source=row.source,
            items=row.items,
            valid_from=_iso(row.valid_from) or "",
            valid_until=_iso(row.valid_until),
            revoked_at=_iso(row.revoked_at),
        )

    async def grant_agent(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        party_id: uuid.UUID,
        body: GrantAgentRequest,
    ) -> AgentView:
        """The representative authorises an agent at the platform (the record); the mandate
        is ours at once when the agent has an account here, else at their first listing."""
        company = await self._represented(conn, principal, party_id)
        if not valid_id_number(body.agent_id_number):
            raise InvalidParameter(field="agentIdNumber")
        valid_until = None
        if body.valid_until is not None:
            try:
                valid_until = datetime.fromisoformat(body.valid_until)
            except ValueError as exc:
                raise InvalidParameter(field="validUntil") from exc
            if valid_until.tzinfo is None or valid_until <= datetime.now(UTC):
                raise InvalidParameter(field="validUntil")
        grantor = await self._id_number(conn, principal.citizen_id)
        assert company.uscc_enc is not None
        uscc = self.pii.decrypt(company.uscc_enc, field=USCC)
        if grantor is None:
            raise errors.RealNameRequired()
        try:
            auth = await self._legal.authorise(
                uscc,
                grantor_id_number=grantor,
                agent_id_number=body.agent_id_number.upper(),
                agent_name=body.agent_name,
                items=body.items,
                valid_until=valid_until,
            )
        except LegalRefused as exc:
            if exc.code == "NOT_REPRESENTATIVE":
                raise errors.RepresentativeOnly() from exc
            raise errors.AgentRejected() from exc
        agent = await parties_repo.person_by_id_hash(
            conn, self.pii.lookup_hash(body.agent_id_number.upper(), field=ID_NUMBER)
        )
        await audit.append(
            conn,
            actor_type="citizen",
            actor_id=str(principal.citizen_id),
            action="party.agent_granted",
            target_type="party",
            target_id=str(party_id),
            details={"authorisation": auth.id, "items": auth.items or []},
        )
        if agent is None:
            return AgentView(
                mandate_id=auth.id,
                name=mask_name(body.agent_name),
                role=auth.role,
                source="platform",
                items=auth.items,
                valid_from=_iso(auth.valid_from) or "",
                valid_until=_iso(auth.valid_until),
                linked=False,
            )
        await self._apply(conn, agent, auth)
        rows = await parties_repo.agents_of(conn, party_id)
        return self._agent_view(next(r for r in rows if r.agent_id == agent and not r.revoked_at))

    async def revoke_agent(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        party_id: uuid.UUID,
        mandate_id: uuid.UUID,
    ) -> AgentView:
        """Revoked at the platform, then here; every process refuses the agent's next
        request as the company before this answers."""
        await self._represented(conn, principal, party_id)
        row = next(
            (r for r in await parties_repo.agents_of(conn, party_id) if r.mandate_id == mandate_id),
            None,
        )
        if row is None or row.role == "representative":
            raise errors.MandateNotFound()
        if row.revoked_at is None:
            grantor = await self._id_number(conn, principal.citizen_id)
            if row.external_id is not None and grantor is not None:
                try:
                    await self._legal.revoke(
                        row.external_id, grantor_id_number=grantor, reason="法定代表人撤销授权"
                    )
                except LegalRefused as exc:
                    log.warning("platform refused a revocation", extra={"code": exc.code})
            revoked = await parties_repo.revoke(conn, [mandate_id], "revoked by the representative")
            await self.acting.revoked(revoked)
            await audit.append(
                conn,
                actor_type="citizen",
                actor_id=str(principal.citizen_id),
                action="party.agent_revoked",
                target_type="party",
                target_id=str(party_id),
                details={"mandate": str(mandate_id)},
            )
        rows = await parties_repo.agents_of(conn, party_id)
        return self._agent_view(next(r for r in rows if r.mandate_id == mandate_id))

    # --- the platform's word: a revocation made at its own portal ---

    async def platform_revoked(
        self, conn: Connection, headers: Mapping[str, str], body: bytes
    ) -> bool:
        """A signed revocation from the platform: the mandate revoked here and in every process
        before this answers (so the agent's next request is refused). Idempotent: a repeated
        event finds it revoked already. Returns whether it revoked something."""
        try:
            verify_hmac_signature(
                secret=self._legal.callback_secret,
                timestamp=headers.get("x-gov-timestamp"),
                body=body,
                signature=headers.get("x-gov-signature"),
            )
            event = msgspec.json.decode(body, type=RevocationEvent)
        except (SignatureInvalid, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.warning("legal-person callback rejected", extra={"reason": str(exc)})
            raise errors.LegalCallbackRejected() from exc
        mandate = await parties_repo.mandate_by_external(conn, event.authorisation_id)
        if mandate is None or mandate.revoked_at is not None:
            return False
        revoked = await parties_repo.revoke(conn, [mandate.id], "revoked at the platform")
        await self.acting.revoked(revoked)
        await audit.append(
            conn,
            actor_type="platform",
            actor_id="provincial",
            action="party.mandate_revoked",
            target_type="party",
            target_id=str(mandate.principal_id),
            details={"mandate": str(mandate.id), "event": event.event_id},
        )
        return bool(revoked)

    # --- for other domains ---

    async def current_agents(self, conn: Connection, party_id: uuid.UUID) -> list[uuid.UUID]:
        """Who may act for the party now (a company's messages reach each of them)."""
        return await parties_repo.current_agents(conn, party_id)

    async def party_kind(self, conn: Connection, party_id: uuid.UUID) -> str:
        return "legal" if await parties_repo.company(conn, party_id) is not None else "natural"


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    return await parties_repo.absorb_agent(conn, source, target)
