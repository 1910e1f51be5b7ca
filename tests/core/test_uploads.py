from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest

from core.i18n import MESSAGES
from core.storage import ObjectStorage
from core.uploads import (
    MULTIPART_OVERHEAD,
    FileNameRejected,
    ReceivedFile,
    UploadEmpty,
    UploadError,
    UploadMalformed,
    UploadTooLarge,
    UploadTypeMismatch,
    UploadTypeNotAllowed,
    receive_upload,
    sanitize_file_name,
    sniff_kind,
)

BOUNDARY = "----handheld-test-7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
ALL = {"pdf", "jpg", "png", "ofd"}


def pdf(size: int = 5000) -> bytes:
    return (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * (size // 256 + 1))[:size]


def jpg(size: int = 5000) -> bytes:
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x42" * size)[:size]


def png(size: int = 5000) -> bytes:
    return (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x07" * size)[:size]


def zip_package(first: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(first, "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>")
        package.writestr("Doc_0/Pages/Page_0/Content.xml", "<ofd:Page/>" * 200)
    return buffer.getvalue()


def ofd() -> bytes:
    return zip_package("OFD.xml")


def part(
    name: str, data: bytes, filename: str | None = None, content_type: str | None = None
) -> bytes:
    disposition = f'form-data; name="{name}"'
    if filename is not None:
        disposition += f'; filename="{filename}"'
    head = f"--{BOUNDARY}\r\nContent-Disposition: {disposition}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + f"--{BOUNDARY}--\r\n".encode()


def file_body(
    data: bytes, filename: str | None = "a.pdf", content_type: str | None = None
) -> bytes:
    return body(part("file", data, filename, content_type))


class Chunked:
    """A request body arriving in small chunks; counts how many were pulled."""

    def __init__(self, data: bytes, size: int = 1024) -> None:
        self.chunks = [data[i : i + size] for i in range(0, len(data), size)]
        self.pulled = 0

    async def stream(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            self.pulled += 1
            yield chunk


class Collect:
    def __init__(self) -> None:
        self.data = bytearray()
        self.calls = 0

    async def __call__(self, chunks: AsyncIterator[bytes]) -> None:
        self.calls += 1
        async for chunk in chunks:
            self.data += chunk


async def upload(
    raw: bytes,
    *,
    allowed: set[str] = ALL,
    max_bytes: int = 1_000_000,
    sink: Collect | None = None,
    content_type: str = CONTENT_TYPE,
    content_length: int | None = None,
    chunk: int = 1024,
) -> tuple[ReceivedFile, Collect]:
    sink = sink or Collect()
    received = await receive_upload(
        Chunked(raw, chunk).stream(),
        content_type,
        max_bytes=max_bytes,
        allowed=allowed,
        sink=sink,
        content_length=content_length,
    )
    return received, sink


@pytest.mark.parametrize(
    ("data", "filename", "declared", "kind", "content_type"),
    [
        (pdf(), "申请表.pdf", "application/pdf", "pdf", "application/pdf"),
        (jpg(), "身份证正面.JPG", "image/jpeg", "jpg", "image/jpeg"),
        (jpg(), "photo.jpeg", None, "jpg", "image/jpeg"),
        (png(), "营业执照.png", "image/png", "png", "image/png"),
        (ofd(), "电子证照.ofd", "application/octet-stream", "ofd", "application/ofd"),
        (ofd(), "no-extension", None, "ofd", "application/ofd"),
        (pdf(30), None, None, "pdf", "application/pdf"),
    ],
)
async def test_accepted_kinds(
    data: bytes, filename: str | None, declared: str | None, kind: str, content_type: str
) -> None:
    raw = file_body(data, filename, declared)
    received, sink = await upload(raw, content_length=len(raw))
    assert bytes(sink.data) == data
    assert received == ReceivedFile(
        display_name=filename or "upload",
        kind=kind,
        content_type=content_type,
        size=len(data),
        sha256_hex=hashlib.sha256(data).hexdigest(),
    )


async def test_other_parts_are_ignored() -> None:
    data = png()
    raw = body(
        part("note", "备注".encode()),
        part("file", data, "a.png", "image/png"),
        part("csrf", b"x" * 100),
    )
    received, sink = await upload(raw, chunk=7)
    assert bytes(sink.data) == data
    assert received.kind == "png"


async def test_other_parts_are_bounded() -> None:
    raw = body(part("note", b"x" * 64 * 1024), part("file", pdf(), "a.pdf"))
    with pytest.raises(UploadTooLarge):
        await upload(raw)


@pytest.mark.parametrize(
    ("filename", "declared"),
    [
        ("scan.png", "application/pdf"),  # a PNG declared as PDF
        ("scan.pdf", "image/png"),  # named as PDF
        ("scan.pdf", None),
        ("scan.png", "text/plain"),
        ("scan.html", None),
    ],
)
async def test_declared_type_must_agree_with_content(filename: str, declared: str | None) -> None:
    sink = Collect()
    with pytest.raises(UploadTypeMismatch) as info:
        await upload(file_body(png(), filename, declared), sink=sink)
    assert info.value.status_code == 415
    # The type is decided before a byte reaches the sink.
    assert sink.data == b""


@pytest.mark.parametrize(
    ("data", "filename", "allowed"),
    [
        (png(), "a.png", {"pdf"}),
        (b"just some text, not a document at all" * 10, "a.txt", ALL),
        (zip_package("word/document.xml"), "a.ofd", ALL),  # a ZIP, but not an OFD
        (b"GIF89a" + b"\x00" * 100, None, ALL),
    ],
)
async def test_kind_not_allowed(data: bytes, filename: str | None, allowed: set[str]) -> None:
    sink = Collect()
    with pytest.raises(UploadTypeNotAllowed) as info:
        await upload(file_body(data, filename), allowed=allowed, sink=sink)
    assert info.value.status_code == 415
    assert sink.data == b""


async def test_too_large_is_detected_mid_stream_without_reading_the_rest() -> None:
    raw = file_body(pdf(1_000_000))
    stream = Chunked(raw, 1024)
    sink = Collect()
    with pytest.raises(UploadTooLarge) as info:
        await receive_upload(
            stream.stream(),
            CONTENT_TYPE,
            max_bytes=10_000,
            allowed=ALL,
            sink=sink,
            content_length=None,  # e.g. chunked transfer encoding: no length to refuse on
        )
    assert info.value.status_code == 413
    # Pulled up to the chunk holding the 10,001st byte of the file, and not one more.
    headers = raw.index(b"%PDF")
    assert stream.pulled == -(-(headers + 10_001) // 1024)
    assert len(stream.chunks) > 900
    assert len(sink.data) <= 10_000


async def test_exactly_max_bytes_is_accepted() -> None:
    received, _ = await upload(file_body(pdf(10_000)), max_bytes=10_000)
    assert received.size == 10_000


async def test_declared_length_too_large_is_refused_before_reading() -> None:
    raw = file_body(pdf(20_000))
    stream = Chunked(raw)
    sink = Collect()
    with pytest.raises(UploadTooLarge):
        await receive_upload(
            stream.stream(),
            CONTENT_TYPE,
            max_bytes=1000,
            allowed=ALL,
            sink=sink,
            content_length=1000 + MULTIPART_OVERHEAD + 1,
        )
    assert stream.pulled == 0
    assert sink.calls == 0


async def test_empty_file() -> None:
    with pytest.raises(UploadEmpty) as info:
        await upload(file_body(b""))
    assert info.value.status_code == 400


@pytest.mark.parametrize(
    ("filename", "display"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\x\\..\\y.pdf", "y.pdf"),
        ("/etc/cron.d/job.pdf", "job.pdf"),
        ("\\\\server\\share\\a.pdf", "a.pdf"),
        ("..", "upload"),
    ],
)
async def test_traversal_names_are_reported(filename: str, display: str) -> None:
    data = pdf()
    received, sink = await upload(file_body(data, filename, "application/pdf"))
    assert received.display_name == display
    assert received.unsafe_name
    assert bytes(sink.data) == data
    with pytest.raises(FileNameRejected) as info:
        received.raise_for_unsafe_name()
    assert info.value.code == "UPLOAD_FILE_NAME_REJECTED"


@pytest.mark.parametrize(
    ("raw", "display"),
    [
        ("wxfile://tmp_0a1b2c.jpg", "tmp_0a1b2c.jpg"),
        ("相册/2025/身份证.jpg", "身份证.jpg"),
        ("a\x00b\x1f\u202egpj.exe", "abgpj.exe"),
        ("  .hidden.pdf. ", "hidden.pdf"),
        ('a"b<c>.pdf', "a_b_c_.pdf"),
        ("", "upload"),
        (None, "upload"),
        ("x" * 300 + ".pdf", "x" * 96 + ".pdf"),
        ("y" * 300, "y" * 100),
    ],
)
def test_sanitize_file_name(raw: str | None, display: str) -> None:
    assert sanitize_file_name(raw) == (display, False)


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        ("application/json", file_body(pdf())),
        ("multipart/form-data", file_body(pdf())),  # no boundary
        (CONTENT_TYPE, body(part("other", pdf(), "a.pdf"))),  # no part named file
        (CONTENT_TYPE, file_body(pdf())[:-40]),  # truncated: no closing boundary
        (CONTENT_TYPE, body(part("file", pdf(), "a.pdf"), part("file", pdf(), "b.pdf"))),
        (CONTENT_TYPE, b"this is not multipart at all" * 10),
        (CONTENT_TYPE, b""),
    ],
)
async def test_malformed(content_type: str, raw: bytes) -> None:
    with pytest.raises(UploadMalformed) as info:
        await upload(raw, content_type=content_type)
    assert info.value.code == "UPLOAD_MALFORMED"


async def test_sink_errors_propagate() -> None:
    class Broken(Exception):
        pass

    async def sink(chunks: AsyncIterator[bytes]) -> None:
        async for _ in chunks:
            raise Broken

    with pytest.raises(Broken):
        await receive_upload(
            Chunked(file_body(pdf())).stream(),
            CONTENT_TYPE,
            max_bytes=100_000,
            allowed=ALL,
            sink=sink,
            content_length=None,
        )


async def test_upload_error_survives_a_wrapping_sink() -> None:
    async def sink(chunks: AsyncIterator[bytes]) -> None:
        try:
            async for _ in chunks:
                pass
        except Exception as exc:
            raise RuntimeError("storage failed") from exc

    with pytest.raises(UploadTooLarge):
        await receive_upload(
            Chunked(file_body(pdf(50_000))).stream(),
            CONTENT_TYPE,
            max_bytes=1000,
            allowed=ALL,
            sink=sink,
            content_length=None,
        )


async def test_into_local_store_and_failure_leaves_nothing(tmp_path: Path) -> None:
    storage = ObjectStorage.local(tmp_path, signing_secret=b"k" * 32)
    data = jpg(300_000)

    received = await receive_upload(
        Chunked(file_body(data, "a.jpg"), 4096).stream(),
        CONTENT_TYPE,
        max_bytes=1_000_000,
        allowed=ALL,
        sink=lambda chunks: storage.put_stream("m/1", chunks),
        content_length=None,
    )
    stored = b"".join([c async for c in await storage.get_stream("m/1")])
    assert stored == data
    assert received.sha256_hex == hashlib.sha256(data).hexdigest()

    with pytest.raises(UploadTooLarge):
        await receive_upload(
            Chunked(file_body(data, "a.jpg"), 4096).stream(),
            CONTENT_TYPE,
            max_bytes=100_000,
            allowed=ALL,
            sink=lambda chunks: storage.put_stream("m/2", chunks),
            content_length=None,
        )
    assert not await storage.exists("m/2")


async def test_50_mb_upload_streams_in_bounded_memory(tmp_path: Path) -> None:
    storage = ObjectStorage.local(tmp_path, signing_secret=b"k" * 32)
    size = 50 * 1024 * 1024
    block = (b"%PDF-1.7\n" + bytes(range(256)) * 256)[: 64 * 1024]
    filler = bytes(range(256)) * 256
    expected = hashlib.sha256()
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline

    async def request_body() -> AsyncIterator[bytes]:
        nonlocal peak
        yield part("file", b"", "big.pdf", "application/pdf")[:-2]
        sent = 0
        while sent < size:
            chunk = block if sent == 0 else filler
            expected.update(chunk)
            sent += len(chunk)
            if sent % (1024 * 1024) == 0:
                peak = max(peak, process.memory_info().rss)
            yield chunk
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    received = await receive_upload(
        request_body(),
        CONTENT_TYPE,
        max_bytes=size,
        allowed={"pdf"},
        sink=lambda chunks: storage.put_stream("big/1", chunks),
        content_length=None,
    )
    peak = max(peak, process.memory_info().rss)
    assert received.size == size
    assert received.sha256_hex == expected.hexdigest()
    assert (tmp_path / "big" / "1").stat().st_size == size
    assert peak - baseline < 20 * 1024 * 1024


def test_sniffing() -> None:
    assert sniff_kind(b"%PDF-1.4") == "pdf"
    assert sniff_kind(b"\xff\xd8\xff\xdb") == "jpg"
    assert sniff_kind(b"\x89PNG\r\n\x1a\n") == "png"
    assert sniff_kind(ofd()[:64]) == "ofd"
    assert sniff_kind(zip_package("Doc_0/Document.xml")[:64]) is None
    assert sniff_kind(b"PK\x03\x04") is None
    assert sniff_kind(b"%PDF") is None
    assert sniff_kind(b"") is None


def test_error_codes_and_titles() -> None:
    codes = {
        "UPLOAD_TOO_LARGE": 413,
        "UPLOAD_TYPE_MISMATCH": 415,
        "UPLOAD_TYPE_NOT_ALLOWED": 415,
        "UPLOAD_EMPTY": 400,
        "UPLOAD_MALFORMED": 400,
        "UPLOAD_FILE_NAME_REJECTED": 400,
    }
    classes = [
        UploadTooLarge,
        UploadTypeMismatch,
        UploadTypeNotAllowed,
        UploadEmpty,
        UploadMalformed,
        FileNameRejected,
    ]
    assert {cls.code: cls.status_code for cls in classes} == codes
    assert all(issubclass(cls, UploadError) for cls in classes)
    assert all(MESSAGES[code]["zh-CN"] for code in codes)
