"""Synchronous dependencies are resolved one after another, never each in a task."""

from __future__ import annotations

import asyncio

from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.routes import HTTPRoute
from litestar.testing import AsyncTestClient

from api.app import create_app
from core.di import resolve_synchronous_dependencies_in_order
from core.settings import Settings


def _batches(app: Litestar) -> list[list[tuple[str, bool]]]:
    return [
        [(d.key, d.provide.has_sync_callable) for d in batch]
        for route in app.routes
        if isinstance(route, HTTPRoute)
        for _handler, kwargs_model in route.route_handler_map.values()
        for batch in kwargs_model.dependency_batches
    ]


def test_no_batch_of_ours_puts_a_synchronous_dependency_in_a_task(settings: Settings) -> None:
    batches = _batches(create_app(settings, configure_logs=False))
    assert any(len(batch) == 1 and batch[0][0] == "citizen" for batch in batches)
    crowded = [batch for batch in batches if len(batch) > 1]
    assert all(not synchronous for batch in crowded for _key, synchronous in batch), crowded


async def test_values_and_order_are_kept_and_no_task_is_spawned() -> None:
    tasks_seen: list[int] = []

    def first() -> int:
        tasks_seen.append(len(asyncio.all_tasks()))
        return 1

    def second() -> int:
        tasks_seen.append(len(asyncio.all_tasks()))
        return 2

    def both(first: NamedDependency[int], second: NamedDependency[int]) -> int:
        return first * 10 + second

    @get("/", sync_to_thread=False)
    def handler(
        first: NamedDependency[int], second: NamedDependency[int], both: NamedDependency[int]
    ) -> dict[str, int]:
        return {"first": first, "second": second, "both": both}

    def build() -> Litestar:
        return Litestar(
            [handler],
            dependencies={
                "first": Provide(first, sync_to_thread=False),
                "second": Provide(second, sync_to_thread=False),
                "both": Provide(both, sync_to_thread=False),
            },
        )

    plain, ordered = build(), build()
    resolve_synchronous_dependencies_in_order(ordered)
    for app in (plain, ordered):
        async with AsyncTestClient(app) as client:
            assert (await client.get("/")).json() == {"first": 1, "second": 2, "both": 12}
    plain_tasks, ordered_tasks = tasks_seen[:2], tasks_seen[2:]
    # Litestar alone runs the two independent ones in tasks of their own; in order, none.
    assert min(plain_tasks) > max(ordered_tasks)
