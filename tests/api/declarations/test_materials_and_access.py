"""Upload abuse is refused with nothing stored (in a local directory or an S3 bucket); the same
bytes are stored once; another citizen's declarations do not exist."""

from __future__ import annotations

import uuid

import httpx
import pytest

from core.settings import Settings
from tests.fixtures import documents
from tests.fixtures.declarations import FILES, RENT_WITHDRAWAL, Applicant
from tests.fixtures.identity import Outside, bearer, sso, user
from tests.fixtures.objectstore import Bucket, stored_objects

# 基本养老保险待遇申领: its 职工档案 takes files up to 20 MiB.
PENSION = "11620000013900024N-JF-00202-001"
PENSION_FILE = "CL00202001-03"


async def _problem(resp: httpx.Response, status: int, code: str) -> None:
    assert resp.status_code == status, resp.text
    assert resp.json()["code"] == code


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
async def test_upload_abuse_stores_nothing(applicant: Applicant, settings: Settings) -> None:
    draft = await applicant.create(RENT_WITHDRAWAL)
    url = f"/api/v1/declarations/{draft['id']}/materials/CL00401001-03"
    post = applicant.client.put

    # Oversize: refused on the declared length, before the body is read.
    big = await post(url, content=b"x" * 10, headers={
        **applicant.headers, "Content-Type": "multipart/form-data; boundary=b",
        "Content-Length": str(50 * 1024 * 1024)})  # fmt: skip
    assert big.status_code == 413

    # Oversize while streaming (no declared length: chunked).
    async def chunks():  # type: ignore[no-untyped-def]
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        yield b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
        for _ in range(64):
            yield b"0" * 65536
        yield b"\r\n--b--\r\n"

    streamed = await post(url, content=chunks(), headers={
        **applicant.headers, "Content-Type": "multipart/form-data; boundary=b"})  # fmt: skip
    await _problem(streamed, 413, "UPLOAD_TOO_LARGE")
    # A PNG declared as a PDF.
    png, _, _ = FILES["png"]
    mismatch = await post(url, files={"file": ("card.pdf", png, "application/pdf")},
                          headers=applicant.headers)  # fmt: skip
    await _problem(mismatch, 415, "UPLOAD_TYPE_MISMATCH")
    # Path traversal in the file name.
    pdf, _, _ = FILES["pdf"]
    traversal = await post(url, files={"file": ("../../etc/passwd.pdf", pdf, "application/pdf")},
                           headers=applicant.headers)  # fmt: skip
    await _problem(traversal, 400, "UPLOAD_FILE_NAME_REJECTED")
    # Zero bytes.
    empty = await post(url, files={"file": ("empty.pdf", b"", "application/pdf")},
                       headers=applicant.headers)  # fmt: skip
    await _problem(empty, 400, "UPLOAD_EMPTY")

    assert stored_objects(settings) == {}
    detail = await applicant.detail(draft["id"])
    assert all(m["file"] is None for m in detail["materials"])


@pytest.mark.parametrize("storage_backend", ["local", "s3"])
async def test_same_bytes_are_stored_once(applicant: Applicant, settings: Settings) -> None:
    first = await applicant.create(RENT_WITHDRAWAL)
    second = await applicant.create(RENT_WITHDRAWAL)
    a = await applicant.upload(first["id"], "CL00401001-03", "pdf")
    b = await applicant.upload(second["id"], "CL00401001-03", "pdf")
    assert a.json()["id"] == b.json()["id"]
    assert len(stored_objects(settings)) == 1
    # The library offers it for the next application instead of asking again.
    third = await applicant.create(RENT_WITHDRAWAL)
    offered = {m["code"]: m["suggestions"] for m in third["materials"]}
    assert [s["id"] for s in offered["CL00401001-03"]] == [a.json()["id"]]
    download = await applicant.client.get(
        f"/api/v1/materials/{a.json()['id']}/content", headers=applicant.headers
    )
    assert download.status_code == 200 and download.content == FILES["pdf"][0]
    link = await applicant.client.post(
        f"/api/v1/materials/{a.json()['id']}/link", headers=applicant.headers
    )
    by_link = await applicant.client.get(link.json()["url"])
    assert by_link.status_code == 200 and by_link.content == FILES["pdf"][0]
    tampered = link.json()["url"][:-3] + "abc"
    assert (await applicant.client.get(tampered)).status_code in (400, 403)


