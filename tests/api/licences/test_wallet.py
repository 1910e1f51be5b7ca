"""The wallet end to end: a case completes → the signed licence is imported and verified →
shown as a display code → verified offline (another SM2 implementation) and online → logged."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.composition import Services
from api.licences import display_codes
from core import sm2
from core.settings import Settings
from core.sm2 import Sm2Verifier
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.licences import earn_licence, offline_check, other_citizen, service, unb64


async def test_licence_imported_displayed_verified_and_logged(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    entry = await earn_licence(applicant)
    assert entry["status"] == "valid" and entry["usable"] and entry["statusText"] == "有效"
    assert entry["typeCode"] == "SFZ" and entry["holderName"] == "张*"
    assert entry["issuerCode"] == "11620100013900112A" and entry["issuerName"] == "金城市公安局"
    assert entry["validFrom"] and entry["validUntil"] > entry["validFrom"]
    client, headers = applicant.client, applicant.headers
    detail = (await client.get(f"/api/v1/licences/{entry['id']}", headers=headers)).json()
    assert detail["signatureVerified"] and detail["keyId"] and detail["fileType"] == "pdf"
    file = await client.get(f"/api/v1/licences/{entry['id']}/file", headers=headers)
    assert file.status_code == 200 and file.content.startswith(b"%PDF-")
    assert file.headers["content-type"].startswith("application/pdf")

    shown = await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)
    assert shown.status_code == 200, shown.text
    code = shown.json()["code"]
    assert "qrSvg" not in shown.json()  # drawn on request, not while issuing
    # The QR symbol: no login (the code is the secret), cacheable privately while it lasts.
    qr = await client.get(shown.json()["qrUrl"])
    assert qr.status_code == 200, qr.text
    assert qr.headers["content-type"].startswith("image/svg+xml")
    assert qr.text == display_codes.qr_svg(code)  # the symbol of exactly this code
    cache = qr.headers["cache-control"]
    assert cache.startswith("private, max-age=") and cache.endswith(", immutable")
    assert 0 < int(cache.split("=")[1].split(",")[0]) <= 60
    key = (await client.get("/api/v1/licences/display-key")).json()
    assert key["algorithm"] == "SM2-SM3" and key["publicKeyPem"].startswith("-----BEGIN")
    payload = offline_check(key, code)
    assert payload["t"] == "SFZ" and payload["h"] == "张*" and payload["s"] == "valid"
    assert payload["e"] - payload["i"] == 60

    checked = await client.post(
        "/api/v1/licence-verifications", json={"code": code, "verifier": "某酒店前台"}
    )  # no account needed
    assert checked.status_code == 200, checked.text
    result = checked.json()
    assert result["valid"] and result["outcome"] == "valid"
    # The minimum: type, masked name, validity, status. Never the number or the ID number.
    assert result["licence"]["holderName"] == "张*" and result["licence"]["status"] == "valid"
    assert entry["licenceNumber"] not in checked.text and "licenceNumber" not in checked.text

    log = await client.get(f"/api/v1/licences/{entry['id']}/verifications", headers=headers)
    assert [(v["outcome"], v["verifier"]) for v in log.json()] == [("valid", "某酒店前台")]

    # An altered code fails offline and online, and leaves no entry.
    parts = code.split(".")
    forged = json.loads(unb64(parts[1]))
    forged["h"] = "李*"
    altered = ".".join(
        [parts[0], base64.urlsafe_b64encode(json.dumps(forged).encode()).decode().rstrip("="),
         parts[2]]
    )  # fmt: skip
    with pytest.raises(AssertionError, match=r"^signature"):
        offline_check(key, altered)
    refused = await client.post("/api/v1/licence-verifications", json={"code": altered})
    assert refused.status_code == 400 and refused.json()["code"] == "DISPLAY_CODE_INVALID"
    for bad in (altered, "HL1.x.y", code[:-2]):  # nor is it drawn
        resp = await client.get("/api/v1/licences/display-qr.svg", params={"code": bad})
        assert resp.status_code == 400 and resp.json()["code"] == "DISPLAY_CODE_INVALID", bad
    log = await client.get(f"/api/v1/licences/{entry['id']}/verifications", headers=headers)
    assert len(log.json()) == 1

    # Another citizen: every route of this licence answers 404.
    theirs = await other_citizen(client, applicant)
    base = f"/api/v1/licences/{entry['id']}"
    for method, path in (("GET", base), ("GET", f"{base}/file"), ("POST", f"{base}/display"),
                         ("GET", f"{base}/verifications")):  # fmt: skip
        resp = await client.request(method, path, headers=theirs)
        assert resp.status_code == 404 and resp.json()["code"] == "LICENCE_NOT_FOUND", path
    assert (await client.get("/api/v1/licences", headers=theirs)).json() == []


async def test_a_code_re_signed_by_us_but_never_issued_is_refused_online(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, settings: Settings
) -> None:
    """Online, only the very code we issued is recognised (its digest is on the display row)."""
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    code = (await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)).json()[
        "code"
    ]
    assert settings.licences.display_key_path is not None
    ours = sm2.Sm2KeyPair.load(Path(settings.licences.display_key_path))
    payload = display_codes.decode({ours.key_id: Sm2Verifier(ours.public_key)}, code)
    payload.s = "valid" if payload.s != "valid" else "revoked"
    forged = display_codes.encode(ours, payload)
    resp = await client.post("/api/v1/licence-verifications", json={"code": forged})
    assert resp.status_code == 400 and resp.json()["code"] == "DISPLAY_CODE_INVALID"
    genuine = await client.post("/api/v1/licence-verifications", json={"code": code})
    assert genuine.status_code == 200 and genuine.json()["valid"] is True


async def test_tampered_signature_is_rejected_on_import(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/licence-faults", {"tamper": "signature"}
    )
    entry = await earn_licence(applicant)
    assert entry["status"] == "invalid" and entry["problem"] == "SIGNATURE_INVALID"
    assert entry["problemText"] and not entry["usable"] and entry["holderName"] is None
    client, headers = applicant.client, applicant.headers
    shown = await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)
    assert shown.status_code == 409 and shown.json()["code"] == "LICENCE_NOT_DISPLAYABLE"
    file = await client.get(f"/api/v1/licences/{entry['id']}/file", headers=headers)
    assert file.status_code == 409
    draft = await applicant.create(RENT_WITHDRAWAL)
    assert all(not m["licenceSuggestions"] for m in draft["materials"])  # not offered


@pytest.mark.unscheduled("licences.sync")  # the test runs it itself
async def test_revocation_reaches_the_wallet_through_the_feed(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services
) -> None:
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    code = (await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)).json()[
        "code"
    ]
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/licences/{entry['licenceNumber']}/revoke",
        {"reason": "证件挂失"},
    )
    assert await service(services).sync_feed() >= 1
    after = (await client.get(f"/api/v1/licences/{entry['id']}", headers=headers)).json()
    assert after["status"] == "revoked" and after["statusText"] == "已注销"
    assert after["revocationReason"] == "证件挂失" and not after["usable"]
    inbox = (await client.get("/api/v1/inbox", headers=headers)).json()["items"]
    told = [m for m in inbox if m["eventType"] == "licence.revoked"]
    assert len(told) == 1 and "证件挂失" in told[0]["body"]
    checked = (await client.post("/api/v1/licence-verifications", json={"code": code})).json()
    assert not checked["valid"] and checked["outcome"] == "licence_revoked"
    again = await client.post(f"/api/v1/licences/{entry['id']}/display", headers=headers)
    assert again.status_code == 409
    assert await service(services).sync_feed() == 0  # the position moved on


async def test_declaration_use_needs_consent_and_is_logged(
    live: httpx.AsyncClient, worker: None, applicant: Applicant
) -> None:
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    draft, path = await _draft_with_licence(applicant, entry)
    consents = (await client.get("/api/v1/licences/consents", headers=headers)).json()
    assert [(c["grantee"]["kind"], c["grantee"]["id"], c["active"]) for c in consents] == [
        ("declaration", draft["id"], True)
    ]
    # Revoked before submission: the licence may not be used.
    revoked = await client.delete(f"/api/v1/licences/consents/{consents[0]['id']}", headers=headers)
    assert revoked.status_code == 204
    refused = await applicant.submit(draft["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "LICENCE_CONSENT_REQUIRED"
    assert (await client.get("/api/v1/licences/uses", headers=headers)).json() == []
    # Chosen again → consent again → submitted, and the use is in the holder's log.
    assert (
        await client.put(path, json={"licenceNumber": entry["licenceNumber"]}, headers=headers)
    ).status_code == 200
    assert (await applicant.submit(draft["id"])).status_code == 200
    uses = (await client.get("/api/v1/licences/uses", headers=headers)).json()
    assert len(uses) == 1 and uses[0]["licenceId"] == entry["id"]
    assert uses[0]["user"] == {"kind": "declaration", "id": draft["id"], "name": draft["itemName"]}
    theirs = await other_citizen(client, applicant)
    assert (await client.get("/api/v1/licences/uses", headers=theirs)).json() == []
    other = await client.delete(f"/api/v1/licences/consents/{uses[0]['consentId']}", headers=theirs)
    assert other.status_code == 404


@pytest.mark.unscheduled("licences.sync")  # the test runs it itself
async def test_a_licence_revoked_after_it_was_attached_stops_the_submission(
    live: httpx.AsyncClient, worker: None, applicant: Applicant, services: Services
) -> None:
    entry = await earn_licence(applicant)
    client, headers = applicant.client, applicant.headers
    draft, _ = await _draft_with_licence(applicant, entry)
    await applicant.outside.post(
        f"{applicant.outside.provincial}/_control/licences/{entry['licenceNumber']}/revoke",
        {"reason": "证件挂失"},
    )
    assert await service(services).sync_feed() >= 1
    refused = await applicant.submit(draft["id"])
    assert refused.status_code == 409 and refused.json()["code"] == "LICENCE_NO_LONGER_VALID"
    assert (await applicant.detail(draft["id"]))["state"] == "draft"
    assert (await client.get("/api/v1/licences/uses", headers=headers)).json() == []


async def _draft_with_licence(
    applicant: Applicant, entry: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """A 住房公积金提取 draft with its two uploads and the licence as its first material;
    returns the draft and the licence-material path."""
    draft = await applicant.create(RENT_WITHDRAWAL)
    await applicant.fill(draft["id"])
    by_code = {m["code"]: m for m in draft["materials"]}
    for code in ("CL00401001-02", "CL00401001-03"):
        fmt = next(f for f in by_code[code]["formats"] if f in ("pdf", "png", "jpg"))
        assert (await applicant.upload(draft["id"], code, fmt)).status_code == 200
    path = f"/api/v1/declarations/{draft['id']}/materials/CL00401001-01/licence"
    used = await applicant.client.put(
        path, json={"licenceNumber": entry["licenceNumber"]}, headers=applicant.headers
    )
    assert used.status_code == 200, used.text
    return draft, path
