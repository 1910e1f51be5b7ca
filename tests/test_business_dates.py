"""Business dates are China's: no domain code derives a day from a UTC (or naive) datetime.

A scan of the product's Python (api/, push/, payments/, core/) and SQL refuses what would give
the UTC day (wrong from 00:00 to 08:00 in Beijing) or the machine's local day:

- ``x.date()``: use ``core.clock.china_date(x)`` (``china_today(now)`` for today);
- ``date.today()``, ``datetime.today()``, ``datetime.utcnow()``, ``datetime.now()`` without a
  time zone, ``datetime.utcfromtimestamp()``, ``date.fromtimestamp()``, ``x.astimezone()``
  without a time zone;
- in SQL (string literals and migrations): ``CURRENT_DATE``, ``LOCALTIMESTAMP``,
  ``LOCALTIME``, and ``::date`` / ``date_trunc`` / ``to_char`` / ``extract`` / ``date_part`` /
  ``::timestamp`` on a time that is not first put ``AT TIME ZONE 'Asia/Shanghai'`` — those
  follow the session's TimeZone, which nothing guarantees is China's.

Where a ``.date()`` is known to be on a China-time value, the module is in ``ALLOWED`` with
the reason.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("api", "push", "payments", "core")
MIGRATIONS = ROOT / "core" / "migrations"

ALLOWED: dict[str, str] = {
    "core/clock.py": "the helper itself: converts to CHINA_TZ before taking the date",
    "core/workdays.py": "converts an aware datetime to CHINA_TZ before taking the date",
}

# Class-level calls that read the machine's local or UTC day.
_FORBIDDEN_CLASS_CALLS = {
    ("date", "today"): "date.today() is the machine's local day: use core.clock.china_today()",
    ("datetime", "today"): "datetime.today() is naive local time: use core.clock",
    ("datetime", "utcnow"): "datetime.utcnow() is naive UTC: use core.clock (a Clock's now())",
    ("datetime", "utcfromtimestamp"): "naive UTC: datetime.fromtimestamp(ts, UTC)",
    (
        "date",
        "fromtimestamp",
    ): "the machine's local day: china_date(datetime.fromtimestamp(ts, UTC))",
}


_DATE_CALL = ".date() is the day in the datetime's own zone (UTC for ours): use china_date()"
_SESSION_WHY = "is the session TimeZone's day: (now() AT TIME ZONE 'Asia/Shanghai')::date"
_CAST_WHY = "::date of a time: (t AT TIME ZONE 'Asia/Shanghai')::date ($n casts are fine)"
_ZONE_WHY = "follows the session TimeZone: give 'Asia/Shanghai' explicitly"


@dataclass(frozen=True)
class Finding:
    where: str
    line: int
    why: str

    def __str__(self) -> str:
        return f"{self.where}:{self.line}: {self.why}"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _class_name(node: ast.expr) -> str | None:
    """``date`` for ``date`` and ``datetime.date`` / ``dt.date``; likewise ``datetime``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def python_findings(source: str, where: str) -> list[Finding]:
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found: list[Finding] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            method, owner = node.func.attr, _class_name(node.func.value)
            no_args = not node.args and not node.keywords
            if (owner, method) in _FORBIDDEN_CLASS_CALLS:
                found.append(Finding(where, node.lineno, _FORBIDDEN_CLASS_CALLS[owner, method]))
            elif owner == "datetime" and method == "now" and no_args:
                found.append(Finding(where, node.lineno, "datetime.now() is naive local time"))
            elif method == "date" and no_args and where not in ALLOWED:
                found.append(Finding(where, node.lineno, _DATE_CALL))
            elif method == "astimezone" and no_args:
                found.append(Finding(where, node.lineno, ".astimezone() is the machine's zone"))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            found += [
                Finding(where, node.lineno + line, why) for line, why in sql_findings(node.value)
            ]
    return found


_CHINA = r"AT\s+TIME\s+ZONE\s+'Asia/Shanghai'"
_SESSION_DAY = re.compile(r"\b(CURRENT_DATE|LOCALTIMESTAMP|LOCALTIME)\b", re.IGNORECASE)
_DATE_CAST = re.compile(r"::\s*date\b", re.IGNORECASE)
_CAST_OK = re.compile(rf"(\$\d+|{_CHINA}\s*\))\s*$", re.IGNORECASE)
_CAST_AS_DATE = re.compile(r"\bCAST\s*\(.*?\bAS\s+date\s*\)", re.IGNORECASE | re.DOTALL)
_TIMESTAMP_CAST = re.compile(r"::\s*timestamp\b(?!\s*with\s+time\s+zone)(?!tz)", re.IGNORECASE)
_ZONED_CALLS = re.compile(
    r"\b(date_trunc\s*\(\s*'(day|week|month|quarter|year|decade|century|millennium)'"
    r"|to_char\s*\(|date_part\s*\(|extract\s*\()",
    re.IGNORECASE,
)


