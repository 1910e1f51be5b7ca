"""How the working-calendar service of a process is built and provided."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.calendars.service import Calendars
from core.di import from_state
from core.infra import Infrastructure

KEY = "calendars"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(infra: Infrastructure) -> AsyncIterator[Calendars]:
    calendars = Calendars(infra.pool)
    await calendars.start()
    try:
        yield calendars
    finally:
        await calendars.stop()
