"""HTTP of the e-licence wallet: the holder's routes, the verifier's, the department apps'."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Annotated, Any, cast
from urllib.parse import unquote

import msgspec
from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.response import Response, Stream
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT
from litestar.types import ASGIApp, Receive, Scope, Send

from api.guards import bearer_token, client_ip
from api.identity.service import AccessTokens
from api.licences import errors
from api.licences.schemas import (
    ConsentEntry,
    DepartmentLicence,
    DisplayCode,
    DisplayKey,
    GrantConsent,
    LicenceDetail,
    LicenceSummary,
    UseEntry,
    VerificationEntry,
    VerificationResult,
    VerifyRequest,
)
from api.licences.service import QR_PATH, LicencesService
from core import i18n
from core.db import Connection
from core.downloads import attachment_headers
from core.openapi import link, problem_responses
from core.principals import ACTING_AS, CitizenPrincipal

_Req = Request[Any, Any, Any]


def _locale(request: _Req) -> str:
    return i18n.negotiate(request.headers.get("accept-language"))


_LICENCE = "/api/v1/licences/{licence_id}"
_LICENCE_LINKS = {
    name: link(method, _LICENCE + tail, parameters={"licence_id": "$response.body#/0/id"})
    for name, method, tail in [
        ("read", "GET", ""),
        ("file", "GET", "/file"),
        ("display", "POST", "/display"),
        ("verifications", "GET", "/verifications"),
    ]
}


class LicenceController(Controller):
    path = "/api/v1/licences"
    # A party's resources take X-Acting-As. The wallet is the holder's whole: closed to a
    # mandate limited to items, which attaches a licence through a declaration of a covered
    # item (its materials' ``licenceSuggestions``; docs/acting-as.md).
    opt = ACTING_AS
    tags = ["licences 电子证照"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "",
        responses=problem_responses(401),
        summary="My e-licence wallet",
        opt={"links": _LICENCE_LINKS},
    )
    async def wallet(
        self,
        request: _Req,
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> list[LicenceSummary]:
        return await licences.wallet(db_connection, citizen, _locale(request))

    @get(
        "/display-key",
        summary="Public SM2 key that signs display codes (verify offline)",
        responses=problem_responses(503),
    )
    async def display_key(self, licences: NamedDependency[LicencesService]) -> DisplayKey:
        return licences.published_key()

    @get("/uses", responses=problem_responses(401), summary="Who used my licences, and when")
    async def uses(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> list[UseEntry]:
        return await licences.uses(db_connection, citizen)

    @get("/consents", responses=problem_responses(401), summary="My consents to use licences")
    async def consents(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> list[ConsentEntry]:
        return await licences.consents(db_connection, citizen)

    @post(
        "/consents",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 404, 409, 422),
        summary="Let a department app use one of my licences (授权用证)",
    )
    async def grant(
        self,
        data: JSONBody[GrantConsent],
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> ConsentEntry:
        try:
            licence_id = uuid.UUID(data.licence_id)
        except ValueError as exc:
            raise errors.LicenceNotFound() from exc
        return await licences.grant(
            db_connection, citizen, licence_id, data.client_id, data.purpose, data.days
        )

    @delete(
        "/consents/{consent_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 404),
        summary="Revoke a consent",
    )
    async def revoke(
        self,
        consent_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await licences.revoke(db_connection, citizen, consent_id)

    @get("/{licence_id:uuid}", responses=problem_responses(401, 404), summary="One licence")
    async def detail(
        self,
        request: _Req,
        licence_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> LicenceDetail:
        return await licences.detail(db_connection, citizen, licence_id, _locale(request))

    @get(
        "/{licence_id:uuid}/file",
        responses=problem_responses(401, 404, 409),
        summary="The licence file (PDF or OFD), for its holder only",
    )
    async def file(
        self,
        request: _Req,
        licence_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> Stream:
        stream, media, name = await licences.file(
            db_connection, citizen, licence_id, client_ip(request)
        )
        return Stream(
            stream,
            media_type=media,
            headers={**attachment_headers(name), "Cache-Control": "no-store"},
        )

    @get(
        "/display-qr.svg",
        media_type="image/svg+xml",
        responses=problem_responses(400, 404, 409, 410, 503),
        summary="The QR symbol of a display code (no login needed: the code is the secret; a "
        "signed-in citizen who is not its holder gets 404); only while the code and its "
        "licence are valid",
    )
    async def display_qr(
        self,
        licences: NamedDependency[LicencesService],
        maybe_citizen: NamedDependency[CitizenPrincipal | None],
        code: Annotated[str, QueryParameter(min_length=1, max_length=1024)],
    ) -> Response[bytes]:
        svg, seconds_left = await licences.qr(code, maybe_citizen)
        return Response(svg, media_type="image/svg+xml", headers=_qr_headers(seconds_left))

    @post(
        "/{licence_id:uuid}/display",
        status_code=HTTP_200_OK,
        responses=problem_responses(401, 404, 409, 503),
        summary="亮证: a short-lived signed code, and where its QR symbol is drawn",
    )
    async def show(
        self,
        licence_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
    ) -> DisplayCode:
        return await licences.show(citizen, licence_id)

    @get(
        "/{licence_id:uuid}/verifications",
        responses=problem_responses(401, 404),
        summary="Who checked my displayed licence, and when",
    )
    async def verifications(
        self,
        licence_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> list[VerificationEntry]:
        return await licences.verifications(db_connection, citizen, licence_id)


def _qr_headers(seconds_left: int) -> dict[str, str]:
    return {
        # A code's symbol never changes: kept by the holder's client while the code lives.
        "Cache-Control": f"private, max-age={seconds_left}, immutable",
        "Content-Security-Policy": "default-src 'none'",
        "Referrer-Policy": "no-referrer",
    }


def serve_drawn_qr(app: ASGIApp, licences: Callable[[], LicencesService | None]) -> ASGIApp:
    """A symbol already drawn, asked for without a token (the mini-program's ``<image>``),
    answered before routing: ``LicencesService.drawn_qr`` makes the same checks as the
    handler's cache hit, and anything else (not drawn, expired, a token to check, a licence
    possibly revoked) goes to the handler, which answers or refuses it."""
    path = QR_PATH
    content_type = (b"content-type", b"image/svg+xml")

    async def fast(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["path"] == path
            and scope["method"] == "GET"
            and (query := scope["query_string"]).startswith(b"code=")
            and b"&" not in query
            and not any(name == b"authorization" for name, _ in scope["headers"])
            and (service := licences()) is not None
            and (hit := service.drawn_qr(unquote(query[5:].decode("latin-1")))) is not None
        ):
            svg, seconds_left = hit
            scope["path_template"] = path  # for the request metrics
            headers = [
                (k.lower().encode(), v.encode()) for k, v in _qr_headers(seconds_left).items()
            ]
            headers += [content_type, (b"content-length", str(len(svg)).encode())]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": svg, "more_body": False})
            return
        await app(cast("Scope", scope), receive, send)

    return cast("ASGIApp", fast)


_DISPLAY_PATH = re.compile(
    r"/api/v1/licences/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/display",
    re.IGNORECASE,
)
_DISPLAY_TEMPLATE = "/api/v1/licences/{licence_id:uuid}/display"
_DISPLAY_HEADERS = [
    (b"content-type", b"application/json"),
    # What core.edge sets on a signed-in request's personal answer.
    (b"cache-control", b"private, no-store"),
    (b"pragma", b"no-cache"),
]
_encode = msgspec.json.Encoder().encode


def serve_display(
    app: ASGIApp,
    licences: Callable[[], LicencesService | None],
    tokens: Callable[[], AccessTokens | None],
) -> ASGIApp:
    """亮证 answered before routing when nothing is unusual: a bodiless POST with a bearer
    token to ``/api/v1/licences/{uuid}/display``, for oneself (``X-Acting-As`` and a 帮办 token
    are left to the guard: the mandate, its window, revocation and items). The token is
    checked as ``provide_citizen`` checks it and ``LicencesService.show`` does the rest
    (ownership, validity, the signature, the display row), the answer as the handler's.
    Anything else, and any failure (a refused token, an unknown licence, a database error: all
    raised before the display row is written), goes to the application, which checks the
    request again and answers."""
    required = int(LicenceController.show.opt.get("assurance_level", 0))

    async def fast(scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and not scope["query_string"]
            and (match := _DISPLAY_PATH.fullmatch(scope["path"])) is not None
            and (service := licences()) is not None
            and (access := tokens()) is not None
        ):
            token = None
            plain = True
            for name, value in scope["headers"]:
                if b"\x00" in value:  # core.edge refuses it
                    plain = False
                elif name == b"authorization":
                    scheme, _, rest = value.decode("latin-1").partition(" ")
                    if token is not None or scheme.lower() != "bearer" or not rest.strip():
                        plain = False
                    token = rest.strip()
                elif name in (b"transfer-encoding", b"x-acting-as") or (
                    name == b"content-length" and value.strip() not in (b"0", b"")
                ):
                    # Acting for another party: the guard's checks (the mandate, its items).
                    plain = False
            if plain and token:
                shown = None
                try:
                    principal = access.authenticate(token)
                    # A 帮办 token is the guard's to check (its mandate standing, its items).
                    if principal.acr >= required and principal.actor_staff_id is None:
                        shown = await service.show(principal, uuid.UUID(match.group(1)))
                except Exception:  # noqa: BLE001, S110 - the application answers it
                    pass
                if shown is not None:
                    scope["path_template"] = _DISPLAY_TEMPLATE  # for the request metrics
                    body = _encode(shown)
                    headers = [*_DISPLAY_HEADERS, (b"content-length", str(len(body)).encode())]
                    await send({"type": "http.response.start", "status": 200, "headers": headers})
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
        await app(cast("Scope", scope), receive, send)

    return cast("ASGIApp", fast)


class LicenceVerificationController(Controller):
    """For verifiers (window staff, hotels, banks): no account, the minimum fields."""

    path = "/api/v1/licence-verifications"
    tags = ["licences 电子证照"]  # noqa: RUF012

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 410, 422, 429, 503),
        summary="Verify a display code online (recorded; the holder sees it)",
    )
    async def verify(
        self,
        request: _Req,
        data: JSONBody[VerifyRequest],
        licences: NamedDependency[LicencesService],
    ) -> VerificationResult:
        return await licences.verify(data.code, data.verifier, client_ip(request), _locale(request))


class DepartmentLicenceController(Controller):
    """Department apps, with the token they got by trust transfer (RFC 8693 exchange)."""

    path = "/api/v1/department/licences"
    tags = ["licences 电子证照"]  # noqa: RUF012

    @get(
        "",
        responses=problem_responses(401),
        summary="Licences the citizen consented to this app using (each read is logged)",
    )
    async def consented(
        self,
        request: _Req,
        licences: NamedDependency[LicencesService],
        db_connection: NamedDependency[Connection],
    ) -> list[DepartmentLicence]:
        return await licences.for_department(
            db_connection, bearer_token(request), client_ip(request)
        )
