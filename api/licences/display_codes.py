"""亮证 display codes: a compact payload signed with our SM2 key, verifiable offline.

Format: ``HL1.<base64url(JSON payload)>.<base64url(r || s)>`` (no padding). The signature is
SM2 with SM3 (``Z`` over the default signer id ``1234567812345678``) of the ASCII bytes before
the second dot, with the 64-byte ``r || s`` encoding (DER is the same signature re-encoded).
The payload: ``v`` format version (1), ``k`` key id, ``d`` display id (base64url of 16 bytes),
``t`` licence type code, ``h`` the holder's masked name, ``f``/``u`` validity (ISO dates, ``u``
null for long-term), ``s`` status when shown, ``i``/``e`` issued/expires (Unix seconds).
The public key is published at ``GET /api/v1/licences/display-key``.
"""

from __future__ import annotations

import base64
import io
import uuid
from collections.abc import Mapping
from typing import Annotated

import msgspec
import segno

from core import sm2

PREFIX = "HL1"


class DisplayPayload(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    v: int
    k: Annotated[str, msgspec.Meta(max_length=64)]
    d: Annotated[str, msgspec.Meta(min_length=22, max_length=22)]
    t: Annotated[str, msgspec.Meta(max_length=32)]
    h: Annotated[str, msgspec.Meta(max_length=64)]
    f: str | None
    u: str | None
    s: str
    i: int
    e: int

    @property
    def display_id(self) -> uuid.UUID:
        return uuid.UUID(bytes=_unb64(self.d))


class CodeInvalid(ValueError):
    """Not a display code of ours, or its signature does not verify."""


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(DisplayPayload)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def display_id_text(display_id: uuid.UUID) -> str:
    return _b64(display_id.bytes)


def _signing_input(payload: DisplayPayload) -> str:
    return f"{PREFIX}.{_b64(_encoder.encode(payload))}"


def encode(key: sm2.Sm2KeyPair, payload: DisplayPayload) -> str:
    signing_input = _signing_input(payload)
    signature = sm2.der_to_raw(key.sign(signing_input.encode("ascii")))
    return f"{signing_input}.{_b64(signature)}"


def issue(signer: sm2.Sm2Signer, payload: DisplayPayload) -> str:
    """``encode``, signed by ``signer`` (the costly part of the signature computed ahead)."""
    signing_input = _signing_input(payload)
    signature = signer.sign(signing_input.encode("ascii"))
    return f"{signing_input}.{_b64(signature)}"


class ParsedCode(msgspec.Struct, frozen=True):
    payload: DisplayPayload
    signing_input: bytes
    signature: bytes


def parse(code: str) -> ParsedCode:
    """The parts of a well-formed display code; its signature is not checked here."""
    parts = code.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX or len(code) > 1024:
        raise CodeInvalid("not a display code")
    try:
        payload = _decoder.decode(_unb64(parts[1]))
        signature = _unb64(parts[2])
        payload.display_id  # noqa: B018 - validates the id's encoding
    except (ValueError, msgspec.DecodeError) as exc:
        raise CodeInvalid("malformed display code") from exc
    if payload.v != 1 or len(signature) != 64:
        raise CodeInvalid("unknown format")
    return ParsedCode(payload, f"{parts[0]}.{parts[1]}".encode("ascii"), signature)


def digest(code: str) -> bytes:
    """SM3 of the code as issued: what the display row keeps to recognise it online."""
    # Codes we issue are ASCII (UTF-8 encodes them the same); anything else a caller sends
    # must still hash, to find nothing, rather than raise.
    return sm2.sm3(code.strip().encode("utf-8", "surrogatepass"))


def decode(verifiers: Mapping[str, sm2.Sm2Verifier], code: str) -> DisplayPayload:
    """The payload of a code whose signature verifies with the verifier of its key id
    (expiry is the caller's to judge)."""
    parsed = parse(code)
    verifier = verifiers.get(parsed.payload.k)
    if verifier is None or not verifier.verify(parsed.signing_input, parsed.signature):
        raise CodeInvalid("signature does not verify")
    return parsed.payload


def qr_svg(content: str) -> str:
    """The code as a QR symbol in SVG. Error correction M; a fixed mask pattern, because the
    automatic choice evaluates all eight and triples the cost for no gain on a screen."""
    return qr_svg_bytes(content).decode("utf-8")


def qr_svg_bytes(content: str) -> bytes:
    symbol = segno.make_qr(content, error="m", mask=0, boost_error=False)
    out = io.BytesIO()
    symbol.save(out, kind="svg", xmldecl=False, border=2, scale=4)
    return out.getvalue()
