"""The platform's case library (办件库): online declarations, their lifecycle, signed callbacks.

Mounted on the provincial stand-in (``add_case_routes``). A case is submitted with an
idempotency key, goes through pre-review, acceptance and processing, and every change of its
status is an event that is POSTed, signed with HMAC-SHA256, to the case's callback URL until the
receiver answers 2xx. Departments are played by the control API (``/_control/cases/…/advance``)
or, in development, by a processor that moves open cases along a script on a timer.

Cases and deliveries live in memory only (also with ``data_dir``).
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from aiohttp import web
from yarl import URL

from sandbox.callbacks import CallbackSender, CallbackService, Delivery, add_control_routes
from sandbox.clock import Clock
from sandbox.http import ApiError, json_response
from sandbox.provincial.codes import mod37_36_check
from sandbox.provincial.models import Item
from sandbox.provincial.payments import (
    DEFAULT_AMOUNT_FEN,
    IssueNoticeBody,
    Notice,
    PaymentDesk,
    PaymentNoticeInfo,
    add_payment_routes,
)
from sandbox.provincial.state import CatalogState

log = logging.getLogger("sandbox.provincial.cases")

CaseStatus = Literal[
    "pre_review",
    "needs_supplement",
    "not_accepted",
    "accepted",
    "processing",
    "completed",
    "refused",
    "withdrawn",
]

# Allowed moves; anything else is 409 INVALID_STATE.
MOVES: dict[str, frozenset[str]] = {
    "pre_review": frozenset({"needs_supplement", "not_accepted", "accepted", "withdrawn"}),
    "needs_supplement": frozenset({"pre_review", "withdrawn"}),
    "accepted": frozenset({"processing"}),
    "processing": frozenset({"completed", "refused"}),
    "not_accepted": frozenset(),
    "completed": frozenset(),
    "refused": frozenset(),
    "withdrawn": frozenset(),
}
WITHDRAWABLE = frozenset({"pre_review", "needs_supplement"})
# 容缺受理: tolerated missing materials may be supplied later, while the case is in these.
TOLERATED_SUPPLY_STATUSES = frozenset({"accepted", "processing"})

DEFAULT_CALLBACK_SECRET = "dev-callback-secret"
DEFAULT_CALLBACK_CLIENT_ID = "handheld"
CASE_PREFIX = "XL"  # 西岭省
CHINA_TIME = dt.timezone(dt.timedelta(hours=8))
SIGNATURE_HEADERS = ("X-Gov-Client", "X-Gov-Timestamp", "X-Gov-Event-Id", "X-Gov-Signature")

DEFAULT_REASONS: dict[str, str] = {
    "not_accepted": "申请不符合受理条件，不予受理",
    "refused": "经审查，申请不符合法定条件，不予许可",
    "withdrawn": "申请人撤回申请",
}

NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-fA-F]{64}$")]


# -- request bodies ---------------------------------------------------------------------------


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of request bodies: camelCase keys, unknown keys rejected."""


class Applicant(_Body, kw_only=True):
    name: NonEmpty
    # A person's ID number, or a company's unified social credit code (``type`` legal).
    id_number: NonEmpty
    phone: NonEmpty
    type: Literal["natural", "legal"] = "natural"
    # For a company: the person who applied for it (经办人).
    agent_name: str | None = None


class FileRef(_Body):
    file_id: NonEmpty
    file_name: NonEmpty
    sha256: Sha256
    size: Annotated[int, msgspec.Meta(ge=0)]
    content_type: NonEmpty


class LicenceRef(_Body):
    licence_number: NonEmpty
    type_code: NonEmpty


class SubmittedMaterial(_Body):
    code: NonEmpty
    files: list[FileRef] = []
    licence: LicenceRef | None = None


class SubmitBody(_Body):
    idempotency_key: Key
    item_code: NonEmpty
    applicant: Applicant
    form_data: dict[str, Any] = {}
    materials: list[SubmittedMaterial] = []
    tolerated_missing: list[str] = []
    callback_url: str | None = None


class SupplementBody(_Body):
    materials: Annotated[list[SubmittedMaterial], msgspec.Meta(min_length=1)]


class ToleratedMaterialsBody(_Body):
    materials: Annotated[list[SubmittedMaterial], msgspec.Meta(min_length=1)]


