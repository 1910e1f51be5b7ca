"""Streaming multipart uploads of materials: size limit, content sniffing, hashing, safe names.

``receive_upload`` parses a ``multipart/form-data`` body incrementally (python-multipart) as it
arrives and hands the bytes of its one file part, named ``file``, to a sink (typically
``ObjectStorage.put_stream``) as an async iterator — the body is never held in memory or spooled
to a temporary file. While the bytes flow it counts them, hashes them and checks their type from
the leading bytes; any failure raises out of the iterator, so the sink aborts and the error
reaches the caller, who deletes whatever partial object the sink may have left.

Types are decided by content (magic numbers), never by what the client claims: the declared part
Content-Type and the file name's extension, when given, must merely agree with the content.
Documents are checked beyond their first bytes: a PDF must open in a PDF parser (pypdf) and an
OFD must be a ZIP package with ``OFD.xml`` at its root, so that ``%PDF-1.4<html><script>…``
is refused. The parsers need to seek, so they read what the sink stored, through ``reopen``
(``ObjectStorage.open_plaintext``: the few segments they touch, decrypted), in a worker thread:
no second copy of the file is written, and no plaintext ever touches a disk. A refusal then
comes after the sink finished, and the caller deletes the object, as after any failure.
"""

from __future__ import annotations

import asyncio
import email.message
import hashlib
import re
import unicodedata
import uuid
import zipfile
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, TypeVar

from pypdf import PdfReader
from python_multipart import MultipartParser
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import parse_options_header

from core.errors import DomainError

if TYPE_CHECKING:
    from core.storage import ObjectStorage

T = TypeVar("T")

KINDS = frozenset({"pdf", "jpg", "png", "ofd"})
# What we record and later serve for each kind, whatever the client declared.
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "jpg": "image/jpeg",
    "png": "image/png",
    "ofd": "application/ofd",
}
# Declared types that name a kind. Browsers and WeChat send variants seen in the field.
_DECLARED_TYPES = {
    "application/pdf": "pdf",
    "application/x-pdf": "pdf",
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/pjpeg": "jpg",
    "image/png": "png",
    "image/x-png": "png",
    "application/ofd": "ofd",
    "application/x-ofd": "ofd",
}
# Declared types that say nothing about the content (clients use them for unknown extensions,
# e.g. .ofd on most systems): only the sniffed content and the extension count then.
_GENERIC_TYPES = frozenset({"", "application/octet-stream", "binary/octet-stream"})
_EXTENSIONS = {
    "pdf": "pdf",
    "jpg": "jpg",
    "jpeg": "jpg",
    "jpe": "jpg",
    "jfif": "jpg",
    "png": "png",
    "ofd": "ofd",
}

FILE_FIELD = "file"
# Multipart framing (boundaries, part headers, small form fields) allowed on top of max_bytes
# when judging a declared Content-Length, so a body that cannot fit is refused unread.
MULTIPART_OVERHEAD = 64 * 1024
# Part headers and the data of parts other than the file: ignored, but only up to this much,
# so a body cannot smuggle a large payload past the file limit in other fields.
EXTRA_PARTS_BUDGET = 16 * 1024
# Enough leading bytes for every signature: an OFD needs the 30-byte ZIP local header plus the
# 7-byte entry name.
SNIFF_BYTES = 64
# File systems and Content-Disposition consumers commonly cap names at 255 bytes.
DISPLAY_NAME_MAX_BYTES = 255
DEFAULT_NAME = "upload"
# Kinds whose structure is checked once stored (see the module docstring).
DEEP_CHECKED = frozenset({"pdf", "ofd"})
# pypdf reads a sound PDF in small pieces (the trailer, the xref table, the page tree). It reads
# the whole file to rebuild a broken xref table: allowed for small files, refused for larger
# ones rather than loading them whole into memory.
PDF_MAX_READ = 4 * 1024 * 1024
# An OFD's central directory is parsed into Python objects: bound their number first.
OFD_MAX_ENTRIES = 10_000
OFD_ENTRY = "OFD.xml"
OFD_ENTRY_MAX_READ = 1024 * 1024


