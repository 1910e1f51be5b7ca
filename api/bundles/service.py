"""一件事 bundles: situations choose the members, one form and one set of materials serve them
all, one submission starts every member that needs nothing else first, and each later one
starts (a job, enqueued in the transaction that records the last predecessor's completion)
when the members it needs have completed.

Each member is an ordinary declaration of the declarations domain, reached only through its
service: its own case, progress, deadlines and supplement requests, at its own department.
This domain keeps which declarations make a bundle, their order, and when each started and
ended; declarations tell it of every move (``DeclarationsService.follow_states``)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import msgspec

from api.bundles import errors
from api.bundles import repository as repo
from api.bundles.plan import FINAL, bundle_form, combined_status, member_forms, plan_of
from api.bundles.schemas import (
    BundleDetail,
    BundleFigure,
    BundleFigures,
    BundlePage,
    BundlePlan,
    BundleResult,
    BundleSummary,
    GivenMaterial,
    Lane,
    LaneEntry,
    MemberProgress,
    MergedMaterial,
    PlanRequest,
    StartBundle,
)
from api.bundles.tasks import RELEASE_JOB, MemberJob
from api.catalog.errors import ItemNotFound
from api.catalog.schemas import CodeName, ItemDetail
from api.catalog.service import CatalogService
from api.declarations.errors import LicenceNotUsable
from api.declarations.forms import problems
from api.declarations.schemas import DeclarationDetail, LibraryMaterial, RequiredMaterial
from api.declarations.service import DeclarationMoved, DeclarationsService
from core import i18n, jobs
from core.clock import SYSTEM_CLOCK, Clock
from core.db import Connection, Pool
from core.errors import DomainError, IdempotencyKeyReused
from core.principals import CitizenPrincipal
from core.storage import ObjectStorage
from core.uploads import ReceivedFile
from push.service import PushService

log = logging.getLogger(__name__)

SUBMIT_ROUTE = "bundles.submit"  # the Idempotency-Key scopes of the two POSTs
START_ROUTE = "bundles.start"

_ENDED_TEXT = {
    "refused": "审批部门不予许可",
    "not_accepted": "审批部门不予受理",
    "withdrawn": "申请已撤回",
}


class BundlesService:
    def __init__(
        self,
        *,
        pool: Pool,
        storage: ObjectStorage,
        catalog: CatalogService,
        declarations: DeclarationsService,
        push: PushService,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.pool = pool  # for read handlers and the jobs (tasks.py)
        self.storage = storage
        self._catalog = catalog
        self._declarations = declarations
        self._push = push
        self.clock = clock

    # --- the guide: situations → members, one form, one list of materials --------------------

    async def _items(self, conn: Connection, code: str) -> tuple[ItemDetail, dict[str, ItemDetail]]:
        try:
            bundle = await self._catalog.item_for_declaration(conn, code)
        except ItemNotFound:
            raise errors.NotABundle() from None
        if not bundle.is_bundle or not bundle.guide.bundle_members:
            raise errors.NotABundle()
        members = {
            m.code: await self._catalog.item_for_declaration(conn, m.code)
            for m in bundle.guide.bundle_members
        }
        return bundle, members

    async def plan(self, conn: Connection, code: str, request: PlanRequest) -> BundlePlan:
        """What the answers (and ticks) make of the bundle, before applying: the members, the
        one form and the one list of materials."""
        bundle, members = await self._items(conn, code)
        return plan_of(bundle, members, request.answers, request.members)

    # --- a citizen's bundle ---------------------------------------------------------------------

    async def start(
        self, conn: Connection, principal: CitizenPrincipal, data: StartBundle
    ) -> BundleDetail:
        """The bundle and a draft declaration per chosen member (each prefilled from the wallet
        by declarations); a material an e-licence in the wallet satisfies is satisfied by it
        (免提交; choosing it for this application is the consent, which declarations logs)."""
        bundle, members = await self._items(conn, data.bundle_code)
        plan = plan_of(bundle, members, data.answers, data.members)
        row = await repo.create(
            conn,
            citizen_id=principal.citizen_id,
            bundle_code=bundle.code,
            bundle_name=bundle.name,
            answers={q.key: q.answer for q in plan.questions},
            plan=msgspec.to_builtins(plan),
            form_data={},
        )
        drafts: dict[str, DeclarationDetail] = {}
        rows = []
        for position, member in enumerate(m for m in plan.members if m.chosen):
            draft = await self._declarations.create(conn, principal, member.item_code)
            drafts[member.item_code] = draft
            rows.append(
                repo.MemberRow(
                    bundle_id=row.id,
                    item_code=member.item_code,
                    item_name=member.item_name,
                    department_code=member.department.code,
                    department_name=member.department.name,
                    position=position,
                    after_codes=member.after,
                    declaration_id=uuid.UUID(draft.id),
                    status="draft",
                    declaration_state="draft",
                    blocked_reason=None,
                    started_at=None,
                    finished_at=None,
                )
            )
        await repo.add_members(conn, rows)
        for material in plan.materials:
            for use in material.uses:
                given = _material_of(drafts[use.item_code], use.material_code)
                if given is not None and given.licence_suggestions:
                    await self._declarations.use_licence(
                        conn,
                        principal,
                        uuid.UUID(drafts[use.item_code].id),
                        use.material_code,
                        given.licence_suggestions[0],
                    )
        form_data = bundle_form(plan.form, {c: d.form_data for c, d in drafts.items()})
        await repo.save_form(conn, row.id, form_data)
        return await self.detail(conn, principal, row.id)

    async def _owned(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        bundle_id: uuid.UUID,
        *,
        lock: bool = False,
        draft: bool = False,
    ) -> repo.BundleRow:
        row = await repo.get(conn, bundle_id, principal.citizen_id, lock=lock)
        if row is None:
            raise errors.BundleNotFound()  # also for another citizen's: no oracle
        if draft and row.state != "draft":
            raise errors.BundleState(state=row.state)
        return row

    async def mine(
        self, conn: Connection, principal: CitizenPrincipal, page: int, page_size: int
    ) -> BundlePage:
        rows, total = await repo.mine(conn, principal.citizen_id, page, page_size)
        states = await repo.states_of(conn, [r.id for r in rows])
        return BundlePage(
            items=[_summary(r, states[r.id]) for r in rows],
            total=total,
            page=page,
            page_size=page_size,
        )

    async def detail(
        self, conn: Connection, principal: CitizenPrincipal, bundle_id: uuid.UUID
    ) -> BundleDetail:
        row = await self._owned(conn, principal, bundle_id)
        members = await repo.members(conn, row.id)
        plan = msgspec.convert(row.plan, BundlePlan)
        details = {
            m.item_code: await self._declarations.detail(conn, principal, m.declaration_id)
            for m in members
        }
        summary = _summary(row, [(m.status, m.declaration_state) for m in members])
        return BundleDetail(
            **msgspec.structs.asdict(summary),
            answers=row.answers,
            form=plan.form,
            form_data=row.form_data,
            materials=[_given(m, details) for m in plan.materials],
            members=[_progress(m, details[m.item_code]) for m in members],
            lanes=_lanes(members, details),
            results=[
                _result(m.item_code, m.item_name, details[m.item_code].result)
                for m in members
                if details[m.item_code].state == "completed" and details[m.item_code].result
            ],
        )

    async def save_form(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        bundle_id: uuid.UUID,
        data: dict[str, Any],
    ) -> BundleDetail:
        """The one form saved, and each member's form from it (declarations checks each)."""
        row = await self._owned(conn, principal, bundle_id, lock=True, draft=True)
        plan = msgspec.convert(row.plan, BundlePlan)
        if found := problems(list(plan.form), data, complete=False):
            raise errors.BundleFormInvalid(problems=found)
        forms = member_forms(plan.form, data)
        for member in await repo.members(conn, row.id):
            await self._declarations.save_form(
                conn, principal, member.declaration_id, forms.get(member.item_code, {})
            )
        await repo.save_form(conn, row.id, data)
        return await self.detail(conn, principal, row.id)

    async def _material(
        self, conn: Connection, principal: CitizenPrincipal, bundle_id: uuid.UUID, key: str
    ) -> tuple[MergedMaterial, dict[str, uuid.UUID]]:
        """A draft bundle's material and each member's declaration."""
        row = await self._owned(conn, principal, bundle_id, lock=True, draft=True)
        plan = msgspec.convert(row.plan, BundlePlan)
        material = next((m for m in plan.materials if m.key == key), None)
        if material is None:
            raise errors.BundleMaterialUnknown(materialKey=key)
        members = {m.item_code: m.declaration_id for m in await repo.members(conn, row.id)}
        return material, members

    async def check_upload_target(
        self, conn: Connection, principal: CitizenPrincipal, bundle_id: uuid.UUID, key: str
    ) -> tuple[int, set[str]]:
        """Before reading any body: a size and formats every member asking for it takes."""
        material, members = await self._material(conn, principal, bundle_id, key)
        limits = [
            await self._declarations.check_upload_target(
                conn, principal, members[use.item_code], use.material_code
            )
            for use in material.uses
        ]
        allowed = set.intersection(*(a for _, a in limits))
        return min(m for m, _ in limits), allowed or limits[0][1]

    async def attach_upload(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        bundle_id: uuid.UUID,
        key: str,
        received: ReceivedFile,
        storage_key: str,
    ) -> tuple[LibraryMaterial, bool]:
        """One upload, given to every member that asks for the document (the library keeps the
        file once); whether the stored object is new (else the caller deletes it)."""
        material, members = await self._material(conn, principal, bundle_id, key)
        first, *others = material.uses
        entry, created = await self._declarations.attach_upload(
            conn, principal, members[first.item_code], first.material_code, received, storage_key
        )
        for use in others:
            await self._declarations.reuse(
                conn, principal, members[use.item_code], use.material_code, uuid.UUID(entry.id)
            )
        return entry, created

    async def use_licence(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        bundle_id: uuid.UUID,
        key: str,
        licence_number: str,
    ) -> BundleDetail:
        """An e-licence for the document, for every member whose item accepts its type."""
        material, members = await self._material(conn, principal, bundle_id, key)
        used = 0
        for use in material.uses:
            try:
                await self._declarations.use_licence(
                    conn, principal, members[use.item_code], use.material_code, licence_number
                )
                used += 1
            except LicenceNotUsable:
                continue  # this member takes another type: an upload serves it
        if not used:
            raise errors.BundleLicenceNotUsable(materialKey=key)
        return await self.detail(conn, principal, bundle_id)

    async def remove_material(
        self, conn: Connection, principal: CitizenPrincipal, bundle_id: uuid.UUID, key: str
    ) -> None:
        material, members = await self._material(conn, principal, bundle_id, key)
        for use in material.uses:
            await self._declarations.remove_material(
                conn, principal, members[use.item_code], use.material_code
            )

    # --- one submission -------------------------------------------------------------------------

    async def submit(
        self, conn: Connection, principal: CitizenPrincipal, bundle_id: uuid.UUID, key: str
    ) -> BundleDetail:
        """Every member checked first (nothing starts unless all could); then each member
        that needs no other's result is submitted now, the others wait for theirs."""
        row = await self._owned(conn, principal, bundle_id, lock=True)
        if row.state != "draft":
            if row.submit_key == key:
                return await self.detail(conn, principal, bundle_id)  # a retried submit
            raise errors.BundleState(state=row.state)
        if await repo.by_submit_key(conn, principal.citizen_id, key) is not None:
            raise IdempotencyKeyReused()
        plan = msgspec.convert(row.plan, BundlePlan)
        if found := problems(list(plan.form), row.form_data, complete=True):
            raise errors.BundleFormInvalid(problems=found)
        members = await repo.members(conn, row.id)
        details = {
            m.item_code: await self._declarations.detail(conn, principal, m.declaration_id)
            for m in members
        }
        missing = [
            m.key
            for m in plan.materials
            if m.required and not m.tolerance and not _given(m, details).satisfied
        ]
        if missing:
            raise errors.BundleMaterialsMissing(materialKeys=missing)
        for member in members:
            await self._declarations.check_ready(conn, principal, member.declaration_id)
        now = self.clock.now()
        await repo.mark_submitted(conn, row.id, key, principal.method, now)
        for member in members:
            if member.after_codes:
                await repo.set_member(conn, row.id, member.item_code, status="waiting")
                continue
            await self._declarations.submit(
                conn, principal, member.declaration_id, _member_key(row.id, member.item_code)
            )
            await repo.set_member(
                conn,
                row.id,
                member.item_code,
                status="started",
                declaration_state="submitted",
                started_at=now,
            )
        return await self.detail(conn, principal, row.id)

    # --- following the members (declarations' hook, and the release job) ----------------------

    async def declaration_moved(self, conn: Connection, moved: DeclarationMoved) -> None:
        """A member's declaration moved: recorded; a completion starts the members that waited
        for it (a job, in this transaction), an end without result blocks them; the bundle
        finishes when every member has ended."""
        bundle_id = await repo.bundle_of_declaration(conn, moved.declaration_id)
        if bundle_id is None:
            return
        row = await repo.get(conn, bundle_id, None, lock=True)  # one member's move at a time
        assert row is not None
        members = await repo.members(conn, bundle_id)
        member = next(m for m in members if m.declaration_id == moved.declaration_id)
        await repo.set_member(
            conn,
            bundle_id,
            member.item_code,
            declaration_state=moved.to_state,
            finished_at=moved.at if moved.to_state in FINAL else None,
        )
        if row.state == "draft":
            return
        states = {m.item_code: m.declaration_state for m in members}
        states[member.item_code] = moved.to_state
        if moved.to_state == "completed":
            for waiting in members:
                if (
                    waiting.status == "waiting"
                    and member.item_code in waiting.after_codes
                    and all(states.get(a) == "completed" for a in waiting.after_codes)
                ):
                    await jobs.enqueue(
                        conn,
                        RELEASE_JOB,
                        MemberJob(str(bundle_id), waiting.item_code),
                        dedupe_key=f"release:{bundle_id}:{waiting.item_code}",
                    )
        elif moved.to_state in FINAL:
            reason = moved.reason or _ENDED_TEXT.get(moved.to_state, "")
            await self._block_after(
                conn, row, members, member, f"所需的“{member.item_name}”未能办结（{reason}）"
            )
        await self._finish_if_done(conn, row)

    async def _block_after(
        self,
        conn: Connection,
        row: repo.BundleRow,
        members: list[repo.MemberRow],
        ended: repo.MemberRow,
        reason: str,
    ) -> None:
        """Members waiting for ``ended`` (and for those, in turn) cannot start: blocked, told."""
        blocked = {ended.item_code}
        changed = True
        while changed:
            changed = False
            for m in members:
                if (
                    m.status == "waiting"
                    and m.item_code not in blocked
                    and blocked & set(m.after_codes)
                ):
                    blocked.add(m.item_code)
                    changed = True
                    await repo.set_member(
                        conn, row.id, m.item_code, status="blocked", blocked_reason=reason
                    )
                    await self._push.notify(
                        conn,
                        row.citizen_id,
                        "bundle.member_blocked",
                        {"bundle": row.bundle_name, "item": m.item_name, "reason": reason},
                        dedupe_key=f"bundle:{row.id}:{m.item_code}:blocked",
                        link=f"/pages/bundle/index?id={row.id}",
                    )

    async def release(self, conn: Connection, bundle_id: uuid.UUID, item_code: str) -> None:
        """The release job: start a waiting member whose predecessors have all completed. A
        refusal to start it (the item suspended, a licence revoked meanwhile) blocks it with
        the reason; the other members go on."""
        row = await repo.get(conn, bundle_id, None, lock=True)
        if row is None:
            return
        members = {m.item_code: m for m in await repo.members(conn, bundle_id)}
        member = members.get(item_code)
        if member is None or member.status != "waiting":
            return  # released already (a repeated job)
        if not all(members[a].declaration_state == "completed" for a in member.after_codes):
            return
        # Started for the citizen who submitted the bundle, through the channel they used.
        principal = CitizenPrincipal(
            citizen_id=row.citizen_id, family_id="", acr=0, method=row.channel_method
        )
        try:
            async with conn.transaction():  # a savepoint: a refusal leaves nothing half done
                await self._declarations.submit(
                    conn, principal, member.declaration_id, _member_key(bundle_id, item_code)
                )
        except DomainError as exc:
            reason = exc.detail or i18n.text(exc.code)
            log.warning(
                "bundle member not started", extra={"bundle": str(bundle_id), "code": exc.code}
            )
            await self._block_after(conn, row, list(members.values()), member, reason)
            await repo.set_member(
                conn, bundle_id, item_code, status="blocked", blocked_reason=reason
            )
            await self._push.notify(
                conn,
                row.citizen_id,
                "bundle.member_blocked",
                {"bundle": row.bundle_name, "item": member.item_name, "reason": reason},
                dedupe_key=f"bundle:{bundle_id}:{item_code}:blocked",
                link=f"/pages/bundle/index?id={bundle_id}",
            )
            await self._finish_if_done(conn, row)
            return
        await repo.set_member(
            conn,
            bundle_id,
            item_code,
            status="started",
            declaration_state="submitted",
            started_at=self.clock.now(),
        )
        after = "、".join(members[a].item_name for a in member.after_codes)
        await self._push.notify(
            conn,
            row.citizen_id,
            "bundle.member_started",
            {"bundle": row.bundle_name, "item": member.item_name, "after": after},
            dedupe_key=f"bundle:{bundle_id}:{item_code}:started",
            link=f"/pages/bundle/index?id={bundle_id}",
        )

    async def _finish_if_done(self, conn: Connection, row: repo.BundleRow) -> None:
        members = await repo.members(conn, row.id)
        if not all(m.status == "blocked" or m.declaration_state in FINAL for m in members):
            return
        if not await repo.finish(conn, row.id, self.clock.now()):
            return
        done = sum(m.declaration_state == "completed" for m in members)
        summary = f"{done}项已办结"
        if done < len(members):
            summary += f"，{len(members) - done}项未办结"
        await self._push.notify(
            conn,
            row.citizen_id,
            "bundle.completed",
            {"bundle": row.bundle_name, "summary": summary},
            dedupe_key=f"bundle:{row.id}:finished",
            link=f"/pages/bundle/index?id={row.id}",
        )

    # --- staff ---------------------------------------------------------------------------------

    async def figures(self, conn: Connection) -> BundleFigures:
        return BundleFigures(
            bundles=[
                BundleFigure(
                    bundle_code=r.bundle_code,
                    bundle_name=r.bundle_name,
                    applications=r.applications,
                    finished=r.finished,
                    mean_end_to_end_hours=_hours(r.end_to_end_s),
                    mean_members_sum_hours=_hours(r.members_sum_s),
                )
                for r in await repo.figures(conn)
            ]
        )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s bundles become ``target``'s (their members'
    declarations move with declarations' own absorber)."""
    return {"bundles": await repo.absorb_citizen(conn, source, target)}


