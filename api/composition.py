"""The composition root: every domain's service of a process, built from one infrastructure.

Each domain says how its service is built (``<domain>/deps.py``: ``build`` and the dependency
it is provided as); this module alone decides the order and what each one is handed from the
others. The API (``api.app``), the worker (``api.worker``) and the CLI open the same services.
"""

from __future__ import annotations

import contextlib
import functools
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime, time

from litestar.di import Provide
from redis.asyncio import Redis

from api.bundles import deps as bundles_deps
from api.bundles import service as bundles_service
from api.bundles import tasks as bundles_tasks
from api.bundles.service import BundlesService
from api.calendars import deps as calendars_deps
from api.calendars import tasks as calendars_tasks
from api.calendars.service import Calendars
from api.catalog import deps as catalog_deps
from api.catalog import tasks as catalog_tasks
from api.catalog.service import CatalogService
from api.declarations import deps as declarations_deps
from api.declarations import service as declarations_service
from api.declarations import tasks as declarations_tasks
from api.declarations.service import DeclarationsService
from api.delivery import deps as delivery_deps
from api.delivery import service as delivery_service
from api.delivery import tasks as delivery_tasks
from api.delivery.service import DeliveryService
from api.figures import deps as figures_deps
from api.figures import tasks as figures_tasks
from api.figures.service import FiguresService
from api.halls import deps as halls_deps
from api.halls import service as halls_service
from api.halls import tasks as halls_tasks
from api.halls.errors import AppointmentNotFound
from api.halls.service import HallsService, HallWait
from api.hotline import deps as hotline_deps
from api.hotline import service as hotline_service
from api.hotline import tasks as hotline_tasks
from api.hotline.service import HotlineService
from api.identity import deps as identity_deps
from api.identity.service import AccessTokens, IdentityService
from api.identity.service import parties as identity_parties
from api.licences import deps as licences_deps
from api.licences import service as licences_service
from api.licences import tasks as licences_tasks
from api.licences.service import LicencesService
from api.ops import deps as ops_deps
from api.proxies import deps as proxies_deps
from api.proxies import service as proxies_service
from api.proxies.service import ProxiesService
from api.queue import deps as queue_deps
from api.queue import service as queue_service
from api.queue import tasks as queue_tasks
from api.queue.service import Booking, QueueService
from api.reviews import deps as reviews_deps
from api.reviews import service as reviews_service
from api.reviews import tasks as reviews_tasks
from api.reviews.service import ReviewsService
from api.supervision import deps as supervision_deps
from api.supervision import tasks as supervision_tasks
from api.supervision.service import SupervisionService
from core import idempotency
from core.clients.provincial import ProvincialCasesClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.clock import CHINA_TZ, SYSTEM_CLOCK, Clock
from core.db import Connection
from core.di import from_state
from core.infra import Infrastructure, open_infrastructure
from core.jobs import JobRegistry
from core.principals import CitizenPrincipal
from core.settings import Settings
from payments import deps as payments_deps
from payments import service as payments_service
from payments import tasks as payments_tasks
from payments.service import PaymentsService
from push import deps as push_deps
from push import tasks as push_tasks
from push.service import PushService

INFRA_KEY = "infra"
DB_POOL_KEY = "db_pool"
REPLICA_READS_KEY = "replica_reads"
JOBS_KEY = "job_registry"


