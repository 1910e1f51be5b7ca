"""Clients of the provincial integrated government-service platform (省一体化平台), one per API:

- ``ProvincialClient``: the service-item catalogue and its incremental change feed;
- ``ProvincialCasesClient``: cases (办件库): submission, supplements, 容缺 materials,
  withdrawal, a case with its status events; payment notices (缴款通知书) and the reporting of
  their payment, answered with the electronic receipt (电子缴款票据);
- ``ProvincialRatingsClient``: ratings of finished cases (好差评);
- ``ProvincialLicencesClient``: the e-licence library (电子证照库): licences, issuer keys, the
  issue/revoke feed and licence files.

The unified identity (统一身份认证) is ``core.clients.provincial_identity``. All are
``JsonApiClient``s: timed, logged, idempotent calls retried on the request path and tried once
inside a job. A documented refusal is an answer (``PlatformRefused``), never retried. Response
Structs are tolerant readers (unknown fields ignored) since the platform may add fields at any
time; the fields we rely on are typed and validated.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, Literal
from urllib.parse import quote

import aiohttp
import msgspec

from core.http import (
    OUTSIDE_CALL_SECONDS,
    JsonApiClient,
    OutsideSystemHttpError,
    call_with_retries,
)
from core.settings import HttpClientSettings, ProvincialSettings


class _Wire(msgspec.Struct, rename="camel", kw_only=True):
    pass


class Department(_Wire, kw_only=True):
    code: str
    name: str


class Material(_Wire, kw_only=True):
    code: str
    name: str
    required: bool = True
    tolerance: bool = False
    formats: list[str] = []
    max_size_kb: int = 0
    licence_types: list[str] = []
    notes: str = ""


class ProcessStep(_Wire, kw_only=True):
    step: int
    name: str
    description: str = ""
    limit_days: int = 0


class FeeItem(_Wire, kw_only=True):
    name: str
    amount_fen: int


class Fee(_Wire, kw_only=True):
    charged: bool = False
    basis: str = ""
    items: list[FeeItem] = []


class NamedLink(_Wire, kw_only=True):
    name: str
    url: str = ""


class Consultation(_Wire, kw_only=True):
    phone: str = ""
    address: str = ""


class Complaint(_Wire, kw_only=True):
    phone: str = ""


class Faq(_Wire, kw_only=True):
    question: str
    answer: str


class LicenceIssued(_Wire, kw_only=True):
    type_code: str
    name: str


class Bundle(_Wire, kw_only=True):
    members: list[str] = []


class PlatformFormField(_Wire, kw_only=True):
    key: str
    label: str
    type: Literal["text", "textarea", "select", "date", "number"] = "text"
    required: bool = False
    max_length: int = 200
    options: list[str] = []
    prefill: str | None = None


class PlatformItem(_Wire, kw_only=True):
    code: str
    name: str
    item_type: str
    department: Department
    region_code: str
    region_name: str
    themes: list[str] = []
    targets: list[str] = []
    case_type: Literal["immediate", "promised"]
    online_level: Literal["full_online", "online_prereview", "in_hall"]
    visits_required: int = 0
    statutory_limit_days: int = 0
    promised_limit_days: int = 0
    legal_basis: list[str] = []
    acceptance_conditions: list[str] = []
    materials: list[Material] = []
    process: list[ProcessStep] = []
    fee: Fee = msgspec.field(default_factory=Fee)
    result_type: str = ""
    result_sample: NamedLink | None = None
    consultation: Consultation = msgspec.field(default_factory=Consultation)
    complaint: Complaint = msgspec.field(default_factory=Complaint)
    faq: list[Faq] = []
    form_instructions: str = ""
    templates: list[NamedLink] = []
    issues_licence: LicenceIssued | None = None
    bundle: Bundle | None = None
    form: list[PlatformFormField] = []
    status: Literal["active", "suspended", "terminated"]
    status_reason: str | None = None
    annual_volume: int = 0
    version: int
    updated_at: datetime


class ItemChangesPage(_Wire, kw_only=True):
    items: list[PlatformItem]
    next_cursor: str | None = None
    has_more: bool = False


class PlatformItemNotFound(Exception):
    pass


class _PlatformApi(JsonApiClient):
    """A client of one of the platform's APIs: its base URL and our API key."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ProvincialSettings,
        http_settings: HttpClientSettings,
    ) -> None:
        super().__init__(session, settings.base_url, http_settings)
        self._auth = {"Authorization": f"Bearer {settings.api_key.reveal()}"}

    def _headers(self) -> Mapping[str, str]:
        return self._auth


