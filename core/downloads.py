"""Stored files served back: always as a download, never as a page of our origin.

A citizen's file is bytes a citizen chose. Served inline from the API's origin, a file that is
both a PDF and an HTML page (``%PDF-1.4<html><script>…``) would run its script with the API's
origin. Every response that serves stored bytes therefore says:

- ``Content-Disposition: attachment`` with the display name twice (RFC 6266): an ASCII
  ``filename=`` for old clients, and ``filename*=UTF-8''…`` (RFC 8187) for the real, often
  Chinese, name;
- ``X-Content-Type-Options: nosniff``: the declared type is the only one a browser may use;
- ``Content-Security-Policy: sandbox``: should a browser render it anyway, it is a unique,
  scriptless origin.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import AsyncIterator
from urllib.parse import quote

from litestar.response import Stream

FALLBACK_STEM = "file"
# The characters left as they are in the ASCII fallback: no quote, backslash, ";" or "%" (old
# clients percent-decode it), nothing a header or a file system could take for syntax.
_FALLBACK_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+-]+")


def ascii_fallback(name: str) -> str:
    """An ASCII approximation of ``name`` for ``filename=``: accents dropped, other non-ASCII
    characters gone, the extension kept (``申请表.pdf`` becomes ``file.pdf``)."""
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    stem, ext = _ascii(stem), _ascii(ext)
    if not any(c.isalnum() for c in stem):
        stem = FALLBACK_STEM
    return f"{stem}.{ext}" if ext else stem


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _FALLBACK_UNSAFE.sub("_", decomposed).strip(" ._")


def content_disposition(name: str) -> str:
    # quote(safe="") leaves only RFC 8187 attr-chars unescaped.
    return (
        f"attachment; filename=\"{ascii_fallback(name)}\"; filename*=UTF-8''{quote(name, safe='')}"
    )


def attachment_headers(name: str) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(name),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }


def attachment(chunks: AsyncIterator[bytes], *, name: str, media_type: str) -> Stream:
    """A streamed response of stored bytes, served as the download ``name``."""
    return Stream(chunks, media_type=media_type, headers=attachment_headers(name))


__all__ = ["ascii_fallback", "attachment", "attachment_headers", "content_disposition"]
