"""The bench harness stopped from outside leaves no process behind: SIGTERM (CI cancelling a
job, a container stopping) runs its cleanup, and even SIGKILL, which runs none, takes its
PostgreSQL, Valkey, stand-ins and servers down with it (their parent-death signal)."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]

# A bench in miniature: the harness's stack and one server of its own, then a long wait.
BENCH = """
import sys, time
from bench.harness import server, stack
from core.embedded import free_port

with stack() as s:
    port = free_port()
    with server([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", str(port)], s.env,
                port):
        print("READY", s.env["HANDHELD_AUTH_KEYS_DIR"], flush=True)
        time.sleep(600)
"""


def _bench() -> tuple[subprocess.Popen[str], Path]:
    process = subprocess.Popen(
        [sys.executable, "-c", BENCH], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until the stack is up (or the bench died)
    assert line.startswith("READY"), f"the bench did not start: {line!r}"
    return process, Path(line.split()[1]).parent


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL], ids=str)
def test_bench_harness_stopped_leaves_no_child(sig: int) -> None:
    process, directory = _bench()
    children: list[psutil.Process] = []
    try:
        children = psutil.Process(process.pid).children(recursive=True)
        names = " ".join(" ".join(c.cmdline()) for c in children)
        assert "postgres" in names and "valkey" in names and "sandbox" in names, names
        assert "http.server" in names, names
        process.send_signal(sig)
        process.wait(timeout=120)
        _, alive = psutil.wait_procs(children, timeout=60)
        assert not alive, f"left running: {[p.pid for p in alive]}"
        if sig != signal.SIGKILL:  # its cleanup ran: the throwaway directory is gone too
            assert not directory.exists()
    finally:
        for child in children:
            with contextlib.suppress(psutil.NoSuchProcess):
                child.kill()
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(directory, ignore_errors=True)
