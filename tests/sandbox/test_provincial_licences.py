"""The licence library of the provincial stand-in, checked with gmssl-pyx (it signs with the
pure-Python gmssl package)."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import gmssl_pyx  # type: ignore[import-untyped]
import pytest

from sandbox.clock import Clock
from sandbox.provincial.app import build_provincial_app
from sandbox.provincial.codes import mod37_36_check
from sandbox.provincial.licences import IssueBody, LicenceLibrary, _new_key
from sandbox.runner import RunningApp, start_app

KEY = "k"
AUTH = {"Authorization": f"Bearer {KEY}"}
HOLDER = {"holderName": "张三", "holderIdNumber": "620102198503120031", "typeCode": "SFZ",
          "typeName": "居民身份证", "issuerCode": "11620100013900112A"}  # fmt: skip


@pytest.fixture
async def library() -> AsyncIterator[tuple[RunningApp, aiohttp.ClientSession]]:
    running = await start_app(build_provincial_app(api_key=KEY), "127.0.0.1", 0)
    async with aiohttp.ClientSession() as session:
        yield running, session
    await running.runner.cleanup()


async def _json(session: aiohttp.ClientSession, method: str, url: str, **kw: Any) -> Any:
    async with session.request(method, url, **kw) as resp:
        return resp.status, await resp.json()


def _verifies(keys: dict[str, str], licence: dict[str, Any]) -> bool:
    public = gmssl_pyx.normalize_sm2_public_key(keys[licence["keyId"]])
    return bool(
        gmssl_pyx.sm2_verify(
            public, base64.b64decode(licence["data"]), base64.b64decode(licence["signature"])
        )
    )


async def test_issue_verify_revoke_feed(library: tuple[RunningApp, aiohttp.ClientSession]) -> None:
    running, session = library
    base = running.url
    status, issued = await _json(session, "POST", f"{base}/_control/licences", json=HOLDER)
    assert status == 201
    number = issued["licenceNumber"]
    assert number.startswith("SFZ11620100013900112A") and mod37_36_check(number[:-1]) == number[-1]
    status, got = await _json(session, "GET", f"{base}/gov/licences/v1/licences/{number}",
                              headers=AUTH)  # fmt: skip
    assert status == 200 and got == issued
    document = json.loads(base64.b64decode(got["data"]))
    assert document["holderIdNumber"] == HOLDER["holderIdNumber"] and document["validUntil"]
    _, keys = await _json(session, "GET", f"{base}/gov/licences/v1/issuer-keys", headers=AUTH)
    by_id = {k["keyId"]: k["publicKey"] for k in keys["keys"]}
    assert _verifies(by_id, got)

    async with session.get(f"{base}/gov/licences/v1/licences/{number}/file", headers=AUTH) as r:
        assert r.content_type == "application/pdf" and (await r.read()).startswith(b"%PDF-1.7")
    _, mine = await _json(session, "GET", f"{base}/gov/licences/v1/licences",
                          params={"holderIdNumber": HOLDER["holderIdNumber"]}, headers=AUTH)  # fmt: skip
    assert [x["licenceNumber"] for x in mine["licences"]] == [number]

    await _json(session, "POST", f"{base}/_control/licences/{number}/revoke",
                json={"reason": "挂失"})  # fmt: skip
    _, feed = await _json(session, "GET", f"{base}/gov/licences/v1/events", headers=AUTH)
    assert [(e["type"], e["licenceNumber"]) for e in feed["events"]] == [
        ("issued", number), ("revoked", number)
    ]  # fmt: skip
    _, later = await _json(session, "GET", f"{base}/gov/licences/v1/events",
                           params={"after": str(feed["next"])}, headers=AUTH)  # fmt: skip
    assert later["events"] == [] and later["next"] == feed["next"]
    status, _ = await _json(session, "GET", f"{base}/gov/licences/v1/licences/{number}")
    assert status == 401  # the platform API needs the key


async def test_tamper_faults(library: tuple[RunningApp, aiohttp.ClientSession]) -> None:
    running, session = library
    base = running.url
    _, keys = await _json(session, "GET", f"{base}/gov/licences/v1/issuer-keys", headers=AUTH)
    for tamper in ("signature", "data"):
        await _json(session, "POST", f"{base}/_control/licence-faults", json={"tamper": tamper})
        _, bad = await _json(session, "POST", f"{base}/_control/licences", json=HOLDER)
        _, keys = await _json(session, "GET", f"{base}/gov/licences/v1/issuer-keys", headers=AUTH)
        assert not _verifies({k["keyId"]: k["publicKey"] for k in keys["keys"]}, bad), tamper
    await _json(session, "DELETE", f"{base}/_control/licence-faults")
    _, good = await _json(session, "POST", f"{base}/_control/licences",
                          json={**HOLDER, "badCheckCharacter": True})  # fmt: skip
    assert _verifies({k["keyId"]: k["publicKey"] for k in keys["keys"]}, good)
    assert mod37_36_check(good["licenceNumber"][:-1]) != good["licenceNumber"][-1]


def test_a_seal_key_whose_x_starts_with_04_seals_licences_that_verify() -> None:
    """An issuer's seal key is made at its first licence and kept for the stand-in's life (a
    reset keeps it). gmssl's constructor strips a leading "04" with ``lstrip("04")``, which
    also eats the further '0's and '4's of an x that starts with "04" (1 key in 256): such a
    key once sealed every licence of its issuer wrongly for a whole run. The product's import
    found them SIGNATURE_INVALID, so none was usable and nothing prefilled the next form (the
    declarations end-to-end test's KeyError 'businessLicenceNumber', in some runs only)."""
    issuer = HOLDER["issuerCode"]
    key = next(
        k for k in iter(lambda: _new_key(issuer, "签发机构"), None) if k.public_hex[:2] == "04"
    )
    library = LicenceLibrary(Clock())
    library._keys[issuer] = key  # the issuer's key, as if made at its first licence
    licence = library.issue_direct(
        IssueBody(
            holder_name=HOLDER["holderName"],
            holder_id_number=HOLDER["holderIdNumber"],
            type_code=HOLDER["typeCode"],
            type_name=HOLDER["typeName"],
            issuer_code=issuer,
        )
    )
    assert licence.key_id == key.key_id
    assert _verifies({key.key_id: "04" + key.public_hex}, licence.describe())
