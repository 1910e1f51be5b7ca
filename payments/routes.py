"""Route handlers of the payments domain, mounted by the API's composition root."""

from __future__ import annotations

from litestar.types import ControllerRouterHandler


def payment_route_handlers() -> list[ControllerRouterHandler]:
    # Orders, WeChat Pay notifications and receipts arrive with the payments issue.
    return []
