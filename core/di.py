"""How a domain's service reaches a handler: by name, through Litestar's dependency injection.

The composition root puts each domain's service on ``app.state`` under the domain's key; a
handler names the key as a parameter (``declarations: DeclarationsService``) and gets it.
"""

from __future__ import annotations

from typing import Any

from litestar.datastructures import State
from litestar.di import Provide


def from_state(key: str) -> dict[str, Provide]:
    """The dependency ``key``: the object the composition root stored at ``app.state[key]``.

    Synchronous and without parameters but ``state``, so resolving it costs a dict lookup and
    never a thread or a task."""

    def provide(state: State) -> Any:
        return state[key]

    return {key: Provide(provide, sync_to_thread=False)}


__all__ = ["from_state"]
