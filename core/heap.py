"""The long-lived heap of a server process, out of the cyclic garbage collector's way."""

from __future__ import annotations

import gc


def freeze_startup_heap() -> None:
    """Moves every object alive now (modules, classes, the application with its routes and
    signature models, the services: a few hundred thousand) out of the cyclic collector's
    reach. They live as long as the process, and each full collection walked them all again:
    a quarter of the worker's CPU during a notice's fan-out, and a pause of its own inside
    whichever request set a collection off in the API (gc.freeze, as the gc module's
    documentation suggests for long-lived heaps)."""
    gc.collect()
    gc.freeze()
