"""Child processes that never outlive the process that started them.

Three layers, each covering what the one before cannot:

* ``exit_on_signals``: SIGTERM, SIGINT and SIGHUP (what a container runtime, systemd, CI, a
  terminal's Ctrl-C and a closed terminal send) raise ``Stopped`` in the main thread, so the
  ordinary ``finally``/``with`` cleanup runs, as it does for Ctrl-C;
* ``stop_group``: a child started in a process group of its own (``process_group=0``) is asked
  to stop with its own stop signal, waited for, and then whatever is left of its group (its
  own children: uvicorn's worker processes, a multiprocessing helper) is killed;
* ``die_with_parent``: a ``preexec_fn`` setting Linux's parent-death signal
  (``PR_SET_PDEATHSIG``), so the child is sent its stop signal by the kernel when we die even
  from SIGKILL, which runs no cleanup at all. The signal fires when the *thread* that started
  the child ends, so it is set only for children started from the main thread; a child started
  from a worker thread (a test restarting a server in ``asyncio.to_thread``) is stopped by its
  owner as before;
* ``exit_when_orphaned``: for a pool's helper process (``ProcessPoolExecutor``'s
  ``initializer``), which is started by whichever thread first submits work, so neither
  signal above reaches it when its parent is SIGKILLed: it watches its parent and exits.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import FrameType

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
_PR_SET_PDEATHSIG = 1

_libc: ctypes.CDLL | None = None
if sys.platform == "linux":  # pragma: no branch - the product runs on Linux
    # Loaded here, once: the preexec_fn runs between fork and exec, where it must do as
    # little as possible (no imports, no allocation worth the name).
    _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None] | None:
    """A ``preexec_fn`` giving the child ``sig`` when this process (precisely: the calling
    thread) dies, however it dies. None where that cannot hold: off Linux, or off the main
    thread (whose end is the process's end)."""
    if _libc is None or threading.current_thread() is not threading.main_thread():
        return None
    libc, parent = _libc, os.getpid()

    def preexec() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        # We may have died between fork and prctl: then nobody will send the signal.
        if os.getppid() != parent:
            os.kill(os.getpid(), int(sig))

    return preexec


def exit_when_orphaned(parent: int, every_s: float = 1.0) -> None:
    """A pool child's ``initializer``: exit once ``parent`` is no longer our parent (it died,
    however it died, and we were handed to init)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-when-orphaned", daemon=True).start()


def stop_group(
    process: subprocess.Popen[bytes], sig: int = signal.SIGTERM, timeout: float = 15
) -> None:
    """Stop ``process`` (the leader of its own process group) with ``sig``, SIGKILL it after
    ``timeout``, then SIGKILL anything its group still holds."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(sig)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # The group outlives its leader while a member runs; none is ours to keep.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class Stopped(BaseException):
    """A stop signal arrived: unwinds the main thread like KeyboardInterrupt does."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)


def _raise_stopped(signum: int, _frame: FrameType | None) -> None:
    # Once: cleanup that follows is not interrupted by a second signal (it is bounded by
    # its own timeouts, and the parent-death signal covers our being killed meanwhile).
    for sig in STOP_SIGNALS:
        signal.signal(sig, signal.SIG_IGN)
    raise Stopped(signum)


@contextlib.contextmanager
def exit_on_signals() -> Iterator[None]:
    """While the block runs, a stop signal raises ``Stopped`` in the main thread; once raised,
    further stop signals are ignored until the block has been left (its cleanup done)."""
    previous = {sig: signal.signal(sig, _raise_stopped) for sig in STOP_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
