"""The unified identity stand-in (OAuth 2.0 + PKCE + OpenID Connect), over real HTTP on loopback."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, quote_plus, urlsplit

import aiohttp
import jwt
import pytest
import pytest_asyncio

from sandbox.provincial.app import build_provincial_app
from sandbox.provincial.identity import OAuthClient
from sandbox.provincial.users import (
    TEST_USERS,
    USERS_BY_NAME,
    id_check_char,
    make_id_number,
    valid_id_number,
    valid_mobile,
)
from sandbox.runner import RunningApp, start_app

CLIENT_ID = "handheld-test"
SECRET = "test-oauth-secret"
REDIRECT = "http://127.0.0.1:9999/auth/callback"
ISSUER = "https://sso.xiling.gov.cn"
PASSWORD = "Test@1234"


def basic(client_id: str, secret: str) -> dict[str, str]:
    """HTTP Basic client authentication (RFC 6749 §2.3.1: both parts form-urlencoded first)."""
    raw = f"{quote_plus(client_id)}:{quote_plus(secret)}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.decode().rstrip("=")


class FormParser(HTMLParser):
    """The first form of a page: action, method and its input fields (name → value)."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self.errors: list[str] = []
        self._in_error = False
        self._forms = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._forms += 1
            if self._forms == 1:
                self.action, self.method = a.get("action"), a.get("method", "get")
        elif tag == "input" and self._forms == 1 and "name" in a:
            self.fields[a["name"]] = a.get("value", "")
        elif "error" in a.get("class", "").split():
            self._in_error = True

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.errors.append(data)
            self._in_error = False


def parse_form(page: str) -> FormParser:
    parser = FormParser()
    parser.feed(page)
    return parser


@dataclass
class Sso:
    server: RunningApp
    http: aiohttp.ClientSession

    def url(self, path: str) -> str:
        return self.server.url + path

    async def control(self, path: str, body: Any) -> tuple[int, Any]:
        async with self.http.post(self.url("/_control" + path), json=body) as resp:
            return resp.status, await resp.json()

    async def authorize(self, **overrides: str) -> aiohttp.ClientResponse:
        params = {
            "response_type": "code",
            "client_id": CLIENT_ID,
            "redirect_uri": REDIRECT,
            "scope": "openid profile",
            "state": "st-123",
            "nonce": "n-456",
            "code_challenge": pkce()[1],
            "code_challenge_method": "S256",
        } | overrides
        params = {k: v for k, v in params.items() if v != "-"}
        resp = await self.http.get(
            self.url("/oauth2/authorize"), params=params, allow_redirects=False
        )
        await resp.read()
        return resp

    async def mint(self, challenge: str, username: str = "zhangsan", **extra: Any) -> str:
        body = {
            "username": username,
            "clientId": CLIENT_ID,
            "redirectUri": REDIRECT,
            "codeChallenge": challenge,
            "nonce": "n-1",
            "scope": "openid",
        } | extra
        status, answer = await self.control("/oauth/codes", body)
        assert status == 200, answer
        code: str = answer["code"]
        return code

    async def token(
        self, auth: dict[str, str] | None = None, **form: str
    ) -> tuple[int, dict[str, Any], aiohttp.ClientResponse]:
        body = {"grant_type": "authorization_code", "redirect_uri": REDIRECT} | form
        body = {k: v for k, v in body.items() if v != "-"}
        if auth is None and "client_secret" not in body:
            auth = basic(CLIENT_ID, SECRET)
        async with self.http.post(self.url("/oauth2/token"), data=body, headers=auth) as resp:
            return resp.status, await resp.json(), resp

    async def userinfo(self, access_token: str) -> tuple[int, Any, aiohttp.ClientResponse]:
        headers = {"Authorization": f"Bearer {access_token}"}
        async with self.http.get(self.url("/oauth2/userinfo"), headers=headers) as resp:
            body = await resp.json() if resp.content_type == "application/json" else None
            return resp.status, body, resp


@pytest_asyncio.fixture
async def sso() -> AsyncIterator[Sso]:
    clients = {CLIENT_ID: OAuthClient(SECRET, ("http://127.0.0.1:", "https://app.example/cb"))}
    server = await start_app(build_provincial_app(api_key="k", oauth_clients=clients))
    async with aiohttp.ClientSession() as http:
        yield Sso(server, http)
    await server.close()