class UploadError(DomainError, status=400, code="UPLOAD_MALFORMED"): ...


class UploadTooLarge(UploadError, status=413, code="UPLOAD_TOO_LARGE"): ...


class UploadTypeMismatch(UploadError, status=415, code="UPLOAD_TYPE_MISMATCH"): ...


class UploadTypeNotAllowed(UploadError, status=415, code="UPLOAD_TYPE_NOT_ALLOWED"): ...


class UploadEmpty(UploadError, code="UPLOAD_EMPTY"): ...


class UploadMalformed(UploadError, code="UPLOAD_MALFORMED"): ...


class FileNameRejected(UploadError, code="UPLOAD_FILE_NAME_REJECTED"): ...


class UploadDocumentInvalid(UploadError, code="UPLOAD_DOCUMENT_INVALID"):
    """A PDF or OFD that is one only in its first bytes: it does not open as a document."""


@dataclass(frozen=True, slots=True)
class ReceivedFile:
    """What was stored. ``content_type`` is the canonical type of the sniffed ``kind``.

    ``unsafe_name`` is true when the client's file name tried path traversal (``..`` segments,
    an absolute or drive path). The display name is safe either way; such a name is nevertheless
    a sign of a tampered client, so the caller decides whether to refuse it
    (``raise_for_unsafe_name``) and delete the object.
    """

    display_name: str
    kind: str
    content_type: str
    size: int
    sha256_hex: str
    unsafe_name: bool = False

    def raise_for_unsafe_name(self) -> None:
        if self.unsafe_name:
            raise FileNameRejected()


def sniff_kind(head: bytes) -> str | None:
    """The kind of a file from its first bytes, or None when it is none of ours.

    OFD (GB/T 33190) is a ZIP package whose entry file is ``OFD.xml`` at its root. Only the
    first local file header is examined here: the central directory sits at the end of the
    file, which we cannot see before streaming the bytes on (``check_ofd`` looks at the whole
    package once it is read). OFD writers put ``OFD.xml`` first, so a ZIP whose first entry is
    anything else is treated as not an OFD (refused, not guessed).
    """
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"PK\x03\x04") and len(head) >= 30:
        name_len = int.from_bytes(head[26:28], "little")
        if head[30 : 30 + name_len] == b"OFD.xml":
            return "ofd"
    return None


_SEPARATORS = re.compile(r"[/\\]")
_DRIVE = re.compile(r"^[A-Za-z]:[/\\]")
# WHATWG multipart/form-data: browsers send CR, LF and '"' in a file name as %0D, %0A and %22;
# httpx and urllib3 escape every C0 control character the same way. Those escapes are decoded
# (the controls are then dropped), no other: a name may well hold a literal "%".
_WHATWG_ESCAPES = re.compile(r"%([01][0-9A-Fa-f]|22)")
# Reserved on Windows, and markup: replaced by their full-width forms, which read the same to a
# person and mean nothing to a file system, a header or an HTML page.
_FULL_WIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in '<>:"|?*'})
_BREAKS = frozenset("\t\n\r\v\f\x85\u2028\u2029")
_SPACE_RUN = re.compile(r" {2,}")


