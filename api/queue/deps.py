"""How the queue-number service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from litestar.channels.backends.redis import RedisChannelsPubSubBackend

from api.queue.service import Bookings, QueueService
from api.reviews.service import ReviewsService
from core.clients.hallqueue import HallQueueClient
from core.di import from_state
from core.infra import Infrastructure
from push.service import PushService

KEY = "queue"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    bookings: Bookings,
    reviews: ReviewsService,
    push: PushService,
) -> AsyncIterator[QueueService]:
    """``bookings``: the halls domain's appointments, as the queue asks them."""
    settings = infra.settings
    yield QueueService(
        pool=infra.pool,
        settings=settings.hallqueue,
        system=HallQueueClient(infra.http, settings.hallqueue, settings.http),
        bookings=bookings,
        reviews=reviews,
        push=push,
        live=RedisChannelsPubSubBackend(redis=infra.redis),
        clock=infra.clock,
    )