def _member_key(bundle_id: uuid.UUID, item_code: str) -> str:
    """The member's submit key (declarations keeps it unique per citizen)."""
    return f"bundle:{bundle_id}:{item_code}"


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _summary(row: repo.BundleRow, states: list[tuple[str, str]]) -> BundleSummary:
    return BundleSummary(
        id=str(row.id),
        bundle_code=row.bundle_code,
        bundle_name=row.bundle_name,
        state=row.state,  # type: ignore[arg-type]
        status=combined_status(row.state, states),
        created_at=row.created_at,
        submitted_at=row.submitted_at,
        finished_at=row.finished_at,
    )


def _material_of(detail: DeclarationDetail, code: str) -> RequiredMaterial | None:
    return next((m for m in detail.materials if m.code == code), None)


def _given(material: MergedMaterial, details: dict[str, DeclarationDetail]) -> GivenMaterial:
    given = [
        g
        for use in material.uses
        if (g := _material_of(details[use.item_code], use.material_code)) is not None
    ]
    satisfied = bool(given) and all(g.file is not None or g.licence_number for g in given)
    file_name = next((g.file.display_name for g in given if g.file is not None), None)
    licence = next((g.licence_number for g in given if g.licence_number), None)
    suggestions: list[str] = []
    for g in given:
        suggestions += [s for s in g.licence_suggestions if s not in suggestions]
    return GivenMaterial(
        **msgspec.structs.asdict(material),
        file_name=file_name,
        licence_number=licence,
        satisfied=satisfied,
        licence_suggestions=suggestions,
    )


