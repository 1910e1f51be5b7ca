"""Every state change of a declaration reaches the inbox and, while the citizen has granted
quota, one WeChat subscribe message; without quota WeChat is asked at most once (43101)."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx

from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.identity import sso, user, wechat_login
from tests.fixtures.waiting import eventually

STEPS = ("accepted", "processing", "completed")


async def _wechat_applicant(applicant: Applicant, who: str) -> tuple[Applicant, str]:
    session = await wechat_login(applicant.client, applicant.outside, who)
    bound = await sso(applicant.client, applicant.outside, user("wangfang"), purpose="bind",
                      token=session["accessToken"])  # fmt: skip
    assert bound.status_code == 200, bound.text
    return Applicant(applicant.client, applicant.outside, bound.json()["accessToken"]), who


async def _run_declaration(applicant: Applicant) -> str:
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    for code in ("CL00401001-01", "CL00401001-03"):
        material = next(m for m in draft["materials"] if m["code"] == code)
        assert (
            await applicant.upload(draft["id"], code, first_format(material))
        ).status_code == 200
    assert (await applicant.submit(draft["id"])).status_code == 200
    case = await applicant.case_number(draft["id"])
    for step in STEPS:
        await applicant.advance(case, step)
    await applicant.wait_state(draft["id"], "completed")
    return str(draft["id"])


async def _settled(db: asyncpg.Connection) -> bool:
    queued = await db.fetchval("SELECT count(*) FROM push_deliveries WHERE status = 'queued'")
    jobs = await db.fetchval(
        "SELECT count(*) FROM pgqueuer WHERE entrypoint LIKE 'push.%' AND status IN ('queued','picked')"
    )
    return queued == 0 and jobs == 0


async def _wechat_messages(applicant: Applicant, who: str) -> list[dict[str, object]]:
    async with applicant.outside.session.get(
        f"{applicant.outside.wechat}/_control/sent", params={"user": who}
    ) as resp:
        return list((await resp.json())["messages"])


async def test_every_change_in_the_inbox_and_on_wechat_while_quota_lasts(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection
) -> None:
    citizen, who = await _wechat_applicant(applicant, "wx-notify")
    for _ in range(3):  # three taps on the subscribe popup, each reported by WeChat's event
        await applicant.outside.post(f"{applicant.outside.wechat}/_control/subscriptions",
                                     {"user": who, "templateId": "TPL_PROGRESS"})  # fmt: skip
        # WeChat events carry whole seconds; two in one second are one event to a receiver that
        # deduplicates by content (WeChat's advice: FromUserName + CreateTime).
        await asyncio.sleep(1.05)

    async def granted() -> bool:
        return await db.fetchval("SELECT quota FROM wechat_subscriptions") == 3

    await eventually(granted)
    await _run_declaration(citizen)
    await eventually(lambda: _settled(db), timeout=30)

    inbox = (await citizen.client.get("/api/v1/inbox?pageSize=50", headers=citizen.headers)).json()
    changes = [m for m in inbox["items"] if m["eventType"].startswith("declaration.")]
    assert {m["eventType"] for m in changes} >= {
        "declaration.submitted", "declaration.accepted", "declaration.processing",
        "declaration.completed",
    }  # fmt: skip
    sent = await _wechat_messages(applicant, who)
    assert len(sent) == 3  # one per change while the grant lasted, none beyond it
    assert all(len(m["data"]["thing1"]["value"]) <= 20 for m in sent)  # type: ignore[index]
    outcomes = dict(await db.fetch(
        "SELECT status, count(*) FROM push_deliveries WHERE channel = 'wechat' GROUP BY status"))  # fmt: skip
    assert outcomes["sent"] == 3
    assert outcomes["skipped"] == len(changes) - 3
    assert "failed" not in outcomes  # no 43101: without quota we do not ask


async def test_without_quota_at_most_one_43101(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, db: asyncpg.Connection
) -> None:
    citizen, who = await _wechat_applicant(applicant, "wx-liar")
    # The client reports an accept that WeChat never saw (or the user revoked since).
    report = await citizen.client.post(
        "/api/v1/push/subscriptions", json={"results": {"TPL_PROGRESS": "accept"}},
        headers=citizen.headers,
    )  # fmt: skip
    assert report.status_code == 200 and report.json()[0]["quota"] == 1
    await _run_declaration(citizen)
    await eventually(lambda: _settled(db), timeout=30)

    failures = await db.fetchval(
        "SELECT count(*) FROM push_deliveries WHERE channel = 'wechat' AND status = 'failed'"
    )
    assert failures == 1  # exactly one attempt answered 43101; the ledger is zero after it
    assert await db.fetchval("SELECT quota FROM wechat_subscriptions") == 0
    assert await _wechat_messages(applicant, who) == []
    inbox = (await citizen.client.get("/api/v1/inbox?pageSize=50", headers=citizen.headers)).json()
    assert sum(m["eventType"] == "declaration.completed" for m in inbox["items"]) == 1
