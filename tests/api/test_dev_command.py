"""`handheld dev` from nothing: embedded servers, stand-ins, migrations, API, worker, demo data;
a signal stops every child; a second run reuses the data.

Stopping leaves nothing behind: SIGTERM, SIGINT or SIGHUP, once running or in the middle of
starting; and killed outright (SIGKILL, no cleanup of ours at all), its children are stopped by
the kernel's parent-death signal."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from core.embedded import free_port
from core.migrate import discover

PROJECT_ENV_PREFIX = "HANDHELD_"
# Not a timing target: the whole system starting on a machine busy with other test runs.
SLOW_START = pytest.mark.timeout(900)


def _dev_port() -> int:
    """Below the ephemeral range, with the offsets ``handheld dev`` adds (up to + 432) below it
    too: a port there can become the local end of an outgoing connection (the dev command's
    own, to its database) before it is bound."""
    return free_port(room_above=500)


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
    _no_survivor(children)
    return output


def _no_survivor(children: list[psutil.Process]) -> None:
    # Generous: a server's own shutdown, on a busy machine; the point is that none stays.
    _, alive = psutil.wait_procs(children, timeout=30)
    try:
        assert not alive, f"left running: {[(p.pid, _name(p)) for p in alive]}"
    finally:
        for survivor in alive:  # never leave them to the next test
            with contextlib.suppress(psutil.NoSuchProcess):
                survivor.kill()


def _name(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline()[:4])
    except psutil.Error:
        return "?"


def _descendants(process: subprocess.Popen[str]) -> list[psutil.Process]:
    try:
        return psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _data_dir() -> Iterator[Path]:
    # Not under pytest's own temporary root: a concurrent pytest session makes that 0700 again,
    # and the embedded PostgreSQL runs as a user of its own who must reach its directory.
    with tempfile.TemporaryDirectory(prefix="handheld-dev-") as tmp:
        yield Path(tmp) / "data"


@pytest.fixture
def data_dir() -> Iterator[Path]:
    yield from _data_dir()


@SLOW_START
def test_dev_stops_on_sighup_leaving_no_child(data_dir: Path) -> None:
    """What a closed terminal sends (SIGINT and SIGTERM: the test above): everything stops,
    the embedded PostgreSQL and Valkey included."""
    process = _start(data_dir, _dev_port())
    try:
        _read_until(process, "service items synced", timeout=400)
        output = _stop(process, signal.SIGHUP)
        assert "handheld dev: stopped" in output
    finally:
        if process.poll() is None:
            process.kill()


@SLOW_START
def test_dev_stopped_while_starting_leaves_no_child(data_dir: Path) -> None:
    """SIGTERM while the embedded PostgreSQL is still starting: it is stopped too."""
    process = _start(data_dir, _dev_port())
    seen: list[psutil.Process] = []
    try:
        while process.poll() is None and not any("postgres" in _name(p) for p in seen):
            seen = _descendants(process)
            time.sleep(0.02)
        assert any("postgres" in _name(p) for p in seen), "PostgreSQL never started"
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
        assert "handheld dev: stopped" in output
        _no_survivor(seen + _descendants(process))
    finally:
        if process.poll() is None:
            process.kill()


@SLOW_START
def test_dev_killed_outright_leaves_no_child(data_dir: Path) -> None:
    """SIGKILL runs no cleanup of ours: the kernel sends each child its stop signal."""
    process = _start(data_dir, _dev_port())
    try:
        _read_until(process, "service items synced", timeout=400)
        children = _descendants(process)
        assert len(children) >= 4
        process.kill()
        process.wait()
        _no_survivor(children)
    finally:
        if process.poll() is None:
            process.kill()


@SLOW_START
def test_dev_runs_everything_and_stops_cleanly(data_dir: Path) -> None:
    port = _dev_port()
    # Something else already listens where WeChat Pay's stand-in would go (the API's port + 105):
    # it serves on a free port instead, and the API is pointed there.
    squatter = socket.socket()
    squatter.bind(("127.0.0.1", port + 105))
    squatter.listen()
    first = _start(data_dir, port)
    try:
        banner = _read_until(first, "service items synced", timeout=400)
        assert f"migrations applied: {len(discover())}" in banner
        assert f"http://127.0.0.1:{port}/schema/swagger" in banner
        # The 12345 hotline stand-in is up beside the others.
        hotline = re.search(r"12345 hotline\S*\s+(http://127\.0\.0\.1:\d+)", banner)
        assert hotline, banner
        with urllib.request.urlopen(f"{hotline.group(1)}/healthz") as resp:
            assert json.load(resp) == {"status": "ok"}
        wechatpay = re.search(r"WeChat Pay\S*\s+(http://127\.0\.0\.1:(\d+))", banner)
        assert wechatpay, banner
        assert int(wechatpay.group(2)) != port + 105
        with urllib.request.urlopen(f"{wechatpay.group(1)}/healthz") as resp:
            assert resp.status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/items?pageSize=50") as resp:
            items = json.load(resp)
        assert items["total"] >= 30
        detail = items["items"][0]["code"]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/items/{detail}") as resp:
            assert json.load(resp)["guide"]["materials"]
        output = _stop(first, signal.SIGINT)
        assert "handheld dev: stopped" in output
    finally:
        squatter.close()
        if first.poll() is None:
            first.kill()

    second = _start(data_dir, port)
    try:
        banner = _read_until(second, "service items synced", timeout=400)
        assert "migrations applied: 0" in banner  # the same database, kept in the data dir
        _stop(second, signal.SIGTERM)
    finally:
        if second.poll() is None:
            second.kill()
