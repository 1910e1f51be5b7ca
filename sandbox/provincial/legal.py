"""Legal persons in the platform stand-in (法人库): companies with their unified social credit
code (GB 32100), legal representative and the agents (经办人) they authorised; each company's
营业执照 is in the licence library under its code, sealed like every licence.

Implemented on its own (the product's validator is not imported): the code's check character
with weights 3^i mod 31 over the 31-character set, the organisation code's (GB 11714) with
weights 3, 7, 9, 10, 5, 8, 4, 2.

- ``GET /gov/legal/v1/companies/{uscc}``: ``{uscc, name, type, representativeName, status}``
  (400 ``USCC_INVALID`` for a malformed code, 404 ``COMPANY_NOT_FOUND``);
- ``POST /gov/legal/v1/authorisations/query {idNumber}``: ``{authorisations: [...]}``, every
  authorisation naming the person — as representative (one per company they represent) or as
  agent, revoked ones included: ``{id, uscc, companyName, companyType, role, agentIdNumber,
  agentName, companyLicences [{licenceNumber, typeCode, typeName, issuedAt}], items (null:
  every item), validFrom, validUntil (null: until revoked), status
  (active|revoked), revokedAt}``; an agent past ``validUntil`` is listed as it is (the reader
  compares the window);
- ``POST /gov/legal/v1/companies/{uscc}/authorisations {grantorIdNumber, agentIdNumber,
  agentName, items, validUntil}``: 201 ``{authorisation}``; 403 ``NOT_REPRESENTATIVE`` when the
  grantor is not the company's representative, 400 ``AGENT_REJECTED`` when the name does not
  match the ID number the platform knows (the test users) or the number is malformed;
- ``POST /gov/legal/v1/authorisations/{id}/revoke {grantorIdNumber, reason}``: ``{authorisation}``.

A revocation at the platform's own portal (control below) is POSTed to the ``callbackUrl`` the
reader gave with its query, signed like the case callbacks: ``{eventId, type
"authorisation.revoked", authorisationId, uscc, occurredAt}``.

Control: ``POST /_control/legal/companies {name, type, representative (a test user's
username)}`` adds a company (its code made here, and its 营业执照 issued);
``POST /_control/legal/authorisations/{id}/revoke`` revokes at the platform's own portal;
``GET /_control/legal/companies`` lists them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import msgspec
from aiohttp import web

from sandbox.clock import Clock
from sandbox.http import ApiError, json_response
from sandbox.provincial.licences import IssueBody, LicenceLibrary
from sandbox.provincial.users import USERS_BY_NAME, TestUser, valid_id_number

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# The market regulator that issues the 营业执照 (its seal signs them).
REGISTRAR_CODE = "11620100MB0000019K"
REGISTRAR_NAME = "西岭省市场监督管理局"


def gb32100_check(first17: str) -> str:
    total = 0
    weight = 1
    for ch in first17:
        total += ALPHABET.index(ch) * weight
        weight = weight * 3 % 31
    return ALPHABET[-total % 31]


def gb11714_check(first8: str) -> str:
    total = sum(
        (int(ch) if ch.isdigit() else ord(ch) - 55) * w
        for ch, w in zip(first8, ORG_WEIGHTS, strict=True)
    )
    rest = 11 - total % 11
    return "X" if rest == 10 else "0" if rest == 11 else str(rest)


def make_uscc(division: str, serial: str) -> str:
    """A company's code: 9 (registered by market regulation) 1 (enterprise), the division, an
    organisation code from ``serial`` (8 characters) and the check characters."""
    org = serial + gb11714_check(serial)
    first17 = "91" + division + org
    return first17 + gb32100_check(first17)


def uscc_ok(value: str) -> bool:
    if len(value) != 18 or any(ch not in ALPHABET for ch in value) or not value[2:8].isdigit():
        return False
    return gb11714_check(value[8:16]) == value[16] and gb32100_check(value[:17]) == value[17]


@dataclass
class Company:
    uscc: str
    name: str
    type: str
    representative: TestUser
    licence_number: str = ""
    licence_issued_at: str = ""

    def describe(self) -> dict[str, Any]:
        return {
            "uscc": self.uscc,
            "name": self.name,
            "type": self.type,
            "representativeName": self.representative.name,
            "licenceNumber": self.licence_number,
            "status": "active",
        }


@dataclass
class Authorisation:
    id: str
    company: Company
    role: str
    agent_id_number: str
    agent_name: str
    items: list[str] | None
    valid_from: str
    valid_until: str | None
    revoked_at: str | None = None
    # Where the reader of this authorisation asked to be told of its revocation.
    callback_url: str | None = None

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "uscc": self.company.uscc,
            "companyName": self.company.name,
            "companyType": self.company.type,
            "role": self.role,
            "agentIdNumber": self.agent_id_number,
            "agentName": self.agent_name,
            # The company's licences in the library (its 营业执照), held under its code.
            "companyLicences": [
                {
                    "licenceNumber": self.company.licence_number,
                    "typeCode": "YYZZ",
                    "typeName": "营业执照",
                    "issuedAt": self.company.licence_issued_at,
                }
            ],
            "items": self.items,
            "validFrom": self.valid_from,
            "validUntil": self.valid_until,
            "status": "revoked" if self.revoked_at else "active",
            "revokedAt": self.revoked_at,
        }


# The seeded companies: (name, type, division, serial, representative).
SEED = (
    ("西岭金城启航科技有限公司", "有限责任公司", "620102", "MA7QH001", "zhangsan"),
    ("永丰金川恒信商贸有限公司", "有限责任公司", "620302", "MA7HX002", "wangfang"),
)


@dataclass
class LegalRegister:
    clock: Clock
    licences: LicenceLibrary
    callback_secret: str = ""
    callback_client_id: str = ""
    companies: dict[str, Company] = field(default_factory=dict)
    authorisations: dict[str, Authorisation] = field(default_factory=dict)
    # Revocation events sent: (url, body) — what a test can read back.
    sent: list[dict[str, Any]] = field(default_factory=list)

    def reset(self) -> None:
        self.companies.clear()
        self.authorisations.clear()
        self.sent.clear()
        for name, kind, division, serial, representative in SEED:
            self.add(name, kind, make_uscc(division, serial), USERS_BY_NAME[representative])

    def add(self, name: str, kind: str, uscc: str, representative: TestUser) -> Company:
        company = Company(uscc=uscc, name=name, type=kind, representative=representative)
        licence = self.licences.issue_direct(
            IssueBody(
                holder_name=name,
                holder_id_number=uscc,
                type_code="YYZZ",
                type_name="营业执照",
                issuer_code=REGISTRAR_CODE,
                issuer_name=REGISTRAR_NAME,
            )
        )
        company.licence_number = licence.number
        company.licence_issued_at = self.now()
        self.companies[uscc] = company
        rep_id = "rep-" + hashlib.sha256(uscc.encode()).hexdigest()[:16]
        self.authorisations[rep_id] = Authorisation(
            id=rep_id,
            company=company,
            role="representative",
            agent_id_number=representative.id_number,
            agent_name=representative.name,
            items=None,
            valid_from="2020-01-01T00:00:00+08:00",
            valid_until=None,
        )
        return company

    def company(self, uscc: str) -> Company:
        if not uscc_ok(uscc):
            raise ApiError(400, "USCC_INVALID", f"not a unified social credit code: {uscc}")
        company = self.companies.get(uscc)
        if company is None:
            raise ApiError(404, "COMPANY_NOT_FOUND", f"no company {uscc}")
        return company

    def now(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.now(), dt.UTC).isoformat()

    async def tell_revoked(self, auth: Authorisation) -> bool:
        """The revocation, signed like the case callbacks (HMAC-SHA256 of ``timestamp.body``),
        to whoever read the authorisation; a few quick tries. True when it was taken."""
        if not auth.callback_url:
            return False
        body = msgspec.json.encode(
            {
                "eventId": f"legal-{auth.id}-revoked",
                "type": "authorisation.revoked",
                "authorisationId": auth.id,
                "uscc": auth.company.uscc,
                "occurredAt": auth.revoked_at,
            }
        )
        self.sent.append({"url": auth.callback_url, "authorisationId": auth.id})
        async with aiohttp.ClientSession() as session:
            for attempt in range(4):
                timestamp = str(int(self.clock.now()))
                signature = hmac.new(
                    self.callback_secret.encode(), timestamp.encode() + b"." + body, "sha256"
                ).hexdigest()
                headers = {
                    "Content-Type": "application/json",
                    "X-Gov-Client": self.callback_client_id,
                    "X-Gov-Timestamp": timestamp,
                    "X-Gov-Signature": signature,
                }
                try:
                    async with session.post(auth.callback_url, data=body, headers=headers) as r:
                        if 200 <= r.status < 300:
                            return True
                except (aiohttp.ClientError, TimeoutError):
                    pass
                await asyncio.sleep(0.05 * 2**attempt)
        return False


REGISTER_KEY = web.AppKey("provincial_legal", LegalRegister)


class QueryBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    id_number: str
    # Told when one of the listed authorisations is revoked at the platform (its portal).
    callback_url: str | None = None


class GrantBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    grantor_id_number: str
    agent_id_number: str
    agent_name: str
    items: list[str] | None = None
    valid_until: str | None = None


class RevokeBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    grantor_id_number: str = ""
    reason: str = ""


class CompanyBody(msgspec.Struct, rename="camel", forbid_unknown_fields=True, kw_only=True):
    name: str
    type: str = "有限责任公司"
    representative: str
    division: str = "620102"


def _decode(raw: bytes, kind: type[Any]) -> Any:
    try:
        return msgspec.json.decode(raw, type=kind)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


async def get_company(request: web.Request) -> web.Response:
    return json_response(request.app[REGISTER_KEY].company(request.match_info["uscc"]).describe())


async def query(request: web.Request) -> web.Response:
    register = request.app[REGISTER_KEY]
    body = _decode(await request.read(), QueryBody)
    wanted = body.id_number.upper()
    found = [a for a in register.authorisations.values() if a.agent_id_number == wanted]
    for auth in found:
        if body.callback_url:
            auth.callback_url = body.callback_url
    return json_response({"authorisations": [a.describe() for a in found]})


async def grant(request: web.Request) -> web.Response:
    register = request.app[REGISTER_KEY]
    company = register.company(request.match_info["uscc"])
    body = _decode(await request.read(), GrantBody)
    if body.grantor_id_number.upper() != company.representative.id_number:
        raise ApiError(403, "NOT_REPRESENTATIVE", "only the legal representative authorises")
    agent_number = body.agent_id_number.upper()
    known = next((u for u in USERS_BY_NAME.values() if u.id_number == agent_number), None)
    if not valid_id_number(agent_number) or (known is not None and known.name != body.agent_name):
        raise ApiError(400, "AGENT_REJECTED", "the name does not match the ID number")
    if agent_number == company.representative.id_number:
        raise ApiError(400, "AGENT_REJECTED", "the representative needs no authorisation")
    if body.valid_until is not None:
        try:
            until = dt.datetime.fromisoformat(body.valid_until)
        except ValueError as exc:
            raise ApiError(400, "INVALID_PARAMETER", "validUntil: RFC 3339") from exc
        if until.tzinfo is None:
            raise ApiError(400, "INVALID_PARAMETER", "validUntil: needs an offset")
    # One live authorisation per agent and company: a new grant replaces the old one.
    for other in register.authorisations.values():
        if (
            other.company is company
            and other.agent_id_number == agent_number
            and other.revoked_at is None
        ):
            other.revoked_at = register.now()
    auth = Authorisation(
        id="auth-" + secrets.token_hex(8),
        company=company,
        role="agent",
        agent_id_number=agent_number,
        agent_name=body.agent_name,
        items=body.items,
        valid_from=register.now(),
        valid_until=body.valid_until,
    )
    register.authorisations[auth.id] = auth
    return json_response({"authorisation": auth.describe()}, status=201)


def _authorisation(register: LegalRegister, auth_id: str) -> Authorisation:
    auth = register.authorisations.get(auth_id)
    if auth is None:
        raise ApiError(404, "AUTHORISATION_NOT_FOUND", f"no authorisation {auth_id}")
    return auth


async def revoke(request: web.Request) -> web.Response:
    register = request.app[REGISTER_KEY]
    auth = _authorisation(register, request.match_info["id"])
    body = _decode(await request.read(), RevokeBody)
    if body.grantor_id_number.upper() != auth.company.representative.id_number:
        raise ApiError(403, "NOT_REPRESENTATIVE", "only the legal representative revokes")
    if auth.role == "representative":
        raise ApiError(400, "INVALID_PARAMETER", "the representative is not revoked here")
    if auth.revoked_at is None:
        auth.revoked_at = register.now()
    return json_response({"authorisation": auth.describe()})


async def control_add_company(request: web.Request) -> web.Response:
    register = request.app[REGISTER_KEY]
    body = _decode(await request.read(), CompanyBody)
    representative = USERS_BY_NAME.get(body.representative)
    if representative is None:
        raise ApiError(404, "USER_NOT_FOUND", f"no test user {body.representative}")
    serial = "MA" + secrets.token_hex(3).upper().replace("I", "1").replace("O", "0")
    uscc = make_uscc(body.division, serial)
    return json_response(register.add(body.name, body.type, uscc, representative).describe(), 201)


async def control_companies(request: web.Request) -> web.Response:
    register = request.app[REGISTER_KEY]
    return json_response({"companies": [c.describe() for c in register.companies.values()]})


async def control_revoke(request: web.Request) -> web.Response:
    """Revoked at the platform's own portal: whoever read the authorisation is told (signed
    callback) before this answers, so a test's next step sees the revocation applied."""
    register = request.app[REGISTER_KEY]
    auth = _authorisation(register, request.match_info["id"])
    told = False
    if auth.revoked_at is None:
        auth.revoked_at = register.now()
        told = await register.tell_revoked(auth)
    return json_response({"authorisation": auth.describe(), "told": told})


def add_legal_routes(app: web.Application, register: LegalRegister) -> None:
    app[REGISTER_KEY] = register
    register.reset()
    app.router.add_get("/gov/legal/v1/companies/{uscc}", get_company)
    app.router.add_post("/gov/legal/v1/authorisations/query", query)
    app.router.add_post("/gov/legal/v1/companies/{uscc}/authorisations", grant)
    app.router.add_post("/gov/legal/v1/authorisations/{id}/revoke", revoke)
    app.router.add_post("/_control/legal/companies", control_add_company)
    app.router.add_get("/_control/legal/companies", control_companies)
    app.router.add_post("/_control/legal/authorisations/{id}/revoke", control_revoke)
