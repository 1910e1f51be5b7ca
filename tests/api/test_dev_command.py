"""`handheld dev` from nothing: embedded servers, stand-ins, migrations, API, worker, demo data;
a signal stops every child; a second run reuses the data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from core.embedded import free_port
from core.migrate import discover

PROJECT_ENV_PREFIX = "HANDHELD_"


def _start(data_dir: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(PROJECT_ENV_PREFIX)}
    return subprocess.Popen(
        [sys.executable, "-m", "api.cli", "dev", "--port", str(port), "--data-dir", str(data_dir)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line and process.poll() is not None:
            break
        seen.append(line)
        if marker in line:
            return "".join(seen)
    raise AssertionError(f"{marker!r} not printed in {timeout}s:\n{''.join(seen)}")


def _stop(process: subprocess.Popen[str], sig: int) -> str:
    children = psutil.Process(process.pid).children(recursive=True)
    assert len(children) >= 4  # sandbox, api, worker, postgres, valkey (and their own children)
    process.send_signal(sig)
    output, _ = process.communicate(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive, f"left running: {[p.info for p in alive]}"
    return output


def test_dev_runs_everything_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    data_dir = tmp_path / "data"
    first = _start(data_dir, port)
    try:
        banner = _read_until(first, "service items synced", timeout=90)
        assert f"migrations applied: {len(discover())}" in banner
        assert f"http://127.0.0.1:{port}/schema/swagger" in banner
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/items?pageSize=50") as resp:
            items = json.load(resp)
        assert items["total"] >= 30
        detail = items["items"][0]["code"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/items/{detail}") as resp:
            assert json.load(resp)["guide"]["materials"]
        output = _stop(first, signal.SIGINT)
        assert "handheld dev: stopped" in output
    finally:
        if first.poll() is None:
            first.kill()

    second = _start(data_dir, port)
    try:
        banner = _read_until(second, "service items synced", timeout=90)
        assert "migrations applied: 0" in banner  # the same database, kept in the data dir
        _stop(second, signal.SIGTERM)
    finally:
        if second.poll() is None:
            second.kill()