def query_of(resp: aiohttp.ClientResponse) -> dict[str, str]:
    assert resp.status == 302, resp.status
    location = resp.headers["Location"]
    assert location.startswith(REDIRECT.split("?")[0])
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def test_test_users() -> None:
    assert len(TEST_USERS) >= 5
    assert {u.assurance_level for u in TEST_USERS} == {1, 2, 3, 4}
    methods = {1: "account", 2: "phone", 3: "bank_card", 4: "face"}
    for user in TEST_USERS:
        assert valid_id_number(user.id_number), user
        assert user.id_number.startswith("62")
        assert valid_mobile(user.phone)
        assert user.username.isascii() and user.password
        assert methods[user.assurance_level] == user.assurance_method
    assert len({u.sub for u in TEST_USERS}) == len(TEST_USERS)
    # Known-good check characters (GB 11643 examples), including X.
    assert id_check_char("11010519491231002") == "X"
    assert valid_id_number("440524188001010014")
    assert not valid_id_number("440524188001010015")
    assert not valid_id_number("620102198502300312")  # 30 February
    assert make_id_number("620102", USERS_BY_NAME["zhangsan"].birth_date, 31) == (
        USERS_BY_NAME["zhangsan"].id_number
    )


@pytest.mark.asyncio
async def test_full_flow_through_the_form(sso: Sso) -> None:
    verifier, challenge = pkce()
    resp = await sso.authorize(code_challenge=challenge, login_hint="lisi")
    assert resp.status == 200 and resp.content_type == "text/html"
    page = await resp.text()
    assert "统一身份认证" in page and "zhangsan" in page and PASSWORD in page
    form = parse_form(page)
    assert form.action == "/oauth2/authorize" and form.method == "post"
    assert form.fields["state"] == "st-123" and form.fields["nonce"] == "n-456"
    assert form.fields["code_challenge"] == challenge
    assert form.fields["username"] == "lisi"  # login_hint pre-fills the user name

    # Wrong password: the page again, with an error, nothing sent to the client.
    fields = form.fields | {"username": "lisi", "password": "wrong"}
    async with sso.http.post(sso.url(form.action), data=fields, allow_redirects=False) as resp:
        assert resp.status == 200
        again = parse_form(await resp.text())
    assert again.errors and "密码错误" in again.errors[0]
    assert again.fields["code_challenge"] == challenge

    fields = again.fields | {"username": "lisi", "password": PASSWORD}
    async with sso.http.post(sso.url(form.action), data=fields, allow_redirects=False) as resp:
        query = query_of(resp)
    assert query["state"] == "st-123" and set(query) == {"code", "state"}

    status, tokens, resp = await sso.token(code=query["code"], code_verifier=verifier)
    assert status == 200, tokens
    assert resp.headers["Cache-Control"] == "no-store"
    assert set(tokens) == {"access_token", "token_type", "expires_in", "scope", "id_token"}
    assert tokens["token_type"] == "Bearer" and tokens["expires_in"] == 1800
    assert tokens["scope"] == "openid profile"

    # The id_token verifies against the published keys.
    async with sso.http.get(sso.url("/.well-known/openid-configuration")) as resp:
        discovery = await resp.json()
    assert discovery["issuer"] == ISSUER
    assert discovery["jwks_uri"] == sso.url("/oauth2/jwks")
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    async with sso.http.get(discovery["jwks_uri"]) as resp:
        jwks = await resp.json()
    header = jwt.get_unverified_header(tokens["id_token"])
    assert header["alg"] == "RS256"
    key = jwt.PyJWKSet.from_dict(jwks)[header["kid"]]
    claims = jwt.decode(
        tokens["id_token"],
        key.key,
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "aud", "iss", "nonce", "auth_time"]},
    )
    lisi = USERS_BY_NAME["lisi"]
    assert claims["nonce"] == "n-456" and claims["sub"] == lisi.sub
    assert claims["acr"] == "3" and claims["auth_time"] <= claims["iat"] < claims["exp"]
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(tokens["id_token"], key.key, algorithms=["RS256"], audience="someone-else")

    status, info, _ = await sso.userinfo(tokens["access_token"])
    assert status == 200
    assert info == {
        "sub": lisi.sub,
        "name": "李四",
        "idNumber": lisi.id_number,
        "phone": lisi.phone,
        "assuranceLevel": 3,
        "assuranceMethod": "bank_card",
    }


@pytest.mark.asyncio
async def test_cancel_on_the_form(sso: Sso) -> None:
    form = parse_form(await (await sso.authorize()).text())
    fields = form.fields | {"action": "cancel"}
    async with sso.http.post(sso.url("/oauth2/authorize"), data=fields, allow_redirects=False) as r:
        query = query_of(r)
    assert query == {
        "error": "access_denied",
        "error_description": "用户取消了登录",
        "state": "st-123",
    }


