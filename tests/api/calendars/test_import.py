"""Importing a year's notice: the file format, the CLI, the ops endpoint (supervisors only,
audited), what staff see, and the warning while next year's notice is missing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import asyncpg
import chinese_calendar
import pytest

from api.calendars.errors import NoticeInvalid
from api.calendars.service import notice_days, parse_notice
from core.settings import Settings
from core.workdays import LIBRARY_NAMES
from tests.fixtures.calendars import NOTICE_2027, Served, staff_headers, today_is
from tests.fixtures.settings import database_env

DOCS = Path(__file__).parents[3] / "docs"


def test_the_documented_example_is_the_2026_notice_as_the_library_has_it() -> None:
    notice = parse_notice((DOCS / "calendar-notice-2026.toml").read_text(encoding="utf-8"))
    assert notice.year == 2026
    library = sorted(
        [(d, "holiday", LIBRARY_NAMES[n]) for d, n in chinese_calendar.holidays.items()
         if d.year == 2026]
        + [(d, "workday", LIBRARY_NAMES[n]) for d, n in chinese_calendar.workdays.items()
           if d.year == 2026]
    )  # fmt: skip
    assert notice_days(notice) == library


@pytest.mark.parametrize(
    ("text", "at", "problem"),
    [
        ("year = 2027\nsource = 'x'\n[[holiday]]\nname = '春节'\nfrom = 2027-02-13\nto = 2027-02-05\n",
         "holiday[0].to", "结束日期早于开始日期"),
        ("year = 2027\nsource = 'x'\n[[holiday]]\nname = '春节'\nfrom = 2027-02-05\n"
         "workdays = [2027-02-22]\n", "holiday[0].workdays", "不是周六或周日"),
        ("year = 2027\nsource = 'x'\n[[holiday]]\nname = '元旦'\nfrom = 2028-01-01\n",
         "holiday[0].from", "不在2027年通知的范围内"),
        ("year = 2027\nsource = 'x'\n[[holiday]]\nname = 'a'\nfrom = 2027-05-01\n"
         "[[holiday]]\nname = 'b'\nfrom = 2027-05-01\n", "holiday[1].from", "重复出现"),
        ("year = 2027\nsource = 'x'\n[[holiday]]\nname = '春节'\nfrom = 2027-02-05\n"
         "to = 2027-02-08\nworkdays = [2027-02-06]\n", "holiday[0].workdays", "重复出现"),
        ("year = 2027\nsource = 'x'\n[[holiday]]\nname = 'a'\nform = 2027-05-01\n", "",
         "格式不符"),
        ("year = 2027\nsource = 'x'\nholiday = []\n", "", "格式不符"),
        ("year = 2027\nsource = 'x\n", "", "不是有效的 TOML"),
    ],
)  # fmt: skip
def test_a_notice_that_contradicts_itself_is_refused(text: str, at: str, problem: str) -> None:
    with pytest.raises(NoticeInvalid) as info:
        parse_notice(text)
    found = info.value.extra["problems"]
    assert any(p["at"] == at and problem in p["problem"] for p in found), found


async def test_cli_imports_a_notice_and_refuses_a_bad_one(
    settings: Settings, db: asyncpg.Connection, tmp_path: Path
) -> None:
    env = {**os.environ, **database_env(settings)}
    notice = tmp_path / "2027.toml"
    notice.write_text(NOTICE_2027, encoding="utf-8")
    cmd = [sys.executable, "-m", "api.cli", "calendar", "import"]
    done = subprocess.run([*cmd, str(notice)], env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "calendar 2027 imported (29 holidays, 5 shifted working days)" in done.stdout

    year = await db.fetchrow(
        "SELECT source, source_url, imported_by FROM calendar_years WHERE year = 2027"
    )
    assert year is not None and year["source"].startswith("国务院办公厅关于2027年")
    assert year["imported_by"].startswith("cli:")
    assert await db.fetchval("SELECT kind FROM calendar_days WHERE day = '2027-02-20'") == "workday"
    assert (
        await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'calendar.recompute'")
        == 1
    )
    audited = await db.fetchrow(
        "SELECT actor_type, target_id, details FROM audit_log WHERE action = 'calendar.import'"
    )
    assert audited is not None and audited["actor_type"] == "system"
    assert audited["target_id"] == "2027"

    bad = tmp_path / "bad.toml"
    bad.write_text(NOTICE_2027.replace("workdays = [2027-01-31", "workdays = [2027-02-01"))
    refused = subprocess.run([*cmd, str(bad)], env=env, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "holiday[1].workdays: 2027-02-01 不是周六或周日" in refused.stderr
    assert await db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'calendar.import'") == 1


async def test_supervisor_imports_from_the_console_api_audited(
    served: Served, db: asyncpg.Connection
) -> None:
    client = served.client
    operator = await staff_headers(served, "op-zhou", "operator")
    auditor = await staff_headers(served, "au-zheng", "auditor")
    supervisor = await staff_headers(served, "sup-wang", "supervisor")
    body = {"notice": NOTICE_2027}

    for refused_role in (operator, auditor):
        refused = await client.post("/ops/v1/calendar/notices", json=body, headers=refused_role)
        assert refused.status_code == 403 and refused.json()["code"] == "ROLE_FORBIDDEN"
    anonymous = await client.post("/ops/v1/calendar/notices", json=body)
    assert anonymous.status_code == 401

    invalid = await client.post(
        "/ops/v1/calendar/notices",
        json={"notice": NOTICE_2027.replace("to = 2027-02-13", "to = 2027-02-01")},
        headers=supervisor,
    )
    assert invalid.status_code == 400
    assert invalid.headers["content-type"].startswith("application/problem+json")
    problem = invalid.json()
    assert problem["code"] == "CALENDAR_NOTICE_INVALID" and problem["title"]
    assert problem["problems"] == [{"at": "holiday[1].to", "problem": "结束日期早于开始日期"}]
    unknown_field = await client.post(
        "/ops/v1/calendar/notices", json={**body, "dryRun": True}, headers=supervisor
    )
    assert unknown_field.status_code == 422

    # Before: 2027 is provisional, and staff can see what the rule gives.
    provisional = (await client.get("/ops/v1/calendar/2027", headers=operator)).json()
    assert provisional["official"] is False and provisional["source"] is None
    assert [d["day"] for d in provisional["holidays"] if d["name"] == "春节"] == [
        "2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08",
    ]  # fmt: skip
    assert provisional["workdays"] == []

    imported = await client.post("/ops/v1/calendar/notices", json=body, headers=supervisor)
    assert imported.status_code == 200, imported.text
    result = imported.json()
    assert (result["year"], result["holidays"], result["workdays"], result["replaced"]) == (
        2027, 29, 5, False,
    )  # fmt: skip

    official = (await client.get("/ops/v1/calendar/2027", headers=auditor)).json()
    assert official["official"] is True and official["importedBy"] == "sup-wang (supervisor)"
    assert official["sourceUrl"] == "https://example.gov.cn/2027-holidays"
    assert {"day": "2027-02-20", "name": "春节"} in official["workdays"]
    overview = (await client.get("/ops/v1/calendar", headers=operator)).json()
    years = {y["year"]: y for y in overview["officialYears"]}
    assert years[2026]["source"] == "chinesecalendar 1.11.0"
    assert years[2026]["importedBy"] == "migration 0018"
    assert years[2027]["workdays"] == 5
    missing = await client.get("/ops/v1/calendar/1800", headers=operator)
    assert missing.status_code == 404

    # A corrected notice replaces the year.
    again = await client.post("/ops/v1/calendar/notices", json=body, headers=supervisor)
    assert again.json()["replaced"] is True

    staff_id = await db.fetchval("SELECT id FROM staff WHERE username = 'sup-wang'")
    rows = await db.fetch(
        """SELECT actor_type, actor_id, target_type, target_id, details, ip FROM audit_log
            WHERE action = 'calendar.import' ORDER BY id"""
    )
    assert len(rows) == 2
    assert rows[0]["actor_type"] == "staff" and rows[0]["actor_id"] == str(staff_id)
    assert (rows[0]["target_type"], rows[0]["target_id"]) == ("calendar_year", "2027")
    details = json.loads(rows[0]["details"])
    assert details["holidays"] == 29 and details["replaced"] is False


async def test_readyz_and_a_metric_warn_from_december_while_next_year_is_missing(
    served: Served,
) -> None:
    client = served.client

    async def calendar_check() -> str:
        ready = await client.get("/readyz")
        assert ready.status_code == 200  # a warning: deadlines still work (provisionally)
        return str(ready.json()["checks"]["calendar"])

    async def gauge() -> str:
        metrics = (await client.get("/metrics")).text
        line = next(x for x in metrics.splitlines() if x.startswith("handheld_calendar_next_year"))
        return line.split()[-1]

    today_is(served, date(2026, 11, 30))
    assert await calendar_check() == "ok" and await gauge() == "0.0"
    today_is(served, date(2026, 12, 1))
    assert await calendar_check() == "next year 2027 not imported"
    assert await gauge() == "1.0"
    today_is(served, date(2027, 3, 1))
    assert await calendar_check() == "year 2027 not imported: deadlines are provisional"
    assert await gauge() == "1.0"

    supervisor = await staff_headers(served, "sup-he", "supervisor")
    imported = await client.post(
        "/ops/v1/calendar/notices", json={"notice": NOTICE_2027}, headers=supervisor
    )
    assert imported.status_code == 200
    today_is(served, date(2026, 12, 2))
    assert await calendar_check() == "ok" and await gauge() == "0.0"
    overview = await client.get("/ops/v1/calendar", headers=supervisor)
    assert overview.json()["warning"] is None
