"""The platform's rating system (好差评) on the provincial stand-in, over real HTTP; and our client
of it (``core.clients.provincial.ProvincialRatingsClient``) against it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import aiohttp
import msgspec
import pytest
import pytest_asyncio

from core.clients.provincial import (
    PlatformRefused,
    ProvincialRatingsClient,
    RatingReport,
    RatingScores,
)
from core.settings import HttpClientSettings, ProvincialSettings, Secret
from tests.fixtures.provincial_cases import API_KEY, MIGRATION, Platform, PlatformFactory

RATINGS = "/gov/ratings/v1/ratings"


@pytest_asyncio.fixture
async def stand_in(make_platform: PlatformFactory) -> Platform:
    return await make_platform()


def rating(case_number: str, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "ratingId": str(uuid.uuid4()),
        "caseNumber": case_number,
        "itemCode": MIGRATION,
        "channel": "wechat",
        "level": 2,
        "scores": {
            "overall": 2,
            "efficiency": 1,
            "guideAccuracy": 3,
            "convenience": 2,
            "easeOfUse": 3,
        },
        "tags": ["materials_beyond_guide"],
        "text": "要求提供指南以外的证明",
        "ratedAt": "2025-09-30T02:00:00Z",
    }
    body.update(overrides)
    return body


async def finished_case(platform: Platform, to: str = "completed") -> str:
    number = str((await platform.submit())["caseNumber"])
    for step in ("accepted", "processing", to):
        await platform.advance(number, step)
    return number


@pytest.mark.asyncio
async def test_ratings_are_idempotent_and_once_per_case_and_channel(stand_in: Platform) -> None:
    platform = stand_in
    case = await finished_case(platform)
    first_body = rating(case)
    status, first = await platform.call("POST", RATINGS, first_body)
    assert status == 201, first
    assert set(first) == {"ratingId", "ratingNumber", "receivedAt"}
    assert first["ratingId"] == first_body["ratingId"]

    # The same rating again (a retry after a lost answer): the same receipt, nothing new.
    status, again = await platform.call("POST", RATINGS, first_body)
    assert status == 200 and again == first
    # Another rating under a known id is refused, not silently merged.
    status, body = await platform.call("POST", RATINGS, {**first_body, "level": 5})
    assert status == 409 and body["code"] == "RATING_CONFLICT"
    # 一事一评: one rating per case and channel; the other channel may rate.
    status, body = await platform.call("POST", RATINGS, rating(case))
    assert status == 409 and body["code"] == "ALREADY_RATED"
    status, _ = await platform.call("POST", RATINGS, rating(case, channel="app", level=5))
    assert status == 201

    # One follow-up per case, naming a rating of the case.
    status, body = await platform.call(
        "POST", RATINGS, rating(case, followUpOf=str(uuid.uuid4()), level=4)
    )
    assert status == 404 and body["code"] == "RATING_NOT_FOUND"
    status, _ = await platform.call(
        "POST", RATINGS, rating(case, followUpOf=first_body["ratingId"], level=4)
    )
    assert status == 201
    status, body = await platform.call(
        "POST", RATINGS, rating(case, followUpOf=first_body["ratingId"], level=5)
    )
    assert status == 409 and body["code"] == "ALREADY_RATED"

    status, listed = await platform.control("GET", "/ratings")
    assert status == 200 and len(listed["ratings"]) == 3
    status, one = await platform.call("GET", f"{RATINGS}/{first['ratingNumber']}")
    assert status == 200 and one["level"] == 2 and one["caseNumber"] == case
    assert one["scores"]["guideAccuracy"] == 3


@pytest.mark.asyncio
async def test_ratings_refused(stand_in: Platform) -> None:
    platform = stand_in
    open_case = str((await platform.submit())["caseNumber"])
    status, body = await platform.call("POST", RATINGS, rating(open_case))
    assert status == 409 and body["code"] == "CASE_NOT_FINISHED"
    status, body = await platform.call("POST", RATINGS, rating("XL2025093000001"))
    assert status == 404 and body["code"] == "CASE_NOT_FOUND"
    refused = await finished_case(platform, "refused")  # a refusal is a finished matter too
    for bad in ({"level": 0}, {"level": 6}, {"channel": "fax"}, {"unknown": 1},
                {"scores": {"overall": 5}}, {"itemCode": "OTHER"}):  # fmt: skip
        status, body = await platform.call("POST", RATINGS, rating(refused, **bad))
        assert status == 400 and body["code"] == "INVALID_PARAMETER", bad
    assert (await platform.call("POST", RATINGS, rating(refused)))[0] == 201
    async with platform.http.post(platform.url(RATINGS), json=rating(refused)) as resp:
        assert resp.status == 401  # the platform's API key is required


@pytest.mark.asyncio
async def test_our_client_reports_once_and_raises_refusals(stand_in: Platform) -> None:
    platform = stand_in
    case = await finished_case(platform)
    async with aiohttp.ClientSession() as session:
        client = ProvincialRatingsClient(
            session,
            ProvincialSettings(base_url=platform.server.url, api_key=Secret(API_KEY)),
            HttpClientSettings(retries=1, backoff_base=0.01),
        )
        report = RatingReport(
            rating_id=str(uuid.uuid4()), case_number=case, item_code=MIGRATION, channel="app",
            level=1, scores=RatingScores(overall=1, efficiency=1, guide_accuracy=2,
                                         convenience=1, ease_of_use=2),
            tags=["overdue_without_reason"], text="超期未办结", rated_at=datetime(2025, 9, 30, 2, 0, tzinfo=UTC),
        )  # fmt: skip
        receipt = await client.report_rating(report)
        assert receipt.rating_id == report.rating_id and receipt.rating_number.startswith("PJ")
        assert await client.report_rating(report) == receipt  # idempotent by our id
        with pytest.raises(PlatformRefused) as refused:
            await client.report_rating(msgspec.structs.replace(report, rating_id=str(uuid.uuid4())))
        assert refused.value.code == "ALREADY_RATED"
