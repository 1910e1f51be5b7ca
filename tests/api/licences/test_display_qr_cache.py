"""A display code's QR symbol is drawn once and served again from the process's cache, but a
cached symbol is never a way around the checks: an expired code, a revoked licence (revoked
by another process: the worker reading the library's feed) and another citizen are refused
as on the first request."""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec
import pytest

from api.composition import Services
from api.licences import display_codes
from core.settings import Settings, with_changes
from tests.fixtures.declarations import Applicant
from tests.fixtures.licences import earn_licence, other_citizen, service, unb64
from tests.fixtures.waiting import eventually

TTL_S = 8


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_changes(
        settings, licences=msgspec.structs.replace(settings.licences, display_ttl_s=TTL_S)
    )


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every code whose symbol is drawn (the real drawing, counted)."""
    calls: list[str] = []
    draw = display_codes.qr_svg_bytes

    def counted(content: str) -> bytes:
        calls.append(content)
        return draw(content)

    monkeypatch.setattr(display_codes, "qr_svg_bytes", counted)
    return calls


async def _show(applicant: Applicant, licence_id: str) -> dict[str, str]:
    resp = await applicant.client.post(
        f"/api/v1/licences/{licence_id}/display", headers=applicant.headers
    )
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


async def test_served_twice_identical_drawn_once_and_refused_once_expired(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, drawn: list[str]
) -> None:
    entry = await earn_licence(applicant)
    shown = await _show(applicant, entry["id"])
    client = applicant.client
    first = await client.get(shown["qrUrl"])
    second = await client.get(shown["qrUrl"])
    assert first.status_code == second.status_code == 200, (first.text, second.text)
    assert drawn == [shown["code"]]  # the second came from the cache
    assert first.content == second.content == display_codes.qr_svg(shown["code"]).encode()
    drawn.clear()
    cache = [part.strip() for part in second.headers["cache-control"].split(",")]
    assert cache[0] == "private" and "immutable" in cache
    max_age = next(int(p.split("=")[1]) for p in cache if p.startswith("max-age="))
    assert 0 <= max_age <= TTL_S
    # The holder's own token changes nothing.
    mine = await client.get(shown["qrUrl"], headers=applicant.headers)
    assert mine.status_code == 200 and mine.content == first.content and drawn == []

    expires = msgspec.json.decode(unb64(shown["code"].split(".")[1]))["e"]
    await asyncio.sleep(max(0.0, expires + 1.05 - time.time()))
    gone = await client.get(shown["qrUrl"])
    assert gone.status_code == 410 and gone.json()["code"] == "DISPLAY_CODE_EXPIRED"
    assert drawn == []


@pytest.mark.unscheduled("licences.sync")  # the test runs it itself
async def test_a_revoked_licence_s_cached_symbol_is_refused(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    drawn: list[str],
) -> None:
    entry = await earn_licence(applicant)
    shown = await _show(applicant, entry["id"])
    client = applicant.client
    for _ in range(2):
        assert (await client.get(shown["qrUrl"])).status_code == 200
    assert len(drawn) == 1  # cached
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/licences/{entry['licenceNumber']}/revoke",
        {"reason": "证件挂失"},
    )
    # The feed is read by another service instance (the worker's), not the API's.
    assert await service(services).sync_feed() >= 1

    async def refused() -> httpx.Response | None:
        resp = await client.get(shown["qrUrl"])
        return resp if resp.status_code != 200 else None

    resp = await eventually(refused)
    assert resp.status_code == 409 and resp.json()["code"] == "LICENCE_NOT_DISPLAYABLE"
    assert len(drawn) == 1
    again = await client.get(shown["qrUrl"])
    assert again.status_code == 409


async def test_another_citizen_cannot_fetch_your_code_s_symbol(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, drawn: list[str]
) -> None:
    entry = await earn_licence(applicant)
    client = applicant.client
    theirs = await other_citizen(client, applicant)
    # Not drawn yet, then drawn and cached: refused either way.
    fresh = await _show(applicant, entry["id"])
    resp = await client.get(fresh["qrUrl"], headers=theirs)
    assert resp.status_code == 404 and resp.json()["code"] == "LICENCE_NOT_FOUND"
    assert drawn == []
    cached = await _show(applicant, entry["id"])
    assert (await client.get(cached["qrUrl"], headers=applicant.headers)).status_code == 200
    resp = await client.get(cached["qrUrl"], headers=theirs)
    assert resp.status_code == 404 and resp.json()["code"] == "LICENCE_NOT_FOUND"
    assert "<svg" not in resp.text
    assert drawn == [cached["code"]]


async def test_a_code_that_is_not_ascii_is_refused_not_a_server_error(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    """Found by schemathesis: a percent-encoded Chinese code reached the cache's digest,
    which encodes codes as ASCII, before routing."""
    await _show(applicant, (await earn_licence(applicant))["id"])  # the cache is in use
    for headers in ({}, applicant.headers):  # before routing, and the handler
        resp = await applicant.client.get(
            "/api/v1/licences/display-qr.svg?code=%E5%8C%BB%E7%96%97%E5%8D%AB%E7%94%9F",
            headers=headers,
        )
        assert 400 <= resp.status_code < 500, resp.text
