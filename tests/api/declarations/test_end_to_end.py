"""Apply with two uploads and an e-licence → supplement one material → accepted → completed."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fixtures.declarations import LICENCE_ISSUER, RENT_WITHDRAWAL, Applicant, first_format
from tests.fixtures.waiting import eventually


async def _earn_licence(applicant: Applicant) -> str:
    """An earlier matter that ends with an e-licence in the wallet (居民身份证补领 → SFZ)."""
    draft = await applicant.create(LICENCE_ISSUER)
    await applicant.fill(draft["id"])
    for material in draft["materials"]:
        resp = await applicant.upload(draft["id"], material["code"], first_format(material))
        assert resp.status_code == 200, resp.text
    assert (await applicant.submit(draft["id"])).status_code == 200
    case = await applicant.case_number(draft["id"])
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case, step)
    done = await applicant.wait_state(draft["id"], "completed")
    assert done["result"]["licence"]["typeCode"] == "SFZ"
    return str(done["result"]["licence"]["licenceNumber"])


async def test_apply_supplement_accept_complete(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    licence = await _earn_licence(applicant)

    draft = await applicant.create(RENT_WITHDRAWAL)
    declaration = draft["id"]
    by_code = {m["code"]: m for m in draft["materials"]}
    assert by_code["CL00401001-01"]["licenceSuggestions"] == [licence]  # offered, not asked
    await applicant.fill(declaration)
    uploads = ["CL00401001-02", "CL00401001-03"]
    for code in uploads:
        resp = await applicant.upload(declaration, code, first_format(by_code[code]))
        assert resp.status_code == 200, resp.text
    used = await applicant.client.put(
        f"/api/v1/declarations/{declaration}/materials/CL00401001-01/licence",
        json={"licenceNumber": licence}, headers=applicant.headers,
    )  # fmt: skip
    assert used.status_code == 200, used.text

    submitted = await applicant.submit(declaration, key="submit-key-0001")
    assert submitted.status_code == 200 and submitted.json()["state"] == "submitted"
    assert submitted.json()["preReviewDue"] is not None
    case = await applicant.case_number(declaration)

    problem = {"materialCode": "CL00401001-03", "problem": "银行卡照片模糊，请重新上传清晰照片"}
    await applicant.advance(case, "needs_supplement", supplementItems=[problem])
    waiting = await applicant.wait_state(declaration, "needs_supplement")
    assert waiting["supplement"]["items"] == [problem]
    flagged = {m["code"]: m for m in waiting["materials"]}
    assert flagged["CL00401001-03"]["needsReplacement"] is True
    assert flagged["CL00401001-02"]["needsReplacement"] is False

    early = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/supplement", headers=applicant.headers
    )
    assert early.status_code == 409 and early.json()["code"] == "MATERIALS_MISSING"
    replaced = await applicant.upload(declaration, "CL00401001-03", "png")
    assert replaced.status_code == 200
    resubmitted = await applicant.client.post(
        f"/api/v1/declarations/{declaration}/supplement", headers=applicant.headers
    )
    assert resubmitted.status_code == 200 and resubmitted.json()["state"] == "submitted"

    async def resubmitted_to_platform() -> bool:
        return bool((await applicant.detail(declaration))["delivery"] == "delivered")

    from tests.fixtures.waiting import eventually

    await eventually(resubmitted_to_platform)
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case, step)
    done = await applicant.wait_state(declaration, "completed")

    states = [
        entry["state"] for entry in done["timeline"] if entry["state"] != entry["previousState"]
    ]
    assert states == [
        "draft", "submitted", "needs_supplement", "submitted", "accepted", "processing", "completed",
    ]  # fmt: skip
    times = [entry["at"] for entry in done["timeline"]]
    assert times == sorted(times)
    actors = {(e["state"], e["actor"]) for e in done["timeline"]}
    assert ("needs_supplement", "platform") in actors and ("submitted", "citizen") in actors
    assert done["promisedDue"] is not None and done["finishedAt"] is not None

    inbox = await applicant.client.get("/api/v1/inbox?pageSize=50", headers=applicant.headers)
    events = [m["eventType"] for m in inbox.json()["items"]]
    for expected in ("declaration.submitted", "declaration.needs_supplement",
                     "declaration.accepted", "declaration.completed"):  # fmt: skip
        assert expected in events
    # The same submission retried with its key is the same declaration, not a second one.
    again = await applicant.submit(declaration, key="submit-key-0001")
    assert again.status_code == 200 and again.json()["id"] == declaration
    mine = await applicant.client.get("/api/v1/declarations", headers=applicant.headers)
    assert mine.json()["total"] == 2


async def test_form_comes_from_the_platform_and_the_wallet_prefills_it(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    # 企业设立登记 ends with a business licence (YYZZ) in the wallet …
    company = await applicant.create("11620100013900163J-XK-00503-001")
    await applicant.fill(company["id"])
    for material in company["materials"]:
        if material["required"]:
            upload = await applicant.upload(company["id"], material["code"], first_format(material))
            assert upload.status_code == 200, upload.text
    assert (await applicant.submit(company["id"])).status_code == 200
    case = await applicant.case_number(company["id"])
    for step in ("accepted", "processing", "completed"):
        await applicant.advance(case, step)
    licence = (await applicant.wait_state(company["id"], "completed"))["result"]["licence"]

    async def verified() -> dict[str, Any] | None:
        wallet = await applicant.client.get("/api/v1/licences", headers=applicant.headers)
        entry = next(w for w in wallet.json() if w["licenceNumber"] == licence["licenceNumber"])
        return None if entry["status"] == "pending" else dict(entry)

    # The import job's verdict first (signature, holder, number): the form below is prefilled
    # from a usable licence only, and one the import rejected would leave it blank.
    entry = await eventually(verified)
    assert entry["status"] == "valid" and entry["usable"], (entry["status"], entry["problem"])

    # … and 食品经营许可's form asks for that licence's number: filled in, not asked again.
    food = await applicant.create("11620100013900163J-XK-00504-001")
    fields = {f["key"]: f for f in food["form"]}
    assert fields["reason"]["required"] and "deliveryMethod" in fields
    prefilled = [k for k, f in fields.items() if f["prefill"] == "licence:YYZZ"]
    assert prefilled and all(food["formData"][k] == licence["licenceNumber"] for k in prefilled)
    bad = await applicant.client.patch(
        f"/api/v1/declarations/{food['id']}",
        json={"formData": {**food["formData"], "noSuchField": "x"}},
        headers=applicant.headers,
    )
    assert bad.status_code == 400 and bad.json()["code"] == "FORM_INVALID"