class WithdrawBody(_Body):
    reason: NonEmpty


class SupplementItem(_Body):
    material_code: NonEmpty
    problem: NonEmpty


class AdvanceBody(_Body):
    to: CaseStatus
    reason: str | None = None
    supplement_items: list[SupplementItem] | None = None
    tolerated_missing: list[str] | None = None
    # When the department made the move (default: the stand-in's clock); the event's occurredAt.
    occurred_at: Annotated[dt.datetime, msgspec.Meta(tz=True)] | None = None


class CallbackFaults(_Body):
    duplicate: bool = False
    reorder: bool = False
    delay_seconds: Annotated[float, msgspec.Meta(ge=0, le=60)] = 0.0


# -- events -----------------------------------------------------------------------------------


class _Out(msgspec.Struct, rename="camel"):
    """Base of answer structs (None is encoded as null)."""


class SupplementNotice(_Out):
    notice: str
    items: list[SupplementItem]


class Acceptance(_Out):
    tolerated_missing: list[str]


class IssuedLicence(_Out):
    licence_number: str
    type_code: str
    name: str
    issued_at: str


class CaseResult(_Out):
    result_type: str
    pickup: str
    licence: IssuedLicence | None


class CaseEvent(_Out):
    event_id: str
    case_number: str
    idempotency_key: str
    item_code: str
    sequence: int
    status: str
    occurred_at: str
    reason: str | None = None
    supplement: SupplementNotice | None = None
    acceptance: Acceptance | None = None
    result: CaseResult | None = None
    # Only on the event announcing a payment notice (status unchanged); absent from the others.
    payment_notice: PaymentNoticeInfo | msgspec.UnsetType = msgspec.UNSET
    # Only on the event announcing the paper result's shipment (delivery.py; status unchanged).
    delivery: Any | msgspec.UnsetType = msgspec.UNSET


@dataclass
class Case:
    case_number: str
    idempotency_key: str
    item_code: str
    applicant: Applicant
    form_data: dict[str, Any]
    materials: list[SubmittedMaterial]
    tolerated_missing: list[str]
    callback_url: str | None
    status: str
    version: int
    received_at: str
    updated_at: str
    supplement: SupplementNotice | None = None
    result: CaseResult | None = None
    events: list[CaseEvent] = field(default_factory=list)
    supplement_requested: bool = False
    # 容缺受理: tolerated missing materials supplied after acceptance, by code.
    tolerated_supplied: dict[str, SubmittedMaterial] = field(default_factory=dict)

    def outstanding_tolerated(self) -> list[str]:
        """Codes tolerated missing at submission and not supplied yet (submission order)."""
        seen: set[str] = set()
        codes = []
        for code in self.tolerated_missing:
            if code not in self.tolerated_supplied and code not in seen:
                seen.add(code)
                codes.append(code)
        return codes

    def receipt(self) -> dict[str, Any]:
        return {
            "caseNumber": self.case_number,
            "status": self.status,
            "version": self.version,
            "receivedAt": self.received_at,
        }

    def describe(self) -> dict[str, Any]:
        return {
            "caseNumber": self.case_number,
            "idempotencyKey": self.idempotency_key,
            "itemCode": self.item_code,
            # Who applied: a person, or a company (type legal) with its agent.
            "applicant": msgspec.to_builtins(self.applicant),
            "status": self.status,
            "version": self.version,
            "receivedAt": self.received_at,
            "updatedAt": self.updated_at,
            "supplement": msgspec.to_builtins(self.supplement),
            "toleratedMissing": self.outstanding_tolerated(),
            "result": msgspec.to_builtins(self.result),
            "events": msgspec.to_builtins(self.events),
        }


# -- the case book ----------------------------------------------------------------------------


