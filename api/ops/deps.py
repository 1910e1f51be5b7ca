"""How the ops console's service of a process is built and provided (``ops``).

Only the API builds it (the worker runs the jobs; it does not describe them to staff): the
composition root hands it the job registry it built from every domain's service.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from api.ops.service import OpsService
from core.di import from_state
from core.infra import Infrastructure
from core.jobs import JobRegistry

KEY = "ops"
DEPENDENCIES = from_state(KEY)


@contextlib.asynccontextmanager
async def build(infra: Infrastructure, *, jobs: JobRegistry) -> AsyncIterator[OpsService]:
    del infra  # nothing of its own: the queue's tables are read on the request's connection
    yield OpsService(jobs=jobs)
