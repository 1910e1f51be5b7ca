"""Liveness, readiness and metrics."""

from __future__ import annotations

import asyncio

import asyncpg
import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from redis.asyncio import Redis

from api.calendars.service import Calendars
from core.draining import Drain
from core.infra import Infrastructure
from core.openapi import problem_responses


class HealthStatus(msgspec.Struct, kw_only=True):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


class HealthController(Controller):
    tags = ["system"]  # noqa: RUF012 - Litestar reads a list
    include_in_schema = True

    @get("/healthz", summary="Liveness: the process answers")
    async def healthz(self) -> HealthStatus:
        return HealthStatus(status="ok")

    @get(
        "/readyz",
        summary="Readiness: PostgreSQL and Redis reachable and the process not stopping; a "
        "warning (still ready) when the working-day calendar lacks this year's or, from "
        "1 December, next year's notice",
        responses=problem_responses(503),
    )
    async def readyz(
        self,
        infra: NamedDependency[Infrastructure],
        calendars: NamedDependency[Calendars],
        state: State,
    ) -> Response[HealthStatus]:
        drain: Drain | None = state.get("drain")
        if drain is not None and drain.draining:
            # Asked to stop (rolling update): still serving, but send nothing new here.
            return Response(HealthStatus(status="draining"), status_code=503)
        checks = dict(
            zip(
                ("postgres", "redis"),
                await asyncio.gather(_check_postgres(infra.pool), _check_redis(infra.redis)),
                strict=True,
            )
        )
        ready = all(v == "ok" for v in checks.values())
        # A warning, not unreadiness: deadlines are still computed (provisionally).
        checks["calendar"] = await _check_calendar(calendars) if ready else "unknown"
        return Response(
            HealthStatus(status="ok" if ready else "unavailable", checks=checks),
            status_code=200 if ready else 503,
        )


async def _check_postgres(pool: asyncpg.Pool) -> str:
    try:
        async with asyncio.timeout(2):
            await pool.fetchval("SELECT 1")
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means not ready
        return type(exc).__name__


async def _check_calendar(calendars: Calendars) -> str:
    try:
        async with asyncio.timeout(2):
            await calendars.current()
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__
    return calendars.warning() or "ok"


async def _check_redis(redis: Redis) -> str:
    try:
        async with asyncio.timeout(2):
            await redis.ping()
        return "ok"
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__


__all__ = ["HealthController"]