def sanitize_file_name(raw: str | None) -> tuple[str, bool]:
    """``(display name, traversal attempted)`` for a client-supplied file name.

    The display name stays readable (Chinese, spaces and punctuation kept) and is safe to show
    and to offer back as a download name: Unicode NFC; line breaks and tabs become a space;
    other control and invisible format characters are dropped (a right-to-left override can
    make ``gpj.exe`` look like ``exe.jpg``); only the last path segment is kept (``/`` and
    ``\\`` both separate: Windows clients send either); ``<>:"|?*`` become their full-width
    forms; leading dots (hidden files) and trailing dots/spaces go; at most 255 bytes of UTF-8,
    cut in the stem so the extension survives.
    """
    if not raw:
        return DEFAULT_NAME, False
    text = _WHATWG_ESCAPES.sub(lambda m: chr(int(m.group(1), 16)), raw)
    cleaned = "".join(
        " " if c in _BREAKS else c
        for c in unicodedata.normalize("NFC", text)
        if c in _BREAKS or unicodedata.category(c)[0] != "C"
    )
    segments = _SEPARATORS.split(cleaned)
    traversal = (
        cleaned.startswith(("/", "\\"))
        or bool(_DRIVE.match(cleaned))
        or any(segment.strip() == ".." for segment in segments)
    )
    name = _SPACE_RUN.sub(" ", segments[-1].translate(_FULL_WIDTH)).strip()
    name = name.lstrip(".").rstrip(". ")
    return (_cap_bytes(name) or DEFAULT_NAME), traversal


def _cap_bytes(name: str) -> str:
    if len(name.encode("utf-8")) <= DISPLAY_NAME_MAX_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    if dot and stem and len(ext.encode("utf-8")) <= 16:
        budget = DISPLAY_NAME_MAX_BYTES - len(ext.encode("utf-8")) - 1
        stem = _utf8_prefix(stem, budget).rstrip(". ")
        return f"{stem}.{ext}" if stem else DEFAULT_NAME
    return _utf8_prefix(name, DISPLAY_NAME_MAX_BYTES).rstrip(". ")


def _utf8_prefix(text: str, limit: int) -> str:
    # "ignore" drops the character the cut went through, never leaves half of one.
    return text.encode("utf-8")[:limit].decode("utf-8", "ignore")


def _quotes_balanced(header: str) -> bool:
    """Whether every quoted-string in a header value is closed (backslash escapes honoured).

    A raw CR LF inside ``filename="..."`` ends the part header there, leaving an open quote:
    that request is malformed, and guessing a name from its remains would be a silent mangle.
    """
    quoted = escaped = False
    for c in header:
        if escaped:
            escaped = False
        elif quoted and c == "\\":
            escaped = True
        elif c == '"':
            quoted = not quoted
    return not quoted


class _BoundedReads:
    """A read-only view of the file that refuses any single read above ``PDF_MAX_READ``."""

    def __init__(self, file: IO[bytes]) -> None:
        self._file = file
        self._size = file.seek(0, 2)
        file.seek(0)

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self._size - self._file.tell()
        if size > PDF_MAX_READ:
            raise UploadDocumentInvalid("the PDF needs repairing to be read")
        return self._file.read(size)

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()


def check_pdf(file: IO[bytes]) -> None:
    """Raise ``UploadDocumentInvalid`` unless ``file`` opens as a PDF with at least one page.

    An encrypted PDF is accepted only when it opens without a password (owner-password
    restrictions are common on official documents); a reviewer could not read it otherwise.
    """
    file.seek(0)
    try:
        reader = PdfReader(_BoundedReads(file), strict=False)  # type: ignore[arg-type]
        if reader.is_encrypted and not reader.decrypt(""):
            raise UploadDocumentInvalid("the PDF needs a password")
        if len(reader.pages) < 1:
            raise UploadDocumentInvalid("the PDF has no page")
    except UploadDocumentInvalid:
        raise
    except Exception as exc:  # noqa: BLE001 - a parser fed hostile bytes fails in many ways
        # Whatever pypdf raised, the file is not a PDF we can hand to a reviewer.
        raise UploadDocumentInvalid(f"not a readable PDF ({type(exc).__name__})") from None