@pytest.mark.asyncio
async def test_authorize_errors(sso: Sso) -> None:
    # Unknown client, unregistered or missing redirect_uri: an error page, never a redirect.
    for overrides in (
        {"client_id": "nobody"},
        {"client_id": "-"},
        {"redirect_uri": "https://evil.example/cb"},
        {"redirect_uri": "-"},
        {"redirect_uri": "http://127.0.0.1:9999/cb#frag"},
    ):
        resp = await sso.authorize(**overrides)
        assert resp.status == 400 and "Location" not in resp.headers, overrides
        assert "请求无效" in await resp.text()

    # The other errors go back to the client, with the state.
    for overrides, error in (
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "-"}, "invalid_request"),
        ({"code_challenge": "-"}, "invalid_request"),
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": "-"}, "invalid_request"),
        ({"code_challenge": "short"}, "invalid_request"),
        ({"scope": "profile"}, "invalid_scope"),
        ({"scope": "openid admin"}, "invalid_scope"),
    ):
        query = query_of(await sso.authorize(**overrides))
        assert query["error"] == error, overrides
        assert query["state"] == "st-123" and query["error_description"]
    query = query_of(await sso.authorize(response_type="token", state="-"))
    assert "state" not in query

    # A registered exact prefix keeps its own query string.
    resp = await sso.authorize(redirect_uri="https://app.example/cb?x=1", response_type="token")
    location = resp.headers["Location"]
    assert location.startswith("https://app.example/cb?x=1&error=unsupported_response_type")


@pytest.mark.asyncio
async def test_pkce_mismatch_and_wrong_redirect_uri(sso: Sso) -> None:
    verifier, challenge = pkce()
    code = await sso.mint(challenge)
    status, body, _ = await sso.token(code=code, code_verifier=pkce()[0])
    assert (status, body["error"]) == (400, "invalid_grant")
    status, body, _ = await sso.token(
        code=code, code_verifier=verifier, redirect_uri="http://127.0.0.1:9999/other"
    )
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "redirect_uri" in body["error_description"]
    status, body, _ = await sso.token(code=code, code_verifier="-")
    assert (status, body["error"]) == (400, "invalid_request")
    # Failed attempts do not use the code up.
    status, body, _ = await sso.token(code=code, code_verifier=verifier)
    assert status == 200, body


