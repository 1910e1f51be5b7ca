"""After real sign-ins, no test ID number or phone is readable in a dump of the database or in
the logs (docs/domain.md §9)."""

from __future__ import annotations

import io
import logging
import subprocess

import httpx
import pytest

from core.embedded import PG_BIN
from core.logging import JsonFormatter
from core.settings import Settings
from sandbox.provincial.users import TEST_USERS
from tests.fixtures.identity import Outside, bearer, sms_login, sso, wechat_login

SMS_PHONE = "13912345678"
WECHAT_PHONE = "15098765432"


@pytest.fixture
def captured_logs() -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield stream  # type: ignore[misc]
    root.removeHandler(handler)
    root.setLevel(previous)


async def test_no_plaintext_personal_data_in_dump_or_logs(
    client: httpx.AsyncClient, outside: Outside, settings: Settings, captured_logs: io.StringIO
) -> None:
    for person in TEST_USERS:
        assert (await sso(client, outside, person)).status_code == 200
        # Deliberately put personal data where logs could pick it up: a failing request.
        await client.get(f"/api/v1/items?q={person.id_number}")
    await sms_login(client, outside, SMS_PHONE)
    wx = await wechat_login(client, outside, "wx-pii")
    code = await outside.wechat_phone_code("wx-pii", WECHAT_PHONE)
    bound = await client.post(
        "/api/v1/auth/wechat/phone", json={"code": code}, headers=bearer(wx["accessToken"])
    )
    assert bound.status_code == 200

    dump = subprocess.run(
        # Straight to PostgreSQL: pg_dump sets session state (search_path) that PgBouncer in
        # transaction mode would leave on a server connection the application uses next.
        [str(PG_BIN / "pg_dump"), "--data-only", settings.database.session_url().reveal()],
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8", "replace")
    logs = captured_logs.getvalue()
    assert "citizen_wechat" in dump and "outside call" in logs  # both really captured

    secrets = [p.id_number for p in TEST_USERS] + [p.phone for p in TEST_USERS]
    secrets += [p.name for p in TEST_USERS] + [SMS_PHONE, WECHAT_PHONE]
    for secret in secrets:
        assert secret not in dump, f"{secret} in the database dump"
        assert secret not in logs, f"{secret} in the logs"
