from __future__ import annotations

from core.errors import NotFound


class ItemNotFound(NotFound, code="ITEM_NOT_FOUND"): ...
