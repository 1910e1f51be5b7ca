"""Client of the platform's unified identity (统一身份认证): OAuth 2.0 code flow with PKCE and an
OIDC id_token (RFC 6749, RFC 7636, OpenID Connect Core)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import jwt
import msgspec

from core.errors import OutsideSystemError
from core.http import JsonApiClient
from core.settings import HttpClientSettings, ProvincialSettings

SCOPE = "openid profile idcard phone"
_JWKS_TTL_S = 3600


class SsoGrantRejected(Exception):
    """The platform refused the code (used, expired, PKCE mismatch, wrong redirect)."""


class IdTokenInvalid(Exception):
    pass


class TokenResponse(msgspec.Struct, kw_only=True):
    access_token: str = ""
    token_type: str = ""
    expires_in: int = 0
    id_token: str = ""
    scope: str = ""
    error: str = ""
    error_description: str = ""


class UserInfo(msgspec.Struct, rename="camel", kw_only=True):
    sub: str
    name: str
    id_number: str
    phone: str = ""
    assurance_level: int = 1
    assurance_method: str = ""


class _Jwks(msgspec.Struct):
    keys: list[dict[str, Any]]


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge) as RFC 7636 §4.1–4.2 define them."""
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class ProvincialIdentityClient(JsonApiClient):
    system = "provincial_sso"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ProvincialSettings,
        http_settings: HttpClientSettings,
    ) -> None:
        super().__init__(session, settings.base_url, http_settings)
        self._sso = settings
        self._public_base = settings.base_url.rstrip("/")
        basic = f"{settings.oauth_client_id}:{settings.oauth_client_secret.reveal()}"
        self._basic = "Basic " + base64.b64encode(basic.encode()).decode()
        self._jwks: tuple[float, dict[str, jwt.PyJWK]] | None = None

    @property
    def client_id(self) -> str:
        return self._sso.oauth_client_id

    def authorize_url(self, *, state: str, nonce: str, code_challenge: str) -> str:
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self._sso.oauth_client_id,
                "redirect_uri": self._sso.oauth_redirect_uri,
                "scope": SCOPE,
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self._public_base}/oauth2/authorize?{query}"

    async def exchange_code(self, code: str, verifier: str) -> TokenResponse:
        reply = await self._call(
            "POST",
            "token",
            "/oauth2/token",
            TokenResponse,
            form={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self._sso.oauth_redirect_uri,
                "code_verifier": verifier,
            },
            headers={"Authorization": self._basic},
            error_statuses=frozenset({400}),
        )
        if reply.error:
            raise SsoGrantRejected(reply.error)
        if not reply.access_token or not reply.id_token:
            raise OutsideSystemError("sso token: no access_token or id_token")
        return reply

    async def verify_id_token(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(id_token).get("kid", "")
            key = (await self._keys()).get(kid) or (await self._keys(refresh=True)).get(kid)
            if key is None:
                raise IdTokenInvalid("unknown kid")
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key=key,
                algorithms=["RS256"],
                audience=self._sso.oauth_client_id,
                issuer=self._sso.oauth_issuer or None,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
                leeway=30,
            )
        except jwt.PyJWTError as exc:
            raise IdTokenInvalid(str(exc)) from exc
        if not secrets.compare_digest(str(claims.get("nonce", "")).encode(), nonce.encode()):
            raise IdTokenInvalid("nonce mismatch")
        return claims

    async def userinfo(self, access_token: str) -> UserInfo:
        return await self._call(
            "GET",
            "userinfo",
            "/oauth2/userinfo",
            UserInfo,
            headers={"Authorization": f"Bearer {access_token}"},
            retry=True,
        )

    async def _keys(self, *, refresh: bool = False) -> dict[str, jwt.PyJWK]:
        if not refresh and self._jwks and self._jwks[0] > time.monotonic():
            return self._jwks[1]
        jwks = await self._get_json("jwks", "/oauth2/jwks", _Jwks)
        keys = {k.get("kid", ""): jwt.PyJWK(k) for k in jwks.keys if k.get("kty") == "RSA"}
        self._jwks = (time.monotonic() + _JWKS_TTL_S, keys)
        return keys
