"""The platform's e-licence library (电子证照库): signed licences per holder, revocation events.

Mounted on the provincial stand-in (``add_licence_routes``). A licence is issued when a case of
an item that issues one completes (the case book calls ``LicenceLibrary.issue_for_case``), or
directly through the control API. Each licence's content is a JSON document signed by its
issuing department's seal key: SM2 with SM3 (``Z`` with the default signer id), DER signature,
made with the pure-Python ``gmssl`` package — deliberately not the product's implementation.

- ``GET /gov/licences/v1/licences/{number}``: ``{licenceNumber, status, revokedAt,
  revocationReason, data (base64 of the signed JSON), signature (base64 DER), signatureAlgorithm,
  keyId, fileType}``; the signed JSON has ``licenceNumber, typeCode, typeName, holderName,
  holderIdNumber, issuerCode, issuerName, issuedAt, validFrom, validUntil (null: long-term),
  caseNumber, keyId``.
- ``GET /gov/licences/v1/licences?holderIdNumber=…``: the holder's licences.
- ``GET /gov/licences/v1/licences/{number}/file``: the licence file (a small generated PDF).
- ``GET /gov/licences/v1/issuer-keys``: ``{keys: [{keyId, issuerCode, issuerName, algorithm,
  publicKey (hex 04||x||y)}]}``.
- ``GET /gov/licences/v1/events?after=N&limit=M``: ``{events: [{seq, type (issued|revoked),
  licenceNumber, occurredAt, reason}], next, hasMore}`` — the feed a consumer polls.

Control: ``POST /_control/licences`` (issue one directly), ``POST
/_control/licences/{number}/revoke {reason}``, ``GET/POST/DELETE /_control/licence-faults``
(``{"tamper": "signature"|"data"|null}``: licences issued from then on are altered after
signing).

Licences live in memory only.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import msgspec
from aiohttp import web
from gmssl import func, sm2  # type: ignore[import-untyped]

from sandbox.clock import Clock
from sandbox.http import ApiError, json_response
from sandbox.provincial.codes import MOD37_36_ALPHABET, mod37_36_check

if TYPE_CHECKING:
    from sandbox.provincial.cases import Case, IssuedLicence
    from sandbox.provincial.models import Item

CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
ALGORITHM = "SM2-SM3"
# Years of validity by licence type; absent types are long-term (validUntil null).
VALIDITY_YEARS = {
    "SFZ": 10,
    "SBK": 10,
    "JSZ": 6,
    "SPJYXKZ": 5,
    "YSZYZS": 5,
    "JSZGZS": 5,
    "DLYSCYZGZ": 6,
    "CJRZ": 10,
}
MAX_EVENTS_PAGE = 500

Tamper = Literal["signature", "data"]
NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    pass


class IssueBody(_Body, kw_only=True):
    holder_name: NonEmpty
    holder_id_number: NonEmpty
    type_code: Annotated[str, msgspec.Meta(pattern="^[A-Z]{2,12}$")]
    type_name: NonEmpty
    issuer_code: Annotated[str, msgspec.Meta(pattern="^[0-9A-Z]{18}$")]
    issuer_name: NonEmpty = "西岭省政务服务测试签发机构"
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None
    # Alter the licence number's check character (a number that fails GB/T 36904's check).
    bad_check_character: bool = False


class RevokeBody(_Body, kw_only=True):
    reason: NonEmpty


class LicenceFaults(_Body, kw_only=True):
    tamper: Tamper | None = None


class LicenceData(msgspec.Struct, rename="camel", kw_only=True):
    """What the issuer signs (encoded once; the bytes travel as they were signed)."""

    licence_number: str
    type_code: str
    type_name: str
    holder_name: str
    holder_id_number: str
    issuer_code: str
    issuer_name: str
    issued_at: str
    valid_from: str
    valid_until: str | None
    case_number: str | None
    key_id: str


class LicenceEvent(msgspec.Struct, rename="camel", kw_only=True):
    seq: int
    type: Literal["issued", "revoked"]
    licence_number: str
    occurred_at: str
    reason: str | None = None


@dataclass
class IssuerKey:
    key_id: str
    issuer_code: str
    issuer_name: str
    private_hex: str
    public_hex: str  # 128 hex characters: x || y

    def sign(self, message: bytes) -> bytes:
        signer = sm2.CryptSM2(private_key=self.private_hex, public_key="", asn1=True)
        # Set after construction: the constructor's lstrip("04") would also eat the leading '0's
        # and '4's of an x that starts with "04" (1 key in 256), and sign with the wrong Z.
        signer.public_key = self.public_hex
        return bytes.fromhex(signer.sign_with_sm3(message, func.random_hex(64)))

    def describe(self) -> dict[str, Any]:
        return {
            "keyId": self.key_id,
            "issuerCode": self.issuer_code,
            "issuerName": self.issuer_name,
            "algorithm": ALGORITHM,
            "publicKey": "04" + self.public_hex,
        }


def _new_key(issuer_code: str, issuer_name: str) -> IssuerKey:
    curve = sm2.default_ecc_table
    while True:
        private = secrets.randbelow(int(curve["n"], 16) - 1) + 1
        if private < int(curve["n"], 16) - 1:
            break
    private_hex = f"{private:064x}"
    point = sm2.CryptSM2(private_key=private_hex, public_key="")._kg(private, curve["g"])
    return IssuerKey(
        key_id=f"seal-{issuer_code}-{secrets.token_hex(3)}",
        issuer_code=issuer_code,
        issuer_name=issuer_name,
        private_hex=private_hex,
        public_hex=point,
    )


@dataclass
class Licence:
    number: str
    holder_id_number: str
    data: bytes
    signature: bytes
    key_id: str
    status: str = "valid"
    revoked_at: str | None = None
    revocation_reason: str | None = None
    file: bytes = b""

    def describe(self) -> dict[str, Any]:
        return {
            "licenceNumber": self.number,
            "status": self.status,
            "revokedAt": self.revoked_at,
            "revocationReason": self.revocation_reason,
            "data": base64.b64encode(self.data).decode(),
            "signature": base64.b64encode(self.signature).decode(),
            "signatureAlgorithm": ALGORITHM,
            "keyId": self.key_id,
            "fileType": "pdf",
        }


@dataclass
class LicenceLibrary:
    clock: Clock
    faults: LicenceFaults = field(default_factory=LicenceFaults)
    _licences: dict[str, Licence] = field(default_factory=dict)
    _keys: dict[str, IssuerKey] = field(default_factory=dict)  # by issuer code
    _events: list[LicenceEvent] = field(default_factory=list)
    _numbers: set[str] = field(default_factory=set)

    def reset(self) -> None:
        self._licences.clear()
        self._events.clear()
        self.faults = LicenceFaults()

    # -- issuing ---------------------------------------------------------------------------

    def issue_for_case(self, case: Case, issued: IssuedLicence, item: Item) -> None:
        """The case book's hook: the licence it numbered, signed and filed under the holder."""
        today = dt.datetime.fromtimestamp(self.clock.now(), CHINA_TIME).date()
        self.issue(
            number=issued.licence_number,
            body=IssueBody(
                holder_name=case.applicant.name,
                holder_id_number=case.applicant.id_number,
                type_code=issued.type_code,
                type_name=issued.name,
                issuer_code=item.department.code,
                issuer_name=item.department.name,
                valid_from=today,
                valid_until=_years_later(today, VALIDITY_YEARS.get(issued.type_code)),
            ),
            issued_at=issued.issued_at,
            case_number=case.case_number,
        )

    def issue_direct(self, body: IssueBody) -> Licence:
        today = dt.datetime.fromtimestamp(self.clock.now(), CHINA_TIME).date()
        if body.valid_from is None:
            body.valid_from = today
        if body.valid_until is None and body.type_code in VALIDITY_YEARS:
            body.valid_until = _years_later(body.valid_from, VALIDITY_YEARS[body.type_code])
        number = self._number(body.type_code, body.issuer_code)
        if body.bad_check_character:
            wrong = next(c for c in MOD37_36_ALPHABET if c != number[-1])
            number = number[:-1] + wrong
        return self.issue(number=number, body=body, issued_at=self.clock.rfc3339())

    def issue(
        self, *, number: str, body: IssueBody, issued_at: str, case_number: str | None = None
    ) -> Licence:
        key = self._key(body.issuer_code, body.issuer_name)
        assert body.valid_from is not None
        data = msgspec.json.encode(
            LicenceData(
                licence_number=number,
                type_code=body.type_code,
                type_name=body.type_name,
                holder_name=body.holder_name,
                holder_id_number=body.holder_id_number,
                issuer_code=body.issuer_code,
                issuer_name=body.issuer_name,
                issued_at=issued_at,
                valid_from=body.valid_from.isoformat(),
                valid_until=body.valid_until.isoformat() if body.valid_until else None,
                case_number=case_number,
                key_id=key.key_id,
            )
        )
        signature = key.sign(data)
        if self.faults.tamper == "signature":
            signature = signature[:-1] + bytes([signature[-1] ^ 0x01])
        elif self.faults.tamper == "data":
            data = data.replace(body.holder_name.encode(), "王五".encode(), 1)
        licence = Licence(
            number=number,
            holder_id_number=body.holder_id_number,
            data=data,
            signature=signature,
            key_id=key.key_id,
            file=_pdf(number, body.type_code, body.valid_from.isoformat()),
        )
        self._licences[number] = licence
        self._numbers.add(number)
        self._event("issued", number)
        return licence

    def revoke(self, number: str, reason: str) -> Licence:
        licence = self.get(number)
        if licence.status != "revoked":
            licence.status = "revoked"
            licence.revoked_at = self.clock.rfc3339()
            licence.revocation_reason = reason
            self._event("revoked", number, reason)
        return licence

    # -- reading ---------------------------------------------------------------------------

    def get(self, number: str) -> Licence:
        licence = self._licences.get(number)
        if licence is None:
            raise ApiError(404, "LICENCE_NOT_FOUND", f"no licence {number}")
        return licence

    def of_holder(self, id_number: str) -> list[Licence]:
        return [lic for lic in self._licences.values() if lic.holder_id_number == id_number]

    def issuer_keys(self) -> list[IssuerKey]:
        return list(self._keys.values())

    def events(self, after: int, limit: int) -> tuple[list[LicenceEvent], bool]:
        following = [e for e in self._events if e.seq > after]
        return following[:limit], len(following) > limit

    # -- helpers ---------------------------------------------------------------------------

    def _key(self, issuer_code: str, issuer_name: str) -> IssuerKey:
        key = self._keys.get(issuer_code)
        if key is None:
            key = self._keys[issuer_code] = _new_key(issuer_code, issuer_name)
        return key

    def _number(self, type_code: str, issuer: str) -> str:
        while True:
            body = f"{type_code}{issuer}{secrets.randbelow(10**10):010d}01".upper()
            number = body + mod37_36_check(body)
            if number not in self._numbers:
                return number

    def _event(
        self, kind: Literal["issued", "revoked"], number: str, reason: str | None = None
    ) -> None:
        seq = self._events[-1].seq + 1 if self._events else 1
        self._events.append(
            LicenceEvent(
                seq=seq,
                type=kind,
                licence_number=number,
                occurred_at=self.clock.rfc3339(),
                reason=reason,
            )
        )


