"""A display code past its life (1 s here): refused offline and online (410), and the online
attempt is in the holder's log."""

from __future__ import annotations

import asyncio
import time

import httpx
import msgspec
import pytest

from core.settings import Settings, with_changes
from tests.fixtures.declarations import Applicant
from tests.fixtures.licences import earn_licence, offline_check


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_changes(
        settings, licences=msgspec.structs.replace(settings.licences, display_ttl_s=1)
    )


async def test_expired_code_fails_offline_and_online_and_is_logged(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    shown = await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)
    code = shown.json()["code"]
    key = (await client.get("/api/v1/licences/display-key")).json()
    payload = offline_check(key, code)
    with pytest.raises(AssertionError, match=r"^expired"):
        offline_check(key, code, now=payload["e"] + 1)
    await asyncio.sleep(max(0.0, payload["e"] + 1.05 - time.time()))
    qr = await client.get("/api/v1/licences/display-qr.svg", params={"code": code})
    assert qr.status_code == 410 and qr.json()["code"] == "DISPLAY_CODE_EXPIRED"
    resp = await client.post("/api/v1/licence-verifications", json={"code": code})
    assert resp.status_code == 410 and resp.json()["code"] == "DISPLAY_CODE_EXPIRED"
    log = await client.get(f"/api/v1/licences/{entry['id']}/verifications", headers=headers)
    assert [v["outcome"] for v in log.json()] == ["code_expired"]
