"""The platform's status events: stored once as they arrive (an inbox), applied per case in
sequence order, each once; the citizen told of every move."""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from api.declarations import repository as repo
from api.declarations.schemas import PlatformEvent
from api.declarations.service.base import STATE_EVENTS, due_text
from api.declarations.service.fees_and_licences import FeesAndLicences
from api.declarations.states import FROM_PLATFORM, can_move
from api.declarations.tasks import APPLY_EVENTS_JOB, CaseJob
from core import jobs
from core.clock import china_date
from core.db import Connection

log = logging.getLogger(__name__)


class PlatformEvents(FeesAndLicences):
    async def store_callback(
        self, conn: Connection, event: PlatformEvent, body: dict[str, Any]
    ) -> bool:
        """Store a verified callback once and enqueue its processing; whether it was new."""
        new = await repo.store_event(conn, event.event_id, event.case_number, event.sequence, body)
        if new:
            # No dedupe key: a run already under way may have read the events before this one,
            # so every new event gets its run (an extra run finds nothing and returns).
            await jobs.enqueue(conn, APPLY_EVENTS_JOB, CaseJob(event.case_number))
        return new

    async def apply_stored(
        self, conn: Connection, case_number: str, row: repo.DeclarationRow | None = None
    ) -> None:
        """Apply a case's stored events in sequence order, each once; stale ones are skipped, and
        one that arrives ahead of a missing predecessor waits for it (the platform retries every
        event until acknowledged, so the gap fills).

        ``platform_version`` is the sequence of the last event *applied*, never a version the
        platform merely reported: events after it are applied, in order, whenever they come.
        ``row`` is the case's declaration when the caller holds it locked already."""
        if row is None:
            row = await repo.by_case(conn, case_number)
        if row is None:
            return  # the submission job has not recorded the case yet; it re-enqueues us
        version = row.platform_version
        for stored in await repo.unprocessed_events(conn, case_number):
            event = msgspec.convert(stored.body, PlatformEvent)
            if event.sequence <= version:
                await repo.mark_event(conn, event.event_id, "stale")
                continue
            if event.sequence > version + 1:
                break
            row = await self._apply(conn, row, event)
            version = event.sequence
            await repo.mark_event(conn, event.event_id, "applied")

    async def _apply(
        self, conn: Connection, row: repo.DeclarationRow, event: PlatformEvent
    ) -> repo.DeclarationRow:
        """One event applied; answers the declaration as it is after it."""
        target = FROM_PLATFORM.get(event.status)
        current = row.state
        fields: dict[str, Any] = {"platform_version": event.sequence}
        if event.payment_notice and target == current:
            # A fee notice on a case that stays where it is (accepted, awaiting payment).
            updated = await repo.update(conn, row.id, **fields)
            await self._fee_notice(conn, row, event)
            return updated
        if target == current and event.result is None:
            # The platform confirms where we are (its pre_review on receiving a submission or a
            # supplement): applied, nothing to show or tell.
            return await repo.update(conn, row.id, **fields)
        if target is None or not can_move(current, target):
            log.warning(
                "platform event does not fit the lifecycle",
                extra={"case": event.case_number, "from": current, "status": event.status},
            )
            return await repo.update(conn, row.id, **fields)
        details: dict[str, Any] = {"caseNumber": event.case_number, "sequence": event.sequence}
        if target == "needs_supplement" and event.supplement:
            items = event.supplement.get("items", [])
            fields["supplement_notice"] = {
                "notice": event.supplement.get("notice", ""),
                "items": items,
            }
            asked = [i["materialCode"] for i in items]
            # Who asks twice is judged on the case as it stood when asked (before the request
            # flags its materials), and the request names what it asked (the next one's
            # "asked before").
            repeats = await self._asked_twice(conn, row, asked)
            await repo.record_repeats(
                conn, row.id, event.sequence, china_date(event.occurred_at), repeats
            )
            details["materials"] = asked
            if repeats:
                details["askedTwice"] = repeats
            await repo.flag_for_replacement(
                conn, row.id, {i["materialCode"]: i["problem"] for i in items}
            )
        if target == "accepted":
            fields["accepted_at"] = event.occurred_at
            item = await self._item(conn, row.item_code)
            fields |= await self._deadline(
                conn, "promised", china_date(event.occurred_at), item.guide.promised_limit_days
            )
            fields["supplement_notice"] = None
        if target in ("completed", "refused", "not_accepted", "withdrawn"):
            fields["finished_at"] = event.occurred_at
        if event.result is not None:
            fields["result"] = event.result
            await self._store_licence(conn, row, event.result)
        if target == "accepted" and current != "accepted" and row.tolerated_missing:
            # 容缺受理: accepted with these materials still to come (counted by figures).
            details["toleratedMissing"] = list(row.tolerated_missing)
        updated = await repo.move(
            conn, row.id, current, target, "platform", event.reason, details, **fields
        )
        if target != current:
            await self._tell(conn, row, target, event, fields)
            await self._moved(conn, row, target, event.reason)
        if event.payment_notice:
            await self._fee_notice(conn, row, event)
        return updated

    async def _asked_twice(
        self, conn: Connection, row: repo.DeclarationRow, asked: list[str]
    ) -> dict[str, str]:
        """The materials of a supplement request the citizen had already given valid
        (Yongchang Art. 17; docs/supervision.md), each with why: ``case_licence`` — given in
        this case as an e-licence (signed by its issuer, valid by construction);
        ``case_resupplied`` — asked for by an earlier request of this case and supplied;
        ``wallet`` — the citizen holds a valid e-licence of a type the item accepts for it
        (免提交: the department could have taken it from the licence library)."""
        attached = {a.material_code: a for a in await repo.attached(conn, row.id)}
        before = await repo.asked_before(conn, row.id)
        item = await self._item(conn, row.item_code)
        accepts = {m.code: set(m.licence_types) for m in item.guide.materials}
        held = {
            h.type_code for h in await self._licences.usable_for_declaration(conn, row.citizen_id)
        }
        repeats: dict[str, str] = {}
        for code in asked:
            given = attached.get(code)
            if given is not None and given.licence_number:
                repeats[code] = "case_licence"
            elif given is not None and code in before:
                repeats[code] = "case_resupplied"
            elif accepts.get(code, set()) & held:
                repeats[code] = "wallet"
        return repeats

    async def _tell(
        self,
        conn: Connection,
        row: repo.DeclarationRow,
        state: str,
        event: PlatformEvent,
        fields: dict[str, Any],
    ) -> None:
        params = {
            "item": row.item_name,
            "reason": event.reason or "",
            "notice": (event.supplement or {}).get("notice", ""),
            "due": due_text(fields.get("promised_due"), fields.get("promised_due_provisional")),
            "result": (event.result or {}).get("resultType", ""),
        }
        await self._push.notify(
            conn,
            row.citizen_id,
            STATE_EVENTS[state],
            params,
            dedupe_key=f"{row.id}:{state}:{event.sequence}",
            link=f"/pages/declaration/index?id={row.id}",
        )