@dataclass(frozen=True, slots=True)
class Services:
    infra: Infrastructure
    calendars: Calendars
    catalog: CatalogService
    identity: IdentityService
    access_tokens: AccessTokens
    declarations: DeclarationsService
    figures: FiguresService
    halls: HallsService
    licences: LicencesService
    reviews: ReviewsService
    queue: QueueService
    push: PushService
    payments: PaymentsService
    supervision: SupervisionService
    hotline: HotlineService
    delivery: DeliveryService
    bundles: BundlesService
    proxies: ProxiesService

    def by_key(self) -> dict[str, object]:
        """What the API puts on ``app.state``: each service under its domain's key."""
        return {
            INFRA_KEY: self.infra,
            DB_POOL_KEY: self.infra.pool,
            REPLICA_READS_KEY: self.infra.replica_reads,
            calendars_deps.KEY: self.calendars,
            catalog_deps.KEY: self.catalog,
            identity_deps.KEY: self.identity,
            identity_deps.TOKENS_KEY: self.access_tokens,
            identity_deps.ACTING_KEY: self.identity.acting,
            declarations_deps.KEY: self.declarations,
            figures_deps.KEY: self.figures,
            halls_deps.KEY: self.halls,
            licences_deps.KEY: self.licences,
            reviews_deps.KEY: self.reviews,
            queue_deps.KEY: self.queue,
            push_deps.KEY: self.push,
            payments_deps.KEY: self.payments,
            supervision_deps.KEY: self.supervision,
            hotline_deps.KEY: self.hotline,
            delivery_deps.KEY: self.delivery,
            bundles_deps.KEY: self.bundles,
            proxies_deps.KEY: self.proxies,
        }


