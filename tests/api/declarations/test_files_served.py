"""Files through HTTP: checked beyond their first bytes, served as downloads only, behind opaque
links, under readable safe names, and encrypted at rest — on both backends: a local directory,
and an S3 bucket on a real S3-compatible server (read back around the product, with boto3)."""

from __future__ import annotations

import base64
import email.message
import time
import uuid
from urllib.parse import quote

import asyncpg
import httpx
import pytest

from api.composition import Services
from core.settings import Settings
from tests.fixtures import documents
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant
from tests.fixtures.objectstore import overwrite_object, stored_objects

CODE = "CL00401001-03"  # a material of RENT_WITHDRAWAL that takes PDF
MARKER = b"PLAINTEXT-MARKER-110105194912310020-ZHANGSAN"
POLYGLOT = b"%PDF-1.4\n<html><script>fetch('/api/v1/me').then(r=>r.text())</script></html>\n"

pytestmark = pytest.mark.parametrize("storage_backend", ["local", "s3"])


def _download_name(resp: httpx.Response) -> str | None:
    """The name an RFC 6266 reader takes: ``filename*`` (RFC 8187) over ``filename``, decoded
    by the standard library's RFC 2231 parser rather than by our own code."""
    disposition = resp.headers["content-disposition"]
    extended = [p.strip() for p in disposition.split(";") if p.strip().startswith("filename*=")]
    parsed = email.message.Message()
    parsed["content-disposition"] = "attachment; " + (extended[0] if extended else disposition)
    name = parsed.get_filename()
    return str(name) if name is not None else None


def _assert_served_as_download(resp: httpx.Response, name: str) -> None:
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["content-security-policy"] == "sandbox"
    disposition = resp.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert f"filename*=UTF-8''{quote(name, safe='')}" in disposition
    # The ASCII fallback is ASCII; the RFC 2231/8187 form wins for a reader that knows it.
    assert disposition.isascii()
    assert _download_name(resp) == name


async def _upload(
    applicant: Applicant, draft: str, name: str, data: bytes, content_type: str = "application/pdf"
) -> httpx.Response:
    return await applicant.client.put(
        f"/api/v1/declarations/{draft}/materials/{CODE}",
        files={"file": (name, data, content_type)},
        headers=applicant.headers,
    )


async def test_a_pdf_that_is_also_html_is_refused(applicant: Applicant, settings: Settings) -> None:
    draft = (await applicant.create(RENT_WITHDRAWAL))["id"]
    for data in (POLYGLOT, POLYGLOT + b"%%EOF\n", documents.pdf(size=2000)[:-300]):
        resp = await _upload(applicant, draft, "申请表.pdf", data)
        assert resp.status_code == 400, resp.text
        assert resp.headers["content-type"] == "application/problem+json"
        problem = resp.json()
        assert problem["code"] == "UPLOAD_DOCUMENT_INVALID"
        assert problem["title"] == "文件已损坏或无法打开，请检查后重新上传"
    assert stored_objects(settings) == {}
    assert (await applicant.client.get("/api/v1/materials", headers=applicant.headers)).json() == []
    detail = await applicant.detail(draft)
    assert all(m["file"] is None for m in detail["materials"])


async def test_downloads_are_attachments_under_a_safe_readable_name(
    applicant: Applicant,
) -> None:
    draft = (await applicant.create(RENT_WITHDRAWAL))["id"]
    cases = {
        # httpx (like browsers) sends CR LF as %0D%0A; the header cannot be split either way.
        "a\r\nX-Injected: 1.pdf": "a X-Injected： 1.pdf",
        "身份证 正面（复印件）.pdf": "身份证 正面（复印件）.pdf",
        "<img src=x onerror=alert(1)>.pdf": "＜img src=x onerror=alert(1)＞.pdf",
        "证明\x00材料\x07.pdf": "证明材料.pdf",
        "长" * 1000 + ".pdf": "长" * 83 + ".pdf",
    }
    for i, (sent, expected) in enumerate(cases.items()):
        data = documents.pdf(b"BT (%d) Tj ET" % i)  # distinct bytes: distinct library entries
        uploaded = await _upload(applicant, draft, sent, data)
        assert uploaded.status_code == 200, uploaded.text
        assert uploaded.json()["displayName"] == expected
        assert len(expected.encode()) <= 255
        material = uploaded.json()["id"]

        content = await applicant.client.get(
            f"/api/v1/materials/{material}/content", headers=applicant.headers
        )
        _assert_served_as_download(content, expected)
        assert content.content == data
        assert content.headers["content-type"] == "application/pdf"
        assert "x-injected" not in content.headers

        link = await applicant.client.post(
            f"/api/v1/materials/{material}/link", headers=applicant.headers
        )
        by_link = await applicant.client.get(link.json()["url"])
        _assert_served_as_download(by_link, expected)
        assert by_link.content == data

    fallback = content.headers["content-disposition"]
    assert fallback.startswith('attachment; filename="file.pdf"; ')  # no ASCII in the name

    # A raw CR LF in the part header is a broken request: refused, not silently renamed "_a".
    raw = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a\r\n'
        b'X-Injected: 1.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        + documents.pdf()
        + b"\r\n--b--\r\n"
    )
    broken = await applicant.client.put(
        f"/api/v1/declarations/{draft}/materials/{CODE}", content=raw,
        headers={**applicant.headers, "Content-Type": "multipart/form-data; boundary=b"},
    )  # fmt: skip
    assert broken.status_code == 400 and broken.json()["code"] == "UPLOAD_MALFORMED"