def check_ofd(file: IO[bytes]) -> None:
    """Raise ``UploadDocumentInvalid`` unless ``file`` is a sound ZIP with ``OFD.xml`` at its
    root (GB/T 33190), whose start can be inflated."""
    entries = _zip_entry_count(file)
    if entries is None or entries > OFD_MAX_ENTRIES:
        raise UploadDocumentInvalid("not a ZIP package, or too many entries")
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as package, package.open(OFD_ENTRY) as entry:
            head = entry.read(OFD_ENTRY_MAX_READ)
    except KeyError:
        raise UploadDocumentInvalid(f"no {OFD_ENTRY} at the package root") from None
    except Exception as exc:  # noqa: BLE001 - zipfile/zlib fail in many ways on bad input
        raise UploadDocumentInvalid(f"not a readable OFD ({type(exc).__name__})") from None
    if not head.lstrip().startswith(b"<"):
        raise UploadDocumentInvalid(f"{OFD_ENTRY} is not XML")


def _zip_entry_count(file: IO[bytes]) -> int | None:
    """Entries announced by the end-of-central-directory record; None when there is none.

    ZIP64 packages announce 0xFFFF here: more than ``OFD_MAX_ENTRIES``, so they are refused,
    which no real OFD (a few hundred small entries) runs into.
    """
    size = file.seek(0, 2)
    tail_size = min(size, 22 + 0xFFFF)  # the record plus the longest possible comment
    file.seek(size - tail_size)
    tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return None
    return int.from_bytes(tail[at + 10 : at + 12], "little")


_DOCUMENT_CHECKS: dict[str, Callable[[IO[bytes]], None]] = {"pdf": check_pdf, "ofd": check_ofd}


def _extension(name: str) -> str | None:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else None


def _boundary(content_type_header: str) -> bytes:
    mime, params = parse_options_header(content_type_header)
    boundary = params.get(b"boundary", b"")
    # RFC 2046 caps boundaries at 70 characters.
    if mime != b"multipart/form-data" or not boundary or len(boundary) > 70:
        raise UploadMalformed("expected multipart/form-data with a boundary")
    return boundary


