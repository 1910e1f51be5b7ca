"""HTTP of 委托代办 (a citizen authorises, lists, revokes, reads the log) and 帮办 (a hall
worker starts an assisted application, the citizen's SMS code confirms it, the worker ends it)."""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.guards import client_ip
from api.proxies.schemas import (
    AssistGranted,
    AssistRequests,
    AssistStarted,
    ConfirmAssist,
    GrantProxy,
    ProxyGrant,
    ProxyGrants,
    ProxyLog,
    StartAssist,
)
from api.proxies.service import ProxiesService
from core.db import Connection
from core.openapi import link, problem_responses
from core.principals import OPERATORS, UNSCOPED, CitizenPrincipal, StaffPrincipal

# Authorising someone is done with a real-named session: the principal's identity is what the
# agent will act under.
REAL_NAME = {"assurance_level": 2}
_ONE = "/api/v1/proxies/{mandate_id}"
# The worker's own assistance carries no department's data (any hall's worker may assist).
WINDOW = {"staff_roles": list(OPERATORS), "departments": UNSCOPED}


class ProxyController(Controller):
    path = "/api/v1/proxies"
    tags = ["proxies 委托代办"]  # noqa: RUF012 - Litestar reads a list

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 403, 422, 429),
        summary="Authorise a person to act for me (items, window); they and I are told",
        opt={
            **REAL_NAME,
            "links": {
                "revoke": link("DELETE", _ONE, parameters={"mandate_id": "$response.body#/id"}),
                "log": link("GET", _ONE + "/log", parameters={"mandate_id": "$response.body#/id"}),
            },
        },
    )
    async def grant(
        self,
        data: JSONBody[GrantProxy],
        citizen: NamedDependency[CitizenPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> ProxyGrant:
        return await proxies.grant(db_connection, citizen, data)

    @get("", responses=problem_responses(401, 403), summary="Who acts (or acted) for me")
    async def granted(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> ProxyGrants:
        return await proxies.granted(db_connection, citizen)

    @delete(
        "/{mandate_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 403, 404),
        summary="Revoke an authorisation: the agent's next request is refused",
    )
    async def revoke(
        self,
        mandate_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await proxies.revoke(db_connection, citizen, mandate_id)

    @get(
        "/log",
        responses=problem_responses(401, 403),
        summary="The consent log: every grant, confirmation, step and revocation in my name",
    )
    async def log(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> ProxyLog:
        return await proxies.log(db_connection, citizen, None)

    @get("/{mandate_id:uuid}/log", responses=problem_responses(401, 403, 404))
    async def log_of(
        self,
        mandate_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> ProxyLog:
        return await proxies.log(db_connection, citizen, mandate_id)


class AssistController(Controller):
    """帮办 at the window: the hall worker's side."""

    path = "/ops/v1/assist"
    tags = ["ops 运营"]  # noqa: RUF012

    @post(
        "/requests",
        status_code=HTTP_200_OK,
        opt=WINDOW,
        responses=problem_responses(400, 401, 403, 409, 422, 429, 503),
        summary="Start 帮办 for the citizen at the window: a code goes to their phone",
    )
    async def start(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[StartAssist],
        staff: NamedDependency[StaffPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> AssistStarted:
        return await proxies.start_assist(db_connection, staff, data, client_ip(request))

    @get("/requests", opt=WINDOW, responses=problem_responses(401, 403))
    async def mine(
        self,
        staff: NamedDependency[StaffPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> AssistRequests:
        return await proxies.assists(db_connection, staff)

    @post(
        "/requests/{request_id:uuid}/confirm",
        status_code=HTTP_200_OK,
        opt=WINDOW,
        responses=problem_responses(400, 401, 403, 404, 409, 422),
        summary="The code the citizen read out: 帮办 may begin (a token acting for them)",
    )
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        request_id: FromPath[uuid.UUID],
        data: JSONBody[ConfirmAssist],
        staff: NamedDependency[StaffPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> AssistGranted:
        return await proxies.confirm_assist(
            db_connection, staff, request_id, data.code, client_ip(request)
        )

    @post(
        "/requests/{request_id:uuid}/end",
        status_code=HTTP_204_NO_CONTENT,
        opt=WINDOW,
        responses=problem_responses(401, 403, 404, 409),
        summary="End 帮办: the mandate and its token stop at once",
    )
    async def end(
        self,
        request: Request[Any, Any, Any],
        request_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        proxies: NamedDependency[ProxiesService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await proxies.end_assist(db_connection, staff, request_id, client_ip(request))
