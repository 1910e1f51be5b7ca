"""出生一件事 end to end: situations deselect two of four members; one form, one upload of the
shared ID card; 户口登记 (公安) then 社保卡 (人社) in order; 社保卡 asks for a supplement after
户口登记 has completed; the bundle completes, the result is in the wallet, the timeline has a
lane per department. And the plan before applying, 退休一件事 included."""

from __future__ import annotations

from typing import Any

import httpx

from api.composition import Services
from tests.fixtures.bundles import (
    BIRTH,
    BIRTH_CERT,
    HUKOU,
    MEDICAL,
    RETIREMENT,
    SI_CARD,
    TWO_IN_ORDER,
    BundleApplicant,
)
from tests.fixtures.declarations import Applicant, first_format, inbox
from tests.fixtures.identity import bearer, make_staff, staff_login
from tests.fixtures.waiting import eventually


def _chosen(plan: dict[str, Any]) -> list[str]:
    return [m["itemCode"] for m in plan["members"] if m["chosen"]]


async def test_situations_choose_members_and_merge_one_form(applicant: Applicant) -> None:
    citizen = BundleApplicant(applicant)
    usual = await citizen.plan(BIRTH, {})
    assert _chosen(usual) == [BIRTH_CERT, HUKOU, SI_CARD, MEDICAL]  # the defaults
    assert {q["key"]: q["answer"] for q in usual["questions"]} == {
        "birthCertIssued": "否", "needMedicalInsurance": "是", "needSocialSecurityCard": "是",
    }  # fmt: skip
    form = {f["key"]: f for f in usual["form"]}
    # The baby's name is asked by three members (医保 calls it insuredName): asked once.
    assert {(u["itemCode"], u["field"]) for u in form["babyName"]["uses"]} == {
        (BIRTH_CERT, "babyName"), (HUKOU, "babyName"), (MEDICAL, "insuredName"),
    }  # fmt: skip
    assert "insuredName" not in form and len(form["reason"]["uses"]) == 4
    # One ID card for all four; 社保卡 after 户口登记.
    id_cards = [m for m in usual["materials"] if "居民身份证" in m["name"] and len(m["uses"]) > 1]
    assert len(id_cards) == 1 and {u["itemCode"] for u in id_cards[0]["uses"]} == set(
        _chosen(usual)
    )
    members = {m["itemCode"]: m for m in usual["members"]}
    assert members[SI_CARD]["after"] == [HUKOU] and members[HUKOU]["after"] == []

    two = await citizen.plan(BIRTH, {"answers": TWO_IN_ORDER})
    assert _chosen(two) == [HUKOU, SI_CARD]
    assert {m["itemCode"]: m["suggested"] for m in two["members"]}[BIRTH_CERT] is False
    # Ticked by hand (按需勾选): 社保卡 alone has nothing to wait for.
    ticked = await citizen.plan(BIRTH, {"members": [SI_CARD]})
    assert _chosen(ticked) == [SI_CARD] and ticked["members"][2]["after"] == []

    bad = await citizen.client.post(
        f"/api/v1/bundle-guides/{BIRTH}/plan", json={"answers": {"birthCertIssued": "也许"}}
    )
    assert bad.status_code == 400 and bad.json()["code"] == "BUNDLE_ANSWER_INVALID"
    not_bundle = await citizen.client.post(f"/api/v1/bundle-guides/{HUKOU}/plan", json={})
    assert not_bundle.status_code == 404 and not_bundle.json()["code"] == "NOT_A_BUNDLE"

    retirement = await citizen.plan(RETIREMENT, {"answers": {"hasEmployeeMedical": "否"}})
    assert len(_chosen(retirement)) == 2
    assert {f["key"]: len(f["uses"]) for f in retirement["form"]}["retirementDate"] == 2


