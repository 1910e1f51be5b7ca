"""Who is calling: citizens (bearer access JWT) and staff (bearer session token).

Handlers declare what they need in their ``opt``: ``assurance_level`` (the minimum identity
assurance of the citizen's session) or ``staff_roles`` (the roles allowed).
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide

from api.identity import errors
from api.identity.service import AccessTokens, IdentityService
from api.identity.service.acting import STATE_KEY as ACTING_KEY
from api.identity.service.acting import ActingAs
from api.identity.service.tokens import STATE_KEY as TOKENS_KEY
from core import audit
from core.db import Connection, Pool
from core.errors import DomainError
from core.openapi import CITIZEN, OPTIONAL_CITIZEN, STAFF
from core.principals import (
    SCOPED,
    UNSCOPED,
    CitizenPrincipal,
    MandateItemsOnly,
    ProvinceWideOnly,
    StaffPrincipal,
)


def bearer_token(request: Request[Any, Any, Any]) -> str | None:
    # Read from the raw ASGI headers: building Litestar's Headers for one header costs more
    # than the rest of a cached token's check (on every authenticated request).
    header = b""
    for name, value in request.scope["headers"]:
        if name == b"authorization":
            header = value
            break
    scheme, _, token = header.decode("latin-1").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def client_ip(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def acting_as_header(request: Request[Any, Any, Any]) -> bytes | None:
    for name, value in request.scope["headers"]:
        if name == b"x-acting-as":
            return value
    return None


_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


async def provide_citizen(request: Request[Any, Any, Any]) -> CitizenPrincipal:
    """The request's only parameter: the access tokens are taken from the application's state
    rather than through a dependency of their own, whose resolution (a signature model parsed
    per request) would cost more than the cached token's check.

    ``X-Acting-As: <party id>`` makes the request the party's (docs/acting-as.md): only on
    routes whose ``opt`` says ``acting_as`` (deny by default: the person's own account,
    sessions and devices are never a company's), and only under a live authorisation, checked
    on every request."""
    token = bearer_token(request)
    if token is None:
        raise errors.TokenMissing()
    access_tokens: AccessTokens = request.app.state[TOKENS_KEY]
    principal = access_tokens.authenticate(token)
    opt = request.route_handler.opt
    required = int(opt.get("assurance_level", 0))
    if principal.acr < required:
        raise errors.AssuranceTooLow(requiredLevel=required, currentLevel=principal.acr)
    header = acting_as_header(request)
    if principal.actor_staff_id is not None:
        return await _assisted(request, principal, header)
    if header is None or not header.strip():
        return principal
    try:
        party_id = uuid.UUID(header.decode("latin-1").strip())
    except ValueError as exc:
        raise errors.ActingAsInvalid() from exc
    if party_id == principal.citizen_id:
        return principal
    if not opt.get("acting_as"):
        raise errors.ActingAsNotAllowed()
    acting: ActingAs = request.app.state[ACTING_KEY]
    principal = await acting.act(principal, party_id)
    _check_within_items(request, principal)
    if request.method in _UNSAFE:
        # Who did what for whom: every change made acting for another party is audited (reads
        # are not: they cost a write each; the mandate says who may read).
        await acting.record(
            principal,
            action=f"acting.{request.method.lower()}",
            route=request.scope.get("path_template", request.url.path),
            ip=client_ip(request),
        )
    return principal


def _check_within_items(request: Request[Any, Any, Any], principal: CitizenPrincipal) -> None:
    """A mandate limited to items (a family agent's, a company agent's, a 帮办 token's) reaches
    only the routes that keep their answer within those items (``ACTING_AS_WITHIN_ITEMS``):
    the wallet, the material library and the inbox are the party's whole, and stay closed to
    it. Refused before anything is read, written or audited."""
    if principal.items is not None and not request.route_handler.opt.get("within_items"):
        raise MandateItemsOnly()


async def _assisted(
    request: Request[Any, Any, Any], principal: CitizenPrincipal, header: bytes | None
) -> CitizenPrincipal:
    """A hall worker's 帮办 token acts for one citizen on the routes that act (deny by default:
    never the citizen's account, sessions, or authorisations), never for anyone else, and
    only while its mandate stands."""
    if not request.route_handler.opt.get("acting_as"):
        raise errors.ActingAsNotAllowed()
    if header is not None and header.strip():
        try:
            named = uuid.UUID(header.decode("latin-1").strip())
        except ValueError as exc:
            raise errors.ActingAsInvalid() from exc
        if named != principal.citizen_id:
            raise errors.ActingAsNotAllowed()
    acting: ActingAs = request.app.state[ACTING_KEY]
    await acting.assisted(principal)
    _check_within_items(request, principal)
    if request.method in _UNSAFE:
        await acting.record_assisted(
            principal,
            action=f"assist.{request.method.lower()}",
            route=request.scope.get("path_template", request.url.path),
            ip=client_ip(request),
        )
    return principal


async def provide_optional_citizen(request: Request[Any, Any, Any]) -> CitizenPrincipal | None:
    if bearer_token(request) is None:
        return None
    return await provide_citizen(request)


async def provide_staff(
    request: Request[Any, Any, Any],
    identity: NamedDependency[IdentityService],
    access_tokens: NamedDependency[AccessTokens],
    db_connection: NamedDependency[Connection],
    db_pool: NamedDependency[Pool],
) -> StaffPrincipal:
    token = bearer_token(request)
    if token is None:
        raise errors.TokenMissing()
    if token.count(".") == 2:
        # A JWT is a citizen's token (staff sessions are opaque): valid or not, not for here.
        try:
            access_tokens.authenticate(token)
        except DomainError as exc:
            raise errors.TokenInvalid() from exc
        raise errors.StaffOnly()
    roles = request.route_handler.opt.get("staff_roles")
    try:
        principal = await identity.staff_session(
            db_connection, token, frozenset(roles) if roles else None
        )
    except errors.SessionExpired as exc:
        if reason := exc.extra.get("reason"):
            # Recorded on a connection of its own: the request's transaction rolls back on the
            # error (it is raised while resolving the request's dependencies).
            async with db_pool.acquire() as own:
                await identity.end_staff_session(own, token, reason)
        raise
    if principal.departments is not None and request.route_handler.opt.get("departments") not in (
        SCOPED,
        UNSCOPED,
    ):
        # A department-scoped account only reaches routes that cut their answer by department
        # (or carry none): deny by default, so a new staff route is not an open door.
        raise ProvinceWideOnly()
    # Every staff action is audited, reads included (who looked at what).
    await audit.append(
        db_connection,
        actor_type="staff",
        actor_id=str(principal.staff_id),
        action=f"staff.{request.method.lower()}",
        target_type="route",
        target_id=request.scope.get("path_template", request.url.path),
        ip=client_ip(request),
    )
    return principal


def principal_dependencies() -> dict[str, Provide]:
    """Registered once at the application: a handler asks for ``citizen``, ``maybe_citizen``
    or ``staff`` by naming the parameter."""
    return {
        "citizen": Provide(provide_citizen),
        "maybe_citizen": Provide(provide_optional_citizen),
        "staff": Provide(provide_staff),
    }


# Which dependency authenticates whom: the OpenAPI documents 401/403 and the security scheme of
# every handler that depends on one of them (core.openapi.document_operations).
PRINCIPALS = {"citizen": CITIZEN, "maybe_citizen": OPTIONAL_CITIZEN, "staff": STAFF}
