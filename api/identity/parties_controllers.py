"""HTTP of parties (docs/acting-as.md): whom I may act for, whom this request acts for, and a
legal representative's agents. Send a party's id as ``X-Acting-As`` on any route that acts."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK

from api.identity.schemas import (
    ActingView,
    AgentsResponse,
    AgentView,
    GrantAgentRequest,
    PartiesResponse,
)
from api.identity.service import IdentityService
from core.db import Connection
from core.openapi import problem_responses
from core.principals import ACTING_AS_WITHIN_ITEMS, CitizenPrincipal


class PartyController(Controller):
    path = "/api/v1/parties"
    tags = ["parties 办理主体"]  # noqa: RUF012

    @get(
        "",
        responses=problem_responses(401),
        summary="The parties I may act for (me, my companies), read from the platform",
    )
    async def parties(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> PartiesResponse:
        return await identity.parties(db_connection, citizen)

    @get(
        "/current",
        # The mandate itself (whom, who, which items): nothing of the party's resources.
        opt=ACTING_AS_WITHIN_ITEMS,
        responses=problem_responses(400, 401, 403),
        summary="Whom this request acts for (X-Acting-As) and who acts",
    )
    async def current(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> ActingView:
        return await identity.acting_view(db_connection, citizen)

    @get(
        "/{party_id:uuid}/agents",
        responses=problem_responses(401, 403, 404),
        summary="The company's agents (its legal representative only)",
    )
    async def agents(
        self,
        party_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> AgentsResponse:
        return await identity.agents(db_connection, citizen, party_id)

    @post(
        "/{party_id:uuid}/agents",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 403, 404, 422, 503),
        summary="Authorise an agent (经办人) for the company, at the platform",
    )
    async def grant(
        self,
        party_id: FromPath[uuid.UUID],
        data: JSONBody[GrantAgentRequest],
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> AgentView:
        return await identity.grant_agent(db_connection, citizen, party_id, data)

    @delete(
        "/{party_id:uuid}/agents/{mandate_id:uuid}",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 403, 404, 503),
        summary="Revoke an agent: their next request as the company is refused",
    )
    async def revoke(
        self,
        party_id: FromPath[uuid.UUID],
        mandate_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> AgentView:
        return await identity.revoke_agent(db_connection, citizen, party_id, mandate_id)


class LegalPersonHookController(Controller):
    """The platform's signed word that an authorisation was revoked at its own portal."""

    path = "/api/v1/hooks/provincial/legal"
    tags = ["platform hooks"]  # noqa: RUF012

    @post("", status_code=HTTP_200_OK, responses=problem_responses(401))
    async def revoked(
        self,
        request: Request[Any, Any, Any],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> dict[str, str]:
        headers = {k.lower(): v for k, v in request.headers.items()}
        done = await identity.platform_revoked(db_connection, headers, await request.body())
        return {"status": "revoked" if done else "unchanged"}
