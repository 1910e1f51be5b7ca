"""Online verification needs no account, so each client address has a limit (here 2 a minute):
beyond it a clear 429 and nothing recorded."""

from __future__ import annotations

import httpx
import msgspec
import pytest

from core.settings import Settings, with_changes
from tests.api.declarations.conftest import Applicant
from tests.api.licences.conftest import earn_licence


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return with_changes(
        settings, licences=msgspec.structs.replace(settings.licences, verify_per_ip="2/minute")
    )


async def test_verifications_per_address_are_limited(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    shown = await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)
    code = shown.json()["code"]
    for _ in range(2):
        ok = await client.post("/api/v1/licence-verifications", json={"code": code})
        assert ok.status_code == 200, ok.text
    limited = await client.post("/api/v1/licence-verifications", json={"code": code})
    assert limited.status_code == 429
    assert limited.json()["code"] == "LICENCE_VERIFICATIONS_LIMITED"
    assert limited.json()["title"] == "核验过于频繁，请稍后再试"
    log = await client.get(f"/api/v1/licences/{entry['id']}/verifications", headers=headers)
    assert len(log.json()) == 2
