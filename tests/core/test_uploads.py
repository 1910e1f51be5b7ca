from __future__ import annotations

import asyncio
import concurrent.futures
import hashlib
import io
import threading
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import psutil
import pytest
from pypdf import PdfWriter

from core.filecrypt import FileCipher
from core.i18n import MESSAGES
from core.pii import PiiCipher
from core.storage import ObjectStorage
from core.uploads import (
    MULTIPART_OVERHEAD,
    OFD_MAX_ENTRIES,
    FileNameRejected,
    ReceivedFile,
    UploadDocumentInvalid,
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
from tests.fixtures import documents

BOUNDARY = "----handheld-test-7MA4YWxkTrZu0gW"
CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"
ALL = {"pdf", "jpg", "png", "ofd"}


FILES = FileCipher(PiiCipher({"k1": b"K" * 16}, "k1", b"L" * 32))


def pdf(size: int = 5000) -> bytes:
    return documents.pdf(size=size)


def jpg(size: int = 5000) -> bytes:
    return (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x42" * size)[:size]


def png(size: int = 5000) -> bytes:
    return (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x07" * size)[:size]


zip_package = documents.zip_package
ofd = documents.ofd


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

    def reopen(self) -> io.BytesIO:
        return io.BytesIO(bytes(self.data))


def never_reopened() -> io.BytesIO:
    raise AssertionError("no document check expected")


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
        reopen=sink.reopen,
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
        (documents.pdf(), None, None, "pdf", "application/pdf"),
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
            reopen=never_reopened,
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
            reopen=never_reopened,
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
        # Reserved and markup characters read the same in their full-width forms.
        ('a"b<c>.pdf', "a＂b＜c＞.pdf"),
        ("<img src=x onerror=alert(1)>.pdf", "＜img src=x onerror=alert(1)＞.pdf"),
        ("", "upload"),
        (None, "upload"),
        # Line breaks: raw, or as browsers, httpx and urllib3 escape them (WHATWG).
        ("a\r\nX-Injected: 1.pdf", "a X-Injected： 1.pdf"),
        ("a%0D%0AX-Injected: 1.pdf", "a X-Injected： 1.pdf"),
        ("say %22hi%22 100%.pdf", "say ＂hi＂ 100%.pdf"),
        ("申请表\u3000（副本）  2025.pdf", "申请表\u3000（副本） 2025.pdf"),
        # NFC: a decomposed "é" (as macOS file systems store it) becomes one character.
        ("re\u0301sume\u0301.pdf", "r\u00e9sum\u00e9.pdf"),
        ("NUL\x00.pdf", "NUL.pdf"),
        ("NUL%00%07%1f.pdf", "NUL.pdf"),  # as httpx and urllib3 send control characters
        ("x" * 1000 + ".pdf", "x" * 251 + ".pdf"),
        ("y" * 300, "y" * 255),
        # 255 bytes of UTF-8, not characters, and never half a character: 83 × 3 + 4 = 253.
        ("证" * 400 + ".pdf", "证" * 83 + ".pdf"),
        ("." * 300 + "pdf", "pdf"),
    ],
)
def test_sanitize_file_name(raw: str | None, display: str) -> None:
    assert sanitize_file_name(raw) == (display, False)
    assert len(display.encode("utf-8")) <= 255


async def test_raw_line_break_in_the_part_header_is_malformed() -> None:
    # A raw CR LF ends the header line inside the quoted name: the rest becomes a header of its
    # own. Refused, rather than guessing a name from what is left ("a).
    raw = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a\r\n'
            f'X-Injected: 1.pdf"\r\nContent-Type: application/pdf\r\n\r\n'
        ).encode()
        + pdf()
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    sink = Collect()
    with pytest.raises(UploadMalformed):
        await upload(raw, sink=sink)
    assert sink.data == b""


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
            reopen=never_reopened,
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
            reopen=never_reopened,
        )


