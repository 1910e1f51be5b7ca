"""Submission: the citizen's submit (idempotent, the platform call a job in the same
transaction), its delivery to the platform in three steps the job runs (read, call, record),
the platform's refusal, and the redraft after one."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import msgspec

from api.catalog.schemas import GuideMaterial, ItemDetail
from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.forms import form_of, problems
from api.declarations.schemas import DeclarationDetail, PlatformEvent
from api.declarations.service.base import (
    PRE_REVIEW_DAYS,
    STATE_EVENTS,
    SUBMIT_ROUTE,
    channel_of,
    platform_key,
    refusal,
    refusal_text,
)
from api.declarations.service.materials import Materials
from api.declarations.service.platform_events import PlatformEvents
from api.declarations.tasks import APPLY_EVENTS_JOB, SUBMIT_JOB, CaseJob, DeclarationJob
from api.identity.service import CitizenForCase
from core import idempotency, jobs
from core.clients.provincial import Applicant, CaseSubmission, PlatformRefused
from core.clock import china_date
from core.db import Connection
from core.errors import IdempotencyKeyReused
from core.principals import CitizenPrincipal

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SubmissionSent:
    """The platform's answer to a submission: its case, with the case's history when the
    submission was a repeat (the case may have moved meanwhile)."""

    case_number: str
    history: list[dict[str, Any]]


class Submission(Materials, PlatformEvents):
    async def submit(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        idempotency_key: str,
    ) -> DeclarationDetail:
        await repo.acting(conn, principal.actor_id)  # the timeline says who acted
        # Copies within a day are answered by core.idempotency before this runs; the key's
        # holder (and its UNIQUE) answers one arriving after the stored answer was purged.
        row = await repo.for_submit(conn, declaration_id, principal.citizen_id, idempotency_key)
        if row is not None and not principal.covers(row.item_code):
            row = None  # outside the mandate the request acts under: as if absent
        if row is None:
            if await repo.by_submit_key(conn, principal.citizen_id, idempotency_key) is not None:
                raise IdempotencyKeyReused()
            raise errors.DeclarationNotFound()  # also for another citizen's: no oracle
        if row.key_holder is not None:
            if row.key_holder != declaration_id:
                raise IdempotencyKeyReused()
            return await self._detail(conn, principal, row)  # a retried submit
        if row.state != "draft":
            raise errors.InvalidState(state=row.state)
        citizen, item, attached, missing = await self._ready(conn, principal, row)
        # Licences are used only under the holder's consent, and each use logged.
        await self._licences.use_for_declaration_submission(
            conn,
            principal.citizen_id,
            [r.licence_number for r in attached if r.licence_number],
            declaration_id,
        )
        now = self.clock.now()
        moved, timeline = await repo.move_logged(
            conn,
            declaration_id,
            "draft",
            "submitted",
            "citizen",
            submitted_at=now,
            submit_key=idempotency_key,
            delivery="pending",
            tolerated_missing=[m.code for m in missing],
            channel=channel_of(principal),
            **await self._deadline(conn, "pre_review", china_date(now), PRE_REVIEW_DAYS),
        )
        # The platform call is a job in this transaction: it exists iff the submission does.
        await jobs.enqueue(
            conn,
            SUBMIT_JOB,
            DeclarationJob(str(declaration_id)),
            dedupe_key=f"submit:{declaration_id}",
        )
        await self._push.notify(
            conn,
            principal.citizen_id,
            STATE_EVENTS["submitted"],
            {"item": row.item_name},
            dedupe_key=f"{declaration_id}:submitted",
        )
        await self._acted(conn, principal, "declaration.submit", str(declaration_id), item.name)
        return await self._detail(
            conn, principal, moved, item=item, attached=attached, citizen=citizen, timeline=timeline
        )

    async def _ready(
        self, conn: Connection, principal: CitizenPrincipal, row: repo.DeclarationRow
    ) -> tuple[CitizenForCase, ItemDetail, list[repo.AttachedRow], list[GuideMaterial]]:
        """What a submission checks (real name, the item open, the form complete, the required
        materials given): the applicant, the item, what is attached and what may come later
        (容缺); a refusal raises."""
        citizen = await self._identity.citizen_for_case(conn, principal.citizen_id)
        if citizen is None or citizen.id_number is None:
            raise errors.RealNameRequired()
        item = await self._item(conn, row.item_code)
        if not item.accepting_applications:
            raise errors.ItemNotAccepting(reason=item.status_reason)
        principal.check_may_apply(item.code, item.guide.targets)
        if found := problems(form_of(item.guide.form), row.form_data, complete=True):
            raise errors.FormInvalid(problems=found)
        attached = await repo.attached(conn, row.id)
        codes = {r.material_code for r in attached}
        missing = [m for m in item.guide.materials if m.required and m.code not in codes]
        blocking = [m.code for m in missing if not m.tolerance]
        if blocking:
            raise errors.MaterialsMissing(materialCodes=blocking)
        return citizen, item, attached, missing

    async def check_ready(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> None:
        """For a bundle, before it submits anything: the draft would be taken by ``submit``
        (raises what ``submit`` would)."""
        row = await self._owned(conn, principal, declaration_id)
        if row.state != "draft":
            raise errors.InvalidState(state=row.state)
        await self._ready(conn, principal, row)

    async def redraft(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> DeclarationDetail:
        """A refused submission back to a draft: form, materials and licences kept; the submit
        Idempotency-Key forgotten and a new platform key round, so it can be submitted again."""
        await repo.acting(conn, principal.actor_id)  # the timeline says who acted
        row = await self._owned(conn, principal, declaration_id, lock=True)
        if row.state == "draft":
            return await self._detail(conn, principal, row)  # a retried redraft
        if row.state != "platform_refused":
            raise errors.InvalidState(state=row.state)
        moved = await repo.move(
            conn,
            declaration_id,
            "platform_refused",
            "draft",
            "citizen",
            "退回草稿，修改后可重新提交",
            submit_key=None,
            delivery="none",
            submitted_at=None,
            pre_review_due=None,
            pre_review_due_provisional=False,
            pre_review_from=None,
            tolerated_missing=[],
            supervision="none",
            submit_round=row.submit_round + 1,
        )
        if row.submit_key:
            # The key's stored answer said "submitted"; the same key now submits anew.
            await idempotency.forget(conn, principal.citizen_id, SUBMIT_ROUTE, row.submit_key)
        return await self._detail(conn, principal, moved)

    # --- the delivery job (tasks.DeclarationJobs.deliver runs these three) --------------------

    async def submission_to_deliver(
        self, conn: Connection, declaration_id: uuid.UUID
    ) -> CaseSubmission | None:
        """What to send, or None when there is nothing to deliver (any more)."""
        row = await repo.get_for_system(conn, declaration_id, lock=False)
        if row is None or row.delivery != "pending" or row.state != "submitted" or row.case_number:
            return None
        citizen = await self._identity.citizen_for_case(conn, row.citizen_id)
        assert citizen is not None and citizen.real_name and citizen.id_number
        applicant = Applicant(
            name=citizen.real_name, id_number=citizen.id_number, phone=citizen.phone or ""
        )
        if citizen.kind == "legal":
            # A company applies through a person (经办人): theirs are the name and phone the
            # platform reaches about the case.
            agent_id = await repo.submitted_by(conn, row.id)
            agent = await self._identity.citizen_for_case(conn, agent_id) if agent_id else None
            applicant = Applicant(
                name=citizen.real_name,
                id_number=citizen.id_number,
                phone=(agent.phone if agent else None) or "",
                type="legal",
                agent_name=agent.real_name if agent else None,
            )
        return CaseSubmission(
            idempotency_key=platform_key(row),
            item_code=row.item_code,
            applicant=applicant,
            form_data=row.form_data,
            materials=await self._case_materials(conn, row.id),
            tolerated_missing=list(row.tolerated_missing),
            callback_url=self._settings.callback_url or None,
        )

    async def send_submission(self, submission: CaseSubmission) -> SubmissionSent | PlatformRefused:
        """Create the case at the platform: a transient failure (timeout, 5xx, 429) raises and
        the queue retries the job; a refusal (business 4xx) is an answer and ends it.
        ``platform_key`` (the declaration id, then one per round after a redraft) is the
        platform's idempotency key, so one case exists per submission."""
        try:
            receipt = await self._cases.submit(submission)
        except PlatformRefused as exc:
            return exc
        history: list[dict[str, Any]] = []
        if receipt.version > 1:
            # A repeated submission is answered with the case as it is *now*: the events that
            # brought it there may not have reached us yet (or waited for the case number).
            # Their history comes with the case; a failure here retries the (idempotent) job.
            history = (await self._cases.case(receipt.case_number)).events
        return SubmissionSent(receipt.case_number, history)

    async def record_submission(
        self,
        conn: Connection,
        declaration_id: uuid.UUID,
        key: str,
        outcome: SubmissionSent | PlatformRefused,
    ) -> None:
        if isinstance(outcome, PlatformRefused):
            await self._submission_refused(conn, declaration_id, key, outcome)
            return
        row = await repo.get_for_system(conn, declaration_id)
        assert row is not None
        if row.delivery != "pending" or row.case_number:
            return
        # Not the receipt's version: what we have *applied* of the platform's events stays
        # platform_version, so every event after it is still applied, in sequence, once.
        row = await repo.move(
            conn,
            declaration_id,
            row.state,
            row.state,
            "platform",
            "已送达审批部门",
            {"caseNumber": outcome.case_number},
            delivery="delivered",
            case_number=outcome.case_number,
            delivery_refusal=None,
        )
        await self._push.notify(
            conn,
            row.citizen_id,
            STATE_EVENTS["delivered"],
            {"item": row.item_name, "caseNumber": outcome.case_number},
            dedupe_key=f"{declaration_id}:delivered",
        )
        for hook in self.case_hooks:
            await hook(conn, declaration_id, outcome.case_number)
        for body in outcome.history:
            event = msgspec.convert(body, PlatformEvent)
            await repo.store_event(conn, event.event_id, event.case_number, event.sequence, body)
        # Events that arrived before we knew the case number (or came with its history)
        # are applied now; a job catches any stored while this transaction was open.
        await self.apply_stored(conn, outcome.case_number, row)
        await jobs.enqueue(conn, APPLY_EVENTS_JOB, CaseJob(outcome.case_number))

    async def _submission_refused(
        self, conn: Connection, declaration_id: uuid.UUID, key: str, exc: PlatformRefused
    ) -> None:
        """The platform refused the submission for good: ``platform_refused`` with its reason,
        the citizen told on every channel; they may redraft (everything kept) or withdraw."""
        reason = refusal_text(exc)
        log.warning(
            "platform refused a submission",
            extra={"declaration": str(declaration_id), "code": exc.code},
        )
        row = await repo.get_for_system(conn, declaration_id)
        if (
            row is None
            or row.delivery != "pending"
            or row.state != "submitted"
            or row.case_number
            or platform_key(row) != key
        ):
            return  # withdrawn meanwhile, or a refusal of an earlier round
        await repo.move(
            conn,
            declaration_id,
            "submitted",
            "platform_refused",
            "platform",
            reason,
            {"code": exc.code},
            delivery="refused",
            delivery_refusal=refusal("submission", exc, reason),
        )
        await self._moved(conn, row, "platform_refused", reason)
        await self._push.notify(
            conn,
            row.citizen_id,
            STATE_EVENTS["platform_refused"],
            {"item": row.item_name, "reason": reason},
            dedupe_key=f"{declaration_id}:platform_refused:{row.submit_round}",
            link=f"/pages/declaration/index?id={declaration_id}",
        )