class _Reader:
    """Drives the parser from the request stream and yields the file part's bytes."""

    def __init__(
        self, stream: AsyncIterator[bytes], boundary: bytes, max_bytes: int, allowed: set[str]
    ) -> None:
        self._stream = stream
        self._max_bytes = max_bytes
        self._allowed = allowed
        # Callbacks only record events; they are handled after each write, where an exception
        # can be raised from the async iterator rather than from inside the parser.
        self._events: list[tuple[str, bytes]] = []
        ev = self._events
        self._parser = MultipartParser(
            boundary,
            callbacks={
                "on_part_begin": lambda: ev.append(("begin", b"")),
                "on_header_field": lambda d, s, e: ev.append(("field", d[s:e])),
                "on_header_value": lambda d, s, e: ev.append(("value", d[s:e])),
                "on_header_end": lambda: ev.append(("header", b"")),
                "on_headers_finished": lambda: ev.append(("headers", b"")),
                "on_part_data": lambda d, s, e: ev.append(("data", d[s:e])),
                "on_part_end": lambda: ev.append(("end", b"")),
                "on_end": lambda: ev.append(("finish", b"")),
            },
        )
        self._body = 0
        self._extra = 0
        self._field = b""
        self._value = b""
        self._headers: dict[str, str] = {}
        self._in_file = False
        self._file_seen = False
        self._file_done = False
        self._finished = False
        self._declared_type = ""
        self._display_name = DEFAULT_NAME
        self._unsafe_name = False
        self._head = b""
        self._kind: str | None = None
        self._size = 0
        self._sha256 = hashlib.sha256()
        self.error: UploadError | None = None
        self.complete = False

    async def file_bytes(self) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in self._stream:
                self._body += len(chunk)
                # A guard on the whole body, whatever part the bytes belong to.
                if self._body > self._max_bytes + MULTIPART_OVERHEAD:
                    raise UploadTooLarge(maxBytes=self._max_bytes)
                try:
                    self._parser.write(chunk)
                except FormParserError as exc:
                    raise UploadMalformed("invalid multipart body") from exc
                events = self._events[:]
                self._events.clear()
                for name, data in events:
                    out = self._handle(name, data)
                    if out:
                        yield out
                if self._finished:
                    # Anything after the closing boundary is an epilogue with no meaning.
                    break
            if not self._finished:
                raise UploadMalformed("body ended before the closing boundary")
            if not self._file_done:
                raise UploadMalformed(f"no file part named {FILE_FIELD!r}")
            self.complete = True
        except UploadError as exc:
            self.error = exc
            raise

    def result(self) -> ReceivedFile:
        assert self._kind is not None
        return ReceivedFile(
            display_name=self._display_name,
            kind=self._kind,
            content_type=CONTENT_TYPES[self._kind],
            size=self._size,
            sha256_hex=self._sha256.hexdigest(),
            unsafe_name=self._unsafe_name,
        )

    def _count_extra(self, n: int) -> None:
        self._extra += n
        if self._extra > EXTRA_PARTS_BUDGET:
            raise UploadTooLarge("form fields too large", maxBytes=self._max_bytes)

    def _handle(self, event: str, data: bytes) -> bytes | None:
        if event == "data":
            if self._in_file:
                return self._file_data(data)
            self._count_extra(len(data))
        elif event in ("field", "value"):
            self._count_extra(len(data))
            if event == "field":
                self._field += data
            else:
                self._value += data
        elif event == "header":
            name = self._field.decode("latin-1").strip().lower()
            # Browsers send file names as raw UTF-8 (WHATWG), not RFC 2047/2231 encoded.
            self._headers[name] = self._value.decode("utf-8", errors="replace").strip()
            self._field = self._value = b""
        elif event == "headers":
            self._start_part()
        elif event == "end":
            if self._in_file:
                self._in_file = False
                self._file_done = True
                return self._flush_head()
        elif event == "begin":
            self._headers = {}
        elif event == "finish":
            self._finished = True
        return None

    def _start_part(self) -> None:
        disposition = email.message.Message()
        disposition["content-disposition"] = self._headers.get("content-disposition", "")
        if disposition.get_param("name", header="content-disposition") != FILE_FIELD:
            return
        if self._file_seen:
            raise UploadMalformed(f"more than one part named {FILE_FIELD!r}")
        self._file_seen = self._in_file = True
        if not _quotes_balanced(self._headers.get("content-disposition", "")):
            raise UploadMalformed("unterminated quoted string in the file part's header")
        mime, _ = parse_options_header(self._headers.get("content-type", ""))
        self._declared_type = mime.decode("latin-1")
        self._display_name, self._unsafe_name = sanitize_file_name(disposition.get_filename())

    def _file_data(self, data: bytes) -> bytes | None:
        self._size += len(data)
        # Checked before the bytes go anywhere: the limit trips as soon as it is passed.
        if self._size > self._max_bytes:
            raise UploadTooLarge(maxBytes=self._max_bytes)
        self._sha256.update(data)
        if self._kind is not None:
            return data
        # Hold the first bytes back until the type is known, so that the sink never receives
        # a single byte of a file we are going to refuse.
        self._head += data
        return self._flush_head() if len(self._head) >= SNIFF_BYTES else None

    def _flush_head(self) -> bytes | None:
        if self._kind is not None:
            return None
        if not self._head:
            raise UploadEmpty()
        self._kind = self._check_kind(self._head)
        head, self._head = self._head, b""
        return head

    def _check_kind(self, head: bytes) -> str:
        kind = sniff_kind(head)
        if kind is None:
            raise UploadTypeNotAllowed("unrecognised content", allowed=sorted(self._allowed))
        declared = self._declared_type
        if declared not in _GENERIC_TYPES and _DECLARED_TYPES.get(declared) != kind:
            raise UploadTypeMismatch(f"content is {kind}, declared {declared}")
        extension = _extension(self._display_name)
        if extension is not None and _EXTENSIONS.get(extension) != kind:
            raise UploadTypeMismatch(f"content is {kind}, file name ends in .{extension}")
        if kind not in self._allowed:
            raise UploadTypeNotAllowed(f"{kind} not allowed", allowed=sorted(self._allowed))
        return kind


