"""How a domain's service reaches a handler: by name, through Litestar's dependency injection.

The composition root puts each domain's service on ``app.state`` under the domain's key; a
handler names the key as a parameter (``declarations: DeclarationsService``) and gets it.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request
from litestar._kwargs.dependencies import DependencyContainer
from litestar.di import Provide
from litestar.routes import HTTPRoute


def from_state(key: str) -> dict[str, Provide]:
    """The dependency ``key``: the object the composition root stored at ``app.state[key]``.

    Synchronous, and its one parameter is the request, so resolving it costs a dict lookup and
    never a thread or a task. Not ``state: State``: Litestar hands that over as the bare dict
    and the signature model wraps it in a new ``State`` through a decoding hook, each request,
    for each service the handler names."""

    def provide(request: Request[Any, Any, Any]) -> Any:
        return request.app.state[key]

    return {key: Provide(provide, sync_to_thread=False)}


def resolve_synchronous_dependencies_in_order(app: Litestar) -> None:
    """Resolve each handler's synchronous dependencies one after another, not in tasks.

    Litestar resolves a batch of independent dependencies concurrently, each in a task of an
    anyio task group, whenever the batch has more than one (litestar-org/litestar#4563, open:
    a second flat dependency costs a third of a trivial endpoint's throughput). Our services
    and principals are synchronous (a dict lookup, a token check): a task buys nothing and
    costs more than the lookup. Within a batch the dependencies are independent, so the
    synchronous ones are split into one-dependency batches (which Litestar awaits directly)
    and only the asynchronous ones stay together. Called once, after the routes exist."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for _handler, kwargs_model in route.route_handler_map.values():
            kwargs_model.dependency_batches = _in_order(kwargs_model.dependency_batches)


def _in_order(batches: list[set[DependencyContainer]]) -> list[set[DependencyContainer]]:
    ordered: list[set[DependencyContainer]] = []
    for batch in batches:
        synchronous = sorted((d for d in batch if d.provide.has_sync_callable), key=lambda d: d.key)
        ordered.extend({dependency} for dependency in synchronous)
        if rest := batch.difference(synchronous):
            ordered.append(rest)
    return ordered


__all__ = ["from_state", "resolve_synchronous_dependencies_in_order"]
