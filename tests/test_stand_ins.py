"""The stand-ins start once per test run and only for the tests that request them; each test
still finds them new.

A pytest run of its own (``--setup-show``) runs three probes: one that needs no stand-in, then
two that request the SMS gateway; the probes exist only in that run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from core.settings import Settings
from sandbox.runner import RunningApp
from tests.fixtures.standins import STAND_INS, Tripwire

PROBING = os.environ.get("HANDHELD_STAND_IN_PROBES") == "1"
SETUP = re.compile(r"^\s*SETUP\s+([SF])\s+(\w+)")

if PROBING:

    def test_probe_needs_no_stand_in(settings: Settings, tripwire: Tripwire) -> None:
        for name in STAND_INS:
            assert getattr(settings, name).base_url == tripwire.url(name)

    async def test_probe_uses_the_sms_gateway(settings: Settings, sms: RunningApp) -> None:
        assert settings.sms.base_url == sms.url
        assert settings.wechat.base_url != sms.url
        async with aiohttp.ClientSession() as http:
            clock = await http.post(f"{sms.url}/_control/clock", json={"offsetSeconds": 3600})
            assert (await clock.json())["offsetSeconds"] == 3600

    async def test_probe_finds_the_sms_gateway_new(settings: Settings, sms: RunningApp) -> None:
        async with aiohttp.ClientSession() as http, http.get(f"{sms.url}/_control/clock") as r:
            assert (await r.json())["offsetSeconds"] == 0


def _setups(output: str) -> list[tuple[str, str]]:
    """(test, fixture) of every fixture set up, in order; session ones under the first test."""
    setups: list[tuple[str, str]] = []
    test = ""
    for line in output.splitlines():
        if "::test_probe_" in line:
            test = line.split("::")[1].split()[0]
        elif match := SETUP.match(line):
            setups.append((test, match.group(2)))
    return setups


@pytest.mark.skipif(PROBING, reason="the probing run itself")
def test_stand_ins_start_once_and_only_for_the_tests_that_request_them(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider"]
    command += ["-p", "no:hypothesispytest", "-p", "no:faker", "-p", "no:schemathesis"]  # speed
    run = subprocess.run(
        [*command, "--setup-show", "-v", "--basetemp", str(tmp_path / "run"), __file__],
        env={**os.environ, "HANDHELD_STAND_IN_PROBES": "1"},
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
        timeout=170,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "3 passed" in run.stdout, run.stdout
    setups = _setups(run.stdout)
    started = [(test, f) for test, f in setups if f.endswith("_server")]
    # The session's SMS gateway, started for the first test that requests it, and nothing else.
    assert started == [("test_probe_uses_the_sms_gateway", "sms_server")], run.stdout
    # Reset for each of the two (the second found it new: its probe passed).
    assert [t for t, f in setups if f == "sms"] == [
        "test_probe_uses_the_sms_gateway",
        "test_probe_finds_the_sms_gateway_new",
    ]
    assert not [f for t, f in setups if t == "test_probe_needs_no_stand_in" and f in STAND_INS]
