"""The declarations' live API, worker and applicant, plus helpers to earn and read licences."""

from __future__ import annotations

from typing import Any

import httpx

from api.composition import Services
from api.licences.service import LicencesService
from tests.api.declarations.conftest import (
    LICENCE_ISSUER,
    Applicant,
    applicant,
    eventually,
    first_format,
    live,
    outside,
    services,
    worker,
)
from tests.api.identity.conftest import bearer, sso, user


async def earn_licence(applicant: Applicant) -> dict[str, Any]:
    """居民身份证补领 → completed with an SFZ licence; returns the wallet entry once imported."""
    draft = await applicant.create(LICENCE_ISSUER)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        resp = await applicant.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    assert (await applicant.submit(draft["id"])).status_code == 200
    case = await applicant.case_number(draft["id"])
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case, step)
    done = await applicant.wait_state(draft["id"], "completed")
    number = done["result"]["licence"]["licenceNumber"]

    async def imported() -> dict[str, Any] | None:
        for entry in await wallet(applicant):
            if entry["licenceNumber"] == number and entry["status"] != "pending":
                return entry
        return None

    return dict(await eventually(imported))


async def wallet(applicant: Applicant) -> list[dict[str, Any]]:
    resp = await applicant.client.get("/api/v1/licences", headers=applicant.headers)
    assert resp.status_code == 200, resp.text
    return list(resp.json())


async def other_citizen(client: httpx.AsyncClient, applicant: Applicant) -> dict[str, str]:
    token = (await sso(client, applicant.outside, user("lisi"))).json()["accessToken"]
    return bearer(token)


def service(services: Services) -> LicencesService:
    return services.licences


__all__ = [
    "applicant",
    "eventually",
    "live",
    "outside",
    "services",
    "worker",
]
