"""HTTP of identity: citizens' logins and sessions, trust transfer, staff sessions, and the
static page the platform's unified identity returns to (``SsoReturnController``; its files are
in ``sso_return/`` next to this module)."""

from __future__ import annotations

import base64
import binascii
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import unquote

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, JSONBody
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.guards import client_ip
from api.identity.schemas import (
    CitizenProfile,
    Jwks,
    RefreshRequest,
    SmsLoginRequest,
    SmsSendRequest,
    SmsSendResponse,
    SsoCompleteRequest,
    SsoStartRequest,
    SsoStartResponse,
    StaffChallenge,
    StaffLoginRequest,
    StaffProfile,
    StaffSession,
    StaffTotpRequest,
    TicketRequest,
    TicketResponse,
    TokenExchangeResponse,
    TokenPair,
    WechatLoginRequest,
    WechatPhoneRequest,
)
from api.identity.service import REAL_NAME_LEVEL, IdentityService
from core.db import Connection
from core.errors import InvalidParameter
from core.openapi import problem_responses
from core.principals import UNSCOPED, CitizenPrincipal, StaffPrincipal

_LOGIN_PROBLEMS = problem_responses(400, 401, 422, 429, 503)


class CitizenAuthController(Controller):
    path = "/api/v1/auth"
    tags = ["identity 身份认证"]  # noqa: RUF012 - Litestar reads a list

    @post(
        "/wechat/login",
        status_code=HTTP_200_OK,
        responses=_LOGIN_PROBLEMS,
        summary="Sign in with the code from wx.login",
    )
    async def wechat_login(
        self,
        data: JSONBody[WechatLoginRequest],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> TokenPair:
        return await identity.wechat_login(db_connection, data.code)

    @post(
        "/wechat/phone",
        status_code=HTTP_200_OK,
        responses=_LOGIN_PROBLEMS,
        summary="Bind the phone number from getPhoneNumber",
    )
    async def wechat_phone(
        self,
        data: JSONBody[WechatPhoneRequest],
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> CitizenProfile:
        return await identity.bind_wechat_phone(db_connection, citizen, data.code)

    @post(
        "/sso/start",
        status_code=HTTP_200_OK,
        responses=_LOGIN_PROBLEMS,
        summary="Start real-name sign-in or binding with the platform's unified identity",
    )
    async def sso_start(
        self,
        data: JSONBody[SsoStartRequest],
        maybe_citizen: NamedDependency[CitizenPrincipal | None],
        identity: NamedDependency[IdentityService],
    ) -> SsoStartResponse:
        return await identity.sso_start(data.purpose, maybe_citizen)

    @post(
        "/sso/complete",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 409, 422, 429, 503),
        summary="Finish it with the code and state the platform redirected with",
    )
    async def sso_complete(
        self,
        data: JSONBody[SsoCompleteRequest],
        maybe_citizen: NamedDependency[CitizenPrincipal | None],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> TokenPair:
        return await identity.sso_complete(db_connection, data.code, data.state, maybe_citizen)

    @post(
        "/sms/send",
        status_code=HTTP_200_OK,
        responses=_LOGIN_PROBLEMS,
        summary="Send a 6-digit sign-in code by SMS (app)",
    )
    async def sms_send(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SmsSendRequest],
        identity: NamedDependency[IdentityService],
    ) -> SmsSendResponse:
        ttl = await identity.sms_send(data.phone, client_ip(request))
        return SmsSendResponse(expires_in=ttl)

    @post(
        "/sms/login",
        status_code=HTTP_200_OK,
        responses=_LOGIN_PROBLEMS,
        summary="Sign in with the SMS code (app)",
    )
    async def sms_login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[SmsLoginRequest],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> TokenPair:
        return await identity.sms_login(db_connection, data.phone, data.code, client_ip(request))

    @post(
        "/refresh",
        status_code=HTTP_200_OK,
        responses=_LOGIN_PROBLEMS,
        summary="Rotate the refresh token; a spent one revokes its whole family",
    )
    async def refresh(
        self,
        data: JSONBody[RefreshRequest],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> TokenPair:
        return await identity.refresh(db_connection, data.refresh_token)

    @post("/logout", status_code=HTTP_204_NO_CONTENT, responses=problem_responses(401))
    async def logout(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await identity.logout(db_connection, citizen)

    @post(
        "/logout-all",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401),
        summary="Log out on every device",
    )
    async def logout_all(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await identity.logout_everywhere(db_connection, citizen)

    @post(
        "/tickets",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 422),
        summary="A one-time ticket for an embedded department service (信任传递)",
    )
    async def ticket(
        self,
        data: JSONBody[TicketRequest],
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> TicketResponse:
        return await identity.issue_ticket(db_connection, citizen, data.client_id)


class TokenExchangeForm(msgspec.Struct, kw_only=True):
    grant_type: str = ""
    subject_token: str = ""
    subject_token_type: str = ""
    client_id: str = ""
    client_secret: str = ""


class TokenExchangeController(Controller):
    """RFC 8693 token exchange, server to server: a department app trades a citizen's ticket
    for a signed token with the claims its scopes allow."""

    path = "/api/v1/oauth"
    tags = ["identity 身份认证"]  # noqa: RUF012

    @post("/token", status_code=HTTP_200_OK, responses=problem_responses(400, 401))
    async def exchange(
        self,
        request: Request[Any, Any, Any],
        data: Annotated[TokenExchangeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> TokenExchangeResponse:
        client_id, client_secret = _client_credentials(request, data)
        return await identity.exchange_ticket(
            db_connection,
            client_id=client_id,
            client_secret=client_secret,
            grant_type=data.grant_type,
            subject_token=data.subject_token,
            subject_token_type=data.subject_token_type,
            ip=client_ip(request),
        )


def _client_credentials(
    request: Request[Any, Any, Any], form: TokenExchangeForm
) -> tuple[str, str]:
    """HTTP Basic (RFC 6749 §2.3.1) or client_secret_post."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "basic":
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        user, password = unquote(user), unquote(password)
        # Decoded here, so past the edge's NUL check of raw headers (core.edge).
        if "\x00" in user or "\x00" in password:
            raise InvalidParameter("NUL character in the client credentials", where="header")
        return user, password
    return form.client_id, form.client_secret


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["identity 身份认证"]  # noqa: RUF012

    @get("", responses=problem_responses(401), summary="My account (personal data masked)")
    async def me(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> CitizenProfile:
        return await identity.profile(db_connection, citizen.citizen_id)

    @get(
        "/real-name",
        opt={"assurance_level": REAL_NAME_LEVEL},
        responses=problem_responses(401, 403),
        summary="My real-name identity; needs a real-name session",
    )
    async def real_name(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> CitizenProfile:
        return await identity.profile(db_connection, citizen.citizen_id)


class JwksController(Controller):
    path = "/.well-known"
    tags = ["identity 身份认证"]  # noqa: RUF012

    @get("/jwks.json", summary="Public keys of our access and exchanged tokens")
    async def jwks(self, identity: NamedDependency[IdentityService]) -> Jwks:
        return Jwks(keys=identity.signing.jwks()["keys"])


class StaffAuthController(Controller):
    path = "/ops/v1/auth"
    tags = ["ops 运营"]  # noqa: RUF012

    @post(
        "/login",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 422, 423),
        summary="Staff password step; answers a TOTP challenge",
    )
    async def login(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[StaffLoginRequest],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> StaffChallenge:
        return await identity.staff_login(
            db_connection, data.username, data.password, client_ip(request)
        )

    @post(
        "/totp",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 422, 423),
        summary="Staff TOTP step; opens a session",
    )
    async def totp(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[StaffTotpRequest],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> StaffSession:
        return await identity.staff_totp(
            db_connection, data.mfa_token, data.code, client_ip(request)
        )

    @post(
        "/logout",
        status_code=HTTP_204_NO_CONTENT,
        opt={"departments": UNSCOPED},
        responses=problem_responses(401, 403),
    )
    async def logout(
        self,
        staff: NamedDependency[StaffPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await identity.staff_logout(db_connection, staff)


class StaffController(Controller):
    path = "/ops/v1"
    tags = ["ops 运营"]  # noqa: RUF012

    @get("/me", opt={"departments": UNSCOPED}, responses=problem_responses(401, 403))
    async def me(
        self,
        staff: NamedDependency[StaffPrincipal],
        identity: NamedDependency[IdentityService],
        db_connection: NamedDependency[Connection],
    ) -> StaffProfile:
        return await identity.staff_profile(db_connection, staff.staff_id)


# --- the page the platform's unified identity returns to (the OAuth ``redirect_uri``) ---------
#
# A static page: inside the mini-program's web-view its script hands ``code`` and ``state`` to
# the mini-program page that completes the binding (``wx.miniProgram.redirectTo``, WeChat's
# JS-SDK, the only script allowed from elsewhere); the mobile app intercepts the address itself.
# Nothing from the request is written into the page.

PAGE_DIR = Path(__file__).with_name("sso_return")
_PAGE_FILES = {
    "index.html": "text/html",
    "page.js": "text/javascript",
    "page.css": "text/css",
}
_PAGE_BODIES = {name: (PAGE_DIR / name).read_bytes() for name in _PAGE_FILES}
PAGE_HEADERS = {
    "Content-Security-Policy": "; ".join(
        [
            "default-src 'none'",
            "script-src 'self' https://res.wx.qq.com",
            "style-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    ),
    "X-Content-Type-Options": "nosniff",
    # The code in the address must not leak to other sites.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _page_file(name: str) -> Response[bytes]:
    return Response(_PAGE_BODIES[name], media_type=_PAGE_FILES[name], headers=PAGE_HEADERS)


class SsoReturnController(Controller):
    path = "/sso/return"
    include_in_schema = False

    @get("")
    async def page(self) -> Response[bytes]:
        return _page_file("index.html")

    @get("/page.js")
    async def script(self) -> Response[bytes]:
        return _page_file("page.js")

    @get("/page.css")
    async def style(self) -> Response[bytes]:
        return _page_file("page.css")
