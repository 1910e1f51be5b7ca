"""aiohttp application of the provincial platform stand-in: catalogue API, unified identity
(OAuth 2.0 / OpenID Connect, ``identity.py``), the hall directory (``halls.py``) and the
control API."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import msgspec
from aiohttp import web
from aiohttp.typedefs import Handler

from sandbox.clock import Clock, add_clock_routes
from sandbox.faults import FaultInjector
from sandbox.http import ApiError, errors_as_json, healthz, json_response, require_api_key
from sandbox.provincial.cases import (
    CASES_KEY,
    DEFAULT_CALLBACK_CLIENT_ID,
    DEFAULT_CALLBACK_SECRET,
    CaseService,
    add_case_routes,
)
from sandbox.provincial.delivery import DELIVERIES_KEY, CaseDeliveries, add_delivery_routes
from sandbox.provincial.halls import HALLS_KEY, add_hall_routes
from sandbox.provincial.identity import (
    DEFAULT_ISSUER,
    IDENTITY_KEY,
    IdentityState,
    OAuthClient,
    add_identity_routes,
    default_oauth_clients,
)
from sandbox.provincial.legal import REGISTER_KEY, LegalRegister, add_legal_routes
from sandbox.provincial.licences import LICENCES_KEY, LicenceLibrary, add_licence_routes
from sandbox.provincial.ratings import RATINGS_KEY, add_rating_routes
from sandbox.provincial.state import (
    CatalogState,
    FeedPosition,
    InvalidCursor,
    InvalidItem,
    decode_cursor,
    encode_cursor,
    parse_time,
)

STATE_KEY = web.AppKey("provincial_state", CatalogState)
FAULTS_KEY = web.AppKey("provincial_faults", FaultInjector)
STATS_KEY = web.AppKey("provincial_stats", Counter[str])
CLOCK_KEY = web.AppKey("provincial_clock", Clock)

PLATFORM_PREFIX = "/gov/"
IDENTITY_PREFIX = "/oauth2/"
DEFAULT_LIMIT = 50
MAX_LIMIT = 100


# -- middlewares (outermost first) --------------------------------------------------------------


@web.middleware
async def count_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith((PLATFORM_PREFIX, IDENTITY_PREFIX)):
        resource = request.match_info.route.resource
        template = resource.canonical if resource is not None else request.path
        request.app[STATS_KEY][template] += 1
    return await handler(request)


# -- platform endpoints -----------------------------------------------------------------------


def _feed_position(query: Any) -> FeedPosition:
    cursor = query.get("cursor")
    since = query.get("updated_since")
    if cursor is not None:
        try:
            return decode_cursor(cursor)
        except InvalidCursor as exc:
            raise ApiError(400, "INVALID_PARAMETER", f"cursor: {exc}") from exc
    if since is not None:
        try:
            return FeedPosition(seq=0, since=parse_time(since))
        except ValueError as exc:
            raise ApiError(
                400, "INVALID_PARAMETER", "updated_since: expected an RFC 3339 timestamp"
            ) from exc
    return FeedPosition(seq=0)


def _limit(query: Any) -> int:
    text = query.get("limit")
    if text is None:
        return DEFAULT_LIMIT
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= MAX_LIMIT:
        raise ApiError(400, "INVALID_PARAMETER", f"limit: expected an integer 1..{MAX_LIMIT}")
    return int(text)


async def item_changes(request: web.Request) -> web.Response:
    position = _feed_position(request.query)
    limit = _limit(request.query)
    page = request.app[STATE_KEY].changes(position, limit)
    return json_response(
        {
            "items": page.items,
            "nextCursor": encode_cursor(page.next_position),
            "hasMore": page.has_more,
        }
    )


async def get_item(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    item = request.app[STATE_KEY].get(code)
    if item is None:
        raise ApiError(404, "ITEM_NOT_FOUND", f"no service item {code}")
    return json_response(item)


# -- control endpoints ------------------------------------------------------------------------


async def _json_object(request: web.Request) -> dict[str, Any]:
    try:
        body = msgspec.json.decode(await request.read())
    except msgspec.DecodeError as exc:
        raise ApiError(400, "INVALID_PARAMETER", f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise ApiError(400, "INVALID_PARAMETER", "body must be a JSON object")
    return body


def _known_code(request: web.Request) -> str:
    code = request.match_info["code"]
    if request.app[STATE_KEY].get(code) is None:
        raise ApiError(404, "ITEM_NOT_FOUND", f"no service item {code}")
    return code


async def reset_provincial(app: web.Application) -> None:
    """Back to a new stand-in's state: the seed catalogue, no cases, licences, ratings, codes,
    faults or clock offset (``POST /_control/reset``; tests sharing one stand-in call it)."""
    app[STATE_KEY].reset()
    await app[DELIVERIES_KEY].reset()
    app[FAULTS_KEY].clear()
    app[STATS_KEY].clear()
    app[IDENTITY_KEY].reset()
    app[CLOCK_KEY].reset()
    await app[CASES_KEY].reset()
    app[LICENCES_KEY].reset()
    app[REGISTER_KEY].reset()  # after the licences: it issues the companies' 营业执照
    app[RATINGS_KEY].reset()
    app[HALLS_KEY].reset()


async def control_reset(request: web.Request) -> web.Response:
    await reset_provincial(request.app)
    return json_response({"status": "reset", "seq": request.app[STATE_KEY].seq})


async def control_stats(request: web.Request) -> web.Response:
    counts: Counter[str] = request.app[STATS_KEY]
    return json_response({"requests": dict(counts)})


async def control_suspend(request: web.Request) -> web.Response:
    code = _known_code(request)
    reason = (await _json_object(request)).get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise ApiError(400, "INVALID_PARAMETER", "reason: a non-empty string is required")
    return json_response(request.app[STATE_KEY].suspend(code, reason))


async def control_resume(request: web.Request) -> web.Response:
    return json_response(request.app[STATE_KEY].resume(_known_code(request)))


async def control_patch(request: web.Request) -> web.Response:
    code = _known_code(request)
    try:
        return json_response(request.app[STATE_KEY].patch(code, await _json_object(request)))
    except InvalidItem as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


async def control_upsert(request: web.Request) -> web.Response:
    try:
        item, created = request.app[STATE_KEY].upsert(await _json_object(request))
    except InvalidItem as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc
    return json_response(item, status=201 if created else 200)


def build_provincial_app(
    *,
    api_key: str,
    data_dir: Path | None = None,
    oauth_clients: dict[str, OAuthClient] | None = None,
    issuer: str | None = DEFAULT_ISSUER,
    callback_secret: str = DEFAULT_CALLBACK_SECRET,
    callback_client_id: str = DEFAULT_CALLBACK_CLIENT_ID,
    callback_url: str | None = None,
    auto_process_seconds: float | None = None,
    callback_retry_base: float = 0.2,
) -> web.Application:
    """Build the stand-in. The catalogue lives in memory, or in ``data_dir/provincial.json``.

    ``oauth_clients`` (client_id → client) are the relying parties of the unified identity
    service; None registers ``default_oauth_clients()``. ``issuer`` is the ``iss`` of id_tokens;
    None uses the base URL the request came to (``http://host:port``).

    Case library (``cases.py``): status events are POSTed to the case's ``callbackUrl`` or else
    ``callback_url``, signed with ``callback_secret`` and sent as ``callback_client_id``; failed
    deliveries are retried after ``callback_retry_base * 2**n`` seconds (at most 5 s).
    ``auto_process_seconds`` moves every open case one step along its script that often
    (None: only the control API moves cases).
    """
    if not api_key:
        raise ValueError("api_key must not be empty")
    clients = default_oauth_clients() if oauth_clients is None else oauth_clients
    if not clients:
        raise ValueError("at least one OAuth client is needed")
    if not callback_secret:
        raise ValueError("callback_secret must not be empty")
    if auto_process_seconds is not None and auto_process_seconds <= 0:
        raise ValueError("auto_process_seconds must be positive")
    if callback_retry_base <= 0:
        raise ValueError("callback_retry_base must be positive")
    faults = FaultInjector(default_prefix=PLATFORM_PREFIX)
    app = web.Application(
        middlewares=[
            errors_as_json,
            count_requests,
            faults.middleware(),
            require_api_key(PLATFORM_PREFIX, api_key),
        ]
    )
    app[STATE_KEY] = CatalogState(data_dir)
    app[FAULTS_KEY] = faults
    stats: Counter[str] = Counter()
    app[STATS_KEY] = stats
    clock = Clock()
    app[CLOCK_KEY] = clock
    app[IDENTITY_KEY] = IdentityState(clients, issuer, clock)

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/gov/catalog/v1/items/changes", item_changes)
    app.router.add_get("/gov/catalog/v1/items/{code}", get_item)

    add_identity_routes(app)
    add_case_routes(
        app,
        CaseService(
            catalog=app[STATE_KEY],
            clock=clock,
            callback_secret=callback_secret,
            callback_client_id=callback_client_id,
            callback_url=callback_url,
            auto_process_seconds=auto_process_seconds,
            callback_retry_base=callback_retry_base,
        ),
    )
    licences = LicenceLibrary(clock)
    add_licence_routes(app, licences)
    app[CASES_KEY].book.on_licence = licences.issue_for_case
    deliveries = CaseDeliveries(app[CASES_KEY].book)
    deliveries.retry_base = callback_retry_base
    app[CASES_KEY].book.on_completed = deliveries.on_completed
    app[CASES_KEY].book.payments.on_paid = deliveries.on_paid
    add_delivery_routes(app, deliveries)
    add_legal_routes(
        app,
        LegalRegister(
            clock,
            licences,
            callback_secret=callback_secret,
            callback_client_id=callback_client_id,
        ),
    )
    add_rating_routes(app, clock)
    add_hall_routes(app, clock.rfc3339)

    app.router.add_post("/_control/reset", control_reset)
    add_clock_routes(app, lambda app: app[CLOCK_KEY])
    faults.add_control_routes(app)
    app.router.add_get("/_control/stats", control_stats)
    app.router.add_post("/_control/items", control_upsert)
    app.router.add_patch("/_control/items/{code}", control_patch)
    app.router.add_post("/_control/items/{code}/suspend", control_suspend)
    app.router.add_post("/_control/items/{code}/resume", control_resume)
    return app