async def receive_upload(
    stream: AsyncIterator[bytes],
    content_type_header: str,
    *,
    max_bytes: int,
    allowed: set[str],
    sink: Callable[[AsyncIterator[bytes]], Awaitable[None]],
    content_length: int | None,
    reopen: Callable[[], IO[bytes]],
) -> ReceivedFile:
    """Stream the ``file`` part of a multipart body into ``sink``; see the module docstring.

    ``stream`` is the raw request body (Litestar's ``request.stream()``), ``allowed`` a subset
    of ``KINDS``, ``reopen`` opens what the sink stored as a seekable file (blocking: it runs
    in a worker thread) for the document check. Raises an ``UploadError``; when it does after
    the sink started, the caller deletes the object (with obstore a failed put leaves none, but
    a refused document has been stored whole).
    """
    if not allowed or not allowed <= KINDS:
        raise ValueError(f"allowed kinds must be a non-empty subset of {sorted(KINDS)}")
    # Refused on the declared length alone, before a byte of the body is read.
    if content_length is not None and content_length > max_bytes + MULTIPART_OVERHEAD:
        raise UploadTooLarge(maxBytes=max_bytes)
    reader = _Reader(stream, _boundary(content_type_header), max_bytes, allowed)
    chunks = reader.file_bytes()
    try:
        await sink(chunks)
    except Exception as exc:
        # A sink may wrap what our iterator raised; the caller needs the upload error itself.
        if reader.error is not None and reader.error is not exc:
            raise reader.error from exc
        raise
    finally:
        await chunks.aclose()
    if not reader.complete:
        raise RuntimeError("the sink returned before consuming the whole upload")
    received = reader.result()
    if received.kind in DEEP_CHECKED:
        await asyncio.to_thread(_check_stored, received.kind, reopen)
    return received


def _check_stored(kind: str, reopen: Callable[[], IO[bytes]]) -> None:
    with reopen() as stored:
        _DOCUMENT_CHECKS[kind](stored)


__all__ = [
    "CONTENT_TYPES",
    "KINDS",
    "FileNameRejected",
    "ReceivedFile",
    "UploadDocumentInvalid",
    "UploadEmpty",
    "UploadError",
    "UploadMalformed",
    "UploadTooLarge",
    "UploadTypeMismatch",
    "UploadTypeNotAllowed",
    "check_ofd",
    "check_pdf",
    "receive_upload",
    "sanitize_file_name",
    "sniff_kind",
]


async def store_upload(
    stream: AsyncIterator[bytes],
    headers: Mapping[str, str],
    storage: ObjectStorage,
    owner_id: uuid.UUID,
    *,
    max_bytes: int,
    allowed: set[str],
    attach: Callable[[ReceivedFile, str], Awaitable[tuple[T, bool]]],
) -> T:
    """An upload streamed into ``owner_id``'s storage under a fresh key, checked, then handed
    to ``attach`` (which answers and says whether the bytes became a new library entry). The
    stored bytes never outlive a failure, nor a library that already held them (dedupe)."""
    key = f"materials/{owner_id}/{uuid.uuid4()}"
    stored = False

    async def sink(chunks: AsyncIterator[bytes]) -> None:
        nonlocal stored
        stored = True
        await storage.put_stream(key, chunks)

    length = headers.get("content-length")
    try:
        received = await receive_upload(
            stream,
            headers.get("content-type", ""),
            max_bytes=max_bytes,
            allowed=allowed,
            sink=sink,
            content_length=int(length) if length and length.isdigit() else None,
            reopen=lambda: storage.open_plaintext(key),
        )
        received.raise_for_unsafe_name()
        answer, created = await attach(received, key)
    except BaseException:
        if stored:
            await storage.delete(key)
        raise
    if not created:
        await storage.delete(key)  # the library already holds these bytes
    return answer
