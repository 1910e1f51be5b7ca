"""schemathesis over the whole OpenAPI schema, against a real server, with every check, as three
identities: anonymous, a signed-in citizen and a staff session.

The published contract must be what the server does: no 5xx; no status, body, media type or
header the schema does not document; no schema-valid body refused with 422; no schema-invalid
one accepted; an ``Allow`` listing the path's methods; an authenticated operation refusing a
request without its token. The stateful phase follows the schema's links (and those schemathesis
infers) from real answers: an item of the catalogue to a draft declaration for it, then reading
it, saving its form, its materials... so real services are reached, not only 404s.

``HANDHELD_SCHEMATHESIS_EXAMPLES`` (test cases per operation and phase) and
``HANDHELD_SCHEMATHESIS_IDENTITY`` (one of the three) narrow a run while working on it.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import httpx
import pytest

from api.composition import open_services
from core.openapi import CITIZEN_SCHEME, STAFF_SCHEME
from core.settings import Settings
from tests.fixtures.servers import running_server

ST = Path(sys.executable).with_name("st")
ROOT = Path(__file__).resolve().parent.parent


# Every check but one: `unsupported_method` sends each path a method it does not serve and
# expects 405 with an `Allow` header; Litestar 2's router answers 405 before any route is
# matched and without `Allow` (litestar-org/litestar#4277, fixed in v3), the same for every
# path, so the check would report the framework's router, not our contract. What a path does
# serve is checked by `allow_header_conformance` (kept) on every path's OPTIONS answer.
EXCLUDED_CHECKS = "unsupported_method"

# A business refusal of well-formed data (a wrong SMS code, a forged display code, an expired
# one, a locked staff account, a file too large or not what its name says) is a 4xx with its
# own stable code; only 422 says the body is not what the schema promises, and stays a failure.
# The live inbox (SSE) never ends by itself: one event is enough to check what it sends.
CONFIG = """
max-stream-events = 1
request-timeout = 10

# The stateful phase chains real services (an item → a draft → its form, materials...): it
# sends well-formed requests only (the other phases send malformed ones) and goes deeper.
[phases.stateful]
max-steps = 12

[phases.stateful.generation]
mode = "positive"
max-examples = 60

[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "400", "401", "403", "404", "409", "410", "413", "415", "423",
                     "429", "5xx"]
"""


@dataclass
class Identity:
    name: str
    auth: str = ""  # config lines giving the token of a security scheme
    # Operations left out: logging out would end the very session the rest of the run tests
    # with (the anonymous run covers them), and another identity's operations.
    selection: list[str] = field(default_factory=list)
    # Operations that must answer the identity at least once with a 2xx: its token stayed
    # valid all along and the stateful links led to real resources.
    reached: tuple[str, ...] = ()


@dataclass
class Run:
    code: int
    output: str
    answers: Counter[tuple[str, int]]  # ("METHOD /path/{template}", status) → count

    def summary(self) -> str:
        """The run's closing summary (operations, phases, test cases) and its links covered."""
        lines = self.output.splitlines()
        start = next((i for i, line in enumerate(lines) if " SUMMARY " in line), len(lines))
        links = [line for line in lines if "API Links:" in line]
        return "\n".join([*links, *lines[start:]])


def _answers(report: Path) -> Counter[tuple[str, int]]:
    answers: Counter[tuple[str, int]] = Counter()
    for line in report.read_text().splitlines():
        event = json.loads(line)
        recorder = event.get("ScenarioFinished", {}).get("recorder", {})
        cases = recorder.get("cases", {})
        for case_id, interaction in recorder.get("interactions", {}).items():
            case, response = cases.get(case_id, {}).get("value"), interaction.get("response")
            if case and response:
                label = f"{case['method']} {case['path']}"
                answers[label, response["status_code"]] += 1
    return answers


async def run_schemathesis(base: str, directory: Path, identity: Identity) -> Run:
    config = directory / f"{identity.name}.toml"
    config.write_text(CONFIG + identity.auth)
    report = directory / f"{identity.name}.ndjson"
    args = [
        str(ST), "--config-file", str(config), "run", f"{base}/schema/openapi.json",
        "--checks", "all", "--exclude-checks", EXCLUDED_CHECKS,
        "--max-examples", os.environ.get("HANDHELD_SCHEMATHESIS_EXAMPLES", "20"),
        "--seed", "20261122", "--workers", "1", "--no-color",
        "--generation-database", "none",
        "--report", "ndjson", "--report-ndjson-path", str(report),
        *identity.selection,
    ]  # fmt: skip
    # Fresh Idempotency-Keys (tests/schemathesis_hooks.py), importable from the repository.
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.schemathesis_hooks",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    process = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        cwd=directory,
        env=env,
    )
    output, _ = await process.communicate()
    return Run(process.returncode or 0, output.decode(), _answers(report))


