"""``handheld``: the command line of the whole system.

handheld dev        everything on embedded defaults (PostgreSQL, Valkey, stand-ins, API, worker)
handheld serve      the API only
handheld worker     the job worker only
handheld migrate    apply database migrations (--wait: wait until another process applied them)
handheld calendar import FILE   load a year's holiday notice (docs/calendar-notice.md)
handheld sandbox    the stand-ins of outside systems only
handheld accounts finish-merges   move what earlier account merges left on absorbed accounts
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from litestar.types import ASGIApp

from core.settings import Settings, load_settings

T = TypeVar("T")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    return load_settings(**overrides)


def _require(settings: Settings, *names: str) -> None:
    missing = [
        n
        for n, v in {
            "HANDHELD_DATABASE_URL": settings.database.url,
            "HANDHELD_REDIS_URL": settings.redis.url,
            "HANDHELD_PROVINCIAL_BASE_URL": settings.provincial.base_url,
        }.items()
        if n in names and not v
    ]
    if missing:
        sys.exit(
            f"handheld: set {', '.join(missing)} (or run `handheld dev` for embedded defaults)"
        )


# How uvicorn serves the API, here and in the tests' live servers.
def server_options() -> dict[str, Any]:
    """uvicorn's settings for the API (and the benchmarks' baselines, so both match); the
    protocol imported here, as the other commands never serve."""
    from core.http_server import CoalescingHttpToolsProtocol

    return {
        "log_config": None,
        "access_log": False,  # our middleware logs each request with its request id
        # The client's address is ours to decide (core.client_address, from the trusted-proxy
        # setting): uvicorn's default would believe X-Forwarded-For from any local caller.
        "proxy_headers": False,
        "server_header": False,
        # Each response in one send rather than its headers and body apart.
        "http": CoalescingHttpToolsProtocol,
    }


def run_server(app: ASGIApp, host: str, port: int) -> None:
    """How the API is served (also used by the benchmarks' baselines, so both match)."""
    import uvicorn

    uvicorn.run(app, host=host, port=port, timeout_graceful_shutdown=10, **server_options())


def cmd_serve(args: argparse.Namespace) -> None:
    from api.serving import serve

    settings = _settings(args)
    _require(settings, "HANDHELD_DATABASE_URL", "HANDHELD_REDIS_URL")
    serve(settings, workers=args.workers)


def run_on_uvloop(main: Coroutine[Any, Any, T]) -> T:
    """``main`` on uvloop's event loop (libuv): the worker's sends are mostly aiohttp's request
    handling, whose transport and timers cost a fraction on it of what they cost on asyncio's."""
    import uvloop

    return uvloop.run(main)


def cmd_worker(args: argparse.Namespace) -> None:
    from api.worker import run_worker, stop_on_signals
    from core.jobs import DatabaseGone
    from core.logging import configure_logging

    settings = _settings(args)
    _require(
        settings, "HANDHELD_DATABASE_URL", "HANDHELD_REDIS_URL", "HANDHELD_PROVINCIAL_BASE_URL"
    )
    configure_logging(settings.log_level, json=settings.log_json)

    async def main() -> None:
        stop = asyncio.Event()
        stop_on_signals(stop)
        await run_worker(settings, stop)

    try:
        run_on_uvloop(main())
    except DatabaseGone as exc:
        # Non-zero: a supervisor (systemd, Kubernetes, `handheld dev`) starts it again.
        sys.exit(f"handheld worker: {exc}")


def cmd_migrate(args: argparse.Namespace) -> None:
    from core.db import connect
    from core.logging import configure_logging
    from core.migrate import apply_migrations

    settings = _settings(args)
    _require(settings, "HANDHELD_DATABASE_URL")
    configure_logging(settings.log_level, json=settings.log_json)
    if args.wait:
        asyncio.run(_wait_for_migrations(settings, args.timeout))
        return

    async def main() -> None:
        conn = await connect(settings.database)
        try:
            applied = await apply_migrations(conn)
        finally:
            await conn.close()
        print(f"migrations applied: {len(applied)}" + "".join(f"\n  {a}" for a in applied))

    asyncio.run(main())


async def _wait_for_migrations(settings: Settings, timeout_s: float, poll_s: float = 2.0) -> None:
    """Return once every migration this code carries is applied, by someone else (a release's
    migration Job): applies nothing. A database not reachable yet counts as not migrated yet.
    Exits 1 after ``timeout_s`` (a Kubernetes init container is then started again)."""
    import time

    from core.db import connect
    from core.errors import is_unavailable
    from core.migrate import pending_migrations

    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn = await connect(settings.database)
            try:
                pending = [m.path.name for m in await pending_migrations(conn)]
            finally:
                await conn.close()
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            pending = [f"(database unavailable: {type(exc).__name__})"]
        if not pending:
            print("migrations: all applied")
            return
        if time.monotonic() >= deadline:
            sys.exit(f"handheld migrate --wait: still pending after {timeout_s:.0f}s: {pending}")
        print(f"migrations: waiting for {len(pending)} ({pending[0]}…)", flush=True)
        await asyncio.sleep(poll_s)


def cmd_audit_verify(args: argparse.Namespace) -> None:
    from core.audit import verify
    from core.db import connect

    settings = _settings(args)
    _require(settings, "HANDHELD_DATABASE_URL")

    async def main() -> int:
        conn = await connect(settings.database)
        try:
            result = await verify(conn)
        finally:
            await conn.close()
        if result.ok:
            print(f"audit chain intact: {result.rows_checked} rows")
            return 0
        print(
            f"audit chain BROKEN at row {result.first_broken_id} ({result.reason}); "
            f"{result.rows_checked} rows checked"
        )
        return 1

    sys.exit(asyncio.run(main()))


def cmd_calendar_import(args: argparse.Namespace) -> None:
    import getpass
    from pathlib import Path

    from api.calendars.errors import NoticeInvalid
    from api.calendars.service import Calendars, parse_notice
    from core.db import create_pool

    settings = _settings(args)
    _require(settings, "HANDHELD_DATABASE_URL")
    try:
        notice = parse_notice(Path(args.file).read_text(encoding="utf-8"))
    except OSError as exc:
        sys.exit(f"handheld: cannot read {args.file}: {exc}")
    except NoticeInvalid as exc:
        lines = [f"  {p['at'] or '(file)'}: {p['problem']}" for p in exc.extra["problems"]]
        sys.exit(f"handheld: {args.file} is not a valid notice:\n" + "\n".join(lines))
    who = f"cli:{getpass.getuser()}"

    async def main() -> str:
        pool = await create_pool(settings.database, application_name="handheld-cli")
        try:
            async with pool.acquire() as conn, conn.transaction():
                result = await Calendars(pool).import_notice(
                    conn, notice, imported_by=who, actor_type="system", actor_id=who
                )
        finally:
            await pool.close()
        return (
            f"calendar {result.year} imported ({result.holidays} holidays, {result.workdays} "
            f"shifted working days{', replacing what the year had' if result.replaced else ''}); "
            f"calendar version {result.calendar_version}: the worker recomputes open deadlines"
        )

    print(asyncio.run(main()))


def cmd_staff_create(args: argparse.Namespace) -> None:
    import getpass

    from api.composition import open_services
    from core.passwords import password_problems

    settings = _settings(args)
    _require(settings, "HANDHELD_DATABASE_URL", "HANDHELD_REDIS_URL")
    password = args.password or getpass.getpass("password: ")
    if problems := password_problems(password, username=args.username):
        sys.exit(f"handheld: password too weak: {', '.join(problems)}")

    async def main() -> str:
        async with (
            open_services(settings, name="handheld-cli") as services,
            services.infra.pool.acquire() as conn,
            conn.transaction(),
        ):
            staff_id, uri = await services.identity.create_staff(
                conn,
                username=args.username,
                display_name=args.display_name or args.username,
                password=password,
                role=args.role,
            )
            if args.department:
                await services.identity.set_staff_departments(conn, staff_id, args.department)
        return uri

    print("staff created; enrol this TOTP URI in an authenticator app:\n" + asyncio.run(main()))


def cmd_accounts_finish_merges(args: argparse.Namespace) -> None:
    from api.composition import open_services

    settings = _settings(args)
    _require(settings, "HANDHELD_DATABASE_URL", "HANDHELD_REDIS_URL")

    async def main() -> int:
        async with (
            open_services(settings, name="handheld-cli") as services,
            services.infra.pool.acquire() as conn,
            conn.transaction(),
        ):
            return await services.identity.finish_merges(conn)

    print(f"absorbed accounts with rows moved now: {asyncio.run(main())}")


def cmd_keys_signing(args: argparse.Namespace) -> None:
    from pathlib import Path

    from core.signing import SigningKeys

    directory = Path(args.dir)
    if args.if_missing and (directory / "current").exists():
        print(f"signing key present in {directory}")
        return
    directory.mkdir(parents=True, exist_ok=True)
    # A new current key; keep the old files until every token they signed has expired.
    print(f"new current signing key {SigningKeys.generate(directory)} in {directory}")


def cmd_keys_pii(args: argparse.Namespace) -> None:
    from core.pii import generate_keyset

    keys, current, lookup = generate_keyset()
    print(f"HANDHELD_PII_KEYS={keys}\nHANDHELD_PII_CURRENT_KEY_ID={current}")
    print(f"HANDHELD_PII_LOOKUP_KEY={lookup}")


def cmd_keys_licence(args: argparse.Namespace) -> None:
    from pathlib import Path

    from core.sm2 import Sm2KeyPair

    path = Path(args.path)
    if path.exists() and not args.force:
        sys.exit(f"{path} exists (a new display key invalidates codes shown now; --force)")
    key = Sm2KeyPair.generate(args.key_id)
    key.save(path)
    print(f"SM2 display key {key.key_id} in {path}; set HANDHELD_LICENCES_DISPLAY_KEY_PATH={path}")
    print(f"public key (published at GET /api/v1/licences/display-key): {key.public_key_hex}")


def cmd_sandbox(args: argparse.Namespace) -> None:
    # The stand-ins are a separate program that shares no code with the product; run it,
    # with the credentials the product is configured with.
    settings = _settings(args)
    argv = [sys.executable, "-m", "sandbox", "--host", args.host or "127.0.0.1"]
    if args.data_dir:
        argv += ["--data-dir", str(args.data_dir)]
    if key := settings.provincial.api_key.reveal():
        argv += ["--provincial-api-key", key]
    if settings.wechat.appid:
        argv += ["--wechat-appid", settings.wechat.appid]
    if secret := settings.wechat.secret.reveal():
        argv += ["--wechat-secret", secret]
    if sms_key := settings.sms.api_key.reveal():
        argv += ["--sms-api-key", sms_key]
    if settings.provincial.oauth_client_id:
        argv += ["--oauth-client-id", settings.provincial.oauth_client_id]
    if oauth_secret := settings.provincial.oauth_client_secret.reveal():
        argv += ["--oauth-client-secret", oauth_secret]
    if callback_secret := settings.provincial.callback_secret.reveal():
        argv += ["--callback-secret", callback_secret]
    os.execv(sys.executable, argv)  # noqa: S606 - replaces this process, no shell involved


def cmd_dev(args: argparse.Namespace) -> None:
    from api.dev import run_dev

    run_dev(port=args.port, data_dir=args.data_dir)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="handheld", description="掌上办 backend")
    sub = parser.add_subparsers(dest="command", required=True)
    dev = sub.add_parser("dev", help="run everything on embedded defaults")
    dev.add_argument("--port", type=int, default=None, help="API port (HANDHELD_PORT, 8000)")
    dev.add_argument(
        "--data-dir", default=None, help="data directory (HANDHELD_DATA_DIR, .handheld)"
    )
    dev.set_defaults(func=cmd_dev)
    serve = sub.add_parser("serve", help="run the API")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes accepting on the one port (docs/architecture.md, Many processes)",
    )
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("worker", help="run the job worker").set_defaults(func=cmd_worker)
    migrate = sub.add_parser("migrate", help="apply database migrations")
    migrate.add_argument(
        "--wait",
        action="store_true",
        help="apply nothing: wait until every migration of this code is applied (init container)",
    )
    migrate.add_argument("--timeout", type=float, default=900, help="with --wait: give up after")
    migrate.set_defaults(func=cmd_migrate)
    audit = sub.add_parser("audit", help="audit log tools").add_subparsers(
        dest="audit", required=True
    )
    audit.add_parser("verify", help="check the audit chain; exit 1 at a broken link").set_defaults(
        func=cmd_audit_verify
    )
    calendar = sub.add_parser("calendar", help="the working-day calendar").add_subparsers(
        dest="calendar", required=True
    )
    calendar_import = calendar.add_parser(
        "import", help="load a year's holiday notice of the State Council (TOML, see docs)"
    )
    calendar_import.add_argument("file", help="the notice file (docs/calendar-notice.md)")
    calendar_import.set_defaults(func=cmd_calendar_import)
    staff = sub.add_parser("staff", help="staff accounts").add_subparsers(
        dest="staff", required=True
    )
    create = staff.add_parser("create", help="create a staff account (prints its TOTP URI)")
    create.add_argument("--username", required=True)
    create.add_argument(
        "--role", required=True, choices=["operator", "supervisor", "auditor", "admin"]
    )
    create.add_argument("--display-name", default=None)
    create.add_argument("--password", default=None, help="prompted for when omitted")
    create.add_argument(
        "--department",
        action="append",
        default=None,
        help="limit the account to this department code (repeat for several; default: "
        "province-wide; never for an admin)",
    )
    create.set_defaults(func=cmd_staff_create)
    keys = sub.add_parser("keys", help="key material").add_subparsers(dest="keys", required=True)
    signing = keys.add_parser("signing", help="generate a token signing key (rotation)")
    signing.add_argument("--dir", required=True)
    signing.add_argument("--if-missing", action="store_true", help="only when none exists")
    signing.set_defaults(func=cmd_keys_signing)
    keys.add_parser("pii", help="print a new personal-data keyset").set_defaults(func=cmd_keys_pii)
    licence = keys.add_parser("licence", help="generate the SM2 key that signs display codes")
    licence.add_argument("--path", required=True, help="where to write the key file (0600)")
    licence.add_argument("--key-id", default=None)
    licence.add_argument("--force", action="store_true", help="replace an existing key")
    licence.set_defaults(func=cmd_keys_licence)
    accounts = sub.add_parser("accounts", help="citizen accounts").add_subparsers(
        dest="accounts", required=True
    )
    accounts.add_parser(
        "finish-merges", help="move what earlier account merges left on absorbed accounts"
    ).set_defaults(func=cmd_accounts_finish_merges)
    sandbox = sub.add_parser("sandbox", help="run the stand-ins of outside systems")
    sandbox.add_argument("--host", default=None)
    sandbox.add_argument("--data-dir", default=None)
    sandbox.set_defaults(func=cmd_sandbox)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
