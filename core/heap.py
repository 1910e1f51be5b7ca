"""The long-lived heap of a server process, out of the cyclic garbage collector's way."""

from __future__ import annotations

import gc

# Container objects allocated (net of those freed) before the youngest generation is
# collected; CPython's default is 700. A request allocates a few hundred and frees nearly all
# of them by reference counting, so at 700 the collector ran every few requests, each time
# walking every object of the requests then in flight, and its middle and oldest generations
# followed (10 collections each): 14 us of the my-declarations list's ~550 us, and a 19 ms
# stall inside whichever request set off a full collection (measured with gc.callbacks under
# bench/declarations.py's load). At 20,000 the walks are as long and ~30 times rarer; the
# cyclic garbage they find (a few exceptions' tracebacks) waits a little longer.
YOUNG_GENERATION_THRESHOLD = 20_000


def settle_heap_for_serving() -> None:
    """Moves every object alive now (modules, classes, the application with its routes and
    signature models, the services: a few hundred thousand) out of the cyclic collector's
    reach, and makes its young collections rarer (``YOUNG_GENERATION_THRESHOLD``).

    The frozen objects live as long as the process, and each full collection walked them all
    again: a quarter of the worker's CPU during a notice's fan-out, and a pause of its own
    inside whichever request set a collection off in the API (gc.freeze, as the gc module's
    documentation suggests for long-lived heaps)."""
    gc.collect()
    gc.freeze()
    _, middle, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_GENERATION_THRESHOLD, middle, oldest)