def dependencies() -> dict[str, Provide]:
    """Every service as a named dependency (a handler names ``declarations`` and gets it)."""
    return (
        from_state(INFRA_KEY)
        | from_state(DB_POOL_KEY)
        | from_state(REPLICA_READS_KEY)
        | from_state(JOBS_KEY)
        | calendars_deps.DEPENDENCIES
        | catalog_deps.DEPENDENCIES
        | identity_deps.DEPENDENCIES
        | declarations_deps.DEPENDENCIES
        | figures_deps.DEPENDENCIES
        | halls_deps.DEPENDENCIES
        | licences_deps.DEPENDENCIES
        | reviews_deps.DEPENDENCIES
        | queue_deps.DEPENDENCIES
        | push_deps.DEPENDENCIES
        | payments_deps.DEPENDENCIES
        | supervision_deps.DEPENDENCIES
        | ops_deps.DEPENDENCIES
        | hotline_deps.DEPENDENCIES
        | delivery_deps.DEPENDENCIES
        | bundles_deps.DEPENDENCIES
        | proxies_deps.DEPENDENCIES
    )


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    *,
    name: str = "handheld",
    clock: Clock = SYSTEM_CLOCK,
    redis: Redis | None = None,
) -> AsyncIterator[Services]:
    async with (
        open_infrastructure(settings, name=name, clock=clock, redis=redis) as infra,
        contextlib.AsyncExitStack() as stack,
    ):
        calendars = await stack.enter_async_context(calendars_deps.build(infra))
        settings = infra.settings
        catalog = await stack.enter_async_context(catalog_deps.build(infra))

        # Push is built after identity (it asks identity about citizens), so identity reaches
        # push's absorber through this name, bound before any request or job runs.
        async def absorb_push(
            conn: Connection, source: uuid.UUID, target: uuid.UUID
        ) -> dict[str, int]:
            return await push.absorb_citizen(conn, source, target)

        # One person, one account: every domain that keys rows by citizen moves them when
        # identity joins two accounts (tests/api/identity/test_one_account.py finds every
        # citizen-keyed column in the schema and checks none is left behind).
        absorbers = (
            declarations_service.absorb_citizen,
            functools.partial(licences_service.absorb_citizen, pii=infra.pii),
            reviews_service.absorb_citizen,
            queue_service.absorb_citizen,
            absorb_push,
            payments_service.absorb_citizen,
            halls_service.absorb_citizen,
            idempotency.absorb_citizen,
            hotline_service.absorb_citizen,
            delivery_service.absorb_citizen,
            bundles_service.absorb_citizen,
            identity_parties.absorb_citizen,
            proxies_service.absorb_citizen,
        )
        # Outside systems more than one domain talks to: one client each per process.
        wechat = WechatClient(infra.http, infra.redis, settings.wechat, settings.http)
        sms = SmsClient(infra.http, settings.sms, settings.http)
        cases = ProvincialCasesClient(infra.http, settings.provincial, settings.http)
        identity = await stack.enter_async_context(
            identity_deps.build(infra, wechat=wechat, sms=sms, absorbers=absorbers)
        )
        applicants = _LateApplicants()
        push = await stack.enter_async_context(
            push_deps.build(
                infra, wechat=wechat, sms=sms, recipients=identity, applicants=applicants
            )
        )
        licences = await stack.enter_async_context(
            licences_deps.build(infra, identity=identity, push=push)
        )
        # A company's 营业执照 into its wallet when identity syncs the company (docs/acting-as.md).
        identity.company_licences = licences.adopt_company_licences
        # Payments and declarations need each other: a case's fee notice goes to payments, a
        # payment is told to declarations. Payments is built first; its hook reaches the
        # declarations service, built next, when a payment arrives (long after both exist).
        payments = await stack.enter_async_context(
            payments_deps.build(
                infra,
                cases=cases,
                on_paid=lambda conn, paid: declarations.payment_received(conn, paid),
                openid_of=identity.wechat_openid,
            )
        )
        declarations = await stack.enter_async_context(
            declarations_deps.build(
                infra,
                calendars=calendars,
                cases=cases,
                catalog=catalog,
                identity=identity,
                licences=licences,
                fees=payments,
                push=push,
            )
        )
        applicants.declarations = declarations
        reviews = await stack.enter_async_context(
            reviews_deps.build(
                infra,
                calendars=calendars,
                declarations=declarations,
                catalog=catalog,
                identity=identity,
                push=push,
            )
        )
        figures = await stack.enter_async_context(
            figures_deps.build(
                infra,
                declarations=declarations,
                reviews=reviews,
                payments=payments,
                push=push,
            )
        )
        halls = await stack.enter_async_context(
            halls_deps.build(
                infra,
                calendars=calendars,
                catalog=catalog,
                declarations=declarations,
                push=push,
            )
        )
        queue = await stack.enter_async_context(
            queue_deps.build(infra, bookings=_HallBookings(halls), reviews=reviews, push=push)
        )
        halls.waits = _QueueWaits(queue)
        delivery = await stack.enter_async_context(
            delivery_deps.build(
                infra,
                cases=cases,
                catalog=catalog,
                halls=halls,
                declarations=declarations,
                push=push,
            )
        )
        yield Services(
            infra=infra,
            calendars=calendars,
            catalog=catalog,
            identity=identity,
            access_tokens=identity_deps.access_tokens(identity),
            declarations=declarations,
            figures=figures,
            halls=halls,
            licences=licences,
            reviews=reviews,
            queue=queue,
            push=push,
            payments=payments,
            supervision=await stack.enter_async_context(
                supervision_deps.build(
                    infra,
                    calendars=calendars,
                    catalog=catalog,
                    declarations=declarations,
                    figures=figures,
                    reviews=reviews,
                    identity=identity,
                    push=push,
                )
            ),
            hotline=await stack.enter_async_context(
                hotline_deps.build(
                    infra,
                    calendars=calendars,
                    catalog=catalog,
                    declarations=declarations,
                    reviews=reviews,
                    identity=identity,
                    push=push,
                )
            ),
            delivery=delivery,
            bundles=await stack.enter_async_context(
                bundles_deps.build(infra, catalog=catalog, declarations=declarations, push=push)
            ),
            proxies=await stack.enter_async_context(
                proxies_deps.build(
                    infra,
                    identity=identity,
                    catalog=catalog,
                    declarations=declarations,
                    push=push,
                )
            ),
        )


class _LateApplicants:
    """A notice's "applied for this item" audience, from the declarations service. Push is built
    before declarations (declarations notifies through push), so this is bound once both exist,
    before any request or job runs."""

    declarations: DeclarationsService | None = None

    async def push_applicants(
        self, conn: Connection, item_code: str, *, after: uuid.UUID, limit: int
    ) -> list[uuid.UUID]:
        assert self.declarations is not None, "bound by open_services before use"
        return await self.declarations.push_applicants(conn, item_code, after=after, limit=limit)


