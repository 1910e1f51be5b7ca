"""HTTP of ops: the system views (each limited to the roles that need it) and the ops console
page that talks to them (``OpsConsoleController``; its files are in ``console/`` next to this
module)."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT, HTTP_304_NOT_MODIFIED

from api.ops.schemas import AuditReport, DeadLetter
from api.ops.service import OpsService
from core.db import Connection
from core.openapi import problem_responses
from core.principals import AUDITORS, SUPERVISORS, StaffPrincipal


class OpsSystemController(Controller):
    path = "/ops/v1/system"
    tags = ["ops 运营"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "/audit/verify",
        opt={"staff_roles": AUDITORS},
        responses=problem_responses(401, 403),
        summary="Walk the audit chain and report the first broken link",
    )
    async def verify_audit(
        self,
        staff: NamedDependency[StaffPrincipal],
        ops: NamedDependency[OpsService],
        db_connection: NamedDependency[Connection],
    ) -> AuditReport:
        return await ops.verify_audit_chain(db_connection)

    @get(
        "/jobs/dead-letters",
        opt={"staff_roles": SUPERVISORS},
        responses=problem_responses(400, 401, 403),
        summary="Jobs that failed every attempt and wait for a person, with what each concerns",
    )
    async def dead_letters(
        self,
        staff: NamedDependency[StaffPrincipal],
        ops: NamedDependency[OpsService],
        db_connection: NamedDependency[Connection],
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 100,
    ) -> list[DeadLetter]:
        return await ops.dead_letters(db_connection, limit)

    @post(
        "/jobs/dead-letters/{job_id:int}/retry",
        opt={"staff_roles": SUPERVISORS},
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 403, 404, 409),
        summary="Put a parked job back in the queue (audited)",
    )
    async def retry_dead_letter(
        self,
        staff: NamedDependency[StaffPrincipal],
        ops: NamedDependency[OpsService],
        db_connection: NamedDependency[Connection],
        job_id: FromPath[int],
    ) -> None:
        await ops.retry_dead_letter(db_connection, staff, job_id)

    @post(
        "/jobs/dead-letters/{job_id:int}/discard",
        opt={"staff_roles": SUPERVISORS},
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(401, 403, 404),
        summary="Give a parked job up for good (audited)",
    )
    async def discard_dead_letter(
        self,
        staff: NamedDependency[StaffPrincipal],
        ops: NamedDependency[OpsService],
        db_connection: NamedDependency[Connection],
        job_id: FromPath[int],
    ) -> None:
        await ops.discard_dead_letter(db_connection, staff, job_id)


# --- the ops console: a static page (HTML, ES modules, CSS) under ``/ops/console/`` ----------
#
# No build step and no template: the page talks to the ops API (``/ops/v1``) with the staff
# session token, like any other client. Only the files shipped in ``api/ops/console/`` are served
# (looked up in a table built once, so no path from the request ever reaches the file system),
# each with a strict Content-Security-Policy: scripts and styles from this origin only, nothing
# inline, no framing, and Trusted Types required so no string can become HTML by accident.

CONSOLE_DIR = Path(__file__).with_name("console")
MOUNT = "/ops/console"

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "manifest-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
        "require-trusted-types-for 'script'",
        "trusted-types 'none'",
    ]
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    # Revalidate every time (cheap: ETag → 304), so a deployment is picked up at once.
    "Cache-Control": "no-cache",
}
# Litestar adds "; charset=utf-8" to text types.
MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
}


class Asset:
    __slots__ = ("body", "etag", "media_type")

    def __init__(self, body: bytes, media_type: str) -> None:
        self.body = body
        self.media_type = media_type
        self.etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


@functools.cache
def assets() -> dict[str, Asset]:
    """Every servable file by its path under the console directory, read once per process."""
    table: dict[str, Asset] = {}
    for file in sorted(CONSOLE_DIR.rglob("*")):
        media_type = MEDIA_TYPES.get(file.suffix)
        if file.is_file() and media_type:
            table[file.relative_to(CONSOLE_DIR).as_posix()] = Asset(file.read_bytes(), media_type)
    return table


def _serve(request: Request[Any, Any, Any], name: str) -> Response[bytes]:
    asset = assets().get(name)
    if asset is None:
        raise NotFoundException()
    headers = {**SECURITY_HEADERS, "ETag": asset.etag}
    if request.headers.get("if-none-match") == asset.etag:
        return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
    return Response(asset.body, media_type=asset.media_type, headers=headers)


class OpsConsoleController(Controller):
    path = MOUNT
    include_in_schema = False

    @get("/", summary="The ops console page")
    async def index(self, request: Request[Any, Any, Any]) -> Response[bytes]:
        return _serve(request, "index.html")

    @get("/{name:path}", summary="A file of the ops console")
    async def asset(self, request: Request[Any, Any, Any], name: FromPath[str]) -> Response[bytes]:
        return _serve(request, name.lstrip("/"))