async def test_signed_links_are_opaque_and_refused_when_tampered_or_expired(
    applicant: Applicant, db: asyncpg.Connection, services: Services
) -> None:
    draft = (await applicant.create(RENT_WITHDRAWAL))["id"]
    uploaded = await _upload(applicant, draft, "户口本.pdf", documents.pdf())
    material = uploaded.json()["id"]
    row = await db.fetchrow(
        "SELECT storage_key, citizen_id FROM materials WHERE id = $1", uuid.UUID(material)
    )
    link = await applicant.client.post(
        f"/api/v1/materials/{material}/link", headers=applicant.headers
    )
    url = link.json()["url"]
    token = url.rsplit("/", 1)[1]
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    citizen = str(row["citizen_id"])
    for secret in (row["storage_key"], citizen, citizen.replace("-", ""), citizen[:8], "户口本"):
        assert secret not in token and secret not in url
        assert secret.encode() not in decoded
    assert (await applicant.client.get(url)).status_code == 200

    # Tampered anywhere: refused with a problem, never another file.
    for at in (0, 5, len(decoded) // 2, len(decoded) - 1):
        forged = bytearray(decoded)
        forged[at] ^= 0x04
        forged_token = base64.urlsafe_b64encode(bytes(forged)).rstrip(b"=").decode()
        resp = await applicant.client.get(f"/api/v1/files/{forged_token}")
        assert resp.status_code == 403, resp.text
        assert resp.json()["code"] == "DOWNLOAD_LINK_INVALID"
    # A link of the old readable format, MAC and all, no longer opens anything.
    old = f"{row['storage_key']}|{int(time.time()) + 300}|{'0' * 64}".encode()
    old_token = base64.urlsafe_b64encode(old).rstrip(b"=").decode()
    assert (await applicant.client.get(f"/api/v1/files/{old_token}")).status_code == 403

    # Expired: minted by the same service, as if five minutes ago.
    expired = services.declarations.storage.sign_download(
        row["storage_key"], 300, name="户口本.pdf", content_type="application/pdf",
        now=time.time() - 301,
    )  # fmt: skip
    resp = await applicant.client.get(f"/api/v1/files/{expired}")
    assert resp.status_code == 403 and resp.json()["title"] == "下载链接无效或已过期，请重新获取"


async def test_materials_are_encrypted_at_rest(applicant: Applicant, settings: Settings) -> None:
    data = documents.pdf(b"BT (" + MARKER * 2000 + b") Tj ET")
    assert data.count(MARKER) == 2000
    first = (await applicant.create(RENT_WITHDRAWAL))["id"]
    second = (await applicant.create(RENT_WITHDRAWAL))["id"]
    a = await _upload(applicant, first, "身份证.pdf", data)
    b = await _upload(applicant, second, "身份证.pdf", data)
    assert a.status_code == 200 and b.status_code == 200, (a.text, b.text)
    # Deduplicated on the plaintext: the same bytes twice are one library entry, one object.
    assert a.json()["id"] == b.json()["id"]
    assert a.json()["size"] == len(data)
    stored = stored_objects(settings)
    assert len(stored) == 1
    [(key, at_rest)] = stored.items()
    assert MARKER not in at_rest and MARKER[:16] not in at_rest and b"%PDF" not in at_rest
    assert len(at_rest) > len(data)

    material = a.json()["id"]
    download = await applicant.client.get(
        f"/api/v1/materials/{material}/content", headers=applicant.headers
    )
    assert download.status_code == 200 and download.content == data
    link = await applicant.client.post(
        f"/api/v1/materials/{material}/link", headers=applicant.headers
    )
    assert (await applicant.client.get(link.json()["url"])).content == data

    # One flipped bit at rest: an error, never altered bytes. (Damage past the first 64 KiB
    # cuts the transfer short instead: tests/core/test_storage.py.)
    damaged = bytearray(at_rest)
    damaged[300] ^= 0x01
    overwrite_object(settings, key, bytes(damaged))
    broken = await applicant.client.get(
        f"/api/v1/materials/{material}/content", headers=applicant.headers
    )
    assert broken.status_code == 500
    assert broken.json()["code"] == "INTERNAL_ERROR"
    assert MARKER not in broken.content