class _HallBookings:
    """The halls domain's appointments as the queue asks them (``api.queue.service.Bookings``)."""

    def __init__(self, halls: HallsService) -> None:
        self._halls = halls

    async def booking_for_queue(
        self, conn: Connection, principal: CitizenPrincipal, appointment_id: uuid.UUID
    ) -> Booking | None:
        try:
            found = await self._halls.get(conn, principal, appointment_id)
        except AppointmentNotFound:
            return None
        return Booking(
            appointment_id=found.id,
            citizen_id=principal.citizen_id,
            status=found.status,
            hall_code=found.hall.code,
            hall_name=found.hall.name,
            item_code=found.item.code,
            item_name=found.item.name,
            # The slot's day and times are China's wall clock.
            slot_start=datetime.combine(found.date, time.fromisoformat(found.start), CHINA_TZ),
            slot_end=datetime.combine(found.date, time.fromisoformat(found.end), CHINA_TZ),
            declaration_id=found.declaration_id,
            # 0, 0 is what halls answers for a hall without coordinates.
            latitude=found.hall.latitude or None,
            longitude=found.hall.longitude or None,
        )

    async def booking_arrived(self, conn: Connection, appointment_id: uuid.UUID) -> None:
        await self._halls.arrive(conn, appointment_id)

    async def booking_completed(
        self, conn: Connection, appointment_id: uuid.UUID, at: datetime
    ) -> None:
        await self._halls.complete(conn, appointment_id, at)


class _QueueWaits:
    """The queue's waits as hall figures ask them (``api.halls.service.Waits``)."""

    def __init__(self, queue: QueueService) -> None:
        self._queue = queue

    async def waits_by_hall(self, conn: Connection, start: date, end: date) -> list[HallWait]:
        return [
            HallWait(hall_code=w.hall_code, called=w.called, waited_s=w.waited.total_seconds())
            for w in await self._queue.waits_by_hall(conn, start, end)
        ]


def build_registry(services: Services) -> JobRegistry:
    """Every domain's jobs, as the worker runs them (the ops console describes and revives dead
    letters through the same registry)."""
    settings = services.infra.settings
    registry = JobRegistry()
    catalog_tasks.register(registry, services.catalog, settings.catalog.sync_cron)
    calendars_tasks.register(
        registry,
        services.calendars,
        followers={
            "declarations": services.declarations.recompute_deadlines,
            "tickets": services.reviews.recompute_deadlines,
            "hotline": services.hotline.recompute_deadlines,
        },
    )
    declarations_tasks.register(registry, services.declarations)
    figures_tasks.register(registry, services.figures)
    halls_tasks.register(registry, services.halls)
    licences_tasks.register(registry, services.licences)
    push_tasks.register(registry, services.push, services.infra.pool)
    reviews_tasks.register(registry, services.reviews)
    queue_tasks.register(registry, services.queue)
    hotline_tasks.register(registry, services.hotline)
    delivery_tasks.register(registry, services.delivery)
    bundles_tasks.register(registry, services.bundles)
    payments_tasks.register(
        registry, services.payments, services.infra.pool, settings.wechatpay.reconcile_cron
    )
    supervision_tasks.register(registry, services.supervision, settings.supervision.cards_cron)
    idempotency.register(registry, services.infra.pool)
    return registry


@contextlib.asynccontextmanager
async def open_api_services(
    settings: Settings, *, name: str, clock: Clock = SYSTEM_CLOCK, redis: Redis | None = None
) -> AsyncIterator[dict[str, object]]:
    """What the API provides by name: every domain's service, and the ops console's, which
    describes and revives dead letters through the jobs as the worker runs them."""
    async with open_services(settings, name=name, clock=clock, redis=redis) as services:
        jobs = build_registry(services)
        async with ops_deps.build(services.infra, jobs=jobs) as ops:
            yield services.by_key() | {JOBS_KEY: jobs, ops_deps.KEY: ops}


__all__ = ["Services", "build_registry", "dependencies", "open_api_services", "open_services"]
