"""Every mini-program page the backend links to (inbox messages, the `page` of WeChat subscribe
messages) is a page of the mini-program: WeChat refuses a subscribe message to a missing page."""

from __future__ import annotations

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"""["'](/pages/[a-z0-9_-]+/[a-z0-9_-]+)""")


def test_backend_links_point_at_existing_pages() -> None:
    pages = set(json.loads((ROOT / "miniprogram" / "app.json").read_text())["pages"])
    linked: dict[str, set[str]] = {}
    for package in ("api", "push", "payments", "core"):
        for source in (ROOT / package).rglob("*.py"):
            for path in LINK.findall(source.read_text(encoding="utf-8")):
                linked.setdefault(path, set()).add(str(source.relative_to(ROOT)))
    assert linked, "no links found: the pattern no longer matches the code"
    missing = {path: files for path, files in linked.items() if path.lstrip("/") not in pages}
    assert not missing, missing