def _years_later(start: dt.date, years: int | None) -> dt.date | None:
    if years is None:
        return None
    try:
        return start.replace(year=start.year + years) - dt.timedelta(days=1)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _pdf(number: str, type_code: str, valid_from: str) -> bytes:
    """A small, well-formed one-page PDF naming the licence (ASCII text: no font embedding)."""
    text = f"E-LICENCE {type_code} {number} FROM {valid_from}"
    stream = f"BT /F1 14 Tf 40 780 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for index, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{index} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


LICENCES_KEY = web.AppKey("provincial_licences", LicenceLibrary)
_T = TypeVar("_T")


# -- handlers ---------------------------------------------------------------------------------


def _library(request: web.Request) -> LicenceLibrary:
    return request.app[LICENCES_KEY]


async def _decode(request: web.Request, kind: type[_T]) -> _T:
    try:
        return msgspec.json.decode(await request.read(), type=kind)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


async def get_licence(request: web.Request) -> web.Response:
    return json_response(_library(request).get(request.match_info["number"]).describe())


async def get_licence_file(request: web.Request) -> web.Response:
    licence = _library(request).get(request.match_info["number"])
    return web.Response(body=licence.file, content_type="application/pdf")


async def list_licences(request: web.Request) -> web.Response:
    holder = request.query.get("holderIdNumber")
    if not holder:
        raise ApiError(400, "INVALID_PARAMETER", "holderIdNumber: required")
    return json_response(
        {"licences": [lic.describe() for lic in _library(request).of_holder(holder)]}
    )


