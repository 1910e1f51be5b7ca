"""The address book (validated, limited, encrypted at rest, masked in answers) and window
pickup (the hall serving the item with its opening hours), and the rules of choosing."""

from __future__ import annotations

import asyncpg
import httpx

from api.composition import Services
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.delivery import ADDRESS, add_address, choose, delivery_of
from tests.fixtures.halls import CITY_HALL, DISTRICT_HALL, ID_CARD, synced_halls

ELDERLY_HALL = "H623100001"  # serves 独生子女父母光荣证 only


async def test_pickup_shows_the_hall_and_its_hours(
    applicant: Applicant, services: Services
) -> None:
    await synced_halls(services)
    draft = await applicant.create(ID_CARD)
    options = await delivery_of(applicant, draft["id"])
    assert options["paperResult"] and options["method"] is None and options["changeable"]
    assert options["feeFen"] == 1500 and "邮费" in options["feeBasis"]
    halls = {h["hallCode"]: h for h in options["halls"]}
    assert set(halls) == {CITY_HALL, DISTRICT_HALL}
    assert halls[CITY_HALL]["hours"] == [
        {"from": "09:00", "to": "12:00"},
        {"from": "13:30", "to": "17:30"},
    ]

    chosen = await choose(applicant, draft["id"], method="pickup", hallCode=CITY_HALL)
    assert chosen.status_code == 200, chosen.text
    pickup = chosen.json()["pickup"]
    assert pickup["name"] == "金城市政务服务中心"
    assert pickup["address"] == "西岭省金城市城关区民主东路 88 号"
    assert pickup["hours"] == halls[CITY_HALL]["hours"]
    assert pickup["saturdayHours"] == [{"from": "09:00", "to": "12:00"}]
    assert chosen.json()["statusLabel"] == "办结后到窗口领取"

    # Changeable before the result: to post, and back to another hall.
    address = await add_address(applicant)
    posted = await choose(applicant, draft["id"], method="postal", addressId=address["id"])
    assert posted.status_code == 200 and posted.json()["pickup"] is None
    again = await choose(applicant, draft["id"], method="pickup", hallCode=DISTRICT_HALL)
    assert again.json()["pickup"]["name"] == "金城市城关区政务服务大厅"
    assert [e["kind"] for e in again.json()["timeline"]] == ["chosen"] * 3


async def test_choices_that_do_not_fit_are_refused(
    applicant: Applicant, services: Services
) -> None:
    await synced_halls(services)
    draft = await applicant.create(ID_CARD)
    address = await add_address(applicant)
    cases = [
        ({"method": "pickup", "hallCode": ELDERLY_HALL}, 400, "DELIVERY_HALL_INVALID"),
        ({"method": "pickup"}, 400, "DELIVERY_HALL_INVALID"),
        ({"method": "postal"}, 400, "DELIVERY_ADDRESS_UNKNOWN"),
        (
            {"method": "postal", "addressId": address["id"], "hallCode": CITY_HALL},
            400,
            "DELIVERY_ADDRESS_UNKNOWN",
        ),
        ({"method": "courier"}, 422, "VALIDATION_FAILED"),
        ({"method": "pickup", "hallCode": CITY_HALL, "extra": 1}, 422, "VALIDATION_FAILED"),
    ]
    for body, status, code in cases:
        resp = await choose(applicant, draft["id"], **body)
        assert (resp.status_code, resp.json()["code"]) == (status, code), (body, resp.text)
    # An item whose result is electronic only: nothing to pick up or post.
    electronic = await applicant.create(RENT_WITHDRAWAL)
    resp = await choose(applicant, electronic["id"], method="pickup")
    assert (resp.status_code, resp.json()["code"]) == (409, "DELIVERY_NOT_AVAILABLE")
    assert (await delivery_of(applicant, electronic["id"]))["paperResult"] is False


async def test_bad_addresses_are_refused_with_their_codes(applicant: Applicant) -> None:
    cases = [
        ({"phone": "12012345678"}, 422, None),
        ({"regionCode": "990101"}, 400, "regionCode"),
        ({"regionCode": "620000"}, 400, "regionCode"),
        ({"recipient": "张3"}, 400, "recipient"),
        ({"recipient": "   "}, 400, "recipient"),
        ({"detail": "12345 678"}, 400, "detail"),
        ({"detail": "民主东路\u0007 88 号"}, 400, "detail"),
        ({"label": "家\u0007"}, 400, "label"),
        ({"regionName": "金城市\u200b"}, 400, "regionName"),
        ({"phone": "1380013800"}, 422, None),
        ({"regionCode": "62010"}, 422, None),
        ({"detail": "路"}, 422, None),
        ({"detail": "路" * 121}, 422, None),
        ({"label": "家" * 11}, 422, None),
        ({"postcode": "7300"}, 422, None),
        ({"owner": "someone"}, 422, None),
    ]
    for change, status, field in cases:
        resp = await applicant.client.post(
            "/api/v1/addresses", json={**ADDRESS, **change}, headers=applicant.headers
        )
        assert resp.status_code == status, (change, resp.text)
        problem = resp.json()
        assert resp.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert problem["code"] == "ADDRESS_INVALID" and field in resp.text, change
        else:
            assert problem["code"] == "VALIDATION_FAILED", change
    book = await applicant.client.get("/api/v1/addresses", headers=applicant.headers)
    assert book.json()["items"] == []


async def test_the_book_is_limited_encrypted_and_masked(
    applicant: Applicant, db: asyncpg.Connection, client: httpx.AsyncClient
) -> None:
    first = await add_address(applicant, label="家")
    assert first["isDefault"] and first["recipient"] == "张*" and first["phone"] == "138****8000"
    assert first["detail"] == "民主东路 8****"
    for n in range(19):
        await add_address(applicant, phone=f"139{n:08d}")
    full = await applicant.client.post("/api/v1/addresses", json=ADDRESS, headers=applicant.headers)
    assert (full.status_code, full.json()["code"]) == (409, "ADDRESS_BOOK_FULL")
    book = (await applicant.client.get("/api/v1/addresses", headers=applicant.headers)).json()
    assert book["total"] == book["limit"] == 20
    assert [a["isDefault"] for a in book["items"]].count(True) == 1
    # At rest: no plaintext of the recipient, phone or street anywhere in the rows.
    rows = await db.fetch("SELECT * FROM citizen_addresses")
    dump = repr([dict(r) for r in rows]).encode() + b"".join(
        bytes(v) for r in rows for v in r.values() if isinstance(v, bytes)
    )
    for secret in ("13800138000", "民主东路", "张三"):
        assert secret.encode() not in dump and secret not in repr(rows)

    # A new default replaces the old one; removing the default hands it on.
    second = book["items"][1]
    made = await applicant.client.put(
        f"/api/v1/addresses/{second['id']}",
        json={**ADDRESS, "isDefault": True, "label": "单位"},
        headers=applicant.headers,
    )
    assert made.status_code == 200 and made.json()["isDefault"] and made.json()["label"] == "单位"
    gone = await applicant.client.delete(
        f"/api/v1/addresses/{second['id']}", headers=applicant.headers
    )
    assert gone.status_code == 204
    after = (await applicant.client.get("/api/v1/addresses", headers=applicant.headers)).json()
    assert after["total"] == 19 and [a["isDefault"] for a in after["items"]].count(True) == 1
