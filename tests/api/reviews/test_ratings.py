"""Rating a matter: only when finished, once per channel, levels and input validated, reported."""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx

from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.identity import Outside, sso, user, wechat_login
from tests.fixtures.reviews import BAD, finished, rate, reviews
from tests.fixtures.waiting import eventually

GOOD = {"level": 5, "tags": ["fast", "no_visit"], "text": "全程网办，很方便"}


async def test_only_a_finished_matter_is_rated(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, outside: Outside
) -> None:
    client, token = applicant.client, applicant.token
    draft = (await applicant.create(RENT_WITHDRAWAL))["id"]
    early = await rate(client, token, draft, GOOD)
    assert early.status_code == 409 and early.json()["code"] == "REVIEW_NOT_FINISHED"
    assert early.json()["title"] == "事项办结后才能评价" and early.json()["state"] == "draft"
    view = await reviews(client, token, draft)
    assert view["canRate"] is False and view["nextKind"] is None and view["reviews"] == []

    accepted = await finished(applicant, "accepted")
    assert (await rate(client, token, accepted, GOOD)).json()["code"] == "REVIEW_NOT_FINISHED"

    # 办结 includes a refusal (不予许可): the department decided the matter.
    refused = await finished(applicant, "refused")
    assert (await reviews(client, token, refused))["canRate"] is True
    resp = await rate(client, token, refused, BAD)
    assert resp.status_code == 200, resp.text

    completed = await finished(applicant)
    view = await reviews(client, token, completed)
    assert view["canRate"] is True and view["nextKind"] == "initial" and view["channel"] == "app"
    review = await rate(client, token, completed, GOOD)
    assert review.status_code == 200, review.text
    body = review.json()
    assert body["level"] == 5 and body["levelLabel"] == "非常满意" and body["bad"] is False
    assert body["kind"] == "initial" and body["channel"] == "app" and body["scores"] is None
    assert [t["label"] for t in body["tags"]] == ["办理速度快", "不用跑腿"]
    assert body["itemCode"] == RENT_WITHDRAWAL

    # Someone else's matter is not found (no oracle), rated or not.
    other = (await sso(client, outside, user("lisi"))).json()["accessToken"]
    stranger = await rate(client, other, completed, GOOD)
    assert stranger.status_code == 404 and stranger.json()["code"] == "DECLARATION_NOT_FOUND"
    assert (
        await client.get(
            f"/api/v1/declarations/{completed}/reviews",
            headers={"Authorization": f"Bearer {other}"},
        )
    ).status_code == 404
    assert (
        await client.post(f"/api/v1/declarations/{completed}/reviews", json=GOOD)
    ).status_code == 401

    # The rating reaches the platform's rating system (a job), under our id.
    async def reported() -> Any:
        view = await reviews(client, token, completed)
        return view["reviews"][0]["reported"]

    await eventually(reported)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{outside.provincial}/_control/ratings") as listed,
    ):
        at_platform = {r["ratingId"]: r for r in (await listed.json())["ratings"]}
    assert at_platform[body["id"]]["level"] == 5 and at_platform[body["id"]]["channel"] == "app"


async def test_levels_and_input_are_validated(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    client, token = applicant.client, applicant.token
    declaration = await finished(applicant)
    partial_scores = {"level": 3, "scores": {"overall": 3}}
    invalid: list[dict[str, Any]] = [
        {"level": 0}, {"level": 6}, {"level": 4.5}, {"level": "五"}, {},
        {"level": 4, "stars": 4}, {"level": 4, "text": "长" * 501},
        {"level": 4, "tags": ["fast"] * 11}, partial_scores,
        {"level": 2, "scores": {**BAD["scores"], "overall": 9}},
    ]  # fmt: skip
    for body in invalid:
        resp = await rate(client, token, declaration, body)
        assert resp.status_code == 422, (body, resp.text)
        problem = resp.json()
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert problem["code"] == "VALIDATION_FAILED" and problem["status"] == 422
    unknown = await rate(client, token, declaration, {"level": 4, "tags": ["fast", "made_up"]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "REVIEW_TAG_UNKNOWN"
    assert unknown.json()["tags"] == ["made_up"]
    bad_path = await client.get(
        "/api/v1/declarations/not-a-uuid/reviews", headers={"Authorization": f"Bearer {token}"}
    )
    assert bad_path.status_code in (400, 404)
    # Nothing was stored by the refusals: the one rating still to give is the first.
    assert (await reviews(client, token, declaration))["nextKind"] == "initial"

    catalogue = await client.get("/api/v1/reviews/tags")
    assert catalogue.status_code == 200
    levels = {lv["level"]: lv for lv in catalogue.json()["levels"]}
    assert levels[1]["label"] == "非常不满意" and levels[1]["bad"] is True
    assert levels[3]["label"] == "基本满意" and levels[3]["bad"] is False
    tags = {t["code"]: t for t in catalogue.json()["tags"]}
    assert tags["conditions_beyond_guide"]["label"] == "增设办理条件"
    assert tags["conditions_beyond_guide"]["sentiment"] == "bad"


async def test_once_per_matter_per_channel(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, outside: Outside
) -> None:
    client, token = applicant.client, applicant.token
    declaration = await finished(applicant)
    first = await rate(client, token, declaration, {"level": 4})
    assert first.status_code == 200 and first.json()["channel"] == "app"
    again = await rate(client, token, declaration, {"level": 5})
    assert again.status_code == 409 and again.json()["code"] == "REVIEW_ALREADY_GIVEN"
    assert again.json()["channel"] == "app"

    # The same person in the mini-program (WeChat bound to the real name): the WeChat channel.
    wechat = await wechat_login(client, outside, "wx-zhangsan")
    bound = await sso(
        client, outside, user("zhangsan"), purpose="bind", token=wechat["accessToken"]
    )
    assert bound.status_code == 200, bound.text
    mini = (await wechat_login(client, outside, "wx-zhangsan"))["accessToken"]
    view = await reviews(client, mini, declaration)
    assert view["channel"] == "wechat" and view["canRate"] is True
    assert view["nextKind"] == "initial"
    on_wechat = await rate(client, mini, declaration, {"level": 3, "tags": ["easy_to_use"]})
    assert on_wechat.status_code == 200 and on_wechat.json()["channel"] == "wechat"
    twice = await rate(client, mini, declaration, {"level": 3})
    assert twice.status_code == 409 and twice.json()["code"] == "REVIEW_ALREADY_GIVEN"

    view = await reviews(client, token, declaration)
    assert sorted(r["channel"] for r in view["reviews"]) == ["app", "wechat"]
    assert view["canRate"] is False and view["ticket"] is None  # good ratings open no ticket
