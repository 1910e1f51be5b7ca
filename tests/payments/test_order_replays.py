"""Idempotency-Key on order creation: twenty copies of one tap are one order, one prepay at the
WeChat Pay stand-in, and twenty byte-identical answers (pay parameters included)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.fixtures.payments import Payer, WechatPayDesk

COPIES = 20


async def _order_all(
    live: httpx.AsyncClient, payer: Payer, notice_id: str, calls: list[tuple[str, str]]
) -> list[httpx.Response]:
    """One POST per (key, channel), all at once."""
    return list(
        await asyncio.gather(*(
            live.post(
                "/api/v1/payments/orders",
                json={"noticeId": notice_id, "channel": channel},
                headers={**payer.headers, "Idempotency-Key": key},
            )
            for key, channel in calls
        ))
    )  # fmt: skip


async def _prepaid(desk: WechatPayDesk, notice_id: str) -> list[dict[str, Any]]:
    """The stand-in's transactions for the notice (our orders carry its id as ``attach``)."""
    body = await desk.get("/_control/transactions")
    return [t for t in body["transactions"] if t.get("attach") == notice_id]


async def test_twenty_concurrent_orders_with_one_key_are_one_order_and_one_answer(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk
) -> None:
    _, notice = await payer.accepted_with_fee()

    answers = await _order_all(live, payer, notice["id"], [("one-pay-tap-0001", "jsapi")] * COPIES)

    assert [r.status_code for r in answers] == [200] * COPIES, [r.text for r in answers]
    first = answers[0].json()
    assert first["status"] == "pending" and first["payParams"]["package"].startswith("prepay_id=")
    # The pay parameters are signed once: the copies carry the very same ones.
    assert len({r.content for r in answers}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in answers) == COPIES - 1
    assert len(await _prepaid(desk, notice["id"])) == 1

    # The key stays bound to that answer: asked again later, the same bytes.
    again = await payer.order(notice["id"], key="one-pay-tap-0001")
    assert again.status_code == 200 and again.content == answers[0].content


async def test_twenty_concurrent_orders_with_different_keys_open_one_order(
    live: httpx.AsyncClient, worker: None, payer: Payer, desk: WechatPayDesk
) -> None:
    """Another key on the same channel is handed the one open order (the citizen reopening the
    pay page); the other channel is a clear 409. Never a second order, never a second prepay."""
    _, notice = await payer.accepted_with_fee()
    calls = [(f"pay-tap-{i:02d}-0001", "jsapi" if i % 2 else "app") for i in range(COPIES)]

    answers = await _order_all(live, payer, notice["id"], calls)

    assert {r.status_code for r in answers} == {200, 409}, [r.text for r in answers]
    opened = {r.json()["id"] for r in answers if r.status_code == 200}
    assert len(opened) == 1
    winner = next(r.json() for r in answers if r.status_code == 200)
    for (_, channel), answer in zip(calls, answers, strict=True):
        if channel == winner["channel"]:
            assert answer.status_code == 200 and answer.json()["id"] == winner["id"]
            continue
        assert answer.status_code == 409
        assert answer.headers["content-type"].startswith("application/problem+json")
        problem = answer.json()
        assert problem["code"] == "PAYMENT_ORDER_OPEN" and problem["orderId"] == winner["id"]
        assert problem["title"] == "该费用已在其他渠道发起支付，请在原渠道完成或稍后再试"
    assert len(await _prepaid(desk, notice["id"])) == 1


async def test_order_keys_reused_with_another_body_are_422_and_scoped_by_route_and_citizen(
    live: httpx.AsyncClient, worker: None, payer: Payer, client: httpx.AsyncClient
) -> None:
    from tests.fixtures.declarations import first_format
    from tests.fixtures.identity import sso, user
    from tests.fixtures.waiting import eventually

    # One key submits the declaration, then opens the order: two routes, two answers.
    key = "one-key-two-routes-0001"
    draft = await payer.create(await payer.charged_item())
    await payer.fill(draft["id"])
    for material in draft["materials"]:
        resp = await payer.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    submitted = await payer.submit(draft["id"], key=key)
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    notice = await eventually(lambda: payer.notice_of(draft["id"]))
    ordered = await payer.order(notice["id"], key=key)
    assert ordered.status_code == 200, ordered.text
    assert ordered.json()["noticeId"] == notice["id"] and ordered.json()["status"] == "pending"

    # The same key with another body on this route: 422, and no second order.
    reused = await payer.order(notice["id"], key=key, channel="app")
    assert reused.status_code == 422, reused.text
    assert reused.headers["content-type"].startswith("application/problem+json")
    assert reused.json()["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert reused.json()["title"] == "重复的提交请求内容不一致"
    same = await payer.order(notice["id"], key=key)
    assert same.status_code == 200 and same.content == ordered.content

    # Another citizen with the same spelling of the key: their own request, not found.
    other = (await sso(client, payer.outside, user("zhangsan"))).json()["accessToken"]
    stranger = Payer(client, payer.outside, other)
    assert (await stranger.order(notice["id"], key=key)).status_code == 404
