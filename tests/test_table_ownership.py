"""Each domain's SQL names only its own tables: what it needs of another domain it asks that
domain's service. A table's owner comes from the migration that creates it (the migration's
name says whose it is); the SQL of every module of a domain package is read and each table it
names is checked against that owner."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "core" / "migrations"

DOMAINS = {
    "calendars": ROOT / "api" / "calendars",
    "catalog": ROOT / "api" / "catalog",
    "declarations": ROOT / "api" / "declarations",
    "figures": ROOT / "api" / "figures",
    "identity": ROOT / "api" / "identity",
    "licences": ROOT / "api" / "licences",
    "ops": ROOT / "api" / "ops",
    "queue": ROOT / "api" / "queue",
    "reviews": ROOT / "api" / "reviews",
    "halls": ROOT / "api" / "halls",
    "supervision": ROOT / "api" / "supervision",
    "hotline": ROOT / "api" / "hotline",
    "delivery": ROOT / "api" / "delivery",
    "bundles": ROOT / "api" / "bundles",
    "proxies": ROOT / "api" / "proxies",
    "push": ROOT / "push",
    "payments": ROOT / "payments",
}

# Whose tables a migration creates, by its name without the number. ``core`` is the shared
# kernel (job queue, audit log, idempotency keys): domains reach those through core's modules.
MIGRATION_OWNER = {
    "job_queue": "core",
    "catalog": "catalog",
    "audit_log": "core",
    "identity": "identity",
    "push_inbox": "push",
    "declarations": "declarations",
    "push_channels": "push",
    "notices": "push",
    "push_devices": "push",
    "citizen_tags": "push",
    "payments": "payments",
    "reviews": "reviews",
    "licences": "licences",
    "working_calendar": "calendars",
    "idempotency_keys": "core",
    "figures": "figures",
    "figures_all": "figures",
    "queue": "queue",
    "halls": "halls",
    "supervision": "supervision",
    "hotline": "hotline",
    "delivery": "delivery",
    "bundles": "bundles",
    "parties": "identity",
    "proxies": "proxies",
}
# A table created by another domain's migration and owned since by another.
MOVED = {
    "citizen_licences": "licences",
    # Migration 0029 (supervision) also adds declarations' record of who asks twice and push's
    # staff inbox.
    "supplement_repeats": "declarations",
    "staff_messages": "push",
}

CREATE = re.compile(r"\bCREATE TABLE (?:IF NOT EXISTS )?([a-z_][a-z0-9_]*)", re.IGNORECASE)
TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE|USING)\s+([a-z_][a-z0-9_]*)\b(?!\s*\()")
CTE = re.compile(r"\b([a-z_][a-z0-9_]*)\s+AS\s*(?:NOT\s+)?(?:MATERIALIZED\s*)?\(", re.IGNORECASE)
# Temporary tables figures creates in the caller's transaction for the rollup: other domains
# fill ``figure_facts`` with their own facts (their SQL on their tables), figures reads them.
STAGING = {"figure_batch": "figures", "figure_facts": "figures"}


def _owners() -> dict[str, str]:
    owners: dict[str, str] = {}
    for path in sorted(MIGRATIONS.glob("*.sql")):
        tables = CREATE.findall(path.read_text(encoding="utf-8"))
        if not tables:
            continue
        name = path.stem.split("_", 1)[1]
        assert name in MIGRATION_OWNER, f"{path.name} creates {tables}: whose are they?"
        for table in tables:
            owners[table] = MOVED.get(table, MIGRATION_OWNER[name])
    return owners | STAGING


def _strings(path: Path) -> list[str]:
    """Every string of a module; an f-string whole, its holes as ``?``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parts = {
        id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values
    }
    texts = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            texts.append(
                "".join(
                    v.value if isinstance(v, ast.Constant) and isinstance(v.value, str) else "?"
                    for v in node.values
                )
            )
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in parts
        ):
            texts.append(node.value)
    return texts


def _tables_named(root: Path) -> dict[str, set[str]]:
    """Each table the package's SQL names, with the modules naming it."""
    seen: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for text in _strings(path):
            ctes = {name.lower() for name in CTE.findall(text)}
            for table in TABLE.findall(text):
                if table not in ctes:
                    seen.setdefault(table, set()).add(str(path.relative_to(ROOT)))
    return seen


def test_every_domain_owns_tables_and_every_table_has_an_owner() -> None:
    owners = _owners()
    assert set(owners.values()) - {"core"} <= set(DOMAINS)  # ops owns none
    assert set(MOVED) <= set(owners)


@pytest.mark.parametrize("domain", sorted(DOMAINS))
def test_a_domain_sql_names_only_its_own_tables(domain: str) -> None:
    owners = _owners()
    seen = _tables_named(DOMAINS[domain])
    # ops owns no table: its views read core's audit chain and job queue through core.
    assert seen or domain == "ops", "no SQL found: the scan is broken"
    unknown = {t: files for t, files in seen.items() if t not in owners}
    assert unknown == {}, "not a table any migration creates (or the scan misread a string)"
    foreign = {
        (t, owners[t]): files
        for t, files in seen.items()
        if owners[t] != domain and t not in STAGING
    }
    assert foreign == {}, f"{domain} reads other domains' tables: ask their services"
