"""The one retry mechanism for calls to outside systems (``core.http.call_with_retries``, on
stamina), against the provincial stand-in's fault injection over real HTTP: idempotent calls are
tried 1 + ``retries`` times after transient failures (no answer, 5xx), answers (4xx, documented
refusals) are never tried again, nothing is retried inside a job, and every retry is counted by
system and operation in one place."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from core.clients.provincial import (
    LicenceNotInLibrary,
    PlatformRefused,
    ProvincialLicencesClient,
    ProvincialRatingsClient,
    RatingReport,
)
from core.clients.provincial_identity import ProvincialIdentityClient
from core.http import OutsideSystemHttpError, single_attempt
from core.settings import HttpClientSettings, ProvincialSettings, Secret
from sandbox.provincial.app import build_provincial_app
from sandbox.runner import RunningApp, start_app

KEY = "retries-test-key"
HOLDER = {
    "holderName": "张三",
    "holderIdNumber": "620102198503120031",
    "typeCode": "SFZ",
    "typeName": "居民身份证",
    "issuerCode": "11620100013900112A",
}
EVENTS = "/gov/licences/v1/events"
RATINGS = "/gov/ratings/v1/ratings"
TOKEN = "/oauth2/token"


@dataclass
class StandIn:
    app: RunningApp
    http: aiohttp.ClientSession

    def settings(self) -> ProvincialSettings:
        return ProvincialSettings(base_url=self.app.url, api_key=Secret(KEY))

    async def control(self, method: str, path: str, body: object = None) -> Any:
        async with self.http.request(method, self.app.url + "/_control" + path, json=body) as r:
            assert r.status < 300, await r.text()
            return await r.json()

    async def fault(self, **spec: Any) -> None:
        await self.control("POST", "/faults", spec)

    async def fault_requests(self) -> tuple[int, int]:
        """(requests that matched the fault's path, requests that got the fault)."""
        described = await self.control("GET", "/faults")
        return described["matchedRequests"], described["faultedRequests"]


@pytest.fixture
async def stand_in() -> AsyncIterator[StandIn]:
    running = await start_app(build_provincial_app(api_key=KEY), "127.0.0.1", 0)
    async with aiohttp.ClientSession() as http:
        yield StandIn(running, http)
    await running.close()


def retries_counted(system: str, operation: str) -> float:
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value(
        "handheld_outside_call_retries_total", {"system": system, "operation": operation}
    )
    return value or 0.0


def http_settings(retries: int) -> HttpClientSettings:
    return HttpClientSettings(retries=retries, backoff_base=0.01)


async def test_an_idempotent_call_is_tried_again_after_transient_failures(
    stand_in: StandIn,
) -> None:
    library = ProvincialLicencesClient(stand_in.http, stand_in.settings(), http_settings(2))
    before = retries_counted("provincial_licences", "licence_events")
    await stand_in.fault(mode="error", status=503, times=2, pathPrefix=EVENTS)
    page = await library.events(0)
    assert page.events == []
    assert await stand_in.fault_requests() == (3, 2)
    assert retries_counted("provincial_licences", "licence_events") == before + 2


async def test_attempts_are_one_plus_the_configured_retries(stand_in: StandIn) -> None:
    for retries in (0, 1, 3):
        library = ProvincialLicencesClient(
            stand_in.http, stand_in.settings(), http_settings(retries)
        )
        before = retries_counted("provincial_licences", "licence_events")
        await stand_in.fault(mode="error", status=502, pathPrefix=EVENTS)
        with pytest.raises(OutsideSystemHttpError) as failed:
            await library.events(0)
        assert failed.value.status == 502
        assert await stand_in.fault_requests() == (retries + 1, retries + 1)
        assert retries_counted("provincial_licences", "licence_events") == before + retries


async def test_a_dropped_connection_is_transient(stand_in: StandIn) -> None:
    library = ProvincialLicencesClient(stand_in.http, stand_in.settings(), http_settings(3))
    # aiohttp itself sends an idempotent request once more when the connection drops: two
    # resets are one failed try of ours.
    await stand_in.fault(mode="reset", times=2, pathPrefix=EVENTS)
    assert (await library.events(0)).events == []
    matched, faulted = await stand_in.fault_requests()
    assert faulted == 2 and matched == 3


async def test_an_answer_is_final_and_never_tried_again(stand_in: StandIn) -> None:
    library = ProvincialLicencesClient(stand_in.http, stand_in.settings(), http_settings(3))
    before = retries_counted("provincial_licences", "licence_events")
    # A 4xx that is not a documented refusal (our misconfiguration, say) is an answer too.
    await stand_in.fault(mode="error", status=403, pathPrefix=EVENTS)
    with pytest.raises(OutsideSystemHttpError) as failed:
        await library.events(0)
    assert failed.value.status == 403
    assert await stand_in.fault_requests() == (1, 1)
    assert retries_counted("provincial_licences", "licence_events") == before


async def test_a_documented_refusal_is_never_retried(stand_in: StandIn) -> None:
    ratings = ProvincialRatingsClient(stand_in.http, stand_in.settings(), http_settings(3))
    before = retries_counted("provincial_ratings", "report_rating")
    await stand_in.fault(
        mode="refuse", status=409, code="ALREADY_RATED", message="已评价", pathPrefix=RATINGS
    )
    report = RatingReport(
        rating_id=str(uuid.uuid4()),
        case_number="XL2025093000001",
        item_code="ITEM",
        channel="app",
        level=5,
        rated_at=datetime(2025, 9, 30, 2, 0, tzinfo=UTC),
    )
    with pytest.raises(PlatformRefused) as refused:
        await ratings.report_rating(report)
    assert refused.value.code == "ALREADY_RATED"
    assert await stand_in.fault_requests() == (1, 1)
    assert retries_counted("provincial_ratings", "report_rating") == before


async def test_a_call_that_is_not_idempotent_is_tried_once(stand_in: StandIn) -> None:
    sso = ProvincialIdentityClient(stand_in.http, stand_in.settings(), http_settings(3))
    await stand_in.fault(mode="error", status=503, pathPrefix=TOKEN)
    with pytest.raises(OutsideSystemHttpError) as failed:
        await sso.exchange_code("code", "verifier")
    assert failed.value.status == 503
    assert await stand_in.fault_requests() == (1, 1)


async def test_nothing_is_retried_inside_a_job(stand_in: StandIn) -> None:
    library = ProvincialLicencesClient(stand_in.http, stand_in.settings(), http_settings(3))
    await stand_in.fault(mode="error", status=503, pathPrefix=EVENTS)
    with single_attempt(), pytest.raises(OutsideSystemHttpError):
        await library.events(0)
    assert await stand_in.fault_requests() == (1, 1)


async def test_the_licence_file_is_retried_like_any_get(stand_in: StandIn) -> None:
    issued = await stand_in.control("POST", "/licences", HOLDER)
    number = issued["licenceNumber"]
    file_path = f"/gov/licences/v1/licences/{number}/file"
    library = ProvincialLicencesClient(stand_in.http, stand_in.settings(), http_settings(2))
    before = retries_counted("provincial_licences", "licence_file")

    await stand_in.fault(mode="error", status=503, times=2, pathPrefix=file_path)
    content, content_type = await library.file(number)
    assert content.startswith(b"%PDF-") and content_type == "application/pdf"
    assert await stand_in.fault_requests() == (3, 2)
    assert retries_counted("provincial_licences", "licence_file") == before + 2

    await stand_in.fault(mode="error", status=503, pathPrefix=file_path)
    with pytest.raises(OutsideSystemHttpError):
        await library.file(number)
    assert await stand_in.fault_requests() == (3, 3)

    # Inside a job (the licence import), one request per job attempt.
    await stand_in.fault(mode="error", status=503, pathPrefix=file_path)
    with single_attempt(), pytest.raises(OutsideSystemHttpError):
        await library.file(number)
    assert await stand_in.fault_requests() == (1, 1)

    # Not in the library is an answer.
    await stand_in.control("DELETE", "/faults")
    before = retries_counted("provincial_licences", "licence_file")
    with pytest.raises(LicenceNotInLibrary):
        await library.file("SFZ000000000000000000X")
    assert retries_counted("provincial_licences", "licence_file") == before