async def test_into_local_store_and_failure_leaves_nothing(tmp_path: Path) -> None:
    storage = ObjectStorage.local(tmp_path, signing_secret=b"k" * 32, files=FILES)
    data = jpg(300_000)

    received = await receive_upload(
        Chunked(file_body(data, "a.jpg"), 4096).stream(),
        CONTENT_TYPE,
        max_bytes=1_000_000,
        allowed=ALL,
        sink=lambda chunks: storage.put_stream("m/1", chunks),
        content_length=None,
        reopen=lambda: storage.open_plaintext("m/1"),
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
            reopen=lambda: storage.open_plaintext("m/2"),
        )
    assert not await storage.exists("m/2")


async def test_50_mb_upload_streams_in_bounded_memory(tmp_path: Path) -> None:
    storage = ObjectStorage.local(tmp_path, signing_secret=b"k" * 32, files=FILES)
    content = 50 * 1024 * 1024
    head, tail = documents.pdf_around(content)
    size = len(head) + content + len(tail)
    filler = bytes(range(256)) * 256
    expected = hashlib.sha256()
    process = psutil.Process()
    baseline = process.memory_info().rss
    peak = baseline

    async def request_body() -> AsyncIterator[bytes]:
        nonlocal peak
        yield part("file", b"", "big.pdf", "application/pdf")[:-2]
        expected.update(head)
        yield head
        sent = 0
        while sent < content:
            expected.update(filler)
            sent += len(filler)
            if sent % (1024 * 1024) == 0:
                peak = max(peak, process.memory_info().rss)
            yield filler
        expected.update(tail)
        yield tail
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    received = await receive_upload(
        request_body(),
        CONTENT_TYPE,
        max_bytes=size,
        allowed={"pdf"},
        sink=lambda chunks: storage.put_stream("big/1", chunks),
        content_length=None,
        reopen=lambda: storage.open_plaintext("big/1"),
    )
    peak = max(peak, process.memory_info().rss)
    assert received.size == size
    assert received.sha256_hex == expected.hexdigest()
    # Encrypted at rest: a 16-byte tag per 64 KiB segment and a header on top.
    assert 0 < (tmp_path / "big" / "1").stat().st_size - size - 16 * (-(-size // 65536)) < 100
    assert peak - baseline < 20 * 1024 * 1024
    read_back = hashlib.sha256()
    async for chunk in await storage.get_stream("big/1"):
        read_back.update(chunk)
    assert read_back.hexdigest() == expected.hexdigest()


def test_upload_holds_a_bounded_number_of_chunks_while_the_disk_stalls(tmp_path: Path) -> None:
    """The whole upload path (multipart parsing, sniffing, hashing, encryption, the local
    writer) stops taking the request's bytes when the disk stops taking them: what it holds
    is a few chunks, not the backlog. The disk stalls here as a busy writer thread: the loop
    (its own, so that its default executor can be one thread) has its only worker blocked
    until the path stops pulling."""
    storage = ObjectStorage.local(tmp_path, signing_secret=b"k" * 32, files=FILES)
    chunk = 64 * 1024
    total = 200
    head, tail = documents.pdf_around(total * chunk)
    pulled = 0

    async def request_body() -> AsyncIterator[bytes]:
        nonlocal pulled
        yield part("file", b"", "big.pdf", "application/pdf")[:-2] + head
        for _ in range(total):
            pulled += 1
            yield b"\x5a" * chunk
        yield tail + f"\r\n--{BOUNDARY}--\r\n".encode()

    async def stalled_disk() -> tuple[int, ReceivedFile]:
        loop = asyncio.get_running_loop()
        loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(max_workers=1))
        disk = threading.Event()
        busy = loop.run_in_executor(None, disk.wait)
        upload = asyncio.ensure_future(
            receive_upload(
                request_body(),
                CONTENT_TYPE,
                max_bytes=(total + 1) * chunk,
                allowed={"pdf"},
                sink=lambda chunks: storage.put_stream("big/1", chunks),
                content_length=None,
                reopen=lambda: storage.open_plaintext("big/1"),
            )
        )
        try:
            # Until the path stops pulling (or has pulled everything).
            seen, quiet = -1, 0
            while quiet < 20 and pulled < total and not upload.done():
                quiet = quiet + 1 if pulled == seen else 0
                seen = pulled
                await asyncio.sleep(0.01)
            held = pulled
        finally:
            disk.set()
        await busy
        return held, await upload

    held, received = asyncio.run(stalled_disk())
    assert received.size == len(head) + total * chunk + len(tail)
    assert held * chunk <= 1024 * 1024, f"{held} chunks taken while nothing was written"


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
        "UPLOAD_DOCUMENT_INVALID": 400,
    }
    classes = [
        UploadTooLarge,
        UploadTypeMismatch,
        UploadTypeNotAllowed,
        UploadEmpty,
        UploadMalformed,
        FileNameRejected,
        UploadDocumentInvalid,
    ]
    assert {cls.code: cls.status_code for cls in classes} == codes
    assert all(issubclass(cls, UploadError) for cls in classes)
    assert all(MESSAGES[code]["zh-CN"] for code in codes)