class ProvincialClient(_PlatformApi):
    system = "provincial"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: ProvincialSettings,
        http_settings: HttpClientSettings,
    ) -> None:
        super().__init__(session, settings, http_settings)
        self._page_size = settings.feed_page_size

    async def item_changes(self, cursor: str | None) -> ItemChangesPage:
        """One page of the item change feed after ``cursor`` (from the beginning when None)."""
        params = {"limit": str(self._page_size)}
        if cursor:
            params["cursor"] = cursor
        return await self._get_json(
            "item_changes", "/gov/catalog/v1/items/changes", ItemChangesPage, params=params
        )

    async def get_item(self, code: str) -> PlatformItem:
        return await self._get_json(
            "get_item",
            f"/gov/catalog/v1/items/{quote(code, safe='')}",
            PlatformItem,
            not_found=PlatformItemNotFound,
        )


# --- cases (办件库) ----------------------------------------------------------------------------


class CaseFile(_Wire, kw_only=True):
    file_id: str
    file_name: str
    sha256: str
    size: int
    content_type: str


class CaseLicence(_Wire, kw_only=True):
    licence_number: str
    type_code: str


class CaseMaterial(_Wire, kw_only=True):
    code: str
    files: list[CaseFile] = []
    licence: CaseLicence | None = None


class Applicant(_Wire, kw_only=True):
    name: str
    # A person's ID number, or a company's unified social credit code (``type`` legal).
    id_number: str
    phone: str = ""
    type: str = "natural"
    agent_name: str | None = None  # a company's: the person who applied for it (经办人)


class CaseSubmission(_Wire, kw_only=True):
    idempotency_key: str
    item_code: str
    applicant: Applicant
    form_data: dict[str, object]
    materials: list[CaseMaterial]
    tolerated_missing: list[str] = []
    callback_url: str | None = None


class CaseReceipt(_Wire, kw_only=True):
    case_number: str
    status: str
    version: int