async def issuer_keys(request: web.Request) -> web.Response:
    return json_response({"keys": [k.describe() for k in _library(request).issuer_keys()]})


def _int_param(request: web.Request, name: str, default: int, high: int) -> int:
    text = request.query.get(name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or int(text) > high:
        raise ApiError(400, "INVALID_PARAMETER", f"{name}: expected an integer 0..{high}")
    return int(text)


async def licence_events(request: web.Request) -> web.Response:
    after = _int_param(request, "after", 0, 2**62)
    limit = max(1, _int_param(request, "limit", 100, MAX_EVENTS_PAGE))
    events, more = _library(request).events(after, limit)
    return json_response(
        {"events": events, "next": events[-1].seq if events else after, "hasMore": more}
    )


async def control_issue(request: web.Request) -> web.Response:
    body = await _decode(request, IssueBody)
    return json_response(_library(request).issue_direct(body).describe(), status=201)


async def control_revoke(request: web.Request) -> web.Response:
    library = _library(request)
    number = request.match_info["number"]
    library.get(number)
    body = await _decode(request, RevokeBody)
    return json_response(library.revoke(number, body.reason).describe())


async def control_get_faults(request: web.Request) -> web.Response:
    return json_response({"licenceFaults": _library(request).faults})


async def control_set_faults(request: web.Request) -> web.Response:
    _library(request).faults = await _decode(request, LicenceFaults)
    return json_response({"licenceFaults": _library(request).faults})


async def control_clear_faults(request: web.Request) -> web.Response:
    _library(request).faults = LicenceFaults()
    return json_response({"licenceFaults": _library(request).faults})


def add_licence_routes(app: web.Application, library: LicenceLibrary) -> None:
    app[LICENCES_KEY] = library
    app.router.add_get("/gov/licences/v1/licences", list_licences)
    app.router.add_get("/gov/licences/v1/licences/{number}", get_licence)
    app.router.add_get("/gov/licences/v1/licences/{number}/file", get_licence_file)
    app.router.add_get("/gov/licences/v1/issuer-keys", issuer_keys)
    app.router.add_get("/gov/licences/v1/events", licence_events)
    app.router.add_post("/_control/licences", control_issue)
    app.router.add_post("/_control/licences/{number}/revoke", control_revoke)
    app.router.add_get("/_control/licence-faults", control_get_faults)
    app.router.add_post("/_control/licence-faults", control_set_faults)
    app.router.add_delete("/_control/licence-faults", control_clear_faults)
