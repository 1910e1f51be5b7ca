"""Push reads and writes its own tables only: what it needs of citizens it asks the identity
domain (push.service.recipients.Recipients), never its tables."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import push

PUSH_TABLES = {
    "inbox_messages",
    "push_deliveries",
    "push_devices",
    "push_preferences",
    "wechat_subscriptions",
    "wechat_push_events",
    "notices",
    "citizen_tags",
    "staff_messages",
}

TABLE = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+([a-z_][a-z0-9_]*)\b(?!\s*\()")
CTE = re.compile(r"\b([a-z_][a-z0-9_]*)\s+AS\s*\(", re.IGNORECASE)


def _sql_of(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.search(r"\b(SELECT|INSERT|UPDATE|DELETE)\b", node.value)
    ]


def test_push_sql_touches_only_push_tables() -> None:
    root = Path(push.__file__).parent
    seen: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        for sql in _sql_of(path):
            ctes = {name.lower() for name in CTE.findall(sql)}
            for table in TABLE.findall(sql):
                if table not in ctes:
                    seen.setdefault(table, set()).add(str(path.relative_to(root)))
    assert seen, "no SQL found: the scan is broken"
    foreign = {t: files for t, files in seen.items() if t not in PUSH_TABLES}
    assert foreign == {}
    assert set(seen) <= PUSH_TABLES