async def _citizen_token(settings: Settings, client: httpx.AsyncClient) -> str:
    from tests.fixtures.identity import Outside, sso, user

    async with aiohttp.ClientSession() as session:
        outside = Outside(
            session, settings.provincial.base_url, settings.wechat.base_url, settings.sms.base_url
        )
        answer = await sso(client, outside, user("zhangsan"))  # real name, assurance level 3
    assert answer.status_code == 200, answer.text
    return str(answer.json()["accessToken"])


def _bearer(scheme: str, token: str) -> str:
    return f'\n[auth.openapi.{scheme}]\nbearer = "{token}"\n'


@pytest.mark.timeout(1200)  # five runs; the suite's 180 s is for ordinary tests
async def test_schemathesis_finds_no_contract_violation(
    settings: Settings, tmp_path: Path, stand_ins: None
) -> None:
    from tests.fixtures.identity import make_staff, staff_login

    async with open_services(settings) as services:
        await services.catalog.sync()
        staff = await make_staff(services, "fuzz-admin", "admin")
    async with (
        running_server(settings, port=settings.port) as base,
        httpx.AsyncClient(base_url=base, timeout=10) as client,
    ):
        citizen, staff_token = (
            await _citizen_token(settings, client),
            await staff_login(client, staff),
        )
        identities = [
            Identity("anonymous"),
            Identity(
                "citizen",
                _bearer(CITIZEN_SCHEME, citizen),
                [
                    "--exclude-path-regex",
                    "^/ops/|^/api/v1/hooks/|^/api/v1/hotline/|^/api/v1/(halls|appointments|queue)"
                    "|^/api/v1/addresses|result-deliver|^/api/v1/bundle",
                    "--exclude-name",
                    "POST /api/v1/auth/logout",
                    "--exclude-name",
                    "POST /api/v1/auth/logout-all",
                ],
                reached=(
                    "GET /api/v1/me",
                    "POST /api/v1/declarations",
                    "GET /api/v1/declarations/{declaration_id}",
                    "PATCH /api/v1/declarations/{declaration_id}",
                ),
            ),
            # The hotline's citizen routes in a run of their own: among the others they changed
            # which links the seeded stateful phase follows, and it no longer reached a saved
            # draft form (GET /api/v1/declarations' chain) — a run each keeps both reached.
            Identity(
                "citizen-hotline",
                _bearer(CITIZEN_SCHEME, citizen),
                ["--include-path-regex", "^/api/v1/hotline/"],
                reached=("POST /api/v1/hotline/tickets", "GET /api/v1/hotline/tickets"),
            ),
            # Halls, appointments and queue numbers likewise: with them, the citizen run no
            # longer reached a declaration (GET and PATCH) by its links.
            Identity(
                "citizen-halls",
                _bearer(CITIZEN_SCHEME, citizen),
                ["--include-path-regex", "^/api/v1/(halls|appointments|queue)"],
                reached=("GET /api/v1/halls", "GET /api/v1/appointments"),
            ),
            # The address book and result delivery (邮寄送达) likewise, in a run of their own.
            Identity(
                "citizen-delivery",
                _bearer(CITIZEN_SCHEME, citizen),
                ["--include-path-regex", "^/api/v1/addresses|result-deliver"],
                reached=("POST /api/v1/addresses", "GET /api/v1/addresses"),
            ),
            # 一件事 bundles likewise, in a run of their own.
            Identity(
                "citizen-bundles",
                _bearer(CITIZEN_SCHEME, citizen),
                ["--include-path-regex", "^/api/v1/bundle"],
                reached=("GET /api/v1/bundles",),
            ),
            Identity(
                "staff",
                _bearer(STAFF_SCHEME, staff_token),
                ["--include-path-regex", "^/ops/", "--exclude-name", "POST /ops/v1/auth/logout"],
                reached=(
                    "GET /ops/v1/me",
                    "POST /ops/v1/notices",
                    "GET /ops/v1/notices/{notice_id}",
                ),
            ),
        ]
        only = os.environ.get("HANDHELD_SCHEMATHESIS_IDENTITY")
        runs: dict[str, Run] = {}
        for identity in identities:
            if only and only != identity.name:
                continue
            runs[identity.name] = run = await run_schemathesis(base, tmp_path, identity)
            print(f"== schemathesis as {identity.name} ==\n{run.summary()}")
            assert run.code == 0, f"schemathesis as {identity.name}:\n{run.output}"
            for operation in identity.reached:
                ok = sum(n for (label, status), n in run.answers.items()
                         if label == operation and 200 <= status < 300)  # fmt: skip
                assert ok, (
                    f"{operation} never answered {identity.name} with a 2xx: "
                    f"{sorted((s, n) for (label, s), n in run.answers.items() if label == operation)}"
                )