@pytest.mark.parametrize("storage_backend", ["s3"])
async def test_a_large_material_reaches_the_bucket_in_parts(
    applicant: Applicant, s3_bucket: Bucket
) -> None:
    data = documents.pdf(size=12 * 1024 * 1024)
    draft = await applicant.create(PENSION)
    uploaded = await applicant.upload(draft["id"], PENSION_FILE, "pdf", data)
    assert uploaded.status_code == 200, uploaded.text
    [(key, at_rest)] = s3_bucket.objects().items()
    assert key.startswith("materials/") and len(at_rest) > len(data)
    # Streamed to the bucket as a multipart upload (5 MiB parts), completed, nothing left open.
    assert s3_bucket.head(key)["ETag"].strip('"').endswith("-3")
    assert s3_bucket.uploads_in_progress() == []
    download = await applicant.client.get(
        f"/api/v1/materials/{uploaded.json()['id']}/content", headers=applicant.headers
    )
    assert download.status_code == 200 and download.content == data


async def test_another_citizen_sees_nothing(
    applicant: Applicant, client: httpx.AsyncClient, outside: Outside
) -> None:
    draft = await applicant.create(RENT_WITHDRAWAL)
    uploaded = await applicant.upload(draft["id"], "CL00401001-03", "pdf")
    material = uploaded.json()["id"]
    stranger = bearer((await sso(client, outside, user("lisi"))).json()["accessToken"])
    base = f"/api/v1/declarations/{draft['id']}"
    pdf = FILES["pdf"]
    attempts = [
        client.get(base, headers=stranger),
        client.patch(base, json={"formData": {}}, headers=stranger),
        client.put(f"{base}/materials/CL00401001-02", files={"file": ("a.pdf", pdf[0], pdf[1])},
                   headers=stranger),
        client.put(f"{base}/materials/CL00401001-02/reuse", json={"materialId": material},
                   headers=stranger),
        client.put(f"{base}/materials/CL00401001-01/licence", json={"licenceNumber": "X"},
                   headers=stranger),
        client.delete(f"{base}/materials/CL00401001-03", headers=stranger),
        client.post(f"{base}/submit", headers={**stranger, "Idempotency-Key": str(uuid.uuid4())}),
        client.post(f"{base}/supplement", headers=stranger),
        client.post(f"{base}/withdraw", json={}, headers=stranger),
        client.get(f"/api/v1/materials/{material}/content", headers=stranger),
        client.post(f"/api/v1/materials/{material}/link", headers=stranger),
    ]  # fmt: skip
    for attempt in attempts:
        resp = await attempt
        assert resp.status_code == 404, (resp.request.method, resp.request.url, resp.text)
    mine = await client.get("/api/v1/declarations", headers=stranger)
    assert mine.json()["total"] == 0
    assert (await client.get("/api/v1/materials", headers=stranger)).json() == []
    # And the owner's own declaration is unchanged.
    assert (await applicant.detail(draft["id"]))["state"] == "draft"


async def test_submit_needs_real_name_and_complete_form(
    client: httpx.AsyncClient, outside: Outside, applicant: Applicant
) -> None:
    draft = await applicant.create(RENT_WITHDRAWAL)
    incomplete = await applicant.submit(draft["id"])
    assert incomplete.status_code == 400 and incomplete.json()["code"] == "FORM_INVALID"
    await applicant.fill(draft["id"])
    missing = await applicant.submit(draft["id"])
    assert missing.status_code == 409 and missing.json()["code"] == "MATERIALS_MISSING"
    assert "CL00401001-03" in missing.json()["materialCodes"]
    assert "CL00401001-02" not in missing.json()["materialCodes"]  # 容缺: may come later
    unknown = await applicant.upload(draft["id"], "NOPE", "pdf")
    assert unknown.status_code == 400 and unknown.json()["code"] == "UNKNOWN_MATERIAL"


async def test_suspended_item_takes_no_application(applicant: Applicant) -> None:
    resp = await applicant.client.post(
        "/api/v1/declarations",
        json={"itemCode": "11620000013900024N-GG-00204-001"},
        headers=applicant.headers,
    )
    assert resp.status_code == 409 and resp.json()["code"] == "ITEM_NOT_ACCEPTING"
