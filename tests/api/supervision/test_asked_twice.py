"""Who asks twice (Yongchang Art. 17): a supplement request asking for a material the citizen
had already given valid is recorded at the supplement event — held as an e-licence in the wallet
the item accepts for it, given in the case as an e-licence, or asked for before in this case and
supplied — shown in the supervision list and counted in the department's card. A first request
to correct an uploaded file is not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import asyncpg
import httpx

from api.composition import Services
from api.supervision.service import month_of, next_month
from core.clock import CHINA_TZ, china_today
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.licences import earn_licence
from tests.fixtures.waiting import eventually

ID_CARD, BANK_CARD = "CL00401001-01", "CL00401001-03"


async def _resupply(applicant: Applicant, declaration: str, licence: str) -> None:
    """The citizen answers the request: the ID card as the e-licence, the bank card again."""
    used = await applicant.client.put(
        f"/api/v1/declarations/{declaration}/materials/{ID_CARD}/licence",
        json={"licenceNumber": licence}, headers=applicant.headers,
    )  # fmt: skip
    assert used.status_code == 200, used.text
    assert (await applicant.upload(declaration, BANK_CARD, "png")).status_code == 200
    sent = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/supplement", headers=applicant.headers
    )
    assert sent.status_code == 200, sent.text

    async def delivered() -> bool:
        return bool((await applicant.detail(declaration))["delivery"] == "delivered")

    await eventually(delivered)


async def test_asking_again_for_a_valid_material_is_flagged_listed_and_carded(
    live: httpx.AsyncClient,
    worker: None,
    applicant: Applicant,
    services: Services,
    db: asyncpg.Connection,
) -> None:
    licence = (await earn_licence(applicant))["licenceNumber"]
    draft = await applicant.create(RENT_WITHDRAWAL)
    declaration = draft["id"]
    await applicant.fill(declaration)
    by_code = {m["code"]: m for m in draft["materials"]}
    for code in (ID_CARD, BANK_CARD):  # the ID card uploaded, though the wallet holds it
        upload = await applicant.upload(declaration, code, first_format(by_code[code]))
        assert upload.status_code == 200, upload.text
    assert (await applicant.submit(declaration)).status_code == 200
    case = await applicant.case_number(declaration)

    # First request: the ID card (held valid in the wallet: 免提交) and the bank card photo
    # (a first correction of an uploaded file: not a fault).
    await applicant.advance(case, "needs_supplement", supplementItems=[
        {"materialCode": ID_CARD, "problem": "身份证复印件不清晰"},
        {"materialCode": BANK_CARD, "problem": "银行卡照片模糊"},
    ])  # fmt: skip
    await applicant.wait_state(declaration, "needs_supplement")
    await _resupply(applicant, declaration, licence)
    # Second request: both again — the ID card now given as the e-licence, the bank card asked
    # for before and supplied.
    await applicant.advance(case, "needs_supplement", supplementItems=[
        {"materialCode": ID_CARD, "problem": "请提供身份证"},
        {"materialCode": BANK_CARD, "problem": "请再次上传银行卡"},
    ])  # fmt: skip
    await applicant.wait_state(declaration, "needs_supplement")
    await _resupply(applicant, declaration, licence)

    recorded = await db.fetch(
        """SELECT material_code, source, department_code, day FROM supplement_repeats
            WHERE declaration_id = $1 ORDER BY sequence, material_code""",
        declaration,
    )
    department = await db.fetchval(
        "SELECT department_code FROM declarations WHERE id = $1", declaration
    )
    assert department
    assert [(r["material_code"], r["source"]) for r in recorded] == [
        (ID_CARD, "wallet"), (ID_CARD, "case_licence"), (BANK_CARD, "case_resupplied"),
    ]  # fmt: skip
    today = china_today(datetime.now(UTC))
    assert {r["department_code"] for r in recorded} == {department}
    assert {r["day"] for r in recorded} <= {today, today - timedelta(days=1)}
    # The timeline entry of each request names what it asked and what it asked twice.
    asks = await db.fetch(
        """SELECT details FROM declaration_events WHERE declaration_id = $1
              AND to_state = 'needs_supplement' ORDER BY id""",
        declaration,
    )
    details = [json.loads(a["details"]) for a in asks]
    assert [d["materials"] for d in details] == [[ID_CARD, BANK_CARD]] * 2
    assert [d.get("askedTwice") for d in details] == [
        {ID_CARD: "wallet"}, {ID_CARD: "case_licence", BANK_CARD: "case_resupplied"},
    ]  # fmt: skip

    # The supervision list shows it on the case (open again: submitted).
    officer = bearer(await staff_login(
        live, await make_staff(services, "off", "operator", [department])
    ))  # fmt: skip
    listed = await live.get("/ops/v1/supervision/cases", headers=officer)
    assert listed.status_code == 200, listed.text
    row = next(c for c in listed.json()["items"] if c["id"] == declaration)
    assert row["askedTwice"] == 3 and row["applicant"] == "张*"

    # And counted in the department's card of the month (computed once the month is over).
    month = month_of(max(r["day"] for r in recorded))
    after = datetime.combine(next_month(month), time(1), CHINA_TZ)
    async with services.infra.pool.acquire() as conn, conn.transaction():
        cards = await services.supervision.compute_cards(conn, month, after)
    card = next(c for c in cards if c.department_code == department)
    assert card.asked_twice == 3
    assert card.colour == "red" and card.reasons == ["asked_twice"]
