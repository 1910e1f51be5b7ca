"""Online verification needs no account: codes we never issued count against the client's
address (here 2 a minute), beyond which probing gets a clear 429; genuine codes still verify."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from core.settings import Settings, with_changes
from tests.fixtures.declarations import Applicant
from tests.fixtures.licences import earn_licence


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_changes(
        settings, licences=msgspec.structs.replace(settings.licences, verify_per_ip="2/minute")
    )


async def test_probing_is_limited_per_address_and_genuine_codes_still_verify(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    shown = await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)
    code = shown.json()["code"]
    head, payload, signature = code.split(".")
    forged = f"{head}.{payload}.{signature[:-2]}AA"
    for _ in range(2):
        refused = await client.post("/api/v1/licence-verifications", json={"code": forged})
        assert refused.status_code == 400 and refused.json()["code"] == "DISPLAY_CODE_INVALID"
    limited = await client.post("/api/v1/licence-verifications", json={"code": "HL1.x.y"})
    assert limited.status_code == 429
    assert limited.json()["code"] == "LICENCE_VERIFICATIONS_LIMITED"
    assert limited.json()["title"] == "核验过于频繁，请稍后再试"
    for _ in range(3):
        genuine = await client.post("/api/v1/licence-verifications", json={"code": code})
        assert genuine.status_code == 200 and genuine.json()["valid"] is True
    log = await client.get(f"/api/v1/licences/{entry['id']}/verifications", headers=headers)
    assert len(log.json()) == 3
