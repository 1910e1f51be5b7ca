"""How the figures service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.declarations.service import DeclarationsService
from api.figures.service import FiguresService
from api.reviews.service import ReviewsService
from core.di import from_state
from core.infra import Infrastructure
from payments.service import PaymentsService
from push.service import PushService

KEY = "figures"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure,
    *,
    declarations: DeclarationsService,
    reviews: ReviewsService,
    payments: PaymentsService,
    push: PushService,
) -> AsyncIterator[FiguresService]:
    yield FiguresService(
        pool=infra.pool,
        declarations=declarations,
        reviews=reviews,
        payments=payments,
        push=push,
        clock=infra.clock,
    )