def _encrypted_pdf(user_password: str) -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _many_entries(count: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as package:
        package.writestr("OFD.xml", "<ofd:OFD/>")
        for i in range(count):
            package.writestr(f"Res/{i}", b"")
    return buffer.getvalue()


POLYGLOT = b"%PDF-1.4\n<html><script>alert(document.cookie)</script></html>\n"


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (POLYGLOT, "a.pdf"),  # a PDF in its first bytes, an HTML page after them
        (POLYGLOT + b"%%EOF\n", "a.pdf"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "a.pdf"),
        (documents.pdf(size=3000)[:-200], "a.pdf"),  # truncated: no xref, no trailer
        # The catalogue, page tree and page objects overwritten: no page to show.
        (documents.pdf(size=3000)[:16] + b"\x00" * 200 + documents.pdf(size=3000)[216:], "a.pdf"),
        (_encrypted_pdf("secret"), "locked.pdf"),  # a reviewer could not open it
        (zip_package("OFD.xml")[:-30], "a.ofd"),  # central directory cut off
        (zip_package("OFD.xml", extra={"x": b"y"})[:200] + b"\x00" * 300, "a.ofd"),
        (_many_entries(OFD_MAX_ENTRIES + 1), "many.ofd"),
        (zip_package("OFD.xml", content=b"MZ\x90\x00 not XML"), "a.ofd"),
    ],
)
async def test_documents_are_checked_beyond_their_first_bytes(
    tmp_path: Path, data: bytes, filename: str
) -> None:
    storage = ObjectStorage.local(tmp_path, signing_secret=b"k" * 32, files=FILES)
    with pytest.raises(UploadDocumentInvalid) as info:
        await receive_upload(
            Chunked(file_body(data, filename), 512).stream(),
            CONTENT_TYPE,
            max_bytes=1_000_000,
            allowed=ALL,
            sink=lambda chunks: storage.put_stream("m/1", chunks),
            content_length=None,
            reopen=lambda: storage.open_plaintext("m/1"),
        )
    assert (info.value.status_code, info.value.code) == (400, "UPLOAD_DOCUMENT_INVALID")
    # Checked on what was stored (the caller deletes it on any error): nothing else written,
    # no spooled plaintext copy anywhere.
    assert [p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file()] == [
        "m/1"
    ]


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (_encrypted_pdf(""), "restricted.pdf"),  # owner restrictions only: opens without one
        (documents.pdf(size=300_000), "big.pdf"),  # several segments, read where needed
        (_many_entries(50), "a.ofd"),
    ],
)
async def test_sound_documents_pass_the_deep_check(data: bytes, filename: str) -> None:
    received, sink = await upload(file_body(data, filename))
    assert bytes(sink.data) == data
    assert received.size == len(data)
