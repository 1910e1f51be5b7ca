"""The licence file: encrypted at rest like every stored file (in a local directory or an S3
bucket), served only as a download."""

from __future__ import annotations

import httpx
import pytest

from core.settings import Settings
from tests.fixtures.declarations import Applicant
from tests.fixtures.licences import earn_licence
from tests.fixtures.objectstore import stored_objects


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
async def test_licence_file_is_encrypted_at_rest_and_served_as_a_download(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, settings: Settings
) -> None:
    entry = await earn_licence(applicant)
    file = await applicant.client.get(
        f"/api/v1/licences/{entry['id']}/file", headers=applicant.headers
    )
    assert file.status_code == 200, file.text
    assert file.content.startswith(b"%PDF-")
    assert file.headers["x-content-type-options"] == "nosniff"
    assert file.headers["content-security-policy"] == "sandbox"
    name = f"{entry['licenceNumber']}.pdf"
    assert file.headers["content-disposition"] == (
        f"attachment; filename=\"{name}\"; filename*=UTF-8''{name}"
    )

    stored = stored_objects(settings, prefix="licences/")
    assert len(stored) == 1
    [at_rest] = stored.values()
    plain = file.content
    assert b"%PDF" not in at_rest
    # No stretch of the document is readable at rest (64-byte windows across the file).
    for start in range(0, len(plain) - 64, max(1, len(plain) // 50)):
        assert plain[start : start + 64] not in at_rest
