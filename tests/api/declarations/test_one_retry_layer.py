"""During a platform outage each attempt of the submission job is one request at the platform:
the job's backoff is the only retry layer (the client does not retry inside a job)."""

from __future__ import annotations

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.servers import running_worker
from tests.fixtures.waiting import eventually


async def _ready_to_submit(applicant: Applicant) -> str:
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        if material["code"] in ("CL00401001-01", "CL00401001-03"):
            kind = "pdf" if material["code"] == "CL00401001-01" else first_format(material)
            assert (await applicant.upload(draft["id"], material["code"], kind)).status_code == 200
    return str(draft["id"])


async def test_an_outage_costs_one_request_per_job_attempt(
    live: httpx.AsyncClient,
    applicant: Applicant,
    services: Services,
    db: asyncpg.Connection,
    stand_ins: None,
) -> None:
    platform = applicant.outside.provincial
    declaration = await _ready_to_submit(applicant)
    await applicant.outside.post(
        f"{platform}/_control/faults", {"mode": "error", "status": 503, "pathPrefix": "/gov/cases/"}
    )
    submitted = await applicant.submit(declaration)
    assert submitted.status_code == 200, submitted.text

    async with running_worker(services):

        async def retried() -> bool:
            attempts = await db.fetchval(
                "SELECT attempts FROM pgqueuer WHERE entrypoint = 'declarations.submit'"
            )
            return bool(attempts and attempts >= 4)

        await eventually(retried, timeout=60)
    # The worker is stopped: every attempt it made is counted in the job.
    attempts = await db.fetchval(
        "SELECT attempts FROM pgqueuer WHERE entrypoint = 'declarations.submit'"
    )
    async with applicant.outside.session.get(f"{platform}/_control/faults") as resp:
        fault = await resp.json()
    assert fault["faultedRequests"] == attempts

    await applicant.outside.session.delete(f"{platform}/_control/faults")
    async with running_worker(services):
        await applicant.case_number(declaration)  # delivered once the platform is back