def sql_findings(text: str) -> list[tuple[int, str]]:
    """(line offset, why) for each day derived from a time in the session's zone."""

    def line_of(pos: int) -> int:
        return text.count("\n", 0, pos)

    found = [
        (line_of(m.start()), f"{m.group(1)} {_SESSION_WHY}") for m in _SESSION_DAY.finditer(text)
    ]
    for m in _DATE_CAST.finditer(text):
        if not _CAST_OK.search(text[: m.start()]):
            found.append((line_of(m.start()), _CAST_WHY))
    for m in _CAST_AS_DATE.finditer(text):
        if not re.search(_CHINA, m.group(0), re.IGNORECASE):
            found.append((line_of(m.start()), "CAST(... AS date) without AT TIME ZONE"))
    for pattern in (_TIMESTAMP_CAST, _ZONED_CALLS):
        for m in pattern.finditer(text):
            if not re.search(_CHINA + "|'Asia/Shanghai'", text, re.IGNORECASE):
                found.append((line_of(m.start()), f"{m.group(0)!r} {_ZONE_WHY}"))
    # A line that says why it takes no day from a time (an instant printed in UTC, a value that
    # is a date already) is exempt: ``-- zone-free: <why>``.
    lines = text.splitlines()
    return [
        (line, why)
        for line, why in found
        if line >= len(lines) or "-- zone-free:" not in lines[line]
    ]


def _python_files() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def test_no_domain_code_takes_the_utc_day() -> None:
    found: list[Finding] = []
    for path in _python_files():
        where = path.relative_to(ROOT).as_posix()
        found += python_findings(path.read_text(encoding="utf-8"), where)
    for path in sorted(MIGRATIONS.glob("*.sql")):
        where = path.relative_to(ROOT).as_posix()
        found += [Finding(where, line + 1, why) for line, why in sql_findings(path.read_text())]
    assert not found, "business dates must be China's days:\n" + "\n".join(map(str, found))


def test_the_allowlist_names_existing_modules() -> None:
    for where in ALLOWED:
        assert (ROOT / where).is_file(), where


@pytest.mark.parametrize(
    "source",
    [
        "today = datetime.now(UTC).date()",
        "due = add_working_days(event.occurred_at.date(), 3)",
        "d = date.today()",
        "d = datetime.date.today()",
        "t = datetime.utcnow()",
        "t = dt.datetime.now()",
        "t = moment.astimezone()",
        "d = date.fromtimestamp(ts)",
    ],
)
def test_the_scan_catches_utc_and_local_days(source: str) -> None:
    assert python_findings(source, "api/x.py")


@pytest.mark.parametrize(
    "source",
    [
        "today = china_today(now)",
        "due = china_date(event.occurred_at)",
        "t = datetime.now(UTC)",
        "d = date(2025, 6, 9)",
        "d = datetime.date(2025, 6, 9)",
        "t = moment.astimezone(CHINA_TZ)",
        "d = date.fromisoformat(value)",
        'def f():\n    """Never x.date() or CURRENT_DATE."""',
    ],
)
def test_the_scan_lets_china_days_through(source: str) -> None:
    assert not python_findings(source, "api/x.py")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM t WHERE d >= CURRENT_DATE",
        "SELECT now()::date",
        "SELECT rated_at::date FROM reviews",
        "SELECT (rated_at AT TIME ZONE 'UTC')::date FROM reviews",
        "SELECT CAST(rated_at AS date) FROM reviews",
        "SELECT date_trunc('day', rated_at) FROM reviews",
        "SELECT to_char(paid_at, 'YYYYMMDD') FROM payment_orders",
        "SELECT extract(hour FROM paid_at) FROM payment_orders",
        "SELECT paid_at::timestamp FROM payment_orders",
        "SELECT localtimestamp",
    ],
)
def test_the_scan_catches_session_zone_days_in_sql(sql: str) -> None:
    assert sql_findings(sql)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT (now() AT TIME ZONE 'Asia/Shanghai')::date",
        "WHERE valid_until >= (now() AT TIME ZONE 'Asia/Shanghai')::date",
        "WHERE ($1::date IS NULL OR d >= $1)",
        "SELECT date_trunc('sec', now())",
        "SELECT date_trunc('day', rated_at, 'Asia/Shanghai')",
        "SELECT paid_at::timestamptz",
        "CREATE TABLE t (due date NOT NULL)",
    ],
)
def test_the_scan_lets_china_days_through_in_sql(sql: str) -> None:
    assert not sql_findings(sql)
