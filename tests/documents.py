"""Small real documents for upload tests: a PDF any reader opens, an OFD package.

Uploads are checked beyond their first bytes (core.uploads: a PDF must open in pypdf, an OFD
must be a ZIP with OFD.xml at its root), so tests upload real documents, built here without a
PDF library so that the checker is not tested against its own writer.
"""

from __future__ import annotations

import io
import zipfile

PDF_HEADER = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"


def pdf(content: bytes = b"BT /F1 12 Tf 72 720 Td (hello) Tj ET", *, size: int = 0) -> bytes:
    """A one-page PDF whose page content stream is ``content``, padded to ``size`` bytes.

    The padding goes into the content stream (a PDF comment line), so any size from a few
    hundred bytes up is a valid document with a correct cross-reference table.
    """
    document = _pdf(content)
    if size > len(document):
        # "%" starts a comment to the end of the line: the content stays valid PDF syntax.
        padding = size - len(document) - 2
        document = _pdf(content + b"\n%" + b"x" * padding)
        # The Length and xref offsets grew by a few digits: trim the padding to fit.
        document = _pdf(content + b"\n%" + b"x" * (padding - (len(document) - size)))
    return document


def _pdf(content: bytes) -> bytes:
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(PDF_HEADER)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def zip_package(
    first: str,
    *,
    extra: dict[str, bytes] | None = None,
    content: bytes = b"<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'/>",
) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(first, content)
        package.writestr("Doc_0/Pages/Page_0/Content.xml", "<ofd:Page/>" * 200)
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return buffer.getvalue()


def ofd() -> bytes:
    return zip_package("OFD.xml")


def pdf_around(content_length: int) -> tuple[bytes, bytes]:
    """``(head, tail)`` such that ``head + content + tail`` is a one-page PDF for any
    ``content`` of ``content_length`` bytes (streamed between them, never held whole)."""
    head = bytearray(PDF_HEADER)
    offsets = []
    for number, body in enumerate(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        ],
        start=1,
    ):
        offsets.append(len(head))
        head += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    offsets.append(len(head))
    head += b"4 0 obj\n<< /Length %d >>\nstream\n" % content_length
    tail = bytearray(b"\nendstream\nendobj\n")
    xref = len(head) + content_length + len(tail)
    tail += b"xref\n0 5\n0000000000 65535 f \n"
    for offset in offsets:
        tail += b"%010d 00000 n \n" % offset
    tail += b"trailer\n<< /Size 5 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(head), bytes(tail)
