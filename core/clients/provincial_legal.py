"""Client of the platform's legal-person register (法人库): companies, their legal
representative and the agents (经办人) they authorised, with scopes and expiry.

The platform is the system of record of who may act for a company: we ask it which companies
a person may act for, and a representative's grants and revocations go through it.

- ``POST /gov/legal/v1/authorisations/query {idNumber}``: the person's authorisations (as
  representative or agent), revoked ones included;
- ``POST /gov/legal/v1/companies/{uscc}/authorisations {grantorIdNumber, agentIdNumber,
  agentName, items, validUntil}``: the representative authorises an agent (201);
- ``POST /gov/legal/v1/authorisations/{id}/revoke {grantorIdNumber, reason}``.

Refusals are ``{code, message}`` with 400/403/404 (decoded, never retried).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import quote

import aiohttp
import msgspec

from core.clients.provincial import _PlatformApi
from core.settings import HttpClientSettings, ProvincialSettings


class _Wire(msgspec.Struct, rename="camel", kw_only=True):
    pass


class CompanyLicence(_Wire, kw_only=True):
    licence_number: str
    type_code: str
    type_name: str
    issued_at: datetime


class Authorisation(_Wire, kw_only=True):
    id: str
    uscc: str
    company_name: str
    company_type: str = ""
    role: Literal["representative", "agent"]
    agent_id_number: str
    agent_name: str = ""
    company_licences: list[CompanyLicence] = []
    items: list[str] | None = None
    valid_from: datetime
    valid_until: datetime | None = None
    status: Literal["active", "revoked"] = "active"
    revoked_at: datetime | None = None


class Authorisations(_Wire, kw_only=True):
    authorisations: list[Authorisation] = []


class _Answer(_Wire, kw_only=True):
    """An authorisation, or the platform's refusal (``code``)."""

    code: str = ""
    message: str = ""
    authorisation: Authorisation | None = None


class LegalRefused(Exception):
    def __init__(self, status_code: str, message: str) -> None:
        super().__init__(f"{status_code}: {message}")
        self.code = status_code


_REFUSALS = frozenset({400, 403, 404, 409})


class RevocationEvent(_Wire, kw_only=True):
    """The platform's signed callback when an authorisation is revoked at its own portal."""

    event_id: str
    type: Literal["authorisation.revoked"]
    authorisation_id: str
    uscc: str = ""
    occurred_at: str | None = None


class ProvincialLegalClient(_PlatformApi):
    system = "provincial_legal"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ProvincialSettings,
        http_settings: HttpClientSettings,
    ) -> None:
        super().__init__(session, settings, http_settings)
        self.callback_secret = settings.callback_secret.reveal()
        # Revocations made at the platform's portal come to the hook beside the case hook
        # (``…/hooks/provincial/cases`` → ``…/hooks/provincial/legal``).
        base = settings.callback_url.rstrip("/")
        self.callback_url = base.rsplit("/", 1)[0] + "/legal" if base else None

    async def authorisations_of(self, id_number: str) -> list[Authorisation]:
        """Every authorisation naming this person (a query by POST: the ID number stays out
        of URLs and access logs), the platform told where to send their revocations.
        Read-only, so retried."""
        found = await self._call(
            "POST",
            "authorisations_query",
            "/gov/legal/v1/authorisations/query",
            Authorisations,
            json={"idNumber": id_number, "callbackUrl": self.callback_url},
            retry=True,
        )
        return found.authorisations

    async def authorise(
        self,
        uscc: str,
        *,
        grantor_id_number: str,
        agent_id_number: str,
        agent_name: str,
        items: list[str] | None,
        valid_until: datetime | None,
    ) -> Authorisation:
        answer = await self._call(
            "POST",
            "authorise",
            f"/gov/legal/v1/companies/{quote(uscc, safe='')}/authorisations",
            _Answer,
            json={
                "grantorIdNumber": grantor_id_number,
                "agentIdNumber": agent_id_number,
                "agentName": agent_name,
                "items": items,
                "validUntil": valid_until.isoformat() if valid_until else None,
            },
            error_statuses=_REFUSALS,
        )
        if answer.authorisation is None:
            raise LegalRefused(answer.code, answer.message)
        return answer.authorisation

    async def revoke(self, authorisation_id: str, *, grantor_id_number: str, reason: str) -> None:
        answer = await self._call(
            "POST",
            "revoke",
            f"/gov/legal/v1/authorisations/{quote(authorisation_id, safe='')}/revoke",
            _Answer,
            json={"grantorIdNumber": grantor_id_number, "reason": reason},
            error_statuses=_REFUSALS,
            retry=True,  # revoking twice is revoking once
        )
        if answer.authorisation is None:
            raise LegalRefused(answer.code, answer.message)
