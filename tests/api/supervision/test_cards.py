"""Yellow and red cards per department and China month (docs/supervision.md): computed from the
month's overdue cases and repeat supplements (the figures' rollup), late rectifications of bad
reviews and materials asked for twice; pushed once to the department's own supervisors; the
trend over six months; the monthly job enqueued once per month, only after the figures have
swept the month's last day."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import httpx

from api.composition import Services
from api.figures.tasks import roll_up_until_caught_up
from api.supervision import tasks as supervision_tasks
from api.supervision.schemas import CardsJob
from api.supervision.service import judge
from core.clock import CHINA_TZ
from core.settings import SupervisionSettings
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.supervision import (
    at,
    seed_asked_twice,
    seed_case,
    seed_citizen,
    seed_items,
    seed_ticket,
    staff_messages,
)

OCTOBER = date(2026, 10, 1)
# Half past midnight on 1 November in Beijing (still 31 October in UTC).
AFTER_OCTOBER = datetime(2026, 11, 1, 0, 30, tzinfo=CHINA_TZ)


async def _seed_october(db: asyncpg.Connection, services: Services) -> None:
    await seed_items(db)
    citizen = await seed_citizen(db, services, "王小明")
    # SUP_D1: three accepted cases due in October, none finished → 3 overdue (red).
    for day in (8, 15, 22):
        await seed_case(
            db, citizen, "SUP_D1", state="accepted", submitted=at(date(2026, 9, 28)),
            accepted=at(date(2026, 9, 30)), promised_due=date(2026, 10, day),
        )  # fmt: skip
    # One finished on its deadline day is not overdue.
    await seed_case(
        db, citizen, "SUP_D1", state="completed", submitted=at(date(2026, 10, 9)),
        accepted=at(date(2026, 10, 10)), finished=at(date(2026, 10, 20), 23),
        promised_due=date(2026, 10, 20),
    )  # fmt: skip
    # SUP_D2: one overdue (finished after its deadline), two cases asked to supplement twice,
    # and a material asked for twice → yellow for each of those.
    await seed_case(
        db, citizen, "SUP_D2", state="completed", submitted=at(date(2026, 10, 9)),
        accepted=at(date(2026, 10, 10)), finished=at(date(2026, 10, 21)),
        promised_due=date(2026, 10, 20),
    )  # fmt: skip
    twice = [
        await seed_case(
            db,
            citizen,
            "SUP_D2",
            state="submitted",
            submitted=at(date(2026, 10, 12 + n)),
            supplements=2,
        )
        for n in range(2)
    ]
    await seed_asked_twice(db, twice[0], "SUP_D2", date(2026, 10, 12), ["M1"])
    # Asked twice in November does not count for October.
    await seed_asked_twice(db, twice[1], "SUP_D2", date(2026, 11, 2), ["M2"])
    # SUP_D3: a bad review not rectified by its due day (31 Oct), one rectified in time →
    # one late rectification (yellow).
    done = await seed_case(
        db, citizen, "SUP_D3", state="completed", submitted=at(date(2026, 10, 9)),
        accepted=at(date(2026, 10, 10)), finished=at(date(2026, 10, 12)),
        promised_due=date(2026, 10, 15),
    )  # fmt: skip
    await seed_ticket(db, done, citizen, "SUP_D3", rated=at(date(2026, 10, 27)),
                      due_on=date(2026, 10, 30))  # fmt: skip
    other = await seed_case(
        db, citizen, "SUP_D3", state="completed", submitted=at(date(2026, 10, 9)),
        accepted=at(date(2026, 10, 10)), finished=at(date(2026, 10, 12)),
        promised_due=date(2026, 10, 15),
    )  # fmt: skip
    await seed_ticket(db, other, citizen, "SUP_D3", rated=at(date(2026, 10, 13)),
                      due_on=date(2026, 10, 16), state="rectified", resolved_on_time=True)  # fmt: skip
    # SUP_D4: one case asked twice to supplement: below the yellow threshold (2) → no card.
    await seed_case(
        db, citizen, "SUP_D4", state="submitted", submitted=at(date(2026, 10, 20)), supplements=2
    )


async def test_cards_of_a_month_are_computed_pushed_once_and_trended(
    client: httpx.AsyncClient, services: Services, db: asyncpg.Connection
) -> None:
    await _seed_october(db, services)
    for name, departments in (
        ("sup-d1", ["SUP_D1"]), ("sup-d2", ["SUP_D2", "SUP_D4"]), ("sup-d3", ["SUP_D3"]),
    ):  # fmt: skip
        await make_staff(services, name, "supervisor", departments)
    province = await make_staff(services, "sup-province", "supervisor")
    # An operator of the department is not its supervisor: no card for them.
    await make_staff(services, "op-d1", "operator", ["SUP_D1"])

    # The job waits for the figures to sweep 31 October.
    async with services.infra.pool.acquire() as conn:
        assert await services.supervision.month_to_compute(conn, AFTER_OCTOBER) is None
    assert not await supervision_tasks.tick(services.supervision, now=AFTER_OCTOBER)
    await roll_up_until_caught_up(services.figures, now=AFTER_OCTOBER)
    assert await supervision_tasks.tick(services.supervision, now=AFTER_OCTOBER)
    # A second tick (another worker, the next hour) does not enqueue the month again.
    assert not await supervision_tasks.tick(services.supervision, now=AFTER_OCTOBER)
    queued = await db.fetch(
        "SELECT payload FROM pgqueuer WHERE entrypoint = $1", supervision_tasks.CARDS_JOB
    )
    assert len(queued) == 1

    await supervision_tasks.compute(services.supervision, CardsJob(OCTOBER), now=AFTER_OCTOBER)
    cards = {
        r["department_code"]: r
        for r in await db.fetch("SELECT * FROM supervision_cards WHERE month = $1", OCTOBER)
    }
    assert cards["SUP_D1"]["colour"] == "red" and cards["SUP_D1"]["reasons"] == ["overdue"]
    assert cards["SUP_D1"]["overdue"] == 3
    assert cards["SUP_D2"]["colour"] == "yellow"
    assert cards["SUP_D2"]["reasons"] == ["overdue", "repeat_supplements", "asked_twice"]
    assert (cards["SUP_D2"]["overdue"], cards["SUP_D2"]["repeat_supplements"]) == (1, 2)
    assert cards["SUP_D2"]["asked_twice"] == 1
    assert cards["SUP_D3"]["colour"] == "yellow"
    assert cards["SUP_D3"]["reasons"] == ["late_rectifications"]
    assert cards["SUP_D3"]["late_rectifications"] == 1
    assert cards["SUP_D4"]["colour"] == "none" and cards["SUP_D4"]["repeat_supplements"] == 1
    # Once computed, the month is not due again.
    async with services.infra.pool.acquire() as conn:
        assert await services.supervision.month_to_compute(conn, AFTER_OCTOBER) is None

    # Each department's supervisors got their card, once; nobody else got any.
    d1 = await staff_messages(db, "sup-d1")
    assert [(m["event_type"], m["title"]) for m in d1] == [
        ("supervision.card", "电子监察红牌：金城市一局")
    ]
    assert "2026-10" in d1[0]["body"] and "超期办件 3 件" in d1[0]["body"]
    d2 = await staff_messages(db, "sup-d2")
    assert [m["title"] for m in d2] == ["电子监察黄牌：金城市二局"]
    assert "重复索要已提交材料 1 次" in d2[0]["body"] and "二次补正 2 件" in d2[0]["body"]
    assert [m["title"] for m in await staff_messages(db, "sup-d3")] == ["电子监察黄牌：金城市三局"]
    assert await staff_messages(db, "sup-province") == []
    assert await staff_messages(db, "op-d1") == []

    # A rerun of the month (the job retried) replaces the cards and tells nobody twice.
    await supervision_tasks.compute(services.supervision, CardsJob(OCTOBER), now=AFTER_OCTOBER)
    assert len(await staff_messages(db, "sup-d1")) == 1
    assert len(await staff_messages(db, "sup-d2")) == 1
    assert await db.fetchval("SELECT count(*) FROM supervision_cards") == 4

    # The trend: six months up to October, oldest first; months before the first computed one
    # say so.
    supervisor = bearer(await staff_login(client, province))
    answer = await client.get(
        "/ops/v1/supervision/cards", params={"to": "2026-10"}, headers=supervisor
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["months"] == ["2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    assert body["rules"]["redOverdue"] == 3
    trend = {d["departmentCode"]: d for d in body["departments"]}
    assert sorted(trend) == ["SUP_D1", "SUP_D2", "SUP_D3", "SUP_D4"]
    assert trend["SUP_D1"]["departmentName"] == "金城市一局"
    assert [c["colour"] for c in trend["SUP_D1"]["months"]] == ["none"] * 5 + ["red"]
    assert [c["computed"] for c in trend["SUP_D1"]["months"]] == [False] * 5 + [True]
    assert trend["SUP_D2"]["months"][-1] | {} == {
        "month": "2026-10", "colour": "yellow",
        "reasons": ["overdue", "repeat_supplements", "asked_twice"], "overdue": 1,
        "lateRectifications": 0, "repeatSupplements": 2, "askedTwice": 1, "computed": True,
    }  # fmt: skip
    shorter = await client.get(
        "/ops/v1/supervision/cards", params={"to": "2026-11", "months": 2}, headers=supervisor
    )
    assert shorter.json()["months"] == ["2026-10", "2026-11"]
    bad = await client.get("/ops/v1/supervision/cards", params={"to": "2026-13"},
                           headers=supervisor)  # fmt: skip
    assert bad.status_code == 400


async def test_a_staff_message_is_read_once_and_only_by_its_staff(
    client: httpx.AsyncClient, services: Services, db: asyncpg.Connection
) -> None:
    await _seed_october(db, services)
    account = await make_staff(services, "sup-d1", "supervisor", ["SUP_D1"])
    other = await make_staff(services, "sup-d2", "supervisor", ["SUP_D2"])
    await roll_up_until_caught_up(services.figures, now=AFTER_OCTOBER)
    await supervision_tasks.compute(services.supervision, CardsJob(OCTOBER), now=AFTER_OCTOBER)
    mine = bearer(await staff_login(client, account))
    theirs = bearer(await staff_login(client, other))
    inbox = (await client.get("/ops/v1/inbox", headers=mine)).json()
    assert inbox["total"] == 1 and inbox["unread"] == 1
    message = inbox["items"][0]
    assert message["eventType"] == "supervision.card" and not message["read"]
    assert message["link"] == "/ops/console/#/supervision?department=SUP_D1"
    # Another staff member cannot mark it (not theirs: not found).
    stolen = await client.post(f"/ops/v1/inbox/{message['id']}/read", headers=theirs)
    assert stolen.status_code == 404
    read = await client.post(f"/ops/v1/inbox/{message['id']}/read", headers=mine)
    assert read.status_code == 204
    after = (await client.get("/ops/v1/inbox", headers=mine)).json()
    assert after["unread"] == 0 and after["items"][0]["read"]


def test_card_rules_take_the_configured_thresholds() -> None:
    counts = {"overdue": 2, "late_rectifications": 0, "repeat_supplements": 0, "asked_twice": 0}
    assert judge(counts, SupervisionSettings()) == ("yellow", ["overdue"])
    assert judge(counts, SupervisionSettings(red_overdue=2)) == ("red", ["overdue"])
    assert judge(counts, SupervisionSettings(yellow_overdue=5)) == ("none", [])
    both = counts | {"late_rectifications": 2, "asked_twice": 3}
    assert judge(both, SupervisionSettings()) == ("red", ["late_rectifications", "asked_twice"])