class PlatformRefused(Exception):
    """The platform answered a documented refusal: a business 4xx (400, 404, 409, 410, 422) with
    a ``code``. A refusal is an answer, final for that request: retrying it gets the same
    answer. Transient failures (timeouts, dropped connections, 5xx, 429, and 401/403, which are
    our misconfiguration and not the citizen's) raise ``OutsideSystemHttpError`` instead and are
    worth retrying."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


class _CaseReply(_Wire, kw_only=True):
    case_number: str = ""
    status: str = ""
    version: int = 0
    code: str = ""
    message: str = ""


class PlatformCase(_Wire, kw_only=True):
    """A case as the platform holds it now, with every status event it has sent for it (the
    same bodies as the callbacks), oldest first."""

    case_number: str
    status: str
    version: int
    events: list[dict[str, Any]] = []


# Business refusals: the platform's documented error bodies on these statuses end a delivery.
# Anything else (5xx, 429, 408, 401/403, a body without a code) is transient.
REFUSAL_STATUSES = frozenset({400, 404, 409, 410, 422})


# --- payment notices (缴款通知书) and receipts (电子缴款票据) ---------------------------------------


class PaymentReceipt(_Wire, kw_only=True):
    """The electronic receipt (电子缴款票据) the platform issues for a reported payment."""

    receipt_number: str
    notice_number: str
    amount_fen: int
    payee: str = ""
    paid_at: datetime
    issued_at: datetime
    check_code: str = ""
    item_name: str = ""


class PaymentNotice(_Wire, kw_only=True):
    """A payment notice (缴款通知书), as ``get_payment_notice`` answers it and as a case callback
    carries it (``paymentNotice``, without ``caseNumber`` and ``receipt``).

    ``status``: ``unpaid``, ``paid`` or ``expired`` (a str: the platform may add more).
    """

    notice_number: str
    payment_code: str
    amount_fen: int
    item_name: str = ""
    payee: str = ""
    payee_code: str = ""
    issued_at: datetime
    expires_at: datetime
    status: str = "unpaid"
    case_number: str = ""
    receipt: PaymentReceipt | None = None


class PaymentNoticeNotFound(Exception):
    pass


class PlatformCaseNotFound(PlatformRefused):
    def __init__(self, path: str) -> None:
        super().__init__("CASE_NOT_FOUND", f"no case at {path}")


class PaymentAlreadyReported(PlatformRefused):
    """409 ``NOTICE_ALREADY_PAID``: the notice is paid by another transaction (a duplicate
    payment: ours must be refunded)."""


class _PaymentReport(_Wire, kw_only=True):
    transaction_id: str
    out_trade_no: str
    amount_fen: int
    paid_at: datetime
    channel: str = "wechatpay"


class _Refusal(_Wire, kw_only=True):
    code: str = ""
    message: str = ""


class ProvincialCasesClient(_PlatformApi):
    system = "provincial_cases"

    async def _case_call(self, operation: str, path: str, body: object) -> CaseReceipt:
        # Retried: the platform deduplicates submissions on our idempotency key, and
        # supplement/withdraw are state moves it refuses (409) rather than doubles.
        reply = await self._call(
            "POST",
            operation,
            path,
            _CaseReply,
            json=body,
            retry=True,
            error_statuses=REFUSAL_STATUSES,
        )
        if reply.code:
            raise PlatformRefused(reply.code, reply.message)
        if not reply.case_number:
            # Neither a refusal nor a case (a proxy's error page, say): not an answer, retry.
            raise OutsideSystemHttpError(self.system, operation, None, "answer without a case")
        return CaseReceipt(
            case_number=reply.case_number, status=reply.status, version=reply.version
        )

    async def case(self, case_number: str) -> PlatformCase:
        """The case now, with its events. Unknown: ``PlatformRefused("CASE_NOT_FOUND")``."""
        return await self._get_json(
            "get_case",
            f"/gov/cases/v1/cases/{quote(case_number, safe='')}",
            PlatformCase,
            not_found=PlatformCaseNotFound,
        )

    async def submit(self, submission: CaseSubmission) -> CaseReceipt:
        return await self._case_call("submit_case", "/gov/cases/v1/cases", submission)

    async def supplement(self, case_number: str, materials: list[CaseMaterial]) -> CaseReceipt:
        return await self._case_call(
            "supplement_case",
            f"/gov/cases/v1/cases/{quote(case_number, safe='')}/supplement",
            {"materials": materials},
        )

    async def supply_tolerated(
        self, case_number: str, materials: list[CaseMaterial]
    ) -> CaseReceipt:
        """容缺: materials accepted as missing, supplied after acceptance."""
        return await self._case_call(
            "supply_tolerated",
            f"/gov/cases/v1/cases/{quote(case_number, safe='')}/tolerated-materials",
            {"materials": materials},
        )

    async def withdraw(self, case_number: str, reason: str) -> CaseReceipt:
        return await self._case_call(
            "withdraw_case",
            f"/gov/cases/v1/cases/{quote(case_number, safe='')}/withdraw",
            {"reason": reason},
        )

    async def get_payment_notice(self, notice_number: str) -> PaymentNotice:
        """The notice with its status and, once paid, its receipt. Unknown: PaymentNoticeNotFound."""
        return await self._get_json(
            "get_payment_notice",
            f"/gov/payments/v1/notices/{quote(notice_number, safe='')}",
            PaymentNotice,
            not_found=PaymentNoticeNotFound,
        )

    async def report_payment(
        self,
        notice_number: str,
        *,
        transaction_id: str,
        out_trade_no: str,
        amount_fen: int,
        paid_at: datetime,
    ) -> PaymentReceipt:
        """Report a WeChat Pay payment of the notice; the answer is the electronic receipt.

        Retried: the platform answers the same receipt to the same ``transaction_id``. Another
        transaction for a paid notice raises PaymentAlreadyReported (409); an amount that is not
        the notice's (400 ``AMOUNT_MISMATCH``), an expired notice (410 ``NOTICE_EXPIRED``) or a
        bad body raise PlatformRefused; an unknown notice raises PaymentNoticeNotFound.
        """
        if paid_at.tzinfo is None:
            raise ValueError("paid_at must be timezone-aware")
        report = _PaymentReport(
            transaction_id=transaction_id,
            out_trade_no=out_trade_no,
            amount_fen=amount_fen,
            paid_at=paid_at,
        )
        raw = await self._call(
            "POST",
            "report_payment",
            f"/gov/payments/v1/notices/{quote(notice_number, safe='')}/payments",
            msgspec.Raw,
            json=report,
            retry=True,
            error_statuses=frozenset({400, 409, 410}),
            not_found=PaymentNoticeNotFound,
        )
        try:
            refusal = msgspec.json.decode(raw, type=_Refusal)
            if not refusal.code:
                return msgspec.json.decode(raw, type=PaymentReceipt)
        except msgspec.ValidationError as exc:
            raise OutsideSystemHttpError(
                self.system, "report_payment", None, f"unexpected response: {exc}"
            ) from exc
        if refusal.code == "NOTICE_ALREADY_PAID":
            raise PaymentAlreadyReported(refusal.code, refusal.message)
        raise PlatformRefused(refusal.code, refusal.message)


# --- ratings (好差评系统) -----------------------------------------------------------------------


class RatingScores(_Wire, kw_only=True):
    overall: int
    efficiency: int
    guide_accuracy: int
    convenience: int
    ease_of_use: int


class RatingReport(_Wire, kw_only=True):
    """One rating of a finished case; ``rating_id`` (ours) is the platform's idempotency key."""

    rating_id: str
    case_number: str
    item_code: str
    channel: Literal["wechat", "app", "hall"]
    level: int
    scores: RatingScores | None = None
    tags: list[str] = []
    text: str = ""
    rated_at: datetime
    follow_up_of: str | None = None


