"""Declaration rules: drafts, materials, submission that is never lost, the platform's events."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

import asyncpg
import msgspec

from api.calendars.service import Calendars
from api.catalog.schemas import ItemDetail
from api.catalog.service import CatalogService
from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.forms import form_of, licence_prefills, problems
from api.declarations.schemas import (
    DeclarationDetail,
    DeclarationPage,
    DeclarationSummary,
    DeliveryRefusal,
    LibraryMaterial,
    Prefill,
    RequiredMaterial,
    SupplementNotice,
    TimelineEntry,
)
from api.declarations.states import FROM_PLATFORM, WITHDRAWABLE, can_move
from api.identity import repository as identity_repo
from api.identity.service import ID_NUMBER, PHONE, REAL_NAME
from api.licences.service import LicencesService
from core import idempotency, jobs
from core.clients.provincial import (
    Applicant,
    CaseFile,
    CaseLicence,
    CaseMaterial,
    CaseSubmission,
    PlatformRefused,
    ProvincialCasesClient,
)
from core.clock import SYSTEM_CLOCK, Clock, china_date, china_today
from core.db import Connection, Pool
from core.errors import IdempotencyKeyReused
from core.pii import PiiCipher, mask_id_number, mask_name, mask_phone
from core.principals import CitizenPrincipal
from core.settings import ProvincialSettings
from core.storage import ObjectStorage
from core.uploads import ReceivedFile
from core.webhooks import SignatureInvalid, verify_hmac_signature
from core.workdays import WorkingCalendar
from payments.service import PaidOrder, record_fee_notice
from push.events import EventType
from push.service import notify

log = logging.getLogger(__name__)

SUBMIT_JOB = "declarations.submit"
SUBMIT_ROUTE = "declarations.submit"  # the Idempotency-Key scope of POST …/submit
SUPPLEMENT_JOB = "declarations.supplement"
APPLY_EVENTS_JOB = "declarations.apply_events"
SUPERVISE_JOB = "declarations.supervise"
TOLERATED_JOB = "declarations.supply_tolerated"
PRE_REVIEW_DAYS = 2  # docs/domain.md §3, Art. 18


class PlatformEvent(msgspec.Struct, rename="camel", kw_only=True):
    event_id: str
    case_number: str
    sequence: int
    status: str
    # With its offset (RFC 3339): the acceptance day is China's day of this instant.
    occurred_at: Annotated[datetime, msgspec.Meta(tz=True)]
    idempotency_key: str = ""
    reason: str | None = None
    supplement: dict[str, Any] | None = None
    acceptance: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    payment_notice: dict[str, Any] | None = None


class DeclarationJob(msgspec.Struct):
    declaration_id: str


class CaseJob(msgspec.Struct):
    case_number: str


# Which deadline supervision watches in a state, and its name for the citizen.
DEADLINES = {"submitted": ("pre_review", "预审期限"), "accepted": ("promised", "承诺办结期限"),
             "processing": ("promised", "承诺办结期限")}  # fmt: skip


class DeclarationsService:
    def __init__(
        self,
        *,
        pool: Pool,
        pii: PiiCipher,
        storage: ObjectStorage,
        cases: ProvincialCasesClient,
        settings: ProvincialSettings,
        calendars: Calendars,
        catalog: CatalogService,
        licences: LicencesService,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._pool = pool
        # Other domains, through their services: items and guides; the wallet.
        self._catalog = catalog
        self._licences = licences
        self._pii = pii
        self.storage = storage
        self._cases = cases
        self._settings = settings
        self._calendars = calendars
        # When a citizen's action happens (tests set a FixedClock).
        self.clock = clock

    async def _deadline(
        self, conn: Connection, kind: str, start: date, days: int
    ) -> dict[str, Any]:
        """A deadline as the columns that store it: the day (never empty: a year without the
        State Council's notice is counted on the provisional rule), whether it is provisional,
        and what it counts from, so an imported notice can recompute it."""
        calendar = await self._calendars.for_deadline(conn)
        due = calendar.add_working_days(start, days)
        fields = {f"{kind}_due": due.day, f"{kind}_due_provisional": due.provisional,
                  f"{kind}_from": start}  # fmt: skip
        if kind == "promised":
            fields["promised_days"] = days
        return fields

    # --- reading -------------------------------------------------------------------------------

    async def _owned(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, *,
        lock: bool = False,
    ) -> asyncpg.Record:  # fmt: skip
        row = await repo.get(conn, declaration_id, principal.citizen_id, lock=lock)
        if row is None:
            raise errors.DeclarationNotFound()  # also for another citizen's: no oracle
        return row

    async def read_detail(
        self, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        async with self._pool.acquire() as conn:
            return await self.detail(conn, principal, declaration_id)

    async def detail(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        row = await self._owned(conn, principal, declaration_id)
        item = await self._catalog.item_detail(conn, row["item_code"])
        return await self._detail(conn, principal, row, item)

    async def _detail(
        self, conn: Connection, principal: CitizenPrincipal, row: asyncpg.Record, item: ItemDetail
    ) -> DeclarationDetail:
        attached = {r["material_code"]: r for r in await repo.attached(conn, row["id"])}
        library = [_library(r) for r in await repo.library(conn, principal.citizen_id)]
        wallet = await repo.licences(conn, principal.citizen_id)
        materials = []
        for m in item.guide.materials:
            got = attached.get(m.code)
            materials.append(
                RequiredMaterial(
                    code=m.code, name=m.name, required=m.required, tolerance=m.tolerance,
                    formats=m.formats, max_size_kb=m.max_size_kb, licence_types=m.licence_types,
                    file=_library(got) if got and got["material_id"] else None,
                    licence_number=got["licence_number"] if got else None,
                    needs_replacement=bool(got and got["needs_replacement"]),
                    problem=got["problem"] if got else None,
                    suggestions=[f for f in library if f.kind in m.formats] if not got else [],
                    licence_suggestions=[
                        w["licence_number"] for w in wallet if w["type_code"] in m.licence_types
                    ] if not got else [],
                )
            )  # fmt: skip
        notice = row["supplement_notice"]
        return DeclarationDetail(
            **_summary_fields(row),
            form=form_of(item.guide.form),
            form_data=row["form_data"],
            prefill=await self._prefill(conn, principal.citizen_id),
            materials=materials,
            timeline=[_timeline(e) for e in await repo.events(conn, row["id"])],
            supplement=SupplementNotice(notice=notice["notice"], items=notice["items"])
            if notice
            else None,
            tolerated_missing=list(row["tolerated_missing"]),
            result=row["result"],
            pre_review_due=row["pre_review_due"],
            pre_review_due_provisional=row["pre_review_due_provisional"],
            accepted_at=row["accepted_at"],
            finished_at=row["finished_at"],
            refusal=msgspec.convert(row["delivery_refusal"], DeliveryRefusal)
            if row["delivery_refusal"]
            else None,
        )

    async def _prefill(self, conn: Connection, citizen_id: uuid.UUID) -> Prefill:
        citizen = await identity_repo.get_citizen(conn, citizen_id)
        assert citizen is not None

        def shown(blob: bytes | None, field: str, mask: Any) -> str | None:
            return mask(self._pii.decrypt(blob, field=field)) if blob else None

        return Prefill(
            name=shown(citizen.real_name_enc, REAL_NAME, mask_name),
            id_number=shown(citizen.id_number_enc, ID_NUMBER, mask_id_number),
            phone=shown(citizen.phone_enc, PHONE, mask_phone),
        )

    async def list_mine(
        self, principal: CitizenPrincipal, state: str | None, page: int, page_size: int
    ) -> DeclarationPage:
        # Read-only: one statement on a pooled connection, no transaction around it.
        async with self._pool.acquire() as conn:
            rows, total = await repo.list_for(
                conn, principal.citizen_id, state, page_size, (page - 1) * page_size
            )
        return DeclarationPage(
            items=[
                DeclarationSummary(
                    id=str(r["id"]), item_code=r["item_code"], item_name=r["item_name"],
                    state=r["state"], delivery=r["delivery"], case_number=r["case_number"],
                    submitted_at=r["submitted_at"], promised_due=r["promised_due"],
                    promised_due_provisional=r["promised_due_provisional"],
                    supervision=r["supervision"], updated_at=r["updated_at"],
                )
                for r in rows
            ],
            total=total, page=page, page_size=page_size,
        )  # fmt: skip

    # --- drafting ------------------------------------------------------------------------------

    async def create(
        self, conn: Connection, principal: CitizenPrincipal, item_code: str
    ) -> DeclarationDetail:
        item = await self._catalog.item_detail(conn, item_code)
        if not item.accepting_applications:
            raise errors.ItemNotAccepting(reason=item.status_reason)
        declaration_id = await repo.create(conn, principal.citizen_id, item.code, item.name)
        # "一表申请": what the wallet already knows is filled in, not asked again.
        wallet = {
            w["type_code"]: w["licence_number"]
            for w in await repo.licences(conn, principal.citizen_id)
        }
        if prefilled := licence_prefills(form_of(item.guide.form), wallet):
            await repo.save_form(conn, declaration_id, prefilled)
        row = await self._owned(conn, principal, declaration_id)
        return await self._detail(conn, principal, row, item)

    async def save_form(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID,
        data: dict[str, Any],
    ) -> DeclarationDetail:  # fmt: skip
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row["state"] != "draft":
            raise errors.InvalidState(state=row["state"])
        item = await self._catalog.item_detail(conn, row["item_code"])
        if found := problems(form_of(item.guide.form), data, complete=False):
            raise errors.FormInvalid(problems=found)
        await repo.save_form(conn, declaration_id, data)
        return await self.detail(conn, principal, declaration_id)

    async def _editable_material(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, code: str
    ) -> tuple[asyncpg.Record, Any]:
        row = await self._owned(conn, principal, declaration_id, lock=True)
        tolerated_late = (
            row["state"] in ("accepted", "processing") and code in row["tolerated_missing"]
        )
        if row["state"] not in ("draft", "needs_supplement") and not tolerated_late:
            raise errors.InvalidState(state=row["state"])
        item = await self._catalog.item_detail(conn, row["item_code"])
        material = next((m for m in item.guide.materials if m.code == code), None)
        if material is None:
            raise errors.UnknownMaterial(materialCode=code)
        return row, material

    async def check_upload_target(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, code: str
    ) -> tuple[int, set[str]]:
        """Before reading any body: the size limit and formats the guide sets for this material."""
        _, material = await self._editable_material(conn, principal, declaration_id, code)
        formats = {f.lower().replace("jpeg", "jpg") for f in material.formats} & {
            "pdf", "jpg", "png", "ofd",
        }  # fmt: skip
        return (material.max_size_kb or 10240) * 1024, formats or {"pdf", "jpg", "png", "ofd"}

    async def attach_upload(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID,
        code: str, received: ReceivedFile, storage_key: str,
    ) -> tuple[LibraryMaterial, bool]:  # fmt: skip
        """Returns the library entry and whether the stored object is new (else delete it)."""
        await self._editable_material(conn, principal, declaration_id, code)
        material_id, created = await repo.library_add(
            conn, citizen_id=principal.citizen_id, sha256=bytes.fromhex(received.sha256_hex),
            size=received.size, kind=received.kind, content_type=received.content_type,
            display_name=received.display_name, storage_key=storage_key,
        )  # fmt: skip
        await repo.attach(conn, declaration_id, code, material_id=material_id)
        entry = await repo.material(conn, material_id, principal.citizen_id)
        assert entry is not None
        return _library(entry), created

    async def reuse(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID,
        code: str, material_id: uuid.UUID,
    ) -> DeclarationDetail:  # fmt: skip
        await self._editable_material(conn, principal, declaration_id, code)
        entry = await repo.material(conn, material_id, principal.citizen_id)
        if entry is None:
            raise errors.MaterialNotUsable(materialCode=code)
        await repo.attach(conn, declaration_id, code, material_id=material_id)
        return await self.detail(conn, principal, declaration_id)

    async def use_licence(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID,
        code: str, licence_number: str,
    ) -> DeclarationDetail:  # fmt: skip
        row, material = await self._editable_material(conn, principal, declaration_id, code)
        held = await repo.licence(conn, licence_number, principal.citizen_id)
        if held is None or held["type_code"] not in material.licence_types:
            raise errors.LicenceNotUsable(materialCode=code)
        await repo.attach(conn, declaration_id, code, licence_number=licence_number)
        # Choosing the licence for this application is the consent to use it (授权用证).
        await self._licences.consent_for_declaration(
            conn, principal.citizen_id, licence_number, declaration_id, row["item_name"]
        )
        return await self.detail(conn, principal, declaration_id)

    async def remove_material(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID, code: str
    ) -> None:
        await self._editable_material(conn, principal, declaration_id, code)
        await repo.detach(conn, declaration_id, code)

    async def library(self, conn: Connection, principal: CitizenPrincipal) -> list[LibraryMaterial]:
        return [_library(r) for r in await repo.library(conn, principal.citizen_id)]

    async def material_key(
        self, conn: Connection, principal: CitizenPrincipal, material_id: uuid.UUID
    ) -> tuple[str, str, str]:
        entry = await repo.material(conn, material_id, principal.citizen_id)
        if entry is None:
            raise errors.MaterialNotFound()
        return entry["storage_key"], entry["content_type"], entry["display_name"]

    # --- submission ------------------------------------------------------------------------------

    async def submit(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID,
        idempotency_key: str,
    ) -> DeclarationDetail:  # fmt: skip
        # Copies within a day are answered by core.idempotency before this runs; this check
        # (and the key's UNIQUE) answers one arriving after the stored answer was purged.
        earlier = await repo.by_submit_key(conn, principal.citizen_id, idempotency_key)
        if earlier is not None:
            if earlier["id"] != declaration_id:
                raise IdempotencyKeyReused()
            return await self.detail(conn, principal, declaration_id)  # a retried submit
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row["state"] != "draft":
            raise errors.InvalidState(state=row["state"])
        citizen = await identity_repo.get_citizen(conn, principal.citizen_id)
        if citizen is None or citizen.id_number_enc is None:
            raise errors.RealNameRequired()
        item = await self._catalog.item_detail(conn, row["item_code"])
        if not item.accepting_applications:
            raise errors.ItemNotAccepting(reason=item.status_reason)
        if found := problems(form_of(item.guide.form), row["form_data"], complete=True):
            raise errors.FormInvalid(problems=found)
        attached = {r["material_code"] for r in await repo.attached(conn, declaration_id)}
        missing = [m for m in item.guide.materials if m.required and m.code not in attached]
        blocking = [m.code for m in missing if not m.tolerance]
        if blocking:
            raise errors.MaterialsMissing(materialCodes=blocking)
        for r in await repo.attached(conn, declaration_id):
            if r["licence_number"]:  # used only under the holder's consent, and the use logged
                await self._licences.use_for_declaration(
                    conn, principal.citizen_id, r["licence_number"], declaration_id
                )
        now = self.clock.now()
        await repo.move(
            conn, declaration_id, "draft", "submitted", "citizen",
            submitted_at=now, submit_key=idempotency_key, delivery="pending",
            tolerated_missing=[m.code for m in missing],
            **await self._deadline(conn, "pre_review", china_date(now), PRE_REVIEW_DAYS),
        )  # fmt: skip
        # The platform call is a job in this transaction: it exists iff the submission does.
        await jobs.enqueue(
            conn,
            SUBMIT_JOB,
            DeclarationJob(str(declaration_id)),
            dedupe_key=f"submit:{declaration_id}",
        )
        await notify(
            conn, principal.citizen_id, "declaration.submitted", {"item": row["item_name"]},
            dedupe_key=f"{declaration_id}:submitted",
        )  # fmt: skip
        return await self.detail(conn, principal, declaration_id)

    async def supplement(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row["state"] == "submitted":
            return await self.detail(conn, principal, declaration_id)  # a retried resubmission
        if row["state"] != "needs_supplement":
            raise errors.InvalidState(state=row["state"])
        attached = {r["material_code"]: r for r in await repo.attached(conn, declaration_id)}
        notice = row["supplement_notice"] or {"items": []}
        still = [
            i["materialCode"] for i in notice["items"]
            if i["materialCode"] not in attached or attached[i["materialCode"]]["needs_replacement"]
        ]  # fmt: skip
        if still:
            raise errors.MaterialsMissing(materialCodes=still)
        await repo.move(
            conn, declaration_id, "needs_supplement", "submitted", "citizen",
            reason="补正材料已提交", delivery="pending",
            **await self._deadline(
                conn, "pre_review", china_today(self.clock.now()), PRE_REVIEW_DAYS
            ),
        )  # fmt: skip
        await jobs.enqueue(
            conn, SUPPLEMENT_JOB, DeclarationJob(str(declaration_id)),
            dedupe_key=f"supplement:{declaration_id}:{row['platform_version']}",
        )  # fmt: skip
        return await self.detail(conn, principal, declaration_id)

    async def supply_tolerated(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        """容缺: send the materials accepted as missing, now attached, to the platform."""
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row["state"] not in ("accepted", "processing") or not row["tolerated_missing"]:
            raise errors.InvalidState(state=row["state"])
        attached = {r["material_code"] for r in await repo.attached(conn, declaration_id)}
        ready = sorted(set(row["tolerated_missing"]) & attached)
        if not ready:
            raise errors.MaterialsMissing(materialCodes=list(row["tolerated_missing"]))
        await repo.add_event(
            conn, declaration_id, row["state"], row["state"], "citizen", "补交容缺材料",
            {"materials": ready},
        )  # fmt: skip
        await jobs.enqueue(
            conn, TOLERATED_JOB, DeclarationJob(str(declaration_id)),
            dedupe_key=f"tolerated:{declaration_id}:{','.join(ready)}",
        )  # fmt: skip
        return await self.detail(conn, principal, declaration_id)

    async def deliver_tolerated(self, declaration_id: uuid.UUID) -> None:
        async with self._pool.acquire() as conn:
            row = await repo.get_for_system(conn, declaration_id, lock=False)
            if row is None or not row["case_number"] or not row["tolerated_missing"]:
                return
            outstanding = set(row["tolerated_missing"])
            materials = [
                m for m in await self._case_materials(conn, declaration_id) if m.code in outstanding
            ]
        if not materials:
            return
        try:
            await self._cases.supply_tolerated(row["case_number"], materials)
        except PlatformRefused as exc:
            await self._tolerated_refused(declaration_id, materials, exc)
            return
        async with self._pool.acquire() as conn, conn.transaction():
            current = await repo.get_for_system(conn, declaration_id)
            assert current is not None
            sent = {m.code for m in materials}
            await repo.update(
                conn, declaration_id,
                tolerated_missing=[c for c in current["tolerated_missing"] if c not in sent],
                delivery_refusal=None,
            )  # fmt: skip
            await repo.add_event(
                conn, declaration_id, current["state"], current["state"], "platform",
                "容缺材料已送达审批部门", {"materials": sorted(sent)},
            )  # fmt: skip

    async def _tolerated_refused(
        self, declaration_id: uuid.UUID, materials: list[CaseMaterial], exc: PlatformRefused
    ) -> None:
        """The materials stay outstanding (still open for upload), the refusal is shown and told:
        the citizen replaces them and sends again."""
        reason = refusal_text(exc)
        codes = sorted(m.code for m in materials)
        log.warning(
            "platform refused tolerated materials",
            extra={"declaration": str(declaration_id), "code": exc.code},
        )
        # Told once per content refused: the same files sent again and refused again say nothing
        # new; corrected files refused are a new message.
        content = hashlib.sha256(msgspec.json.encode(sorted(
            materials, key=lambda m: m.code))).hexdigest()[:16]  # fmt: skip
        async with self._pool.acquire() as conn, conn.transaction():
            row = await repo.get_for_system(conn, declaration_id)
            if row is None:
                return
            await repo.update(
                conn, declaration_id,
                delivery_refusal=_refusal("tolerated", exc, reason, materials=codes),
            )  # fmt: skip
            await repo.add_event(
                conn, declaration_id, row["state"], row["state"], "platform",
                f"容缺材料未被接收：{reason}", {"materials": codes, "code": exc.code},
            )  # fmt: skip
            await notify(
                conn, row["citizen_id"], "declaration.tolerated_refused",
                {"item": row["item_name"], "reason": reason},
                dedupe_key=f"{declaration_id}:tolerated_refused:{content}",
                link=f"/pages/declaration/index?id={declaration_id}",
            )  # fmt: skip

    async def withdraw(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID,
        reason: str,
    ) -> DeclarationDetail:  # fmt: skip
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row["state"] not in WITHDRAWABLE:
            raise errors.InvalidState(state=row["state"])
        if row["case_number"]:
            # At the platform already: only it can say whether the case is still withdrawable.
            try:
                await self._cases.withdraw(row["case_number"], reason or "申请人撤回")
            except PlatformRefused as exc:
                raise errors.InvalidState(state=row["state"], platform=exc.code) from exc
        await repo.move(
            conn, declaration_id, row["state"], "withdrawn", "citizen", reason=reason or None,
            finished_at=datetime.now(UTC),
        )  # fmt: skip
        await notify(
            conn, principal.citizen_id, "declaration.withdrawn", {"item": row["item_name"]},
            dedupe_key=f"{declaration_id}:withdrawn",
        )  # fmt: skip
        return await self.detail(conn, principal, declaration_id)

    async def supervise(self, now: datetime | None = None) -> int:
        """Electronic supervision (电子监察): yellow when a deadline is one working day away or
        less, red once it has passed; the citizen is told when a case turns yellow. ``today``
        is China's day of ``now`` (default: the service's clock)."""
        today = china_today(now or self.clock.now())
        changed = 0
        async with self._pool.acquire() as conn, conn.transaction():
            calendar = await self._calendars.current(conn)
            for row in await repo.open_with_deadlines(conn):
                due = row["promised_due"] if row["state"] != "submitted" else row["pre_review_due"]
                if due is None:  # left empty before migration 0018; the recompute job fills it
                    continue
                left = calendar.working_days_between(today, due)
                flag = "red" if today > due else "yellow" if left <= 1 else "none"
                if flag == row["supervision"]:
                    continue
                await repo.update(conn, row["id"], supervision=flag)
                changed += 1
                if flag == "yellow":
                    await notify(
                        conn, row["citizen_id"], "declaration.overdue_warning",
                        {"item": row["item_name"]}, dedupe_key=f"{row['id']}:yellow:{due}",
                    )  # fmt: skip
        return changed

    async def recompute_deadlines(self, conn: Connection, calendar: WorkingCalendar) -> int:
        """The calendar changed (a notice imported): every open case's deadlines are counted
        again from what they count from; a citizen whose current deadline (the one
        supervision watches) moved is told. Returns how many were told."""
        moved = 0
        for row in await repo.open_deadline_bases(conn):
            watched, label = DEADLINES[row["state"]]
            changes: dict[str, Any] = {}
            for kind in ("pre_review", "promised"):
                start = row[f"{kind}_from"]
                days = PRE_REVIEW_DAYS if kind == "pre_review" else row["promised_days"]
                if start is None or days is None:
                    if kind == watched:
                        log.error("deadline without its basis", extra={"id": str(row["id"])})
                    continue
                due = calendar.add_working_days(start, days)
                old = row[f"{kind}_due"]
                if (old, row[f"{kind}_due_provisional"]) == tuple(due):
                    continue
                changes |= {f"{kind}_due": due.day, f"{kind}_due_provisional": due.provisional}
                if kind == watched and old is not None and old != due.day:
                    moved += 1
                    await notify(
                        conn, row["citizen_id"], "deadline.moved",
                        {"item": row["item_name"], "deadline": label, "old": str(old),
                         "new": _due_text(due.day, provisional=due.provisional)},
                        dedupe_key=f"{row['id']}:{kind}-moved:{due.day}",
                        link=f"/pages/declaration/index?id={row['id']}",
                    )  # fmt: skip
            if changes:
                await repo.update(conn, row["id"], **changes)
        return moved

    # --- jobs: delivering to the platform ----------------------------------------------------------

    async def deliver(self, declaration_id: uuid.UUID) -> None:
        """Create the case at the platform: retried by the queue while the platform fails
        (transient: timeouts, 5xx, 429); a refusal (business 4xx) is an answer and ends the job.
        ``_platform_key`` (the declaration id, then one per round after a redraft) is the
        platform's idempotency key, so one case exists per submission."""
        async with self._pool.acquire() as conn:
            row = await repo.get_for_system(conn, declaration_id, lock=False)
            if (
                row is None or row["delivery"] != "pending" or row["state"] != "submitted"
                or row["case_number"]
            ):  # fmt: skip
                return
            submission = await self._submission(conn, row)
        try:
            receipt = await self._cases.submit(submission)
        except PlatformRefused as exc:
            await self._submission_refused(declaration_id, submission.idempotency_key, exc)
            return
        history: list[dict[str, Any]] = []
        if receipt.version > 1:
            # A repeated submission is answered with the case as it is *now*: the events that
            # brought it there may not have reached us yet (or waited for the case number).
            # Their history comes with the case; a failure here retries the (idempotent) job.
            history = (await self._cases.case(receipt.case_number)).events
        async with self._pool.acquire() as conn, conn.transaction():
            row = await repo.get_for_system(conn, declaration_id)
            assert row is not None
            if row["delivery"] != "pending" or row["case_number"]:
                return
            # Not the receipt's version: what we have *applied* of the platform's events stays
            # platform_version, so every event after it is still applied, in sequence, once.
            await repo.update(
                conn, declaration_id, delivery="delivered", case_number=receipt.case_number,
                delivery_refusal=None,
            )  # fmt: skip
            await repo.add_event(
                conn, declaration_id, row["state"], row["state"], "platform", "已送达审批部门",
                {"caseNumber": receipt.case_number},
            )  # fmt: skip
            await notify(
                conn, row["citizen_id"], "declaration.delivered",
                {"item": row["item_name"], "caseNumber": receipt.case_number},
                dedupe_key=f"{declaration_id}:delivered",
            )  # fmt: skip
            for body in history:
                event = msgspec.convert(body, PlatformEvent)
                await repo.store_event(
                    conn, event.event_id, event.case_number, event.sequence, body
                )
            # Events that arrived before we knew the case number (or came with its history)
            # are applied now; a job catches any stored while this transaction was open.
            await self._apply_stored(conn, receipt.case_number)
            await jobs.enqueue(conn, APPLY_EVENTS_JOB, CaseJob(receipt.case_number))

    async def _submission_refused(
        self, declaration_id: uuid.UUID, key: str, exc: PlatformRefused
    ) -> None:
        """The platform refused the submission for good: ``platform_refused`` with its reason,
        the citizen told on every channel; they may redraft (everything kept) or withdraw."""
        reason = refusal_text(exc)
        log.warning(
            "platform refused a submission",
            extra={"declaration": str(declaration_id), "code": exc.code},
        )
        async with self._pool.acquire() as conn, conn.transaction():
            row = await repo.get_for_system(conn, declaration_id)
            if (
                row is None or row["delivery"] != "pending" or row["state"] != "submitted"
                or row["case_number"] or _platform_key(row) != key
            ):  # fmt: skip
                return  # withdrawn meanwhile, or a refusal of an earlier round
            refusal = _refusal("submission", exc, reason)
            await repo.move(
                conn, declaration_id, "submitted", "platform_refused", "platform", reason,
                {"code": exc.code}, delivery="refused", delivery_refusal=refusal,
            )  # fmt: skip
            await notify(
                conn, row["citizen_id"], "declaration.platform_refused",
                {"item": row["item_name"], "reason": reason},
                dedupe_key=f"{declaration_id}:platform_refused:{row['submit_round']}",
                link=f"/pages/declaration/index?id={declaration_id}",
            )  # fmt: skip

    async def redraft(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        """A refused submission back to a draft: form, materials and licences kept; the submit
        Idempotency-Key forgotten and a new platform key round, so it can be submitted again."""
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row["state"] == "draft":
            return await self.detail(conn, principal, declaration_id)  # a retried redraft
        if row["state"] != "platform_refused":
            raise errors.InvalidState(state=row["state"])
        await repo.move(
            conn, declaration_id, "platform_refused", "draft", "citizen", "退回草稿，修改后可重新提交",
            submit_key=None, delivery="none", submitted_at=None, pre_review_due=None,
            pre_review_due_provisional=False, pre_review_from=None,
            tolerated_missing=[], supervision="none", submit_round=row["submit_round"] + 1,
        )  # fmt: skip
        if row["submit_key"]:
            # The key's stored answer said "submitted"; the same key now submits anew.
            await idempotency.forget(conn, principal.citizen_id, SUBMIT_ROUTE, row["submit_key"])
        return await self.detail(conn, principal, declaration_id)

    async def deliver_supplement(self, declaration_id: uuid.UUID) -> None:
        async with self._pool.acquire() as conn:
            row = await repo.get_for_system(conn, declaration_id, lock=False)
            if (
                row is None or row["delivery"] != "pending" or not row["case_number"]
                or row["state"] != "submitted"
            ):  # fmt: skip
                return
            materials = await self._case_materials(conn, declaration_id)
        try:
            await self._cases.supplement(row["case_number"], materials)
        except PlatformRefused as exc:
            if not (
                exc.code == "INVALID_STATE"
                and await self._supplement_got_through(row["case_number"], row["platform_version"])
            ):
                await self._supplement_refused(declaration_id, exc)
                return
        async with self._pool.acquire() as conn, conn.transaction():
            current = await repo.get_for_system(conn, declaration_id)
            assert current is not None
            if current["delivery"] != "pending":
                return
            # The receipt's version is not taken as applied: the platform's events say where
            # the case went (its pre_review event follows and is applied in sequence).
            await repo.update(conn, declaration_id, delivery="delivered", delivery_refusal=None)

    async def _supplement_got_through(self, case_number: str, applied_version: int) -> bool:
        """A supplement refused as INVALID_STATE may be our own earlier attempt whose answer was
        lost: the case has left needs_supplement since the notice we applied."""
        case = await self._cases.case(case_number)
        return case.status != "needs_supplement" and case.version > applied_version

    async def _supplement_refused(self, declaration_id: uuid.UUID, exc: PlatformRefused) -> None:
        """Back to needs_supplement (the notice stands), the refusal shown and told: the citizen
        corrects the materials and resubmits."""
        reason = refusal_text(exc)
        log.warning(
            "platform refused a supplement",
            extra={"declaration": str(declaration_id), "code": exc.code},
        )
        async with self._pool.acquire() as conn, conn.transaction():
            row = await repo.get_for_system(conn, declaration_id)
            if row is None or row["delivery"] != "pending" or row["state"] != "submitted":
                return
            await repo.move(
                conn, declaration_id, "submitted", "needs_supplement", "platform",
                f"补正材料未被接收：{reason}", {"code": exc.code}, delivery="refused",
                delivery_refusal=_refusal("supplement", exc, reason),
            )  # fmt: skip
            await notify(
                conn, row["citizen_id"], "declaration.supplement_refused",
                {"item": row["item_name"], "reason": reason},
                dedupe_key=f"{declaration_id}:supplement_refused:{row['updated_at'].isoformat()}",
                link=f"/pages/declaration/index?id={declaration_id}",
            )  # fmt: skip

    async def _submission(self, conn: Connection, row: asyncpg.Record) -> CaseSubmission:
        citizen = await identity_repo.get_citizen(conn, row["citizen_id"])
        assert citizen is not None and citizen.real_name_enc and citizen.id_number_enc
        return CaseSubmission(
            idempotency_key=_platform_key(row),
            item_code=row["item_code"],
            applicant=Applicant(
                name=self._pii.decrypt(citizen.real_name_enc, field=REAL_NAME),
                id_number=self._pii.decrypt(citizen.id_number_enc, field=ID_NUMBER),
                phone=self._pii.decrypt(citizen.phone_enc, field=PHONE)
                if citizen.phone_enc
                else "",
            ),
            form_data=row["form_data"],
            materials=await self._case_materials(conn, row["id"]),
            tolerated_missing=list(row["tolerated_missing"]),
            callback_url=self._settings.callback_url or None,
        )

    async def _case_materials(
        self, conn: Connection, declaration_id: uuid.UUID
    ) -> list[CaseMaterial]:
        result = []
        for r in await repo.attached(conn, declaration_id):
            if r["licence_number"]:
                held = await repo.licence_any(conn, r["licence_number"])
                result.append(CaseMaterial(code=r["material_code"], licence=CaseLicence(
                    licence_number=r["licence_number"], type_code=held["type_code"] if held else "",
                )))  # fmt: skip
            else:
                result.append(CaseMaterial(code=r["material_code"], files=[CaseFile(
                    file_id=str(r["material_id"]), file_name=r["display_name"],
                    sha256=r["sha256"], size=r["size"], content_type=r["content_type"],
                )]))  # fmt: skip
        return result

    # --- the platform's status callbacks ---------------------------------------------------------

    async def receive_callback(
        self, conn: Connection, headers: dict[str, str], body: bytes
    ) -> bool:
        """Verify, store once, enqueue processing; returns whether the event was new."""
        try:
            verify_hmac_signature(
                secret=self._settings.callback_secret.reveal(),
                timestamp=headers.get("x-gov-timestamp"),
                body=body,
                signature=headers.get("x-gov-signature"),
            )
        except SignatureInvalid as exc:
            log.warning("platform callback rejected", extra={"reason": str(exc)})
            raise errors.CallbackRejected() from exc
        try:
            event = msgspec.json.decode(body, type=PlatformEvent)
        except msgspec.DecodeError as exc:
            raise errors.CallbackRejected("malformed event") from exc
        new = await repo.store_event(
            conn, event.event_id, event.case_number, event.sequence, msgspec.json.decode(body)
        )
        if new:
            # No dedupe key: a run already under way may have read the events before this one,
            # so every new event gets its run (an extra run finds nothing and returns).
            await jobs.enqueue(conn, APPLY_EVENTS_JOB, CaseJob(event.case_number))
        return new

    async def apply_events(self, case_number: str) -> None:
        """Apply a case's stored events in sequence order, each once; stale ones are skipped, and
        one that arrives ahead of a missing predecessor waits for it (the platform retries every
        event until acknowledged, so the gap fills)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await self._apply_stored(conn, case_number)

    async def _apply_stored(self, conn: Connection, case_number: str) -> None:
        """``platform_version`` is the sequence of the last event *applied*, never a version the
        platform merely reported: events after it are applied, in order, whenever they come."""
        row = await repo.by_case(conn, case_number)
        if row is None:
            return  # the submission job has not recorded the case yet; it re-enqueues us
        version = row["platform_version"]
        for stored in await repo.unprocessed_events(conn, case_number):
            event = msgspec.convert(stored["body"], PlatformEvent)
            if event.sequence <= version:
                await repo.mark_event(conn, event.event_id, "stale")
                continue
            if event.sequence > version + 1:
                break
            row = await self._apply(conn, row, event)
            version = event.sequence
            await repo.mark_event(conn, event.event_id, "applied")

    async def _apply(
        self, conn: Connection, row: asyncpg.Record, event: PlatformEvent
    ) -> asyncpg.Record:
        target = FROM_PLATFORM.get(event.status)
        current = row["state"]
        fields: dict[str, Any] = {"platform_version": event.sequence}
        if event.payment_notice and target == current:
            # A fee notice on a case that stays where it is (accepted, awaiting payment).
            await repo.update(conn, row["id"], **fields)
            await self._fee_notice(conn, row, event)
        elif target == current and event.result is None:
            # The platform confirms where we are (its pre_review on receiving a submission or a
            # supplement): applied, nothing to show or tell.
            await repo.update(conn, row["id"], **fields)
        elif target is None or not can_move(current, target):
            log.warning(
                "platform event does not fit the lifecycle",
                extra={"case": event.case_number, "from": current, "status": event.status},
            )
            await repo.update(conn, row["id"], **fields)
        else:
            if target == "needs_supplement" and event.supplement:
                items = event.supplement.get("items", [])
                fields["supplement_notice"] = {
                    "notice": event.supplement.get("notice", ""),
                    "items": items,
                }
                await repo.flag_for_replacement(
                    conn, row["id"], {i["materialCode"]: i["problem"] for i in items}
                )
            if target == "accepted":
                fields["accepted_at"] = event.occurred_at
                item = await self._catalog.item_detail(conn, row["item_code"])
                fields |= await self._deadline(
                    conn,
                    "promised",
                    china_date(event.occurred_at),
                    item.guide.promised_limit_days,
                )
                fields["supplement_notice"] = None
            if target in ("completed", "refused", "not_accepted", "withdrawn"):
                fields["finished_at"] = event.occurred_at
            if event.result is not None:
                fields["result"] = event.result
                await self._store_licence(conn, row, event.result)
            await repo.move(
                conn, row["id"], current, target, "platform", event.reason,
                {"caseNumber": event.case_number, "sequence": event.sequence}, **fields,
            )  # fmt: skip
            if target != current:
                await self._tell(conn, row, target, event, fields)
            if event.payment_notice:
                await self._fee_notice(conn, row, event)
        updated = await repo.by_case(conn, event.case_number)
        assert updated is not None
        return updated

    async def _fee_notice(
        self, conn: Connection, row: asyncpg.Record, event: PlatformEvent
    ) -> None:
        """The platform asks for a fee: kept by payments, shown on the timeline, told."""
        notice = event.payment_notice or {}
        new = await record_fee_notice(
            conn, citizen_id=row["citizen_id"], declaration_id=row["id"],
            case_number=event.case_number, notice=notice,
        )  # fmt: skip
        if not new:
            return
        await repo.add_event(
            conn, row["id"], row["state"], row["state"], "platform", "已开具缴款通知书",
            {"noticeNumber": notice.get("noticeNumber"), "amountFen": notice.get("amountFen")},
        )  # fmt: skip
        await notify(
            conn, row["citizen_id"], "payment.notice",
            {"item": row["item_name"], "amount": _yuan(int(notice.get("amountFen", 0)))},
            dedupe_key=f"{row['id']}:fee:{notice.get('noticeNumber')}",
            link="/pages/pay/index",
        )  # fmt: skip

    async def payment_received(self, conn: Connection, paid: PaidOrder) -> None:
        """Payments' hook: the citizen told once, the declaration's timeline shows the payment
        (a retried job finds the message and changes nothing)."""
        told = await notify(
            conn, paid.citizen_id, "payment.paid",
            {"item": paid.item_name, "amount": _yuan(paid.amount_fen)},
            dedupe_key=f"paid:{paid.order_id}",
            link=f"/pages/pay/index?declarationId={paid.declaration_id or ''}",
        )  # fmt: skip
        if not told or paid.declaration_id is None:
            return
        row = await repo.get_for_system(conn, paid.declaration_id, lock=False)
        if row is not None:
            await repo.add_event(
                conn, row["id"], row["state"], row["state"], "citizen", "已完成缴费",
                {"orderId": str(paid.order_id), "amountFen": paid.amount_fen},
            )  # fmt: skip

    async def _store_licence(
        self, conn: Connection, row: asyncpg.Record, result: dict[str, Any]
    ) -> None:
        licence = result.get("licence")
        if not licence:
            return
        # Into the wallet; the signed licence is fetched from the library and verified by a job.
        await self._licences.record_issued(
            conn, licence_number=licence["licenceNumber"], citizen_id=row["citizen_id"],
            type_code=licence["typeCode"], name=licence.get("name", ""),
            issued_at=datetime.fromisoformat(licence["issuedAt"].replace("Z", "+00:00")),
            declaration_id=row["id"],
        )  # fmt: skip

    async def _tell(
        self, conn: Connection, row: asyncpg.Record, state: str, event: PlatformEvent,
        fields: dict[str, Any],
    ) -> None:  # fmt: skip
        params = {
            "item": row["item_name"],
            "reason": event.reason or "",
            "notice": (event.supplement or {}).get("notice", ""),
            "due": _due_text(fields.get("promised_due"), fields.get("promised_due_provisional")),
            "result": (event.result or {}).get("resultType", ""),
        }
        await notify(
            conn, row["citizen_id"], STATE_EVENTS[state], params,
            dedupe_key=f"{row['id']}:{state}:{event.sequence}",
            link=f"/pages/declaration/index?id={row['id']}",
        )  # fmt: skip


# What a citizen is told when their case reaches a state on the platform.
STATE_EVENTS: dict[str, EventType] = {
    "submitted": "declaration.submitted",
    "delivered": "declaration.delivered",
    "needs_supplement": "declaration.needs_supplement",
    "not_accepted": "declaration.not_accepted",
    "accepted": "declaration.accepted",
    "processing": "declaration.processing",
    "completed": "declaration.completed",
    "refused": "declaration.refused",
    "withdrawn": "declaration.withdrawn",
}


def _due_text(due: date | None, provisional: bool | None) -> str:
    if due is None:
        return "以审批部门告知为准"
    # Counted on the statutory holidays alone: the year's notice may still move it.
    return f"{due}（暂按法定节假日推算）" if provisional else str(due)


def _platform_key(row: asyncpg.Record) -> str:
    """The platform's idempotency key of the current submission: the declaration id, and after
    a refusal and redraft one per round (the platform may remember what it refused)."""
    return str(row["id"]) if not row["submit_round"] else f"{row['id']}.{row['submit_round']}"


# Chinese for the platform's refusal codes, when its own message is not Chinese.
_REFUSAL_TEXTS = {
    "ITEM_NOT_ACCEPTING": "该事项已暂停网上受理",
    "ITEM_NOT_FOUND": "该事项已不在省平台事项库中，暂无法网上办理",
    "INVALID_PARAMETER": "申请内容未通过省平台校验，请核对填写内容和材料后重新提交",
    "CASE_NOT_FOUND": "省平台未找到该办件",
    "INVALID_STATE": "办件当前状态不接受此项提交",
}


def refusal_text(exc: PlatformRefused) -> str:
    """The platform's reason as the citizen reads it: its own message when Chinese, else ours."""
    if any("\u4e00" <= ch <= "\u9fff" for ch in exc.message):
        return exc.message.strip().rstrip("。.")
    return _REFUSAL_TEXTS.get(exc.code, f"省平台未接收此次提交（{exc.code}）")


def _refusal(
    kind: str, exc: PlatformRefused, reason: str, materials: list[str] | None = None
) -> dict[str, Any]:
    return {
        "kind": kind, "code": exc.code, "reason": reason,
        "at": datetime.now(UTC).isoformat(), "materials": materials or [],
    }  # fmt: skip


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}元"


def _library(r: asyncpg.Record) -> LibraryMaterial:
    return LibraryMaterial(
        id=str(r["material_id"] if "material_id" in r else r["id"]),
        display_name=r["display_name"], kind=r["kind"], content_type=r["content_type"],
        size=r["size"], sha256=r["sha256"],
        created_at=r.get("created_at"),
    )  # fmt: skip


def _summary_fields(row: asyncpg.Record) -> dict[str, Any]:
    return {
        "id": str(row["id"]), "item_code": row["item_code"], "item_name": row["item_name"],
        "state": row["state"], "delivery": row["delivery"], "case_number": row["case_number"],
        "submitted_at": row["submitted_at"], "promised_due": row["promised_due"],
        "promised_due_provisional": row["promised_due_provisional"],
        "supervision": row["supervision"], "updated_at": row["updated_at"],
    }  # fmt: skip


def _timeline(e: asyncpg.Record) -> TimelineEntry:
    return TimelineEntry(
        state=e["to_state"], previous_state=e["from_state"], actor=e["actor"],
        reason=e["reason"], details=e["details"], at=e["at"],
    )  # fmt: skip


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s declarations and material library become
    ``target``'s (called by api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)
