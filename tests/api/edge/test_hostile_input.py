"""Hostile input at the edge: NUL characters and deep nesting refused with a 400 on every route
(never a 500 or a logged traceback), the client's address taken only from trusted proxies, no
cache keeps a token or personal data, and an aborted upload is a 499 that leaves nothing."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest

from api.app import create_app
from api.composition import Services
from api.guards import principal_dependencies
from core.settings import Settings, with_changes
from sandbox.runner import RunningApp
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.identity import Outside, bearer, make_staff, sso, staff_login, user
from tests.fixtures.servers import running_server, serve_in_process
from tests.fixtures.standins import OAUTH_CLIENT_ID
from tests.fixtures.waiting import eventually

DEEP = 3000


def _deep(key: str) -> bytes:
    return b'{"%s": ' % key.encode() + b"[" * DEEP + b"]" * DEEP + b"}"


def _json(body: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "content-length": str(len(body))}


def _problem(resp: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = resp.json()
    assert body["code"] == code
    return body


def _no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    loud = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]


# --- NUL characters ---------------------------------------------------------------------------


async def test_nul_in_query_path_body_or_credentials_is_a_400_never_a_500(
    applicant: Applicant, caplog: pytest.LogCaptureFixture
) -> None:
    client = applicant.client
    caplog.set_level(logging.INFO)
    for url in (
        "/api/v1/items?q=%00",
        "/api/v1/items?department=%00",
        "/api/v1/items?q=ab%00cd&page=1",
        "/api/v1/items/%00",
        "/api/v1/items/a%00b",
    ):
        body = _problem(await client.get(url), 400, "INVALID_PARAMETER")
        assert body["title"] == "请求参数有误"
    # Chinese unless English is asked for.
    english = await client.get("/api/v1/items?q=%00", headers={"Accept-Language": "en"})
    assert english.json()["title"] == "Invalid parameter"

    # A JSON string with the \u0000 escape, for a signed-in citizen and anonymously.
    sent = b'{"itemCode": "x\\u0000y"}'
    _problem(
        await client.post(
            "/api/v1/declarations", content=sent, headers={**applicant.headers, **_json(sent)}
        ),
        400,
        "INVALID_PARAMETER",
    )
    sent = b'{"phone": "1380013\\u00008000"}'
    _problem(
        await client.post("/api/v1/auth/sms/send", content=sent, headers=_json(sent)),
        400,
        "INVALID_PARAMETER",
    )
    # ... whatever the declared content type (the body is decoded as JSON all the same).
    sent = b'{"itemCode": "\\u0000"}'
    _problem(
        await client.post(
            "/api/v1/declarations",
            content=sent,
            headers={**applicant.headers, "content-type": "text/plain"},
        ),
        400,
        "INVALID_PARAMETER",
    )
    # A form field (RFC 8693 token exchange takes a form).
    _problem(
        await client.post(
            "/api/v1/oauth/token",
            data={"client_id": "\x00", "client_secret": "s", "grant_type": "x"},
        ),
        400,
        "INVALID_PARAMETER",
    )
    # A value derived from a header: HTTP Basic client credentials, percent-encoded.
    basic = base64.b64encode(f"{OAUTH_CLIENT_ID}%00:secret".encode()).decode()
    _problem(
        await client.post(
            "/api/v1/oauth/token",
            data={"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange"},
            headers={"Authorization": f"Basic {basic}"},
        ),
        400,
        "INVALID_PARAMETER",
    )
    # A header value that would be stored (an Idempotency-Key).
    draft = await applicant.create(RENT_WITHDRAWAL)
    _problem(await applicant.submit(draft["id"], key="key\x00one"), 400, "INVALID_PARAMETER")
    # An escaped backslash followed by the text u0000 is no NUL: it goes through to the rule.
    sent = b'{"itemCode": "\\\\u0000"}'
    passed = await client.post(
        "/api/v1/declarations", content=sent, headers={**applicant.headers, **_json(sent)}
    )
    assert passed.status_code == 404 and passed.json()["code"] == "ITEM_NOT_FOUND", passed.text
    _no_errors_logged(caplog)


# --- Deep nesting -----------------------------------------------------------------------------


async def test_deeply_nested_json_is_refused_before_decoding_without_a_traceback(
    applicant: Applicant, caplog: pytest.LogCaptureFixture, services: Services
) -> None:
    client = applicant.client
    staff = await staff_login(client, await make_staff(services, "op-deep", "operator"))
    caplog.set_level(logging.INFO)
    anonymous = (
        ("/api/v1/auth/wechat/login", "code"),
        ("/api/v1/auth/sms/login", "code"),
        ("/api/v1/auth/refresh", "refreshToken"),
        ("/api/v1/licence-verifications", "code"),
    )
    for path, key in anonymous:
        sent = _deep(key)
        body = _problem(await client.post(path, content=sent, headers=_json(sent)), 400,
                        "BODY_TOO_DEEP")  # fmt: skip
        assert body["title"] == "请求内容嵌套层级过深"
    sent = _deep("itemCode")
    _problem(
        await client.post(
            "/api/v1/declarations", content=sent, headers={**applicant.headers, **_json(sent)}
        ),
        400,
        "BODY_TOO_DEEP",
    )
    sent = _deep("title")
    _problem(
        await client.post(
            "/ops/v1/notices", content=sent, headers={**bearer(staff), **_json(sent)}
        ),
        400,
        "BODY_TOO_DEEP",
    )
    # Objects nest too, and chunked bodies (no declared length) are read all the same.
    objects = b'{"code": ' + b'{"a": ' * DEEP + b"1" + b"}" * DEEP + b"}"

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(objects), 4096):
            yield objects[start : start + 4096]

    _problem(
        await client.post(
            "/api/v1/auth/wechat/login",
            content=chunks(),
            headers={"content-type": "application/json"},
        ),
        400,
        "BODY_TOO_DEEP",
    )
    # Brackets inside strings are text, and moderate nesting is fine: those reach the handler.
    sent = b'{"code": "' + b"[" * DEEP + b'\\"' + b"{" * DEEP + b'"}'
    shallow = b'{"code": ' + b"[" * 20 + b"]" * 20 + b"}"
    for text in (sent, shallow):
        refused = await client.post("/api/v1/auth/wechat/login", content=text, headers=_json(text))
        _problem(refused, 422, "VALIDATION_FAILED")  # the code is not a string, or too long
    _no_errors_logged(caplog)


# --- Client address ---------------------------------------------------------------------------


async def _probe(client: httpx.AsyncClient, forwarded: str | None) -> int:
    """A licence code we never issued: counted against the client's address (2 a minute)."""
    headers = {"X-Forwarded-For": forwarded} if forwarded else {}
    resp = await client.post(
        "/api/v1/licence-verifications", json={"code": "HL1.x.y"}, headers=headers
    )
    assert resp.status_code in (400, 429), resp.text
    return resp.status_code


