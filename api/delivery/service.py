"""Delivery of paper results (邮寄送达, Yongchang rules Art. 22; docs/delivery.md).

A citizen keeps an address book (recipient, phone and street encrypted at rest, masked in every
answer). On a declaration whose item's result is a paper document they choose window pickup at
a hall serving the item (its address and hours shown) or postal delivery to an address of the
book, before submitting or after, until the result is produced. A job tells the platform the
choice once the case exists (and again after each change). When the case completes, the
platform asks for the postage if the item charges it (a fee notice, paid through payments like
every fee) and books the shipment with the courier once paid; the courier's signed tracking
callbacks are stored once (an inbox), applied in their sequence by a job, and each step is
pushed to the citizen."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from api.catalog.schemas import ItemDetail
from api.catalog.service import CatalogService
from api.declarations.service import DeclarationForReview, DeclarationsService
from api.delivery import errors
from api.delivery import repository as repo
from api.delivery.rules import (
    EVENT_LABELS,
    FINAL_STATES,
    PUSHED,
    STATUS_LABELS,
    address_problem,
    clean,
    mask_detail,
)
from api.delivery.schemas import (
    Address,
    AddressBook,
    ChooseDelivery,
    DeliveryPage,
    NewAddress,
    PickupPlace,
    PostalAddress,
    ResultDelivery,
    Session,
    TrackingEntry,
)
from api.delivery.tasks import APPLY_JOB, REGISTER_JOB, DeliveryJob
from api.halls.errors import HallNotFound
from api.halls.service import HallsService
from core import jobs
from core.clients.provincial import (
    DeliveryChoice,
    DeliveryRecipient,
    PlatformRefused,
    ProvincialCasesClient,
)
from core.clock import SYSTEM_CLOCK, Clock
from core.db import Connection, Pool
from core.pii import PiiCipher, mask_name, mask_phone
from core.principals import CitizenPrincipal
from core.settings import PostalSettings
from push.service import PushService

log = logging.getLogger(__name__)

_LINK = "/pages/delivery/index?declarationId={id}"
_FIELDS = ("recipient", "phone", "detail")


class TrackingEvent(msgspec.Struct, rename="camel", kw_only=True):
    """One step of a waybill as the courier reports it (a callback's body)."""

    event_id: str
    waybill_number: str
    request_id: str
    sequence: Annotated[int, msgspec.Meta(ge=1)]
    type: str
    occurred_at: str
    carrier: str = ""
    description: str = ""
    location: str = ""


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class DeliveryService:
    """The address book and each declaration's delivery (built by ``api.delivery.deps``)."""

    def __init__(
        self,
        *,
        pool: Pool,
        settings: PostalSettings,
        pii: PiiCipher,
        cases: ProvincialCasesClient,
        catalog: CatalogService,
        halls: HallsService,
        declarations: DeclarationsService,
        push: PushService,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.pool = pool
        self.settings = settings
        self._pii = pii
        self._cases = cases
        # The item's delivery options, its halls and the declaration: asked of their domains.
        self._catalog = catalog
        self._halls = halls
        self._declarations = declarations
        # Citizens told of each courier step, in the transaction of the change (the outbox).
        self._push = push
        self.clock = clock

    @property
    def callback_secret(self) -> str:
        return self.settings.callback_secret.reveal()

    # --- the address book --------------------------------------------------------------------

    def _enc(self, name: str, value: str) -> bytes:
        return self._pii.encrypt(value, field=f"address.{name}")

    def _dec(self, name: str, blob: bytes) -> str:
        return self._pii.decrypt(blob, field=f"address.{name}")

    def _address(self, row: repo.AddressRow) -> Address:
        return Address(
            id=str(row.id),
            recipient=mask_name(self._dec("recipient", row.recipient_enc)),
            phone=mask_phone(self._dec("phone", row.phone_enc)),
            region_code=row.region_code,
            region_name=row.region_name,
            detail=mask_detail(self._dec("detail", row.detail_enc)),
            postcode=row.postcode,
            label=row.label,
            is_default=row.is_default,
            created_at=row.created_at,
        )

    def _address_fields(self, data: NewAddress) -> dict[str, Any]:
        recipient, detail = clean(data.recipient), clean(data.detail)
        region_name, label = clean(data.region_name), clean(data.label)
        problem = address_problem(
            recipient=recipient,
            phone=data.phone,
            region_code=data.region_code,
            region_name=region_name,
            detail=detail,
            label=label,
        )
        if problem is not None:
            raise errors.AddressInvalid(field=problem)
        return {
            "recipient_enc": self._enc("recipient", recipient),
            "phone_enc": self._enc("phone", data.phone),
            "detail_enc": self._enc("detail", detail),
            "region_code": data.region_code,
            "region_name": region_name,
            "postcode": data.postcode,
            "label": label,
            "is_default": data.is_default,
        }

    async def book(self, conn: Connection, principal: CitizenPrincipal) -> AddressBook:
        rows = await repo.addresses(conn, principal.citizen_id)
        return AddressBook(
            items=[self._address(r) for r in rows],
            total=len(rows),
            limit=self.settings.max_addresses,
        )

    async def _own_address(
        self, conn: Connection, principal: CitizenPrincipal, address_id: uuid.UUID
    ) -> repo.AddressRow:
        row = await repo.address(conn, address_id)
        if row is None or row.citizen_id != principal.citizen_id:
            raise errors.AddressNotFound()
        return row

    async def address(
        self, conn: Connection, principal: CitizenPrincipal, address_id: uuid.UUID
    ) -> Address:
        return self._address(await self._own_address(conn, principal, address_id))

    async def add_address(
        self, conn: Connection, principal: CitizenPrincipal, data: NewAddress
    ) -> Address:
        fields = self._address_fields(data)
        await repo.lock_book(conn, principal.citizen_id)
        count = await repo.count_addresses(conn, principal.citizen_id)
        if count >= self.settings.max_addresses:
            raise errors.AddressBookFull(limit=self.settings.max_addresses)
        if fields["is_default"] or count == 0:
            # The first address is the default; a new default replaces the old one.
            await repo.clear_default(conn, principal.citizen_id)
            fields["is_default"] = True
        address_id = uuid.uuid4()
        now = self.clock.now()
        await repo.insert_address(
            conn,
            id=address_id,
            citizen_id=principal.citizen_id,
            created_at=now,
            updated_at=now,
            **fields,
        )
        return await self.address(conn, principal, address_id)

    async def replace_address(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        address_id: uuid.UUID,
        data: NewAddress,
    ) -> Address:
        fields = self._address_fields(data)
        await repo.lock_book(conn, principal.citizen_id)
        row = await self._own_address(conn, principal, address_id)
        if fields["is_default"] and not row.is_default:
            await repo.clear_default(conn, principal.citizen_id)
        if row.is_default:
            fields["is_default"] = True  # a default is replaced by choosing another one
        await repo.update_address(conn, address_id, **fields)
        return await self.address(conn, principal, address_id)

    async def remove_address(
        self, conn: Connection, principal: CitizenPrincipal, address_id: uuid.UUID
    ) -> None:
        """Gone from the book; a delivery already chosen keeps its own copy."""
        await repo.lock_book(conn, principal.citizen_id)
        row = await self._own_address(conn, principal, address_id)
        await repo.delete_address(conn, address_id)
        if row.is_default:
            rest = await repo.addresses(conn, principal.citizen_id)
            if rest:
                await repo.update_address(conn, rest[0].id, is_default=True)

    # --- a declaration's delivery ------------------------------------------------------------

    async def _declaration(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> tuple[DeclarationForReview, ItemDetail]:
        found = await self._declarations.for_review(conn, declaration_id)
        if found is None or found.citizen_id != principal.citizen_id:
            raise errors.DeliveryNotFound()
        return found, await self._catalog.item_for_declaration(conn, found.item_code)

    async def options(
        self, conn: Connection, principal: CitizenPrincipal, declaration_id: uuid.UUID
    ) -> ResultDelivery:
        declaration, item = await self._declaration(conn, principal, declaration_id)
        row = await repo.delivery(conn, declaration_id)
        return await self._view(conn, declaration, item, row, options=True)

    async def choose(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        declaration_id: uuid.UUID,
        data: ChooseDelivery,
    ) -> ResultDelivery:
        declaration, item = await self._declaration(conn, principal, declaration_id)
        offered = item.guide.delivery
        if offered is None or not offered.paper_result:
            raise errors.NoPaperResult()
        row = await repo.delivery(conn, declaration_id, lock=True)
        if declaration.state in FINAL_STATES or (row is not None and row.status != "chosen"):
            raise errors.DeliveryLocked(state=declaration.state)
        fields: dict[str, Any]
        if data.method == "pickup":
            if data.address_id is not None:
                raise errors.AddressUnknown("pickup takes no address")
            codes = [h.code for h in await self._halls.halls_of_item(conn, item.code)]
            if (data.hall_code not in codes) if codes else data.hall_code is not None:
                raise errors.HallNotServing(hallCode=data.hall_code)
            fields = {
                "method": "pickup",
                "hall_code": data.hall_code,
                "address_id": None,
                **dict.fromkeys(("recipient_enc", "phone_enc", "detail_enc"), None),
                **dict.fromkeys(("region_code", "region_name", "postcode"), None),
                "fee_fen": 0,
            }
            text = "窗口领取"
        else:
            if not offered.postal:
                raise errors.PostalNotOffered()
            if data.hall_code is not None or data.address_id is None:
                raise errors.AddressUnknown("postal delivery takes an address of the book")
            address = await repo.address(conn, data.address_id)
            if address is None or address.citizen_id != principal.citizen_id:
                raise errors.AddressUnknown()
            fields = {
                "method": "postal",
                "hall_code": None,
                "address_id": address.id,
                # The book's blobs as they are: same key, same field names.
                "recipient_enc": address.recipient_enc,
                "phone_enc": address.phone_enc,
                "detail_enc": address.detail_enc,
                "region_code": address.region_code,
                "region_name": address.region_name,
                "postcode": address.postcode,
                "fee_fen": offered.postal_fee_fen,
            }
            text = f"邮寄送达至 {address.region_name}"
        version = 1 if row is None else row.choice_version + 1
        if row is None:
            await repo.insert_delivery(
                conn,
                declaration_id=declaration_id,
                citizen_id=principal.citizen_id,
                item_code=item.code,
                item_name=item.name,
                case_number=declaration.case_number,
                **fields,
            )
        else:
            await repo.update_delivery(
                conn,
                declaration_id,
                choice_version=version,
                registration="pending",
                refusal=None,
                case_number=declaration.case_number or row.case_number,
                **fields,
            )
        await repo.add_event(conn, declaration_id, "chosen", self.clock.now(), text=text)
        if declaration.case_number:
            await self._enqueue_register(conn, declaration_id, version, declaration.case_number)
        updated = await repo.delivery(conn, declaration_id)
        return await self._view(conn, declaration, item, updated, options=True)

    async def mine(
        self, conn: Connection, principal: CitizenPrincipal, limit: int, offset: int
    ) -> DeliveryPage:
        rows, total = await repo.deliveries_of(conn, principal.citizen_id, limit, offset)
        items = []
        for row in rows:
            declaration, item = await self._declaration(conn, principal, row.declaration_id)
            items.append(await self._view(conn, declaration, item, row, options=False))
        return DeliveryPage(items=items, total=total)

    async def _place(
        self, conn: Connection, item: ItemDetail, hall_code: str | None
    ) -> PickupPlace:
        if hall_code is not None:
            try:
                hall = await self._halls.hall_detail(conn, hall_code)
            except HallNotFound:
                pass
            else:
                return PickupPlace(
                    hall_code=hall.code,
                    name=hall.name,
                    address=hall.address,
                    phone=hall.phone,
                    latitude=hall.latitude,
                    longitude=hall.longitude,
                    hours=[Session(start=s.start, end=s.end) for s in hall.hours],
                    saturday_hours=[Session(start=s.start, end=s.end) for s in hall.saturday_hours],
                )
        # No hall lists the item: the department's own window (the guide's address).
        return PickupPlace(
            name=item.department.name,
            address=item.guide.consultation.address,
            phone=item.guide.consultation.phone,
        )

    async def _view(
        self,
        conn: Connection,
        declaration: DeclarationForReview,
        item: ItemDetail,
        row: repo.DeliveryRow | None,
        *,
        options: bool,
    ) -> ResultDelivery:
        offered = item.guide.delivery
        view = ResultDelivery(
            declaration_id=str(declaration.id),
            item_code=item.code,
            item_name=item.name,
            paper_result=bool(offered and offered.paper_result),
            postal_offered=bool(offered and offered.postal),
            fee_fen=offered.postal_fee_fen if offered else 0,
            fee_basis=offered.fee_basis if offered else "",
            changeable=bool(offered)
            and declaration.state not in FINAL_STATES
            and (row is None or row.status == "chosen"),
        )
        if options and view.paper_result:
            halls = await self._halls.halls_of_item(conn, item.code)
            view.halls = [await self._place(conn, item, h.code) for h in halls] or [
                await self._place(conn, item, None)
            ]
        if row is None:
            return view
        view.method = row.method  # type: ignore[assignment]
        view.registration = row.registration
        if row.method == "pickup":
            view.pickup = await self._place(conn, item, row.hall_code)
            view.status_label = (
                "请到窗口领取" if declaration.state == "completed" else "办结后到窗口领取"
            )
        else:
            assert row.recipient_enc and row.phone_enc and row.detail_enc
            view.address = PostalAddress(
                address_id=str(row.address_id) if row.address_id else None,
                recipient=mask_name(self._dec("recipient", row.recipient_enc)),
                phone=mask_phone(self._dec("phone", row.phone_enc)),
                region_code=row.region_code or "",
                region_name=row.region_name or "",
                detail=mask_detail(self._dec("detail", row.detail_enc)),
            )
            view.fee_fen = row.fee_fen
            view.status = row.status  # type: ignore[assignment]
            view.status_label = STATUS_LABELS.get(row.status, "办结后寄出")
            view.waybill_number = row.waybill_number
            view.carrier = row.carrier
        view.timeline = [
            TrackingEntry(
                kind=e.kind,
                label=EVENT_LABELS.get(e.kind, e.kind),
                text=e.text,
                location=e.location,
                at=e.occurred_at,
            )
            for e in await repo.events_of(conn, declaration.id)
        ]
        return view

    # --- telling the platform (the delivery.register job) ------------------------------------

    async def _enqueue_register(
        self, conn: Connection, declaration_id: uuid.UUID, version: int, case_number: str
    ) -> None:
        await jobs.enqueue(
            conn,
            REGISTER_JOB,
            DeliveryJob(str(declaration_id)),
            dedupe_key=f"delivery-register:{declaration_id}:{case_number}:{version}",
        )

    async def case_opened(
        self, conn: Connection, declaration_id: uuid.UUID, case_number: str
    ) -> None:
        """Declarations' hook: the case exists now, so a choice made before can be told."""
        row = await repo.delivery(conn, declaration_id, lock=True)
        if row is None or (row.case_number == case_number and row.registered_version):
            return
        # A new case (a redraft submitted again) knows nothing of the choice: tell it anew.
        await repo.update_delivery(
            conn,
            declaration_id,
            case_number=case_number,
            registered_version=0,
            registration="pending",
            refusal=None,
        )
        await self._enqueue_register(conn, declaration_id, row.choice_version, case_number)

    async def register(self, declaration_id: uuid.UUID) -> None:
        """Tell the platform the current choice: read, call holding no connection, record."""
        async with self.pool.acquire() as conn:
            row = await repo.delivery(conn, declaration_id)
        if row is None or row.registered_version >= row.choice_version or not row.case_number:
            return
        recipient = None
        if row.method == "postal":
            assert row.recipient_enc and row.phone_enc and row.detail_enc
            recipient = DeliveryRecipient(
                name=self._dec("recipient", row.recipient_enc),
                phone=self._dec("phone", row.phone_enc),
                region_code=row.region_code or "",
                address=f"{row.region_name} {self._dec('detail', row.detail_enc)}",
                postcode=row.postcode,
            )
        choice = DeliveryChoice(
            method=row.method,  # type: ignore[arg-type]
            reference=str(declaration_id),
            hall_code=row.hall_code,
            recipient=recipient,
            callback_url=(self.settings.callback_url or None) if recipient else None,
        )
        refused: PlatformRefused | None = None
        try:
            await self._cases.set_delivery(row.case_number, choice)
        except PlatformRefused as exc:
            refused = exc
        async with self.pool.acquire() as conn, conn.transaction():
            now = await repo.delivery(conn, declaration_id, lock=True)
            if now is None or now.registered_version >= row.choice_version:
                return
            if refused is not None:
                log.warning(
                    "platform refused a delivery choice",
                    extra={"declaration": str(declaration_id), "code": refused.code},
                )
                await repo.update_delivery(
                    conn,
                    declaration_id,
                    registered_version=row.choice_version,
                    **(
                        {"registration": "refused", "refusal": refused.code}
                        if now.choice_version == row.choice_version
                        else {}
                    ),
                )
                await repo.add_event(
                    conn, declaration_id, "refused", self.clock.now(), text=refused.message
                )
                return
            await repo.update_delivery(
                conn,
                declaration_id,
                registered_version=row.choice_version,
                **(
                    {"registration": "registered"}
                    if now.choice_version == row.choice_version
                    else {}
                ),
            )
            await repo.add_event(conn, declaration_id, "registered", self.clock.now())

    # --- the courier's callbacks -------------------------------------------------------------

    async def store_callback(
        self, conn: Connection, event: TrackingEvent, body: dict[str, Any]
    ) -> str:
        """Store a verified callback once and enqueue its processing: ``accepted``,
        ``duplicate``, or ``unknown`` (no delivery of ours: acknowledged, not stored)."""
        try:
            declaration_id = uuid.UUID(event.request_id)
        except ValueError:
            return "unknown"
        if await repo.delivery(conn, declaration_id) is None:
            log.warning("postal callback for an unknown delivery", extra={"event": event.event_id})
            return "unknown"
        if not await repo.store_callback(
            conn, event.event_id, declaration_id, event.sequence, body
        ):
            return "duplicate"
        # No dedupe key: a run under way may have read the events before this one.
        await jobs.enqueue(conn, APPLY_JOB, DeliveryJob(str(declaration_id)))
        return "accepted"

    async def apply_stored(self, conn: Connection, declaration_id: uuid.UUID) -> None:
        """Apply a delivery's stored events in sequence, each once: stale ones are skipped, one
        ahead of a missing predecessor waits for it (the courier retries every event until it
        is acknowledged, so the gap fills)."""
        row = await repo.delivery(conn, declaration_id, lock=True)
        if row is None:
            return
        version = row.postal_version
        for stored in await repo.pending_callbacks(conn, declaration_id):
            if stored.sequence <= version:
                await repo.mark_callback(conn, stored.event_id, "stale")
                continue
            if stored.sequence > version + 1:
                break
            event = msgspec.convert(stored.body, TrackingEvent)
            await self._apply(conn, row, event)
            version = event.sequence
            await repo.mark_callback(conn, stored.event_id, "applied")

    async def _apply(self, conn: Connection, row: repo.DeliveryRow, event: TrackingEvent) -> None:
        fields: dict[str, Any] = {"postal_version": event.sequence}
        if event.type in STATUS_LABELS:
            fields["status"] = event.type
        if row.waybill_number is None:
            fields |= {"waybill_number": event.waybill_number, "carrier": event.carrier or None}
        await repo.update_delivery(conn, row.declaration_id, **fields)
        if event.type not in STATUS_LABELS:
            return
        await repo.add_event(
            conn,
            row.declaration_id,
            event.type,
            _parse_time(event.occurred_at),
            text=event.description,
            location=event.location,
        )
        await self._push.notify(
            conn,
            row.citizen_id,
            PUSHED[event.type],  # type: ignore[arg-type]
            {
                "item": row.item_name,
                "carrier": event.carrier or row.carrier or "",
                "waybill": event.waybill_number,
                "location": event.location,
            },
            dedupe_key=f"delivery:{row.declaration_id}:{event.sequence}",
            link=_LINK.format(id=row.declaration_id),
        )


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    """One person, one account: ``source``'s addresses and deliveries become ``target``'s
    (called by api.identity when it joins a person's accounts)."""
    return await repo.absorb_citizen(conn, source, target)