async def test_birth_bundle_end_to_end(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services
) -> None:
    citizen = BundleApplicant(applicant)
    started = await citizen.start(BIRTH, TWO_IN_ORDER)
    assert started.status_code == 200, started.text
    bundle = started.json()
    bundle_id = bundle["id"]
    assert [m["itemCode"] for m in bundle["members"]] == [HUKOU, SI_CARD]
    assert {m["department"]["code"] for m in bundle["members"]} == {
        HUKOU.split("-")[0], SI_CARD.split("-")[0],
    }  # fmt: skip
    assert bundle["status"] == "draft"

    # One form: each fact once, given to each member's own form.
    filled = await citizen.fill(bundle_id)
    keys = [f["key"] for f in filled["form"]]
    assert len(keys) == len(set(keys)) and keys.count("reason") == 1
    members = {m["itemCode"]: m["declarationId"] for m in filled["members"]}
    hukou_form = (await applicant.detail(members[HUKOU]))["formData"]
    card_form = (await applicant.detail(members[SI_CARD]))["formData"]
    assert hukou_form["reason"] == card_form["reason"] == filled["formData"]["reason"]
    assert hukou_form["babyName"] == filled["formData"]["babyName"]

    # One upload of the shared ID card serves both members.
    id_card = next(m for m in filled["materials"] if len(m["uses"]) == 2)
    uploaded = await citizen.upload(bundle_id, id_card)
    assert uploaded.status_code == 200, uploaded.text
    file_id = uploaded.json()["id"]
    for use in id_card["uses"]:
        given = {
            m["code"]: m for m in (await applicant.detail(members[use["itemCode"]]))["materials"]
        }[use["materialCode"]]
        assert given["file"]["id"] == file_id
    await citizen.upload_required(bundle_id)
    library = await applicant.client.get("/api/v1/materials", headers=applicant.headers)
    assert [m["id"] for m in library.json()].count(file_id) == 1

    submitted = await citizen.submit(bundle_id, key="bundle-submit-0001")
    assert submitted.status_code == 200, submitted.text
    assert submitted.json()["status"] == "in_progress"
    by_code = {m["itemCode"]: m for m in submitted.json()["members"]}
    assert by_code[HUKOU]["status"] == "started" and by_code[HUKOU]["state"] == "submitted"
    assert by_code[SI_CARD]["status"] == "waiting" and by_code[SI_CARD]["state"] == "draft"

    # 户口登记 completes at the public security bureau; only then does 社保卡 start.
    hukou_case = await citizen.case_of(bundle_id, HUKOU)
    for step in ("accepted", "processing"):
        await applicant.advance(hukou_case, step)
    await citizen.member_state(bundle_id, HUKOU, "processing")
    assert (await citizen.member(bundle_id, SI_CARD))["status"] == "waiting"
    await applicant.advance(hukou_case, "completed")
    card_case = await citizen.case_of(bundle_id, SI_CARD)

    # 社保卡 asks for a supplement (its own request, on its own declaration) …
    card = await applicant.detail(members[SI_CARD])
    photo = next(m for m in card["materials"] if m["formats"] == ["jpg", "png"])
    problem = {"materialCode": photo["code"], "problem": "照片背景不是白色，请重新上传"}
    await applicant.advance(card_case, "needs_supplement", supplementItems=[problem])
    waiting = await citizen.member_state(bundle_id, SI_CARD, "needs_supplement")
    assert waiting["supplementNotice"] is not None
    detail = await citizen.detail(bundle_id)
    assert detail["status"] == "action_needed"
    assert {m["itemCode"]: m["state"] for m in detail["members"]}[HUKOU] == "completed"
    replaced = await applicant.upload(members[SI_CARD], photo["code"], "png")
    assert replaced.status_code == 200, replaced.text
    resubmitted = await applicant.client.post(
        f"/api/v1/declarations/{members[SI_CARD]}/supplement", headers=applicant.headers
    )
    assert resubmitted.status_code == 200, resubmitted.text

    async def delivered() -> bool:
        return bool((await applicant.detail(members[SI_CARD]))["delivery"] == "delivered")

    await eventually(delivered)
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(card_case, step)
    await citizen.member_state(bundle_id, SI_CARD, "completed")

    async def finished() -> dict[str, Any] | None:
        found = await citizen.detail(bundle_id)
        return found if found["state"] == "finished" else None

    done = await eventually(finished)
    assert done["status"] == "completed" and done["finishedAt"] is not None
    # The result page lists the e-licence, and it is in the wallet.
    [licence] = [r for r in done["results"] if r["licenceNumber"]]
    assert licence["itemCode"] == SI_CARD and licence["licenceType"] == "SBK"
    assert {r["itemCode"] for r in done["results"]} == {HUKOU, SI_CARD}

    async def in_wallet() -> bool:
        wallet = await applicant.client.get("/api/v1/licences", headers=applicant.headers)
        return licence["licenceNumber"] in {w["licenceNumber"] for w in wallet.json()}

    await eventually(in_wallet)

    # One timeline, a lane per department; 社保卡 started after 户口登记 completed.
    lanes = {lane["department"]["code"]: lane for lane in done["lanes"]}
    assert set(lanes) == {HUKOU.split("-")[0], SI_CARD.split("-")[0]}
    hukou_lane = lanes[HUKOU.split("-")[0]]["entries"]
    card_lane = lanes[SI_CARD.split("-")[0]]["entries"]
    hukou_done = next(e["at"] for e in hukou_lane if e["state"] == "completed")
    card_submitted = next(e["at"] for e in card_lane if e["state"] == "submitted")
    assert card_submitted > hukou_done
    assert [e["at"] for e in card_lane] == sorted(e["at"] for e in card_lane)
    assert {e["state"] for e in card_lane} >= {"submitted", "needs_supplement", "completed"}

    told = [m["eventType"] for m in await inbox(applicant)]
    assert "bundle.member_started" in told and "bundle.completed" in told
    # The submit retried with its key is the same bundle; the members were submitted once.
    again = await citizen.submit(bundle_id, key="bundle-submit-0001")
    assert again.status_code == 200 and again.json()["id"] == bundle_id
    mine = await applicant.client.get("/api/v1/bundles", headers=applicant.headers)
    assert [b["id"] for b in mine.json()["items"]] == [bundle_id]
    assert first_format(id_card)  # the shared document took a format both members accept

    # Staff figures per bundle: end to end against the members' own times added up.
    token = await staff_login(applicant.client, await make_staff(services, "bundle-ops", "auditor"))
    figures = await applicant.client.get("/ops/v1/bundles/figures", headers=bearer(token))
    assert figures.status_code == 200, figures.text
    [birth] = figures.json()["bundles"]
    assert (birth["bundleCode"], birth["applications"], birth["finished"]) == (BIRTH, 1, 1)
    assert birth["meanEndToEndHours"] is not None and birth["meanMembersSumHours"] is not None
    assert birth["meanMembersSumHours"] <= birth["meanEndToEndHours"]  # one after the other
    citizen_asks = await applicant.client.get("/ops/v1/bundles/figures", headers=applicant.headers)
    assert citizen_asks.status_code == 403