def _limited(settings: Settings, **top: Any) -> Settings:
    return with_changes(
        settings,
        licences=msgspec.structs.replace(settings.licences, verify_per_ip="2/minute"),
        auth=msgspec.structs.replace(settings.auth, sms_per_ip="2/hour"),
        **top,
    )


async def test_an_untrusted_peer_cannot_choose_its_address_with_x_forwarded_for(
    settings: Settings, sms: RunningApp
) -> None:
    """Served as `handheld serve` serves it (uvicorn, its options), from 127.0.0.1, no trusted
    proxies configured: every X-Forwarded-For is the caller's own words."""
    async with (
        running_server(_limited(settings)) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        assert await _probe(client, "198.51.100.1") == 400
        assert await _probe(client, "198.51.100.2") == 400
        # Same peer, a third "address": the peer's bucket is full.
        assert await _probe(client, "198.51.100.3") == 429
        assert await _probe(client, None) == 429
        # SMS sends too (2 an hour per address), to three different phones.
        statuses = []
        for n in range(3):
            resp = await client.post(
                "/api/v1/auth/sms/send",
                json={"phone": f"1390000000{n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            statuses.append(resp.status_code)
        assert statuses == [200, 200, 429]


async def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(
    settings: Settings, services: Services
) -> None:
    trusted = _limited(settings, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    async with serve_in_process(create_app(trusted, configure_logs=False)) as client:
        # The client's own "X-Forwarded-For: 6.6.6.6" comes first; the proxy appends the peer.
        assert await _probe(client, "6.6.6.6, 203.0.113.7") == 400
        assert await _probe(client, "7.7.7.7, 203.0.113.7") == 400
        assert await _probe(client, "8.8.8.8, 203.0.113.7") == 429
        # Another citizen behind the same proxy has a bucket of its own.
        assert await _probe(client, "203.0.113.8") == 400
        # Two proxies (10.0.0.5 is ours): the address before them.
        assert await _probe(client, "203.0.113.9, 10.0.0.5") == 400
        assert await _probe(client, "1.1.1.1, 203.0.113.9, 10.0.0.5") == 400
        assert await _probe(client, "203.0.113.9,10.0.0.5") == 429
        # Without the header the proxy itself is the client.
        assert await _probe(client, None) == 400
        # The staff audit trail records the same address (here of a failed sign-in).
        account = await make_staff(services, "op-proxy", "operator")
        login = await client.post(
            "/ops/v1/auth/login",
            json={"username": account.username, "password": "wrong-password-123"},
            headers={"X-Forwarded-For": "9.9.9.9, 198.51.100.77"},
        )
        assert login.status_code == 401, login.text
    async with services.infra.pool.acquire() as conn:
        ips = await conn.fetch("SELECT DISTINCT ip FROM audit_log WHERE ip IS NOT NULL")
    assert [r["ip"] for r in ips] == ["198.51.100.77"]


def test_a_malformed_trusted_proxy_setting_fails_at_start_up(settings: Settings) -> None:
    with pytest.raises(ValueError, match="not an address or CIDR"):
        create_app(with_changes(settings, trusted_proxies="10.0.0.0/8, proxy.local"))


# --- Caching of secrets and personal data -----------------------------------------------------


def _no_store(resp: httpx.Response) -> None:
    assert resp.headers.get("cache-control") == "no-store", (resp.request.url, resp.headers)
    assert resp.headers.get("pragma") == "no-cache"


def _private(resp: httpx.Response) -> None:
    assert resp.headers.get("cache-control") == "private, no-store", (
        resp.request.url,
        resp.status_code,
        resp.headers,
    )


async def test_token_answers_are_no_store_and_personal_answers_private(
    applicant: Applicant, outside: Outside, services: Services
) -> None:
    client = applicant.client
    signed_in = await client.post("/api/v1/auth/wechat/login",
                                  json={"code": await outside.wechat_code("cachey")})  # fmt: skip
    assert signed_in.status_code == 200
    _no_store(signed_in)
    pair = signed_in.json()
    refreshed = await client.post(
        "/api/v1/auth/refresh", json={"refreshToken": pair["refreshToken"]}
    )
    assert refreshed.status_code == 200
    _no_store(refreshed)
    sent = await client.post("/api/v1/auth/sms/send", json={"phone": "13900001111"})
    code = await outside.last_sms_code("13900001111")
    sms = await client.post("/api/v1/auth/sms/login",
                            json={"phone": "13900001111", "code": code})  # fmt: skip
    assert sent.status_code == 200 and sms.status_code == 200
    _no_store(sms)
    sso_answer = await sso(client, outside, user("lisi"))
    assert sso_answer.status_code == 200
    _no_store(sso_answer)
    # Token exchange (RFC 8693) answers no-store even when it refuses.
    _no_store(await client.post("/api/v1/oauth/token", data={"grant_type": "x"}))
    staff_account = await make_staff(services, "op-cache", "operator")
    first = await client.post("/ops/v1/auth/login", json={
        "username": staff_account.username, "password": staff_account.password})  # fmt: skip
    _no_store(first)

    draft = await applicant.create(RENT_WITHDRAWAL)
    for url in (
        "/api/v1/me",
        "/api/v1/me/real-name",
        "/api/v1/declarations",
        f"/api/v1/declarations/{draft['id']}",
        "/api/v1/licences",
        "/api/v1/materials",
        "/api/v1/inbox",
        "/api/v1/payments/notices",
        f"/api/v1/payments/orders/{uuid.uuid4()}",
    ):
        resp = await client.get(url, headers=applicant.headers)
        assert resp.status_code in (200, 404), (url, resp.text)
        _private(resp)
    staff = await staff_login(client, staff_account)
    _private(await client.get("/ops/v1/me", headers=bearer(staff)))

    # The public catalogue keeps its ETag revalidation, from the cache and from the handler,
    # signed in or not.
    for _ in range(2):
        for headers in ({}, applicant.headers):
            items = await client.get("/api/v1/items", headers=headers)
            assert items.status_code == 200
            assert items.headers["cache-control"] == "no-cache" and items.headers["etag"]
            assert "pragma" not in items.headers
    fresh = await client.get("/api/v1/items?page=2", headers=applicant.headers)
    assert fresh.headers["cache-control"] == "no-cache"


async def _signed_in(
    client: httpx.AsyncClient, outside: Outside, services: Services
) -> dict[str, dict[str, str]]:
    citizen = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    staff = await staff_login(client, await make_staff(services, f"op-{uuid.uuid4().hex[:8]}",
                                                       "operator"))  # fmt: skip
    return {"citizen": bearer(citizen), "staff": bearer(staff)}


def _concrete(path: str) -> str:
    def value(match: re.Match[str]) -> str:
        # A value of the parameter's type, so the router matches and the handler answers.
        return {"uuid": str(uuid.uuid4()), "int": "2027"}.get(match.group(2), "x")

    return re.sub(r"\{(\w+):(\w+)\}", value, path)


async def test_every_route_that_needs_a_signed_in_caller_answers_private_no_store(
    settings: Settings, outside: Outside, services: Services
) -> None:
    """A scan over the application's routes: every handler that asks for a principal (citizen,
    staff) answers a signed-in caller `private, no-store`, whatever its status or its own
    header (the licence file, the live inbox's event stream)."""
    app = create_app(settings, configure_logs=False)
    principals = set(principal_dependencies())
    scanned: list[tuple[str, str, str]] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            needs = set(handler.parsed_fn_signature.parameters) & principals
            if not needs or needs == {"maybe_citizen"}:
                continue
            for method in sorted(handler.http_methods - {"OPTIONS", "HEAD"}):
                who = "staff" if "staff" in needs else "citizen"
                scanned.append((method, route.path, who))
    # Sign-outs last (signing out everywhere ends the scan's session too), each with a fresh one.
    scanned.sort(key=lambda r: "logout" in r[1])
    assert len(scanned) > 60
    async with (
        running_server(settings) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        sessions = await _signed_in(client, outside, services)
        for method, path, who in scanned:
            headers = sessions[who]
            if "logout" in path:  # ends the session: with one of its own
                headers = (await _signed_in(client, outside, services))[who]
            body = {} if method in ("POST", "PUT", "PATCH") else None
            async with client.stream(method, _concrete(path), json=body, headers=headers) as resp:
                assert resp.status_code < 500, (method, path, resp.status_code)
                if resp.status_code == 401:  # a refusal of the request, not of the session
                    await resp.aread()
                    assert not resp.json()["code"].startswith("TOKEN_"), (method, path)
                _private(resp)


# --- Aborted uploads --------------------------------------------------------------------------


def _stored_files(settings: Settings) -> list[Path]:
    root = Path(settings.storage.local_root or "")
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


async def _requests_counted(client: httpx.AsyncClient, status: str) -> float:
    text = (await client.get("/metrics")).text
    pattern = (
        r'handheld_requests_total\{method="PUT",'
        r'path="/api/v1/declarations/\{declaration_id\}/materials/\{code\}",'
        rf'status="{status}"\}} (\S+)'
    )
    found = re.search(pattern, text)
    return float(found.group(1)) if found else 0.0


@pytest.fixture
def access_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.INFO)
    return caplog


async def test_an_aborted_upload_is_a_499_with_no_traceback_and_nothing_stored(
    applicant: Applicant,
    settings: Settings,
    db: asyncpg.Connection,
    access_log: pytest.LogCaptureFixture,
) -> None:
    draft = await applicant.create(RENT_WITHDRAWAL)
    path = f"/api/v1/declarations/{draft['id']}/materials/CL00401001-03"
    async with (
        running_server(settings) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as live,
    ):
        before = await _requests_counted(live, "499")
        errors_before = await _requests_counted(live, "500")
        host, port = base.removeprefix("http://").split(":")
        reader, writer = await asyncio.open_connection(host, int(port))
        head = (
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
            b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        )
        writer.write(
            f"PUT {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {applicant.token}\r\n"
            "Content-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: {1024 * 1024}\r\n\r\n".encode()
            + head
            + b"0" * (256 * 1024)
        )
        await writer.drain()

        # The server is storing the file: now the client goes away.
        async def storing() -> bool:
            return bool(_stored_files(settings))

        await eventually(storing)
        writer.close()
        await writer.wait_closed()
        assert await reader.read() == b""  # no answer reaches a closed connection

        async def counted() -> bool:
            return await _requests_counted(live, "499") == before + 1

        await eventually(counted)
        assert await _requests_counted(live, "500") == errors_before
    aborted = [r for r in access_log.records
               if r.name == "handheld.access" and getattr(r, "path", "") == path]  # fmt: skip
    assert [getattr(r, "status", None) for r in aborted] == [499]
    _no_errors_logged(access_log)
    assert _stored_files(settings) == []
    assert await db.fetchval("SELECT count(*) FROM materials") == 0
    detail = await applicant.detail(draft["id"])
    assert all(m["file"] is None for m in detail["materials"])
