"""Demo data for `handheld dev`: staff accounts of every role and a department app.

The catalogue's demo data is the stand-in's, synced by the worker. Nothing here runs outside
`dev`; production accounts are made with `handheld staff create`.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from api.composition import open_services
from core.settings import Settings

DEMO_PASSWORD = "Demo@handheld-2026"
DEMO_APP = ("demo-h5", "演示部门服务", "demo-h5-secret", ["openid", "profile", "idcard", "phone"])
ROLES = ("operator", "supervisor", "auditor", "admin")


async def seed_demo(settings: Settings) -> list[str]:
    """Create what is missing; returns lines for the dev banner."""
    lines: list[str] = []
    async with (
        open_services(settings, name="handheld-seed") as services,
        services.infra.pool.acquire() as conn,
        conn.transaction(),
    ):
        identity = services.identity
        existing = await identity.staff_usernames(conn)
        for role in ROLES:
            username = f"demo-{role}"
            if username in existing:
                continue
            _, uri = await identity.create_staff(
                conn,
                username=username,
                display_name=f"演示{role}",
                password=DEMO_PASSWORD,
                role=role,
            )
            secret = parse_qs(urlsplit(uri).query)["secret"][0]
            lines.append(f"{username}  password {DEMO_PASSWORD}  TOTP secret {secret}")
        client_id, name, app_secret, scopes = DEMO_APP
        await identity.register_department_app(
            conn, client_id=client_id, name=name, secret=app_secret, scopes=scopes
        )
    return lines
