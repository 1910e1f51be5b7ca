"""Supplements (补正) and tolerated materials (容缺): what the platform asked for after a
submission, sent by the citizen and delivered by jobs (read, call, record; tasks.py runs them)."""

from __future__ import annotations

import hashlib
import logging
import uuid
from dataclasses import dataclass

import msgspec

from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.schemas import DeclarationDetail
from api.declarations.service.base import PRE_REVIEW_DAYS, refusal, refusal_text
from api.declarations.service.materials import Materials
from api.declarations.tasks import SUPPLEMENT_JOB, TOLERATED_JOB, DeclarationJob
from core import jobs
from core.clients.provincial import CaseMaterial, PlatformRefused
from core.clock import china_today
from core.db import Connection
from core.principals import CitizenPrincipal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SupplementDelivery:
    case_number: str
    # The platform's version when the notice was applied (to recognise our own earlier attempt).
    applied_version: int
    materials: list[CaseMaterial]


@dataclass(frozen=True, slots=True)
class ToleratedDelivery:
    case_number: str
    materials: list[CaseMaterial]


class Supplements(Materials):
    async def supplement(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        await repo.acting(conn, principal.actor_id)  # the timeline says who acted
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row.state == "submitted":
            return await self._detail(conn, principal, row)  # a retried resubmission
        if row.state != "needs_supplement":
            raise errors.InvalidState(state=row.state)
        attached = await repo.attached(conn, declaration_id)
        by_code = {r.material_code: r for r in attached}
        notice = row.supplement_notice or {"items": []}
        still = [
            i["materialCode"]
            for i in notice["items"]
            if i["materialCode"] not in by_code or by_code[i["materialCode"]].needs_replacement
        ]
        if still:
            raise errors.MaterialsMissing(materialCodes=still)
        moved = await repo.move(
            conn,
            declaration_id,
            "needs_supplement",
            "submitted",
            "citizen",
            reason="补正材料已提交",
            delivery="pending",
            **await self._deadline(
                conn, "pre_review", china_today(self.clock.now()), PRE_REVIEW_DAYS
            ),
        )
        await jobs.enqueue(
            conn,
            SUPPLEMENT_JOB,
            DeclarationJob(str(declaration_id)),
            dedupe_key=f"supplement:{declaration_id}:{row.platform_version}",
        )
        return await self._detail(conn, principal, moved, attached=attached)

    async def supply_tolerated(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        """容缺: send the materials accepted as missing, now attached, to the platform."""
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row.state not in ("accepted", "processing") or not row.tolerated_missing:
            raise errors.InvalidState(state=row.state)
        attached = await repo.attached(conn, declaration_id)
        ready = sorted(set(row.tolerated_missing) & {r.material_code for r in attached})
        if not ready:
            raise errors.MaterialsMissing(materialCodes=list(row.tolerated_missing))
        await repo.add_event(
            conn,
            declaration_id,
            row.state,
            row.state,
            "citizen",
            "补交容缺材料",
            {"materials": ready},
        )
        # Deduplicated on the files sent, not just the codes: corrected files sent again right
        # after a refusal are a new delivery even while the refused one's job is still finishing.
        files = ",".join(
            f"{r.material_code}={r.material_id or r.licence_number}"
            for r in attached
            if r.material_code in ready
        )
        await jobs.enqueue(
            conn,
            TOLERATED_JOB,
            DeclarationJob(str(declaration_id)),
            dedupe_key=f"tolerated:{declaration_id}:{hashlib.sha256(files.encode()).hexdigest()[:32]}",
        )
        return await self._detail(conn, principal, row, attached=attached)

    # --- the supplement job (tasks.DeclarationJobs.deliver_supplement) ----------------------

    async def supplement_to_deliver(
        self, conn: Connection, declaration_id: uuid.UUID
    ) -> SupplementDelivery | None:
        row = await repo.get_for_system(conn, declaration_id, lock=False)
        if (
            row is None
            or row.delivery != "pending"
            or not row.case_number
            or row.state != "submitted"
        ):
            return None
        return SupplementDelivery(
            row.case_number, row.platform_version, await self._case_materials(conn, row.id)
        )

    async def send_supplement(self, supplement: SupplementDelivery) -> PlatformRefused | None:
        """None once the platform has the supplement; its refusal otherwise."""
        try:
            await self._cases.supplement(supplement.case_number, supplement.materials)
        except PlatformRefused as exc:
            if not (
                exc.code == "INVALID_STATE"
                and await self._supplement_got_through(
                    supplement.case_number, supplement.applied_version
                )
            ):
                return exc
        return None

    async def _supplement_got_through(self, case_number: str, applied_version: int) -> bool:
        """A supplement refused as INVALID_STATE may be our own earlier attempt whose answer was
        lost: the case has left needs_supplement since the notice we applied."""
        case = await self._cases.case(case_number)
        return case.status != "needs_supplement" and case.version > applied_version

    async def record_supplement(
        self, conn: Connection, declaration_id: uuid.UUID, refused: PlatformRefused | None
    ) -> None:
        if refused is not None:
            await self._supplement_refused(conn, declaration_id, refused)
            return
        current = await repo.get_for_system(conn, declaration_id)
        assert current is not None
        if current.delivery != "pending":
            return
        # The receipt's version is not taken as applied: the platform's events say where
        # the case went (its pre_review event follows and is applied in sequence).
        await repo.update(conn, declaration_id, delivery="delivered", delivery_refusal=None)

    async def _supplement_refused(
        self, conn: Connection, declaration_id: uuid.UUID, exc: PlatformRefused
    ) -> None:
        """Back to needs_supplement (the notice stands), the refusal shown and told: the citizen
        corrects the materials and resubmits."""
        reason = refusal_text(exc)
        log.warning(
            "platform refused a supplement",
            extra={"declaration": str(declaration_id), "code": exc.code},
        )
        row = await repo.get_for_system(conn, declaration_id)
        if row is None or row.delivery != "pending" or row.state != "submitted":
            return
        await repo.move(
            conn,
            declaration_id,
            "submitted",
            "needs_supplement",
            "platform",
            f"补正材料未被接收：{reason}",
            {"code": exc.code},
            delivery="refused",
            delivery_refusal=refusal("supplement", exc, reason),
        )
        await self._push.notify(
            conn,
            row.citizen_id,
            "declaration.supplement_refused",
            {"item": row.item_name, "reason": reason},
            dedupe_key=f"{declaration_id}:supplement_refused:{row.updated_at.isoformat()}",
            link=f"/pages/declaration/index?id={declaration_id}",
        )

    # --- the tolerated-materials job (tasks.DeclarationJobs.deliver_tolerated) --------------

    async def tolerated_to_deliver(
        self, conn: Connection, declaration_id: uuid.UUID
    ) -> ToleratedDelivery | None:
        row = await repo.get_for_system(conn, declaration_id, lock=False)
        if row is None or not row.case_number or not row.tolerated_missing:
            return None
        outstanding = set(row.tolerated_missing)
        materials = [
            m for m in await self._case_materials(conn, declaration_id) if m.code in outstanding
        ]
        return ToleratedDelivery(row.case_number, materials) if materials else None

    async def send_tolerated(self, tolerated: ToleratedDelivery) -> PlatformRefused | None:
        try:
            await self._cases.supply_tolerated(tolerated.case_number, tolerated.materials)
        except PlatformRefused as exc:
            return exc
        return None

    async def record_tolerated(
        self,
        conn: Connection,
        declaration_id: uuid.UUID,
        tolerated: ToleratedDelivery,
        refused: PlatformRefused | None,
    ) -> None:
        if refused is not None:
            await self._tolerated_refused(conn, declaration_id, tolerated.materials, refused)
            return
        current = await repo.get_for_system(conn, declaration_id)
        assert current is not None
        sent = {m.code for m in tolerated.materials}
        await repo.move(
            conn,
            declaration_id,
            current.state,
            current.state,
            "platform",
            "容缺材料已送达审批部门",
            {"materials": sorted(sent)},
            tolerated_missing=[c for c in current.tolerated_missing if c not in sent],
            delivery_refusal=None,
        )

    async def _tolerated_refused(
        self,
        conn: Connection,
        declaration_id: uuid.UUID,
        materials: list[CaseMaterial],
        exc: PlatformRefused,
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
        content = hashlib.sha256(
            msgspec.json.encode(sorted(materials, key=lambda m: m.code))
        ).hexdigest()[:16]
        row = await repo.get_for_system(conn, declaration_id)
        if row is None:
            return
        await repo.move(
            conn,
            declaration_id,
            row.state,
            row.state,
            "platform",
            f"容缺材料未被接收：{reason}",
            {"materials": codes, "code": exc.code},
            delivery_refusal=refusal("tolerated", exc, reason, materials=codes),
        )
        await self._push.notify(
            conn,
            row.citizen_id,
            "declaration.tolerated_refused",
            {"item": row.item_name, "reason": reason},
            dedupe_key=f"{declaration_id}:tolerated_refused:{content}",
            link=f"/pages/declaration/index?id={declaration_id}",
        )
