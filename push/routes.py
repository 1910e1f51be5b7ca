"""Route handlers of the push domain, mounted by the API's composition root."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler


def push_route_handlers() -> list[ControllerRouterHandler]:
    # The inbox, preferences and notices endpoints arrive with the push issue.
    return []
