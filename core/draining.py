"""An API process asked to stop drains first: readiness turns 503 at once, requests are still
served for ``drain_s`` (the load balancer's readiness probe notices and stops sending), and only
then does the server's own graceful shutdown run (uvicorn: stop accepting, finish the requests
in flight within its graceful timeout, lifespan shutdown).

The hook wraps the handler the server installed for SIGTERM, from inside the application's
lifespan (which every server process runs, one or each of ``--workers N``), so nothing depends
on how the server was started. SIGHUP (a closed terminal) is treated like SIGTERM. A second stop
signal skips what is left of the drain; the server's own handling of further signals (uvicorn:
a second Ctrl-C forces the exit) is kept.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class Drain:
    """Whether this process has been asked to stop (readiness answers 503 from then on)."""

    def __init__(self) -> None:
        self.since: float | None = None

    @property
    def draining(self) -> bool:
        return self.since is not None

    def begin(self) -> None:
        if self.since is None:
            self.since = time.monotonic()


def drain_on_stop_signals(drain: Drain, drain_s: float) -> Callable[[], None]:
    """Hook the stop signals of a server running in this (main) thread; returns the undo.

    Nothing is hooked where no server handles SIGTERM (an app driven in process by a test)."""
    exit_handler: Any = signal.getsignal(signal.SIGTERM)
    if threading.current_thread() is not threading.main_thread() or not callable(exit_handler):
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    handlers: dict[int, Any] = {
        sig: h if callable(h) else exit_handler for sig, h in previous.items()
    }
    fired: list[int] = []

    def stop_now(sig: int) -> None:
        if not fired:
            fired.append(sig)
            handlers[sig](sig, None)

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        # A Python signal handler runs between two bytecodes of the loop's own thread: only
        # call_soon_threadsafe may touch the loop from here.
        if drain.draining:
            if fired:
                handlers[signum](signum, None)  # the server's own escalation
            else:
                loop.call_soon_threadsafe(stop_now, signum)
            return
        drain.begin()
        loop.call_soon_threadsafe(loop.call_later, drain_s, stop_now, signum)

    for sig in STOP_SIGNALS:
        signal.signal(sig, on_signal)

    def undo() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)

    return undo
