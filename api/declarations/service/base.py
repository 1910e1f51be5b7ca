"""What every use case of declarations shares: the collaborators, the citizen's own row, the
deadline arithmetic, and the texts and shapes the use cases answer with."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

from api.calendars.service import Calendars
from api.catalog.schemas import ItemDetail
from api.catalog.service import CatalogService
from api.declarations import errors
from api.declarations import repository as repo
from api.declarations.schemas import LibraryMaterial, TimelineEntry
from api.identity.service import IdentityService
from api.licences.service import LicencesService
from core.clients.provincial import PlatformRefused, ProvincialCasesClient
from core.clock import SYSTEM_CLOCK, Clock
from core.db import Connection, Pool
from core.principals import CitizenPrincipal
from core.settings import ProvincialSettings
from core.storage import ObjectStorage
from core.workdays import WorkingCalendar
from push.events import EventType
from push.service import PushService

SUBMIT_ROUTE = "declarations.submit"  # the Idempotency-Key scope of POST …/submit
PRE_REVIEW_DAYS = 2  # docs/domain.md §3, Art. 18

# Which deadline supervision watches in a state, and its name for the citizen.
DEADLINES = {
    "submitted": ("pre_review", "预审期限"),
    "accepted": ("promised", "承诺办结期限"),
    "processing": ("promised", "承诺办结期限"),
}

# What a citizen is told when their declaration reaches a state.
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
    "platform_refused": "declaration.platform_refused",
}


class FeeNotices(Protocol):
    """Where a fee notice the platform issues for a case is kept (payments' service).

    A protocol, not the payments service's class: payments is built with a hook into this
    service (``payment_received``), so the composition root builds payments first and hands
    it here (api.composition)."""

    async def fee_notice_from_platform(
        self,
        conn: Connection,
        *,
        citizen_id: uuid.UUID,
        declaration_id: uuid.UUID,
        item_code: str,
        case_number: str,
        notice: dict[str, Any],
    ) -> bool: ...


@dataclass(frozen=True, slots=True)
class DeclarationMoved:
    """A declaration changed state (the platform's decision, its refusal of our delivery, the
    citizen's withdrawal), as a follower of declarations (a bundle) is told of it."""

    declaration_id: uuid.UUID
    citizen_id: uuid.UUID
    item_code: str
    item_name: str
    from_state: str
    to_state: str
    reason: str | None
    at: datetime


# Called in the transaction of the move, so what it enqueues exists iff the move commits.
StateFollower = Callable[[Connection, DeclarationMoved], Awaitable[None]]
# Told of each step a person or hall worker takes in someone else's name: (conn, principal,
# action, target, item name); bound by the proxies domain (``api.proxies.deps``).
OnActed = Callable[[Connection, CitizenPrincipal, str, str, str], Awaitable[None]]


class DeclarationsBase:
    """The collaborators every use case reaches, and the reads they share."""

    def __init__(
        self,
        *,
        pool: Pool,
        storage: ObjectStorage,
        cases: ProvincialCasesClient,
        settings: ProvincialSettings,
        calendars: Calendars,
        catalog: CatalogService,
        identity: IdentityService,
        licences: LicencesService,
        fees: FeeNotices,
        push: PushService,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        # For read-only handlers (a connection without a transaction) and the jobs (tasks.py),
        # which open the connections; the service itself only works on the ones it is given.
        self.pool = pool
        self.storage = storage
        self._cases = cases
        self._settings = settings
        self._calendars = calendars
        self._catalog = catalog
        self._identity = identity
        self._licences = licences
        self._fees = fees
        # Citizens told of each step, in the transaction of the change (the outbox).
        self._push = push
        self.on_acted: OnActed | None = None
        # When a citizen's action happens (tests set a FixedClock).
        self.clock = clock
        # Figures' working-day index: (calendar, last day, counts), rebuilt when either changes.
        self._working_cache: tuple[WorkingCalendar, date, list[int]] | None = None
        # Told (in the transaction recording it) when a declaration's case number is known:
        # other domains holding something for the case (a delivery choice) pass it on then.
        self.case_hooks: list[Callable[[Connection, uuid.UUID, str], Awaitable[None]]] = []
        # Domains built after this one that follow declarations' moves (bundles), bound by the
        # composition root before any request or job runs.
        self._followers: list[StateFollower] = []

    def follow_states(self, follower: StateFollower) -> None:
        """Have ``follower`` told of every state change the platform or the citizen makes
        after submission, in the transaction of the change."""
        self._followers.append(follower)

    async def _moved(
        self, conn: Connection, row: repo.DeclarationRow, to_state: str, reason: str | None
    ) -> None:
        moved = DeclarationMoved(
            declaration_id=row.id,
            citizen_id=row.citizen_id,
            item_code=row.item_code,
            item_name=row.item_name,
            from_state=row.state,
            to_state=to_state,
            reason=reason,
            at=datetime.now(UTC),
        )
        for follower in self._followers:
            await follower(conn, moved)

    @property
    def callback_secret(self) -> str:
        """The secret the platform signs its status callbacks with (checked by the controller)."""
        return self._settings.callback_secret.reveal()

    async def _owned(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        *,
        lock: bool = False,
    ) -> repo.DeclarationRow:
        row = await repo.get(conn, declaration_id, principal.citizen_id, lock=lock)
        if row is None or not principal.covers(row.item_code):
            # Also for another citizen's, and for one of an item the mandate the request acts
            # under does not cover (docs/acting-as.md): no oracle.
            raise errors.DeclarationNotFound()
        return row

    async def _acted(
        self, conn: Connection, principal: CitizenPrincipal, action: str, target: str, item: str
    ) -> None:
        """A step taken in another person's name is told to them (api.proxies binds it)."""
        if principal.acting and self.on_acted is not None:
            await self.on_acted(conn, principal, action, target, item)

    async def _item(self, conn: Connection, item_code: str) -> ItemDetail:
        return await self._catalog.item_for_declaration(conn, item_code)

    async def _deadline(
        self, conn: Connection, kind: str, start: date, days: int
    ) -> dict[str, Any]:
        """A deadline as the columns that store it: the day (never empty: a year without the
        State Council's notice is counted on the provisional rule), whether it is provisional,
        and what it counts from, so an imported notice can recompute it."""
        calendar = await self._calendars.for_deadline(conn)
        due = calendar.add_working_days(start, days)
        fields: dict[str, Any] = {
            f"{kind}_due": due.day,
            f"{kind}_due_provisional": due.provisional,
            f"{kind}_from": start,
        }
        if kind == "promised":
            fields["promised_days"] = days
        return fields


def channel_of(principal: CitizenPrincipal) -> str:
    """The channel a citizen acts through, for figures: a WeChat login is the mini-program's;
    SMS and the province's SSO are the app's. (``hall`` is for cases keyed in at a window.)"""
    return "miniprogram" if principal.method == "wechat" else "app"


def due_text(due: date | None, provisional: bool | None) -> str:
    if due is None:
        return "以审批部门告知为准"
    # Counted on the statutory holidays alone: the year's notice may still move it.
    return f"{due}（暂按法定节假日推算）" if provisional else str(due)


def platform_key(row: repo.DeclarationRow) -> str:
    """The platform's idempotency key of the current submission: the declaration id, and after
    a refusal and redraft one per round (the platform may remember what it refused)."""
    return str(row.id) if not row.submit_round else f"{row.id}.{row.submit_round}"


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


def refusal(
    kind: str, exc: PlatformRefused, reason: str, materials: list[str] | None = None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "code": exc.code,
        "reason": reason,
        "at": datetime.now(UTC).isoformat(),
        "materials": materials or [],
    }


def yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}元"


def mandate_items(principal: CitizenPrincipal) -> list[str] | None:
    """The items of the mandate the request acts under, as repositories take them (None:
    every item — the owner, or a mandate of every item)."""
    return None if principal.items is None else sorted(principal.items)


def library_entry(r: repo.LibraryRow) -> LibraryMaterial:
    return LibraryMaterial(
        id=str(r.id),
        display_name=r.display_name,
        kind=r.kind,
        content_type=r.content_type,
        size=r.size,
        sha256=r.sha256,
        created_at=r.created_at,
    )


def attached_file(r: repo.AttachedRow) -> LibraryMaterial | None:
    """The library file satisfying a material (None: satisfied by a licence)."""
    if r.material_id is None:
        return None
    return LibraryMaterial(
        id=str(r.material_id),
        display_name=r.display_name or "",
        kind=r.kind or "",
        content_type=r.content_type or "",
        size=r.size or 0,
        sha256=r.sha256 or "",
    )


def summary_fields(row: repo.DeclarationRow | repo.SummaryRow) -> dict[str, Any]:
    return {
        "id": str(row.id),
        "item_code": row.item_code,
        "item_name": row.item_name,
        "state": row.state,
        "delivery": row.delivery,
        "case_number": row.case_number,
        "submitted_at": row.submitted_at,
        "promised_due": row.promised_due,
        "promised_due_provisional": row.promised_due_provisional,
        "supervision": row.supervision,
        "updated_at": row.updated_at,
    }


def timeline_entry(e: repo.EventRow) -> TimelineEntry:
    return TimelineEntry(
        state=e.to_state,
        previous_state=e.from_state,
        actor=e.actor,
        reason=e.reason,
        details=e.details,
        at=e.at,
        acted_by=None if e.acted_by is None else str(e.acted_by),
    )