class CaseBook:
    """Cases by number and by idempotency key, and every status change.

    ``emit`` is called with each new event (the callback dispatcher).
    """

    # Files each issued licence in the licence library (``licences``); set by ``app``.
    on_licence: Callable[[Case, IssuedLicence, Item], None] | None = None
    # The paper result's delivery (delivery.py) once the result is produced; set by ``app``.
    on_completed: Callable[[Case], None] | None = None

    def __init__(
        self, catalog: CatalogState, clock: Clock, emit: Callable[[Case, CaseEvent], None]
    ) -> None:
        self._catalog = catalog
        self._clock = clock
        self._emit = emit
        self._cases: dict[str, Case] = {}
        self._by_key: dict[str, str] = {}
        # Not reset by ``reset``: case numbers stay unique for the life of the process.
        self._number_seq = 0
        self._licence_numbers: set[str] = set()
        self.payments = PaymentDesk(clock)

    def reset(self) -> None:
        self._cases.clear()
        self._by_key.clear()
        self.payments.reset()

    # -- reading ---------------------------------------------------------------------------

    def get(self, case_number: str) -> Case:
        case = self._cases.get(case_number)
        if case is None:
            raise ApiError(404, "CASE_NOT_FOUND", f"no case {case_number}")
        return case

    def by_key(self, key: str) -> Case:
        number = self._by_key.get(key)
        if number is None:
            raise ApiError(404, "CASE_NOT_FOUND", f"no case with idempotencyKey {key}")
        return self._cases[number]

    def all_cases(self) -> list[Case]:
        return list(self._cases.values())

    def item(self, code: str) -> Item | None:
        return self._catalog.get(code)

    # -- citizen's side --------------------------------------------------------------------

    def submit(self, body: SubmitBody) -> tuple[Case, bool]:
        """Create the case, or find the one created with the same key. Returns (case, created)."""
        existing = self._by_key.get(body.idempotency_key)
        if existing is not None:
            return self._cases[existing], False
        item = self.item(body.item_code)
        if item is None:
            raise ApiError(404, "ITEM_NOT_FOUND", f"no service item {body.item_code}")
        if item.status != "active":
            state = "已暂停受理" if item.status == "suspended" else "已停止办理"
            raise ApiError(
                409,
                "ITEM_NOT_ACCEPTING",
                f"事项{state}：{item.status_reason or item.name}",
            )
        target = "company" if body.applicant.type == "legal" else "person"
        if target not in item.targets:
            raise ApiError(
                400, "APPLICANT_TYPE_REFUSED", f"{item.name}不面向该类申请人（{target}）"
            )
        if body.callback_url is not None:
            _check_url(body.callback_url, "callbackUrl")
        now = self._clock.rfc3339()
        case = Case(
            case_number=self._next_number(),
            idempotency_key=body.idempotency_key,
            item_code=body.item_code,
            applicant=body.applicant,
            form_data=body.form_data,
            materials=list(body.materials),
            tolerated_missing=list(body.tolerated_missing),
            callback_url=body.callback_url,
            status="pre_review",
            version=1,
            received_at=now,
            updated_at=now,
        )
        self._cases[case.case_number] = case
        self._by_key[case.idempotency_key] = case.case_number
        self._record(case, now)
        return case, True

    def supplement(self, case_number: str, body: SupplementBody) -> Case:
        case = self.get(case_number)
        if case.status != "needs_supplement":
            raise ApiError(
                409, "INVALID_STATE", f"case {case_number} is {case.status}, not needs_supplement"
            )
        by_code = {m.code: m for m in case.materials}
        for material in body.materials:
            by_code[material.code] = material
        case.materials = list(by_code.values())
        self.move(case, "pre_review")
        return case

    def supply_tolerated(self, case_number: str, body: ToleratedMaterialsBody) -> Case:
        """容缺受理: record tolerated missing materials supplied after acceptance.

        No status change, no new version, no event. A body whose every material was already
        supplied with the same content (a client's retry) is answered with the case unchanged,
        whatever its status.
        """
        case = self.get(case_number)
        codes = [m.code for m in body.materials]
        for index, code in enumerate(codes):
            if code in codes[:index]:
                raise ApiError(400, "INVALID_PARAMETER", f"materials: {code} given twice")
        if all(
            m.code in case.tolerated_supplied and _same_content(case.tolerated_supplied[m.code], m)
            for m in body.materials
        ):
            return case
        if case.status not in TOLERATED_SUPPLY_STATUSES:
            raise ApiError(
                409,
                "INVALID_STATE",
                f"case {case_number} is {case.status}, not accepted or processing",
            )
        for material in body.materials:
            code = material.code
            if code not in case.tolerated_missing:
                raise ApiError(
                    400,
                    "INVALID_PARAMETER",
                    f"materials: {code} was not tolerated missing at submission",
                )
            if code in case.tolerated_supplied:
                raise ApiError(400, "INVALID_PARAMETER", f"materials: {code} already supplied")
            if not material.files and material.licence is None:
                raise ApiError(
                    400, "INVALID_PARAMETER", f"materials: {code} has neither files nor a licence"
                )
        by_code = {m.code: m for m in case.materials}
        for material in body.materials:
            by_code[material.code] = material
            case.tolerated_supplied[material.code] = material
        case.materials = list(by_code.values())
        return case

    def withdraw(self, case_number: str, body: WithdrawBody) -> Case:
        case = self.get(case_number)
        if case.status == "withdrawn":
            return case
        if case.status not in WITHDRAWABLE:
            raise ApiError(
                409, "INVALID_STATE", f"case {case_number} is {case.status}: already accepted"
            )
        self.move(case, "withdrawn", reason=body.reason)
        return case

    # -- department's side -----------------------------------------------------------------

    def advance(self, case: Case, body: AdvanceBody) -> Case:
        """Apply one allowed move on behalf of the department (control API, processor)."""
        if body.to not in MOVES[case.status]:
            raise ApiError(
                409, "INVALID_STATE", f"case {case.case_number}: {case.status} → {body.to}"
            )
        at = (
            None
            if body.occurred_at is None
            else body.occurred_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
        if body.to == "needs_supplement":
            if not body.supplement_items:
                raise ApiError(
                    400, "INVALID_PARAMETER", "supplementItems: needed for needs_supplement"
                )
            self.move(
                case,
                "needs_supplement",
                reason=body.reason,
                at=at,
                supplement=self._notice(case, body.supplement_items),
            )
        elif body.to == "accepted":
            tolerated = (
                body.tolerated_missing
                if body.tolerated_missing is not None
                else case.tolerated_missing
            )
            self.move(
                case,
                "accepted",
                reason=body.reason,
                at=at,
                acceptance=Acceptance(tolerated_missing=list(tolerated)),
            )
            item = self.item(case.item_code)
            if (
                item is not None
                and item.fee.charged
                and self.payments.for_case(case.case_number) is None
            ):
                self.issue_payment_notice(case)
        elif body.to == "completed":
            self.move(case, "completed", reason=body.reason, result=self._result(case), at=at)
            if self.on_completed is not None:
                self.on_completed(case)
        else:
            self.move(case, body.to, reason=body.reason or DEFAULT_REASONS.get(body.to), at=at)
        return case

    def move(
        self,
        case: Case,
        to: str,
        *,
        reason: str | None = None,
        supplement: SupplementNotice | None = None,
        acceptance: Acceptance | None = None,
        result: CaseResult | None = None,
        at: str | None = None,
    ) -> CaseEvent:
        now = at or self._clock.rfc3339()
        case.status = to
        case.version += 1
        case.updated_at = now
        # ``supplement`` is the pending notice: set while needs_supplement, cleared otherwise.
        case.supplement = supplement
        if to == "needs_supplement":
            case.supplement_requested = True
        if result is not None:
            case.result = result
        return self._record(
            case, now, reason=reason, supplement=supplement, acceptance=acceptance, result=result
        )

    def issue_payment_notice(self, case: Case, amount_fen: int | None = None) -> Notice:
        """Issue a payment notice (缴款通知书) for ``case`` and announce it: an event with the
        case's status unchanged, the next sequence and ``paymentNotice``.

        The amount is ``amount_fen``, else the sum of the item's fee items, else
        ``DEFAULT_AMOUNT_FEN`` (an on-demand notice for a free item).
        """
        if not MOVES[case.status]:
            raise ApiError(409, "INVALID_STATE", f"case {case.case_number} is {case.status}")
        item = self.item(case.item_code)
        if amount_fen is None:
            fee = sum(f.amount_fen for f in item.fee.items) if item is not None else 0
            amount_fen = fee or DEFAULT_AMOUNT_FEN
        notice = self.payments.issue(
            case_number=case.case_number,
            region_code=item.region_code if item is not None else "",
            item_name=item.name if item is not None else case.item_code,
            payee=item.department.name if item is not None else "",
            payee_code=item.department.code if item is not None else "",
            amount_fen=amount_fen,
        )
        now = self._clock.rfc3339()
        case.version += 1
        case.updated_at = now
        self._record(case, now, payment_notice=self.payments.info(notice))
        return notice

    def issue_notice_after_result(self, case: Case, amount_fen: int, what: str) -> Notice:
        """A notice for a charge that follows the result (the postage of its delivery),
        announced by an event with the case's status unchanged."""
        item = self.item(case.item_code)
        notice = self.payments.issue(
            case_number=case.case_number,
            region_code=item.region_code if item is not None else "",
            item_name=f"{what}（{item.name if item is not None else case.item_code}）",
            payee=item.department.name if item is not None else "",
            payee_code=item.department.code if item is not None else "",
            amount_fen=amount_fen,
        )
        now = self._clock.rfc3339()
        case.version += 1
        case.updated_at = now
        self._record(case, now, payment_notice=self.payments.info(notice))
        return notice

    def record_delivery(self, case: Case, delivery: Any) -> None:
        """Announce the shipment of the paper result (waybill number) by an event."""
        now = self._clock.rfc3339()
        case.version += 1
        case.updated_at = now
        self._record(case, now, delivery=delivery)

    def awaits_payment(self, case: Case) -> bool:
        """The case's latest payment notice is not paid (unpaid or expired)."""
        notice = self.payments.for_case(case.case_number)
        return notice is not None and self.payments.status(notice) != "paid"

    def _record(
        self,
        case: Case,
        now: str,
        *,
        reason: str | None = None,
        supplement: SupplementNotice | None = None,
        acceptance: Acceptance | None = None,
        result: CaseResult | None = None,
        payment_notice: PaymentNoticeInfo | msgspec.UnsetType = msgspec.UNSET,
        delivery: Any = msgspec.UNSET,
    ) -> CaseEvent:
        event = CaseEvent(
            event_id=str(uuid.uuid4()),
            case_number=case.case_number,
            idempotency_key=case.idempotency_key,
            item_code=case.item_code,
            sequence=case.version,
            status=case.status,
            occurred_at=now,
            reason=reason,
            supplement=supplement,
            acceptance=acceptance,
            result=result,
            payment_notice=payment_notice,
            delivery=delivery,
        )
        case.events.append(event)
        self._emit(case, event)
        return event

    # -- helpers ---------------------------------------------------------------------------

    def _next_number(self) -> str:
        self._number_seq += 1
        day = dt.datetime.fromtimestamp(self._clock.now(), CHINA_TIME).strftime("%Y%m%d")
        return f"{CASE_PREFIX}{day}{self._number_seq:05d}"

    def _notice(self, case: Case, items: list[SupplementItem]) -> SupplementNotice:
        item = self.item(case.item_code)
        names = {m.code: m.name for m in item.materials} if item is not None else {}
        parts = []
        for index, entry in enumerate(items, start=1):
            name = names.get(entry.material_code)
            label = f"{name}（{entry.material_code}）" if name else entry.material_code
            parts.append(f"{index}. {label}：{entry.problem}")
        notice = (
            f"您的申请材料需补齐补正，共 {len(items)} 项，请一次性补充后重新提交："
            + "；".join(parts)
            + "。"
        )
        return SupplementNotice(notice=notice, items=list(items))

    def _result(self, case: Case) -> CaseResult:
        item = self.item(case.item_code)
        result_type = item.result_type if item is not None else "审批结果"
        address = item.consultation.address if item is not None else "政务服务中心"
        licence = None
        if item is not None and item.issues_licence is not None:
            licence = IssuedLicence(
                licence_number=self._licence_number(
                    item.issues_licence.type_code, item.department.code
                ),
                type_code=item.issues_licence.type_code,
                name=item.issues_licence.name,
                issued_at=self._clock.rfc3339(),
            )
            if self.on_licence is not None:
                self.on_licence(case, licence, item)
        pickup = f"请携带本人有效身份证件到{address}领取{result_type}，也可申请邮寄送达。"
        if licence is not None:
            pickup = f"电子证照（{licence.name}）已签发至电子证照库，可在证照夹查看；" + pickup
        return CaseResult(result_type=result_type, pickup=pickup, licence=licence)

    def _licence_number(self, type_code: str, issuer: str) -> str:
        """Type code + issuer code + 10-digit serial + version 01 + MOD 37,36 check character."""
        while True:
            body = f"{type_code}{issuer}{secrets.randbelow(10**10):010d}01".upper()
            number = body + mod37_36_check(body)
            if number not in self._licence_numbers:
                self._licence_numbers.add(number)
                return number


def _same_content(earlier: SubmittedMaterial, later: SubmittedMaterial) -> bool:
    """Same files (by sha256, in any order) and the same licence number (or none)."""

    def digests(material: SubmittedMaterial) -> list[str]:
        return sorted(f.sha256.lower() for f in material.files)

    def licence(material: SubmittedMaterial) -> str | None:
        return None if material.licence is None else material.licence.licence_number

    return digests(earlier) == digests(later) and licence(earlier) == licence(later)


def _check_url(value: str, name: str) -> None:
    try:
        url = URL(value)
    except ValueError as exc:
        raise ApiError(400, "INVALID_PARAMETER", f"{name}: not a URL") from exc
    if url.scheme not in ("http", "https") or not url.host:
        raise ApiError(400, "INVALID_PARAMETER", f"{name}: an http(s) URL is required")


# -- callbacks --------------------------------------------------------------------------------


class CallbackDispatcher(CallbackSender):
    """The case library's events: to each case's callback URL (else the default), one case at a
    time in order, signed ``X-Gov-*`` with the platform's client id. The timestamp is the stand-in
    clock's (moved by ``/_control/clock``), so a test can make a callback arrive stale."""

    def __init__(
        self,
        *,
        secret: str,
        client_id: str,
        default_url: str | None,
        retry_base: float,
        clock: Clock,
    ) -> None:
        super().__init__(
            secret=secret,
            header_prefix="X-Gov",
            retry_base=retry_base,
            timestamp=clock.now,
            extra_headers={"X-Gov-Client": client_id},
            faults=CallbackFaults(),
        )
        self.client_id = client_id
        self.default_url = default_url

    def enqueue(self, case: Case, event: CaseEvent) -> None:
        self.send(
            Delivery(
                event_id=event.event_id,
                stream=case.case_number,
                sequence=event.sequence,
                url=case.callback_url or self.default_url,
                body=msgspec.json.encode(event),
                labels={"caseNumber": event.case_number, "status": event.status},
            ),
            no_url="no callback URL (the case has none and no default is set)",
        )


# -- the service (book + dispatcher + processor) ----------------------------------------------


class CaseService(CallbackService):
    """The case book, its callback dispatcher and the scripted processor (every open case one
    step along its script each round)."""

    def __init__(
        self,
        *,
        catalog: CatalogState,
        clock: Clock,
        callback_secret: str,
        callback_client_id: str,
        callback_url: str | None,
        auto_process_seconds: float | None,
        callback_retry_base: float,
    ) -> None:
        dispatcher = CallbackDispatcher(
            secret=callback_secret,
            client_id=callback_client_id,
            default_url=callback_url,
            retry_base=callback_retry_base,
            clock=clock,
        )
        super().__init__(sender=dispatcher, auto_process_seconds=auto_process_seconds)
        self.book = CaseBook(catalog, clock, dispatcher.enqueue)

    async def reset(self) -> None:
        self.book.reset()
        await self.sender.reset()

    # -- the scripted processor ------------------------------------------------------------

    def process(self) -> None:
        for case in self.book.all_cases():
            try:
                self.step(case)
            except Exception:
                log.exception("auto processor failed on case %s", case.case_number)

    def step(self, case: Case) -> bool:
        """Move ``case`` one step along its script; False when it waits or is closed.

        ``formData._script``: absent → pre_review → accepted → processing → completed;
        an accepted case waits while its payment notice (缴款通知书) is not paid;
        ``"supplement"`` → a needs_supplement notice on the item's first material the first
        time, then as absent once the citizen has supplemented; ``"reject"`` → not_accepted;
        ``"refuse"`` → … processing → refused.
        """
        script = case.form_data.get("_script")
        body: AdvanceBody | None = None
        if case.status == "pre_review":
            if script == "supplement" and not case.supplement_requested:
                body = AdvanceBody(
                    to="needs_supplement", supplement_items=[self._first_problem(case)]
                )
            elif script == "reject":
                body = AdvanceBody(to="not_accepted")
            else:
                body = AdvanceBody(to="accepted")
        elif case.status == "accepted" and not self.book.awaits_payment(case):
            body = AdvanceBody(to="processing")
        elif case.status == "processing":
            body = AdvanceBody(to="refused" if script == "refuse" else "completed")
        if body is None:
            return False
        self.book.advance(case, body)
        return True

    def _first_problem(self, case: Case) -> SupplementItem:
        item = self.book.item(case.item_code)
        if item is not None and item.materials:
            code = item.materials[0].code
        elif case.materials:
            code = case.materials[0].code
        else:
            code = "MATERIAL-01"
        return SupplementItem(
            material_code=code, problem="材料图片模糊、信息无法辨认，请重新上传清晰完整的材料"
        )


CASES_KEY = web.AppKey("provincial_cases", CaseService)


# -- handlers ---------------------------------------------------------------------------------


_T = TypeVar("_T")


async def _decode(request: web.Request, kind: type[_T]) -> _T:
    try:
        return msgspec.json.decode(await request.read(), type=kind)
    except msgspec.DecodeError as exc:  # ValidationError is a DecodeError
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


def _service(request: web.Request) -> CaseService:
    return request.app[CASES_KEY]


async def submit_case(request: web.Request) -> web.Response:
    body = await _decode(request, SubmitBody)
    case, created = _service(request).book.submit(body)
    return json_response(case.receipt(), status=201 if created else 200)


async def find_case(request: web.Request) -> web.Response:
    key = request.query.get("idempotencyKey")
    if not key:
        raise ApiError(400, "INVALID_PARAMETER", "idempotencyKey: required")
    return json_response(_service(request).book.by_key(key).describe())


async def get_case(request: web.Request) -> web.Response:
    return json_response(_service(request).book.get(request.match_info["caseNumber"]).describe())


async def supplement_case(request: web.Request) -> web.Response:
    book = _service(request).book
    number = request.match_info["caseNumber"]
    book.get(number)  # 404 before 400
    body = await _decode(request, SupplementBody)
    return json_response(book.supplement(number, body).describe())


async def supply_tolerated_materials(request: web.Request) -> web.Response:
    book = _service(request).book
    number = request.match_info["caseNumber"]
    book.get(number)  # 404 before 400
    body = await _decode(request, ToleratedMaterialsBody)
    return json_response(book.supply_tolerated(number, body).describe())


async def withdraw_case(request: web.Request) -> web.Response:
    book = _service(request).book
    number = request.match_info["caseNumber"]
    book.get(number)
    body = await _decode(request, WithdrawBody)
    return json_response(book.withdraw(number, body).describe())


async def control_advance(request: web.Request) -> web.Response:
    book = _service(request).book
    case = book.get(request.match_info["caseNumber"])
    body = await _decode(request, AdvanceBody)
    return json_response(book.advance(case, body).describe())


async def control_issue_payment_notice(request: web.Request) -> web.Response:
    book = _service(request).book
    case = book.get(request.match_info["caseNumber"])
    raw = await request.read()
    body = IssueNoticeBody() if not raw.strip() else await _decode(request, IssueNoticeBody)
    notice = book.issue_payment_notice(case, body.amount_fen)
    return json_response(book.payments.view(notice), status=201)


async def control_list_cases(request: web.Request) -> web.Response:
    return json_response({"cases": [c.describe() for c in _service(request).book.all_cases()]})


def add_case_routes(app: web.Application, service: CaseService) -> None:
    """Mount the case library, its control endpoints and the service's background tasks."""
    app[CASES_KEY] = service
    add_control_routes(app, lambda app: app[CASES_KEY], faults=CallbackFaults)
    app.router.add_post("/gov/cases/v1/cases", submit_case)
    app.router.add_get("/gov/cases/v1/cases", find_case)
    app.router.add_get("/gov/cases/v1/cases/{caseNumber}", get_case)
    app.router.add_post("/gov/cases/v1/cases/{caseNumber}/supplement", supplement_case)
    app.router.add_post("/gov/cases/v1/cases/{caseNumber}/withdraw", withdraw_case)
    app.router.add_post(
        "/gov/cases/v1/cases/{caseNumber}/tolerated-materials", supply_tolerated_materials
    )
    app.router.add_get("/_control/cases", control_list_cases)
    app.router.add_post("/_control/cases/{caseNumber}/advance", control_advance)
    app.router.add_post("/_control/cases/{caseNumber}/payment-notice", control_issue_payment_notice)
    add_payment_routes(app, service.book.payments)
