"""Fee notices: kept from the platform's events (through the declarations domain), listed for
their citizen, moved with the citizen when identity joins two accounts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from core.db import Connection
from core.principals import CitizenPrincipal
from payments import repository as repo
from payments.repository import NoticeRow
from payments.schemas import FeeNotice, NoticeStatus
from payments.service.common import now, parse_time, receipt_of


async def record_fee_notice(
    conn: Connection,
    *,
    citizen_id: uuid.UUID,
    declaration_id: uuid.UUID | None,
    case_number: str,
    notice: Mapping[str, Any],
    item_code: str | None = None,
) -> bool:
    """Keep a payment notice the platform issued (called by the declarations domain inside the
    transaction applying the platform's event); a repeated notice number changes nothing.
    ``item_code``: the item of the case, which decides who acting under a mandate limited to
    items may see and pay the notice (None: no mandate limited to items covers it)."""
    values = dict(notice)
    for field in ("issuedAt", "expiresAt"):
        values[field] = parse_time(str(values[field]))
    return await repo.insert_notice(
        conn,
        citizen_id=citizen_id,
        declaration_id=declaration_id,
        item_code=item_code,
        case_number=case_number,
        notice=values,
    )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s fee notices and orders become ``target``'s (called
    by the identity domain when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)


class NoticeService:
    async def of_citizen(
        self,
        conn: Connection,
        citizen: CitizenPrincipal,
        status: str,
        declaration_id: uuid.UUID | None = None,
    ) -> list[FeeNotice]:
        statuses = {"unpaid": ["unpaid"], "paid": ["paid"]}.get(
            status, ["unpaid", "paid", "expired", "cancelled"]
        )
        items = None if citizen.items is None else sorted(citizen.items)
        rows = await repo.notices_of(conn, citizen.citizen_id, statuses, declaration_id, items)
        return [_notice(r) for r in rows]


def within_mandate(citizen: CitizenPrincipal, item_code: str | None) -> bool:
    """Whether the request may reach a notice (or its orders) of this item: always for the
    owner and a mandate of every item; for a mandate limited to items, only a notice of one of
    them (a notice of no known item is outside)."""
    if citizen.items is None:
        return True
    return item_code is not None and citizen.covers(item_code)


def _notice(r: NoticeRow) -> FeeNotice:
    status: NoticeStatus = r.status
    if status == "unpaid" and r.expires_at <= now():
        status = "expired"
    return FeeNotice(
        id=str(r.id),
        notice_number=r.notice_number,
        payment_code=r.payment_code,
        declaration_id=None if r.declaration_id is None else str(r.declaration_id),
        case_number=r.case_number,
        item_name=r.item_name,
        payee=r.payee,
        amount_fen=r.amount_fen,
        issued_at=r.issued_at,
        expires_at=r.expires_at,
        status=status,
        paid_at=r.paid_at,
        receipt=receipt_of(r.receipt),
    )
