"""The access log as shipped: `handheld serve` writes a JSON line per request to stderr, off the
request path, and loses none when it is stopped."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator

import httpx
import pytest

from core.embedded import wait_for_port
from core.settings import Settings
from tests.fixtures.settings import settings_env

REQUESTS = 1000


@pytest.fixture
def api_process(settings: Settings, api_port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`handheld serve` as its own process, its stderr a pipe nobody reads until the test
    says so (as when a log shipper stalls)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDHELD_")}
    env |= settings_env(settings) | {"HANDHELD_LOG_JSON": "true", "HANDHELD_LOG_LEVEL": "INFO"}
    process = subprocess.Popen(
        [sys.executable, "-m", "api.cli", "serve", "--port", str(api_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()


def test_every_access_line_is_written_and_a_stalled_reader_stalls_no_request(
    api_process: subprocess.Popen[bytes], api_port: int
) -> None:
    """More lines than a pipe holds (64 KiB) go out while nobody reads stderr: requests are
    answered all the same (the lines wait for the writer thread, which waits for the pipe);
    then the reader comes back, SIGTERM stops the server, and every request has its line."""
    wait_for_port("127.0.0.1", api_port, 60, api_process)
    sent: dict[str, tuple[str, int]] = {}
    # A hung request would be the event loop blocked on a full stderr: it fails, not hangs.
    with httpx.Client(base_url=f"http://127.0.0.1:{api_port}", timeout=30) as client:
        for n in range(REQUESTS):
            request_id = f"access-log-{n:06d}"
            path = "/healthz" if n % 2 else f"/no-such-page/13812345{n:03d}"
            response = client.get(path, headers={"X-Request-ID": request_id})
            sent[request_id] = (path, response.status_code)
    assert {status for _, status in sent.values()} == {200, 404}

    assert api_process.stderr is not None
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(api_process.stderr.read()))  # type: ignore[union-attr]
    reader.start()
    api_process.send_signal(signal.SIGTERM)
    # uvicorn shuts down gracefully, then ends by the signal it was sent.
    assert api_process.wait(60) in (0, -signal.SIGTERM)
    reader.join(60)

    lines = [json.loads(raw) for raw in output[0].splitlines()]
    # To the very last line, written after the server has shut down.
    assert lines[-1]["msg"].startswith("Finished server process"), lines[-3:]
    logged = {}
    for entry in lines:
        if entry["logger"] == "handheld.access":
            logged[entry.get("request_id")] = entry
    for request_id, (path, status) in sent.items():
        entry = logged[request_id]
        assert entry["status"] == status
        assert entry["method"] == "GET"
        assert entry["level"] == "info" and entry["msg"] == "request"
        assert isinstance(entry["duration_ms"], float)
        # Personal data masked as in every line: the phone number in the path.
        masked = path if path == "/healthz" else "/no-such-page/138****5" + path[-3:]
        assert entry["path"] == masked