@pytest.mark.asyncio
async def test_reused_code_revokes_its_tokens(sso: Sso) -> None:
    verifier, challenge = pkce()
    code = await sso.mint(challenge, username="liuyang")
    status, tokens, _ = await sso.token(code=code, code_verifier=verifier)
    assert status == 200
    status, info, _ = await sso.userinfo(tokens["access_token"])
    assert status == 200 and info["assuranceLevel"] == 1 and info["assuranceMethod"] == "account"

    status, body, _ = await sso.token(code=code, code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_grant")
    status, _, resp = await sso.userinfo(tokens["access_token"])
    assert status == 401
    assert 'error="invalid_token"' in resp.headers["WWW-Authenticate"]


@pytest.mark.asyncio
async def test_expiry_follows_the_clock(sso: Sso) -> None:
    verifier, challenge = pkce()
    stale = await sso.mint(challenge)
    fresh = await sso.mint(challenge)
    status, clock = await sso.control("/clock", {"offsetSeconds": 301})
    assert status == 200 and clock["offsetSeconds"] == 301
    status, body, _ = await sso.token(code=stale, code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_grant")
    assert "expired" in body["error_description"]

    await sso.control("/clock", {"offsetSeconds": 0})
    status, tokens, _ = await sso.token(code=fresh, code_verifier=verifier)
    assert status == 200
    assert (await sso.userinfo(tokens["access_token"]))[0] == 200
    await sso.control("/clock", {"offsetSeconds": 1801})
    assert (await sso.userinfo(tokens["access_token"]))[0] == 401

    status, body = await sso.control("/clock", {"offsetSeconds": "soon"})
    assert status == 400 and body["code"] == "INVALID_PARAMETER"
    status, body = await sso.control("/reset", None)
    assert status == 200
    async with sso.http.get(sso.url("/_control/clock")) as resp:
        assert (await resp.json())["offsetSeconds"] == 0


@pytest.mark.asyncio
async def test_token_endpoint_errors(sso: Sso) -> None:
    verifier, challenge = pkce()
    code = await sso.mint(challenge)

    status, body, resp = await sso.token(
        auth=basic(CLIENT_ID, "wrong"), code=code, code_verifier=verifier
    )
    assert (status, body["error"]) == (401, "invalid_client")
    assert resp.headers["WWW-Authenticate"].startswith("Basic")
    async with sso.http.post(
        sso.url("/oauth2/token"), data={"grant_type": "authorization_code", "code": code}
    ) as resp:
        assert resp.status == 401 and (await resp.json())["error"] == "invalid_client"

    status, body, _ = await sso.token(grant_type="password", code=code, code_verifier=verifier)
    assert (status, body["error"]) == (400, "unsupported_grant_type")
    status, body, _ = await sso.token(grant_type="-", code=code, code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_request")
    status, body, _ = await sso.token(code="nope", code_verifier=verifier)
    assert (status, body["error"]) == (400, "invalid_grant")

    async with sso.http.post(
        sso.url("/oauth2/token"), json={"grant_type": "authorization_code"}
    ) as resp:
        assert resp.status == 400 and (await resp.json())["error"] == "invalid_request"

    # client_secret_post works too.
    status, tokens, _ = await sso.token(
        client_id=CLIENT_ID, client_secret=SECRET, code=code, code_verifier=verifier
    )
    assert status == 200, tokens

    # A code minted for one client cannot be redeemed by another.
    other_app = build_provincial_app(
        api_key="k",
        oauth_clients={
            "a": OAuthClient("sa", ("http://127.0.0.1",)),
            "b": OAuthClient("sb", ("http://127.0.0.1",)),
        },
        issuer=None,
    )
    other = await start_app(other_app)
    try:
        async with sso.http.post(
            other.url + "/_control/oauth/codes",
            json={"username": "zhaolei", "clientId": "a", "redirectUri": REDIRECT,
                  "codeChallenge": challenge},
        ) as resp:  # fmt: skip
            minted = (await resp.json())["code"]
        form = {"grant_type": "authorization_code", "code": minted, "redirect_uri": REDIRECT,
                "code_verifier": verifier}  # fmt: skip
        async with sso.http.post(
            other.url + "/oauth2/token", data=form, headers=basic("b", "sb")
        ) as resp:
            assert resp.status == 400 and (await resp.json())["error"] == "invalid_grant"
        async with sso.http.post(
            other.url + "/oauth2/token", data=form, headers=basic("a", "sa")
        ) as resp:
            tokens = await resp.json()
        # issuer=None: iss is the URL the request came to; no nonce when none was given.
        claims = jwt.decode(tokens["id_token"], options={"verify_signature": False})
        assert claims["iss"] == other.url and "nonce" not in claims and claims["acr"] == "2"
    finally:
        await other.close()


@pytest.mark.asyncio
async def test_userinfo_without_token_and_control_errors(sso: Sso) -> None:
    async with sso.http.get(sso.url("/oauth2/userinfo")) as resp:
        assert resp.status == 401
        assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert (await sso.userinfo("made-up"))[0] == 401

    _, challenge = pkce()
    for body, status in (
        ({"username": "nobody", "clientId": CLIENT_ID, "redirectUri": REDIRECT,
          "codeChallenge": challenge}, 404),
        ({"username": "lisi", "clientId": "x", "redirectUri": REDIRECT,
          "codeChallenge": challenge}, 400),
        ({"username": "lisi", "clientId": CLIENT_ID, "redirectUri": "https://evil.example/",
          "codeChallenge": challenge}, 400),
        ({"username": "lisi"}, 400),
    ):  # fmt: skip
        assert (await sso.control("/oauth/codes", body))[0] == status, body


@pytest.mark.asyncio
async def test_default_client_allows_loopback() -> None:
    server = await start_app(build_provincial_app(api_key="k"))
    try:
        async with aiohttp.ClientSession() as http:
            params = {
                "response_type": "code",
                "client_id": "handheld-dev",
                "scope": "openid",
                "code_challenge": pkce()[1],
                "code_challenge_method": "S256",
            }
            for redirect, status in (
                ("http://localhost:5173/cb", 200),
                ("http://127.0.0.1:8000/cb", 200),
                ("https://example.com/cb", 400),
            ):
                async with http.get(
                    server.url + "/oauth2/authorize", params=params | {"redirect_uri": redirect}
                ) as resp:
                    assert resp.status == status, redirect
    finally:
        await server.close()