class RatingReceipt(_Wire, kw_only=True):
    rating_id: str
    rating_number: str


class _RatingReply(_Wire, kw_only=True):
    rating_id: str = ""
    rating_number: str = ""
    code: str = ""
    message: str = ""


class ProvincialRatingsClient(_PlatformApi):
    system = "provincial_ratings"

    async def report_rating(self, rating: RatingReport) -> RatingReceipt:
        """Report a rating to the platform's rating system. Retried: the platform keeps one
        rating per ``rating_id``. A documented refusal raises ``PlatformRefused``."""
        reply = await self._call(
            "POST",
            "report_rating",
            "/gov/ratings/v1/ratings",
            _RatingReply,
            json=rating,
            retry=True,
            error_statuses=frozenset({400, 404, 409}),
        )
        if reply.code:
            raise PlatformRefused(reply.code, reply.message)
        return RatingReceipt(rating_id=reply.rating_id, rating_number=reply.rating_number)


# --- e-licence library (电子证照库) -------------------------------------------------------------


class LibraryLicence(_Wire, kw_only=True):
    """A licence as the library holds it: the signed document (base64 of the exact bytes the
    issuer signed), its DER SM2-SM3 signature, and the library's current status."""

    licence_number: str
    status: str = "valid"
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    data: str
    signature: str
    signature_algorithm: str = "SM2-SM3"
    key_id: str = ""
    file_type: str = "pdf"


class IssuerKey(_Wire, kw_only=True):
    key_id: str
    issuer_code: str
    issuer_name: str = ""
    algorithm: str = "SM2-SM3"
    public_key: str


class IssuerKeys(_Wire, kw_only=True):
    keys: list[IssuerKey] = []


class LicenceEvent(_Wire, kw_only=True):
    seq: int
    type: str
    licence_number: str
    occurred_at: datetime
    reason: str | None = None


class LicenceEventsPage(_Wire, kw_only=True):
    events: list[LicenceEvent] = []
    next: int = 0
    has_more: bool = False


