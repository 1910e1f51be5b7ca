"""Unified identity stand-in (统一身份认证): OAuth 2.0 authorization code + PKCE + OpenID Connect.

Implemented from the public specifications: RFC 6749 (OAuth 2.0), RFC 7636 (PKCE, S256 only),
RFC 6750 (bearer tokens), RFC 7517/7638 (JWK, thumbprint as ``kid``), OpenID Connect Core 1.0
and Discovery 1.0. Mounted on the provincial platform stand-in (same port).

The login page is a plain HTML form in Chinese listing the test users (``users.py``), so a person
or a test can log in. Tests that do not care about the form mint codes through the control API.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import re
import secrets
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
import msgspec
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric import rsa
from yarl import URL

from sandbox.clock import Clock
from sandbox.http import error_response, json_response
from sandbox.provincial.users import TEST_USERS, USERS_BY_NAME, TestUser

DEFAULT_ISSUER = "https://sso.xiling.gov.cn"
DEFAULT_CLIENT_ID = "handheld-dev"
DEFAULT_CLIENT_SECRET = "dev-oauth-secret"
LOOPBACK_PREFIXES = ("http://127.0.0.1", "http://localhost")

CODE_TTL_SECONDS = 300
ACCESS_TOKEN_TTL_SECONDS = 1800
ID_TOKEN_TTL_SECONDS = 600
REALM = "xiling-sso"
SUPPORTED_SCOPES = ("openid", "profile", "phone", "idcard")
# RFC 7636 §4.1: code_verifier / code_challenge are 43..128 unreserved characters.
PKCE_PATTERN = re.compile(r"[A-Za-z0-9\-._~]{43,128}")
AUTHORIZE_FIELDS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
)
METHOD_NAMES = {
    "account": "账号密码",
    "phone": "手机号核验",
    "bank_card": "身份证+银行卡",
    "face": "人脸识别",
}


@dataclass(frozen=True)
class OAuthClient:
    """A registered relying party.

    ``redirect_uri_prefixes``: a ``redirect_uri`` is accepted when it starts with one of these
    strings (plain string prefix match, case-sensitive). Register a full URI to allow exactly
    that callback (and longer ones), or ``http://127.0.0.1:`` to allow any port on loopback.
    """

    secret: str
    redirect_uri_prefixes: tuple[str, ...]

    def allows(self, redirect_uri: str) -> bool:
        return any(redirect_uri.startswith(prefix) for prefix in self.redirect_uri_prefixes)


def default_oauth_clients(
    client_id: str = DEFAULT_CLIENT_ID, secret: str = DEFAULT_CLIENT_SECRET
) -> dict[str, OAuthClient]:
    """One client allowing any redirect URI on loopback (``http://127.0.0.1…``, ``http://localhost…``)."""
    return {client_id: OAuthClient(secret=secret, redirect_uri_prefixes=LOOPBACK_PREFIXES)}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _int_b64(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def s256(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636 §4.2)."""
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


class SigningKey:
    """An RSA key made at first use; ``kid`` is its RFC 7638 thumbprint."""

    def __init__(self) -> None:
        self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        numbers = self.private.public_key().public_numbers()
        n, e = _int_b64(numbers.n), _int_b64(numbers.e)
        canonical = f'{{"e":"{e}","kty":"RSA","n":"{n}"}}'
        self.kid = _b64url(hashlib.sha256(canonical.encode()).digest())
        self.jwk = {"kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid, "n": n, "e": e}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None
    scope: str
    username: str
    auth_time: int
    expires_at: float
    used: bool = False
    tokens: list[str] = field(default_factory=list)


@dataclass
class AccessToken:
    username: str
    client_id: str
    scope: str
    expires_at: float
    revoked: bool = False


class IdentityState:
    """Registered clients, authorization codes and access tokens; the key is kept over resets."""

    def __init__(self, clients: Mapping[str, OAuthClient], issuer: str | None, clock: Clock):
        self.clients = dict(clients)
        self.issuer = issuer
        self.clock = clock
        self.codes: dict[str, AuthCode] = {}
        self.tokens: dict[str, AccessToken] = {}
        self._key: SigningKey | None = None

    @property
    def key(self) -> SigningKey:
        if self._key is None:
            self._key = SigningKey()
        return self._key

    def reset(self) -> None:
        self.codes.clear()
        self.tokens.clear()

    def mint_code(
        self,
        *,
        user: TestUser,
        client_id: str,
        redirect_uri: str,
        code_challenge: str,
        nonce: str | None,
        scope: str,
    ) -> str:
        now = self.clock.now()
        code = secrets.token_urlsafe(32)
        self.codes[code] = AuthCode(
            client_id=client_id,
            redirect_uri=redirect_uri,
            code_challenge=code_challenge,
            nonce=nonce,
            scope=scope,
            username=user.username,
            auth_time=int(now),
            expires_at=now + CODE_TTL_SECONDS,
        )
        return code

    def issue_tokens(self, code: AuthCode, issuer: str) -> dict[str, Any]:
        now = self.clock.now()
        user = USERS_BY_NAME[code.username]
        access_token = secrets.token_urlsafe(32)
        self.tokens[access_token] = AccessToken(
            username=user.username,
            client_id=code.client_id,
            scope=code.scope,
            expires_at=now + ACCESS_TOKEN_TTL_SECONDS,
        )
        code.tokens.append(access_token)
        claims: dict[str, Any] = {
            "iss": issuer,
            "sub": user.sub,
            "aud": code.client_id,
            "exp": int(now) + ID_TOKEN_TTL_SECONDS,
            "iat": int(now),
            "auth_time": code.auth_time,
            "acr": str(user.assurance_level),
            "amr": [user.assurance_method],
            "at_hash": _b64url(hashlib.sha256(access_token.encode()).digest()[:16]),
        }
        if code.nonce is not None:
            claims["nonce"] = code.nonce
        return {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": ACCESS_TOKEN_TTL_SECONDS,
            "scope": code.scope,
            "id_token": self.key.sign(claims),
        }

    def token_user(self, access_token: str) -> TestUser | None:
        token = self.tokens.get(access_token)
        if token is None or token.revoked or token.expires_at <= self.clock.now():
            return None
        return USERS_BY_NAME[token.username]


IDENTITY_KEY = web.AppKey("provincial_identity", IdentityState)


# -- helpers ----------------------------------------------------------------------------------


def _base_url(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"


def _issuer(request: web.Request) -> str:
    return request.app[IDENTITY_KEY].issuer or _base_url(request)


def _single_values(
    params: Mapping[str, Any], all_keys: list[str]
) -> tuple[dict[str, str], set[str]]:
    """First string value of each parameter, and the names that came more than once."""
    values: dict[str, str] = {}
    repeated: set[str] = set()
    for key in all_keys:
        if key in values:
            repeated.add(key)
            continue
        value = params.get(key)
        if isinstance(value, str):
            values[key] = value
    return values, repeated


async def _form(request: web.Request) -> tuple[dict[str, str], set[str]]:
    post = await request.post()
    return _single_values(post, list(post.keys()))


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} - 西岭省统一身份认证平台</title>
<style>
body {{ font-family: sans-serif; max-width: 40em; margin: 2em auto; padding: 0 1em;
       font-size: 18px; line-height: 1.6; color: #1a1a1a; }}
h1 {{ font-size: 1.4em; }}
label {{ display: block; margin-top: 1em; }}
input[type=text], input[type=password] {{ width: 100%; font-size: 1em; padding: .4em;
       box-sizing: border-box; }}
button {{ font-size: 1em; padding: .5em 1.5em; margin: 1.2em 1em 0 0; }}
.error {{ color: #b00020; font-weight: bold; }}
table {{ border-collapse: collapse; margin-top: 1em; font-size: .9em; }}
th, td {{ border: 1px solid #999; padding: .2em .5em; text-align: left; }}
</style>
</head>
<body>
{body}
</body>
</html>
"""
    return web.Response(
        status=status,
        text=text,
        content_type="text/html",
        charset="utf-8",
        headers={"Cache-Control": "no-store"},
    )


def _error_page(message: str) -> web.Response:
    """A request that cannot be sent back to the client (RFC 6749 §4.1.2.1): shown here, 400."""
    return _page(
        "请求无效",
        f'<h1>西岭省统一身份认证平台</h1>\n<p class="error">请求无效：{html.escape(message)}</p>\n'
        "<p>请返回原应用重新发起登录。</p>",
        status=400,
    )


@dataclass(frozen=True)
class AuthorizeRequest:
    client_id: str
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str

    def hidden_fields(self) -> dict[str, str]:
        fields = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": self.scope,
            "code_challenge": self.code_challenge,
            "code_challenge_method": "S256",
        }
        if self.state is not None:
            fields["state"] = self.state
        if self.nonce is not None:
            fields["nonce"] = self.nonce
        return fields


def _redirect(redirect_uri: str, params: Mapping[str, str]) -> web.Response:
    location = URL(redirect_uri, encoded=False).extend_query(dict(params))
    return web.Response(
        status=302, headers={"Location": str(location), "Cache-Control": "no-store"}
    )


def _redirect_error(
    redirect_uri: str, state: str | None, error: str, description: str
) -> web.Response:
    params = {"error": error, "error_description": description}
    if state is not None:
        params["state"] = state
    return _redirect(redirect_uri, params)


def _redirect_uri_ok(value: str) -> bool:
    """Absolute http(s) URI without a fragment (RFC 6749 §3.1.2)."""
    parsed = urllib.parse.urlsplit(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc) and "#" not in value


def _check_authorize(
    ids: IdentityState, params: Mapping[str, str], repeated: set[str]
) -> AuthorizeRequest | web.Response:
    """The validated request, or the error answer (a 400 page or a redirect)."""
    client_id = params.get("client_id", "")
    if not client_id or "client_id" in repeated:
        return _error_page("缺少 client_id 参数（或重复）")
    client = ids.clients.get(client_id)
    if client is None:
        return _error_page(f"未注册的应用：client_id={client_id}")
    redirect_uri = params.get("redirect_uri", "")
    if not redirect_uri or "redirect_uri" in repeated:
        return _error_page("缺少 redirect_uri 参数（或重复）")
    if not _redirect_uri_ok(redirect_uri) or not client.allows(redirect_uri):
        return _error_page(f"redirect_uri 未在该应用登记：{redirect_uri}")
    state = params.get("state")

    def fail(error: str, description: str) -> web.Response:
        return _redirect_error(redirect_uri, state, error, description)

    if repeated & set(AUTHORIZE_FIELDS):
        return fail("invalid_request", "repeated parameter: " + ", ".join(sorted(repeated)))
    response_type = params.get("response_type")
    if not response_type:
        return fail("invalid_request", "response_type is required")
    if response_type != "code":
        return fail("unsupported_response_type", "only response_type=code is supported")
    scopes = params.get("scope", "").split()
    if "openid" not in scopes:
        return fail("invalid_scope", "scope must include openid")
    unknown = [s for s in scopes if s not in SUPPORTED_SCOPES]
    if unknown:
        return fail("invalid_scope", "unsupported scope: " + " ".join(unknown))
    challenge = params.get("code_challenge")
    if not challenge:
        return fail("invalid_request", "code_challenge is required (PKCE)")
    if params.get("code_challenge_method") != "S256":
        return fail("invalid_request", "code_challenge_method must be S256")
    if not PKCE_PATTERN.fullmatch(challenge):
        return fail("invalid_request", "code_challenge must be 43..128 unreserved characters")
    return AuthorizeRequest(
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=" ".join(dict.fromkeys(scopes)),
        state=state,
        nonce=params.get("nonce") or None,
        code_challenge=challenge,
    )


def _login_page(
    req: AuthorizeRequest, *, username: str = "", error: str | None = None
) -> web.Response:
    esc = html.escape
    hidden = "\n".join(
        f'<input type="hidden" name="{esc(k)}" value="{esc(v)}">'
        for k, v in req.hidden_fields().items()
    )
    rows = "\n".join(
        f"<tr><td>{esc(u.username)}</td><td>{esc(u.password)}</td><td>{esc(u.name)}</td>"
        f"<td>{u.assurance_level} 级（{METHOD_NAMES[u.assurance_method]}）</td></tr>"
        for u in TEST_USERS
    )
    error_html = f'<p class="error" role="alert">{esc(error)}</p>\n' if error else ""
    body = f"""<h1>西岭省统一身份认证平台</h1>
<p>应用 <strong>{esc(req.client_id)}</strong> 请求使用您的身份信息登录。</p>
{error_html}<form method="post" action="/oauth2/authorize">
{hidden}
<label for="username">用户名</label>
<input type="text" id="username" name="username" value="{esc(username)}"
       autocomplete="username" required>
<label for="password">密码</label>
<input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit" name="action" value="login">登录</button>
<button type="submit" name="action" value="cancel" formnovalidate>取消</button>
</form>
<h2>测试用户</h2>
<p>本页为测试环境，以下均为虚构人员。</p>
<table>
<thead><tr><th>用户名</th><th>密码</th><th>姓名</th><th>认证等级</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>"""
    return _page("登录", body)


# -- OAuth / OIDC endpoints -------------------------------------------------------------------


async def authorize_get(request: web.Request) -> web.Response:
    ids = request.app[IDENTITY_KEY]
    params, repeated = _single_values(request.query, list(request.query.keys()))
    checked = _check_authorize(ids, params, repeated)
    if isinstance(checked, web.Response):
        return checked
    return _login_page(checked, username=params.get("login_hint", ""))


async def authorize_post(request: web.Request) -> web.Response:
    ids = request.app[IDENTITY_KEY]
    form, repeated = await _form(request)
    checked = _check_authorize(ids, form, repeated)
    if isinstance(checked, web.Response):
        return checked
    if form.get("action") == "cancel":
        return _redirect_error(
            checked.redirect_uri, checked.state, "access_denied", "用户取消了登录"
        )
    username = form.get("username", "").strip()
    user = USERS_BY_NAME.get(username)
    password = form.get("password", "")
    if user is None or not hmac.compare_digest(password.encode(), user.password.encode()):
        return _login_page(checked, username=username, error="用户名或密码错误，请重新输入。")
    code = ids.mint_code(
        user=user,
        client_id=checked.client_id,
        redirect_uri=checked.redirect_uri,
        code_challenge=checked.code_challenge,
        nonce=checked.nonce,
        scope=checked.scope,
    )
    params = {"code": code}
    if checked.state is not None:
        params["state"] = checked.state
    return _redirect(checked.redirect_uri, params)


class TokenError(Exception):
    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status

    def response(self) -> web.Response:
        headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
        if self.status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return json_response(
            {"error": self.error, "error_description": self.description}, self.status, headers
        )


def _client_credentials(request: web.Request, form: Mapping[str, str]) -> tuple[str, str]:
    """(client_id, secret) from HTTP Basic or from the body (client_secret_post)."""
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic":
            raise TokenError("invalid_client", "unsupported client authentication scheme", 401)
        if "client_secret" in form:
            raise TokenError("invalid_request", "use one client authentication method only")
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (ValueError, UnicodeError) as exc:
            raise TokenError("invalid_client", "malformed Basic credentials", 401) from exc
        raw_id, sep, raw_secret = decoded.partition(":")
        if not sep:
            raise TokenError("invalid_client", "malformed Basic credentials", 401)
        # RFC 6749 §2.3.1: id and secret are form-urlencoded before Basic encoding.
        client_id = urllib.parse.unquote_plus(raw_id)
        secret = urllib.parse.unquote_plus(raw_secret)
        if form.get("client_id", client_id) != client_id:
            raise TokenError("invalid_request", "client_id differs from the authenticated client")
        return client_id, secret
    if "client_secret" not in form:
        raise TokenError("invalid_client", "client authentication required", 401)
    return form.get("client_id", ""), form["client_secret"]


def _authenticate(ids: IdentityState, request: web.Request, form: Mapping[str, str]) -> str:
    client_id, secret = _client_credentials(request, form)
    client = ids.clients.get(client_id)
    if client is None or not hmac.compare_digest(secret.encode(), client.secret.encode()):
        raise TokenError("invalid_client", "unknown client or wrong secret", 401)
    return client_id


def _exchange(ids: IdentityState, request: web.Request, form: dict[str, str]) -> dict[str, Any]:
    client_id = _authenticate(ids, request, form)
    grant_type = form.get("grant_type")
    if not grant_type:
        raise TokenError("invalid_request", "grant_type is required")
    if grant_type != "authorization_code":
        raise TokenError("unsupported_grant_type", "only authorization_code is supported")
    for name in ("code", "redirect_uri", "code_verifier"):
        if not form.get(name):
            raise TokenError("invalid_request", f"{name} is required")
    code = ids.codes.get(form["code"])
    if code is None or code.client_id != client_id:
        raise TokenError("invalid_grant", "unknown authorization code")
    if code.used:
        # RFC 6749 §4.1.2: a code used twice revokes the tokens issued from it.
        for token in code.tokens:
            ids.tokens[token].revoked = True
        raise TokenError("invalid_grant", "authorization code already used; its tokens are revoked")
    if code.expires_at <= ids.clock.now():
        raise TokenError("invalid_grant", "authorization code expired")
    if form["redirect_uri"] != code.redirect_uri:
        raise TokenError("invalid_grant", "redirect_uri does not match the authorization request")
    verifier = form["code_verifier"]
    if not PKCE_PATTERN.fullmatch(verifier) or not hmac.compare_digest(
        s256(verifier), code.code_challenge
    ):
        raise TokenError("invalid_grant", "code_verifier does not match code_challenge (PKCE)")
    code.used = True
    return ids.issue_tokens(code, _issuer(request))


async def token(request: web.Request) -> web.Response:
    ids = request.app[IDENTITY_KEY]
    try:
        if request.content_type != "application/x-www-form-urlencoded":
            raise TokenError("invalid_request", "body must be application/x-www-form-urlencoded")
        form, repeated = await _form(request)
        if repeated:
            raise TokenError(
                "invalid_request", "repeated parameter: " + ", ".join(sorted(repeated))
            )
        body = _exchange(ids, request, form)
    except TokenError as exc:
        return exc.response()
    return json_response(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


async def userinfo(request: web.Request) -> web.Response:
    ids = request.app[IDENTITY_KEY]
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        # RFC 6750 §3.1: no error code when the request carries no token at all.
        return json_response(
            {"error": "invalid_request", "error_description": "Bearer token required"},
            401,
            {"WWW-Authenticate": f'Bearer realm="{REALM}"'},
        )
    user = ids.token_user(value.strip())
    if user is None:
        description = "access token unknown, expired or revoked"
        return json_response(
            {"error": "invalid_token", "error_description": description},
            401,
            {
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="invalid_token", '
                    f'error_description="{description}"'
                )
            },
        )
    return json_response(user.userinfo(), headers={"Cache-Control": "no-store"})


async def jwks(request: web.Request) -> web.Response:
    return json_response({"keys": [request.app[IDENTITY_KEY].key.jwk]})


async def openid_configuration(request: web.Request) -> web.Response:
    base = _base_url(request)
    return json_response(
        {
            "issuer": _issuer(request),
            "authorization_endpoint": base + "/oauth2/authorize",
            "token_endpoint": base + "/oauth2/token",
            "userinfo_endpoint": base + "/oauth2/userinfo",
            "jwks_uri": base + "/oauth2/jwks",
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": list(SUPPORTED_SCOPES),
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "acr_values_supported": ["1", "2", "3", "4"],
            "claims_supported": [
                *("sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr"),
                *("name", "idNumber", "phone", "assuranceLevel", "assuranceMethod"),
            ],
        }
    )


# -- control ----------------------------------------------------------------------------------


class MintCodeBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    username: str
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str | None = None
    scope: str = "openid"


async def control_mint_code(request: web.Request) -> web.Response:
    """Mint an authorization code as if the user had logged in through the form."""
    ids = request.app[IDENTITY_KEY]
    try:
        body = msgspec.json.decode(await request.read(), type=MintCodeBody)
    except msgspec.DecodeError as exc:
        return error_response(400, "INVALID_PARAMETER", str(exc))
    user = USERS_BY_NAME.get(body.username)
    if user is None:
        return error_response(404, "USER_NOT_FOUND", f"no test user {body.username}")
    client = ids.clients.get(body.client_id)
    if client is None:
        return error_response(
            400, "INVALID_PARAMETER", f"clientId: unknown client {body.client_id}"
        )
    if not client.allows(body.redirect_uri):
        return error_response(
            400, "INVALID_PARAMETER", "redirectUri: not registered for the client"
        )
    if not PKCE_PATTERN.fullmatch(body.code_challenge):
        return error_response(400, "INVALID_PARAMETER", "codeChallenge: 43..128 characters")
    code = ids.mint_code(
        user=user,
        client_id=body.client_id,
        redirect_uri=body.redirect_uri,
        code_challenge=body.code_challenge,
        nonce=body.nonce,
        scope=body.scope,
    )
    return json_response({"code": code})


def add_identity_routes(app: web.Application) -> None:
    app.router.add_get("/.well-known/openid-configuration", openid_configuration)
    app.router.add_get("/oauth2/authorize", authorize_get)
    app.router.add_post("/oauth2/authorize", authorize_post)
    app.router.add_post("/oauth2/token", token)
    app.router.add_get("/oauth2/userinfo", userinfo)
    app.router.add_post("/oauth2/userinfo", userinfo)
    app.router.add_get("/oauth2/jwks", jwks)
    app.router.add_post("/_control/oauth/codes", control_mint_code)