def _progress(member: repo.MemberRow, detail: DeclarationDetail) -> MemberProgress:
    problem = member.blocked_reason
    if problem is None and detail.state == "platform_refused" and detail.refusal is not None:
        problem = detail.refusal.reason
    if problem is None and detail.state in ("refused", "not_accepted"):
        ended = [e for e in detail.timeline if e.state == detail.state]
        problem = (ended[-1].reason if ended else None) or _ENDED_TEXT[detail.state]
    return MemberProgress(
        item_code=member.item_code,
        item_name=member.item_name,
        department=CodeName(code=member.department_code, name=member.department_name),
        declaration_id=str(member.declaration_id),
        status=member.status,  # type: ignore[arg-type]
        state=detail.state,
        after=member.after_codes,
        case_number=detail.case_number,
        promised_due=detail.promised_due,
        finished_at=detail.finished_at,
        problem=problem,
        supplement_notice=(
            detail.supplement.notice
            if detail.state == "needs_supplement" and detail.supplement
            else None
        ),
    )


def _lanes(members: list[repo.MemberRow], details: dict[str, DeclarationDetail]) -> list[Lane]:
    """One lane per department, in the members' order, its entries in time order."""
    lanes: dict[str, Lane] = {}
    for m in members:
        lane = lanes.setdefault(
            m.department_code,
            Lane(
                department=CodeName(code=m.department_code, name=m.department_name),
                items=[],
                entries=[],
            ),
        )
        lane.items.append(m.item_code)
        lane.entries += [
            LaneEntry(
                item_code=m.item_code,
                item_name=m.item_name,
                state=e.state,
                previous_state=e.previous_state,
                actor=e.actor,
                reason=e.reason,
                at=e.at,
            )
            for e in details[m.item_code].timeline
        ]
    for lane in lanes.values():
        lane.entries.sort(key=lambda e: e.at)
    return list(lanes.values())


def _result(item_code: str, item_name: str, result: dict[str, Any] | None) -> BundleResult:
    result = result or {}
    licence = result.get("licence") or {}
    return BundleResult(
        item_code=item_code,
        item_name=item_name,
        result_type=str(result.get("resultType", "")),
        licence_number=licence.get("licenceNumber"),
        licence_name=licence.get("name"),
        licence_type=licence.get("typeCode"),
    )