class LicenceNotInLibrary(Exception):
    pass


class ProvincialLicencesClient(_PlatformApi):
    system = "provincial_licences"
    max_file_bytes = 20 * 1024 * 1024

    async def licence(self, licence_number: str) -> LibraryLicence:
        return await self._get_json(
            "get_licence",
            f"/gov/licences/v1/licences/{quote(licence_number, safe='')}",
            LibraryLicence,
            not_found=LicenceNotInLibrary,
        )

    async def issuer_keys(self) -> IssuerKeys:
        return await self._get_json("issuer_keys", "/gov/licences/v1/issuer-keys", IssuerKeys)

    async def events(self, after: int, limit: int = 100) -> LicenceEventsPage:
        """The library's issue/revoke events after position ``after``."""
        return await self._get_json(
            "licence_events",
            "/gov/licences/v1/events",
            LicenceEventsPage,
            params={"after": str(after), "limit": str(limit)},
        )

    async def file(self, licence_number: str) -> tuple[bytes, str]:
        """The licence file (PDF or OFD) and its content type; retried like any GET."""
        path = f"/gov/licences/v1/licences/{quote(licence_number, safe='')}/file"
        return await call_with_retries(
            lambda: self._file_once(licence_number, path),
            system=self.system,
            operation="licence_file",
            settings=self._settings,
        )

    async def _file_once(self, licence_number: str, path: str) -> tuple[bytes, str]:
        # Not JSON (and capped in size), so not ``_call``: one request, timed like the others.
        started, outcome = time.perf_counter(), "error"
        try:
            async with self._session.get(self._base_url + path, headers=self._auth) as resp:
                if resp.status == 404:
                    outcome = "not_found"
                    raise LicenceNotInLibrary(licence_number)
                body = await resp.content.read(self.max_file_bytes + 1)
                if resp.status >= 400 or len(body) > self.max_file_bytes:
                    outcome = f"http_{resp.status}"
                    raise OutsideSystemHttpError(
                        self.system, "licence_file", resp.status, "no usable file"
                    )
                outcome = "ok"
                content_type = resp.headers.get("Content-Type", "application/octet-stream")
                return body, content_type.split(";")[0].strip()
        except (aiohttp.ClientError, TimeoutError) as exc:
            outcome = type(exc).__name__
            raise OutsideSystemHttpError(self.system, "licence_file", None, repr(exc)) from exc
        finally:
            OUTSIDE_CALL_SECONDS.labels(self.system, "licence_file", outcome).observe(
                time.perf_counter() - started
            )


# --- the hall directory (政务服务大厅) -----------------------------------------------------------


class HallSession(_Wire, kw_only=True):
    """An opening session, China's wall clock: ``from`` inclusive, ``to`` exclusive."""

    start: str = msgspec.field(name="from")
    end: str = msgspec.field(name="to")


class HallClosure(_Wire, kw_only=True):
    date: date
    reason: str = ""


class HallWindowItem(_Wire, kw_only=True):
    code: str
    name: str = ""


class HallWindow(_Wire, kw_only=True):
    number: str
    name: str = ""
    items: list[HallWindowItem] = []
    # Appointments the window takes per item it serves and per half hour.
    slot_capacity: int = 0


class PlatformHall(_Wire, kw_only=True):
    code: str
    name: str
    region_code: str
    region_name: str = ""
    address: str = ""
    latitude: float
    longitude: float
    phone: str = ""
    hours: list[HallSession] = []
    saturday_hours: list[HallSession] = []
    closures: list[HallClosure] = []
    windows: list[HallWindow] = []
    status: Literal["open", "closed"] = "open"
    version: int
    updated_at: datetime


class HallDirectory(_Wire, kw_only=True):
    halls: list[PlatformHall]


class ProvincialHallsClient(_PlatformApi):
    """The platform's hall directory: every hall with its windows and slot capacities (tens of
    halls a province: one page)."""

    system = "provincial_halls"

    async def halls(self) -> list[PlatformHall]:
        return (await self._get_json("list_halls", "/gov/halls/v1/halls", HallDirectory)).halls
