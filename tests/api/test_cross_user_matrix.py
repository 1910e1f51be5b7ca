"""The cross-user matrix: every route on a citizen's own resource, called by another citizen,
answers as if the resource did not exist (404, no oracle) and changes nothing.

One row per route: add a resource kind (how its owner makes one, its not-found code, the list
of its kind) and its routes when a domain adds a citizen resource. A resource named in a request
body (a booking carrying a declaration, a hotline ticket about one) is refused with the route's
own code, listed in ``BODY_REFERENCES``. Without a sign-in every route answers 401.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest

from api.app import create_app
from api.composition import Services
from core.settings import Settings
from tests.fixtures.bundles import BIRTH, BundleApplicant
from tests.fixtures.declarations import RENT_WITHDRAWAL, Applicant, synced
from tests.fixtures.halls import CITY_HALL, ID_CARD, MovableClock, book, citizen, synced_halls
from tests.fixtures.hotline import file
from tests.fixtures.identity import Outside, sso, user
from tests.fixtures.parties import (
    HENGXIN,
    PARTIES,
    QIHANG,
    acting,
    authorise,
    company_id,
    item_code,
    signed_in,
)
from tests.fixtures.proxies import grant
from tests.fixtures.servers import serve_in_process
from tests.fixtures.waiting import eventually


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # ``{id}``: the owner's resource
    body: Any = None
    files: Any = None


async def _declaration(owner: Applicant, services: Services) -> str:
    draft = await owner.create(RENT_WITHDRAWAL)
    return str(draft["id"])


async def _appointment(owner: Applicant, services: Services) -> str:
    await synced_halls(services)
    booked = await book(owner.client, owner.headers)
    assert booked.status_code == 201, booked.text
    return str(booked.json()["id"])


async def _hotline_ticket(owner: Applicant, services: Services) -> str:
    ticket = await file(
        owner,
        {"kind": "complaint", "title": "窗口态度差", "content": "工作人员态度恶劣。",
         "itemCode": RENT_WITHDRAWAL},
    )  # fmt: skip
    return str(ticket["id"])


ADDRESS = {
    "recipient": "张三",
    "phone": "13800138000",
    "regionCode": "620102",
    "regionName": "西岭省 金城市 城关区",
    "detail": "民主东路 88 号 3 单元 501 室",
}


async def _address(owner: Applicant, services: Services) -> str:
    added = await owner.client.post("/api/v1/addresses", json=ADDRESS, headers=owner.headers)
    assert added.status_code == 200, added.text
    return str(added.json()["id"])


async def _result_delivery(owner: Applicant, services: Services) -> str:
    await synced_halls(services)
    draft = await owner.create(ID_CARD)
    chosen = await owner.client.put(
        f"/api/v1/declarations/{draft['id']}/result-delivery",
        json={"method": "pickup", "hallCode": CITY_HALL},
        headers=owner.headers,
    )
    assert chosen.status_code == 200, chosen.text
    return str(draft["id"])


async def _bundle(owner: Applicant, services: Services) -> str:
    started = await BundleApplicant(owner).start(BIRTH, {})
    assert started.status_code == 200, started.text
    return str(started.json()["id"])


async def _proxy(owner: Applicant, services: Services) -> str:
    """An authorisation (委托代办) the owner gave another person."""
    await sso(owner.client, owner.outside, user("lisi"))  # the agent has an account
    granted = await grant(owner.client, owner.headers, "lisi", [])
    assert granted.status_code == 200, granted.text
    return str(granted.json()["id"])


Make = Callable[[Applicant, Services], Awaitable[str]]


@dataclass(frozen=True)
class Resource:
    """A kind of citizen resource: ``make`` gives the owner one; ``read`` shows it to its owner;
    each of ``routes`` answers another citizen 404 ``code``; ``listed`` (the caller's own list
    of the kind, if it has one) shows another citizen nothing."""

    make: Make
    read: str
    code: str
    routes: list[Route]
    listed: str | None = None


MATRIX: dict[str, Resource] = {
    "declaration": Resource(
        _declaration,
        "/api/v1/declarations/{id}",
        "DECLARATION_NOT_FOUND",
        [
            Route("GET", "/api/v1/declarations/{id}"),
            Route("PATCH", "/api/v1/declarations/{id}", {"formData": {}}),
            Route(
                "PUT",
                "/api/v1/declarations/{id}/materials/CL00401001-03",
                files={"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")},
            ),
            Route("DELETE", "/api/v1/declarations/{id}/materials/CL00401001-03"),
            Route("POST", "/api/v1/declarations/{id}/submit"),
            Route("POST", "/api/v1/declarations/{id}/withdraw", {"reason": ""}),
            Route("POST", "/api/v1/declarations/{id}/redraft"),
        ],
        listed="/api/v1/declarations",
    ),
    "appointment": Resource(
        _appointment,
        "/api/v1/appointments/{id}",
        "APPOINTMENT_NOT_FOUND",
        [
            Route("GET", "/api/v1/appointments/{id}"),
            Route("POST", "/api/v1/appointments/{id}/cancel"),
        ],
        listed="/api/v1/appointments",
    ),
    "hotline ticket": Resource(
        _hotline_ticket,
        "/api/v1/hotline/tickets/{id}",
        "HOTLINE_TICKET_NOT_FOUND",
        [
            Route("GET", "/api/v1/hotline/tickets/{id}"),
            Route("POST", "/api/v1/hotline/tickets/{id}/satisfaction", {"result": "satisfied"}),
        ],
        listed="/api/v1/hotline/tickets",
    ),
    "address": Resource(
        _address,
        "/api/v1/addresses/{id}",
        "ADDRESS_NOT_FOUND",
        [
            Route("GET", "/api/v1/addresses/{id}"),
            Route("PUT", "/api/v1/addresses/{id}", {**ADDRESS, "recipient": "李四"}),
            Route("DELETE", "/api/v1/addresses/{id}"),
        ],
        listed="/api/v1/addresses",
    ),
    "result_delivery": Resource(
        _result_delivery,
        "/api/v1/declarations/{id}/result-delivery",
        "DELIVERY_NOT_FOUND",
        [
            Route("GET", "/api/v1/declarations/{id}/result-delivery"),
            Route(
                "PUT",
                "/api/v1/declarations/{id}/result-delivery",
                {"method": "pickup", "hallCode": "H620102001"},
            ),
        ],
    ),
    "bundle": Resource(
        _bundle,
        "/api/v1/bundles/{id}",
        "BUNDLE_NOT_FOUND",
        [
            Route("GET", "/api/v1/bundles/{id}"),
            Route("PATCH", "/api/v1/bundles/{id}", {"formData": {}}),
            Route(
                "PUT",
                "/api/v1/bundles/{id}/materials/M01",
                files={"file": ("a.pdf", b"%PDF-1.7\n", "application/pdf")},
            ),
            Route("PUT", "/api/v1/bundles/{id}/materials/M01/licence", {"licenceNumber": "X1"}),
            Route("DELETE", "/api/v1/bundles/{id}/materials/M01"),
            Route("POST", "/api/v1/bundles/{id}/submit"),
        ],
        listed="/api/v1/bundles",
    ),
    "proxy": Resource(
        _proxy,
        "/api/v1/proxies/{id}/log",
        "PROXY_NOT_FOUND",
        [
            Route("GET", "/api/v1/proxies/{id}/log"),
            Route("DELETE", "/api/v1/proxies/{id}"),
        ],
    ),
}


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def client(settings: Settings, clock: MovableClock) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the halls tests' clock (bookings need a day the halls open)."""
    async with serve_in_process(create_app(settings, configure_logs=False, clock=clock)) as c:
        yield c


@pytest.mark.parametrize("kind", sorted(MATRIX))
async def test_another_citizen_meets_nothing(
    kind: str,
    applicant: Applicant,
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
) -> None:
    kind_of = MATRIX[kind]
    read_path, routes = kind_of.read, kind_of.routes
    resource = await kind_of.make(applicant, services)
    before = await client.get(read_path.format(id=resource), headers=applicant.headers)
    assert before.status_code == 200, before.text
    stranger = await citizen(client, outside, "stranger")

    async def call(route: Route, target: str, key: str) -> httpx.Response:
        return await client.request(
            route.method,
            route.path.format(id=target),
            json=route.body if route.files is None else None,
            files=route.files,
            headers={**stranger, "Idempotency-Key": key},
        )

    for n, route in enumerate(routes):
        resp = await call(route, resource, f"matrix-{kind}-{n}")
        assert resp.status_code == 404, (
            f"{route.method} {route.path}: {resp.status_code} {resp.text}"
        )
        assert resp.headers["content-type"].startswith("application/problem+json")
        assert resp.json()["code"] == kind_of.code, f"{route.method} {route.path}: {resp.text}"
        # No oracle: the same answer as for an id that exists nowhere.
        nowhere = await call(route, str(uuid.uuid4()), f"matrix-{kind}-{n}-nowhere")
        assert (resp.json()["code"], resp.json()["title"]) == (
            nowhere.json()["code"],
            nowhere.json()["title"],
        ), f"{route.method} {route.path} tells another citizen's resource from none"

    # Nobody signed in (the request otherwise well formed): refused before anything is looked up.
    for n, route in enumerate(routes):
        resp = await client.request(
            route.method,
            route.path.format(id=resource),
            json=route.body if route.files is None else None,
            files=route.files,
            headers={"Idempotency-Key": f"matrix-{kind}-{n}-anonymous"},
        )
        assert resp.status_code == 401, f"{route.method} {route.path}: {resp.status_code}"

    if kind_of.listed is not None:  # their list holds nothing of ours
        listed = await client.get(kind_of.listed, headers=stranger)
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"] == [] and listed.json().get("total", 0) == 0, listed.text

    after = await client.get(read_path.format(id=resource), headers=applicant.headers)
    assert after.json() == before.json(), f"{kind} changed by another citizen's calls"


@dataclass(frozen=True)
class BodyReference:
    """A route that names another resource in its body (``{declaration}``): another citizen's
    is refused with ``status``/``code``, exactly as one that exists nowhere, and ``listed``
    (the caller's own list of what the route makes) stays empty."""

    route: Route
    status: int
    code: str
    listed: str


BODY_REFERENCES: dict[str, BodyReference] = {
    "a booking carrying a declaration": BodyReference(
        Route(
            "POST",
            "/api/v1/appointments",
            {
                "hallCode": CITY_HALL,
                "itemCode": ID_CARD,
                "date": "2026-06-16",
                "start": "09:00",
                "declarationId": "{declaration}",
            },
        ),
        409,
        "APPOINTMENT_DECLARATION_NOT_USABLE",
        "/api/v1/appointments",
    ),
    "a hotline ticket about a declaration": BodyReference(
        Route(
            "POST",
            "/api/v1/hotline/tickets",
            {
                "kind": "complaint",
                "title": "办件",
                "content": "办件超期",
                "declarationId": "{declaration}",
            },
        ),
        400,
        "HOTLINE_SUBJECT_UNKNOWN",
        "/api/v1/hotline/tickets",
    ),
}


@pytest.mark.parametrize("name", sorted(BODY_REFERENCES))
async def test_a_body_cannot_name_another_citizens_declaration(
    name: str,
    applicant: Applicant,
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
) -> None:
    reference = BODY_REFERENCES[name]
    await synced_halls(services)
    draft = await applicant.create(ID_CARD)
    stranger = await citizen(client, outside, "stranger")
    answers = []
    for declaration in (str(draft["id"]), str(uuid.uuid4())):  # theirs, and one of nobody's
        body = {
            k: declaration if v == "{declaration}" else v for k, v in reference.route.body.items()
        }
        resp = await client.request(
            reference.route.method,
            reference.route.path,
            json=body,
            headers={**stranger, "Idempotency-Key": str(uuid.uuid4())},
        )
        assert resp.status_code == reference.status, resp.text
        answers.append((resp.json()["code"], resp.json()["title"]))
    assert answers == [(reference.code, answers[0][1])] * 2, f"{name}: {answers}"
    assert (await client.get(reference.listed, headers=stranger)).json()["items"] == []


# Queue numbers (取号): taken on arrival, so the owner's is made at the slot's time.
AT_CITY_HALL = {"latitude": 36.0612, "longitude": 103.8344}
QUEUE_ROUTES = [
    Route("GET", "/api/v1/queue/tickets/{id}"),
    Route("GET", "/api/v1/queue/tickets/{id}/live"),
    Route("POST", "/api/v1/queue/tickets/{id}/rating", {"level": 5}),
]


async def test_another_citizen_meets_no_queue_number(
    applicant: Applicant,
    client: httpx.AsyncClient,
    outside: Outside,
    services: Services,
    clock: MovableClock,
    db: asyncpg.Connection,
) -> None:
    await synced_halls(services)
    first = await book(client, applicant.headers, "2026-06-16", "09:00")
    second = await book(client, applicant.headers, "2026-06-16", "10:00")
    assert first.status_code == second.status_code == 201, first.text + second.text
    clock.set(6, 16, 8, 50)
    taken = await client.post(
        "/api/v1/queue/tickets",
        json={"appointmentId": first.json()["id"], "location": AT_CITY_HALL},
        headers=applicant.headers,
    )
    assert taken.status_code == 201, taken.text
    ticket = taken.json()["id"]
    stranger = await citizen(client, outside, "stranger")

    for route in QUEUE_ROUTES:
        for target in (ticket, str(uuid.uuid4())):  # the owner's, and one that exists nowhere
            resp = await client.request(
                route.method, route.path.format(id=target), json=route.body, headers=stranger
            )
            assert resp.status_code == 404, f"{route.method} {route.path}: {resp.text}"
            assert resp.json()["code"] == "QUEUE_TICKET_NOT_FOUND"
    # A number for the owner's other booking: as for a booking that exists nowhere.
    for booking in (second.json()["id"], str(uuid.uuid4())):
        resp = await client.post(
            "/api/v1/queue/tickets",
            json={"appointmentId": booking, "location": AT_CITY_HALL},
            headers=stranger,
        )
        assert resp.status_code == 404 and resp.json()["code"] == "QUEUE_BOOKING_NOT_FOUND"
    assert await db.fetchval("SELECT count(*) FROM queue_tickets") == 1
    assert (await client.get("/api/v1/queue/tickets", headers=stranger)).json()["tickets"] == []
    mine = await client.get(f"/api/v1/queue/tickets/{ticket}", headers=applicant.headers)
    assert mine.json() == taken.json()


async def test_a_delivery_cannot_go_to_another_citizens_address(
    applicant: Applicant, client: httpx.AsyncClient, outside: Outside, services: Services
) -> None:
    """An address named in a delivery choice: another citizen's is refused as one that exists
    nowhere (DELIVERY_ADDRESS_UNKNOWN), and the owner's book is untouched."""
    await synced_halls(services)
    address = await _address(applicant, services)
    stranger = await citizen(client, outside, "stranger")
    draft = await client.post("/api/v1/declarations", json={"itemCode": ID_CARD}, headers=stranger)
    assert draft.status_code == 200, draft.text
    path = f"/api/v1/declarations/{draft.json()['id']}/result-delivery"
    answers = [
        await client.put(path, json={"method": "postal", "addressId": target}, headers=stranger)
        for target in (address, str(uuid.uuid4()))
    ]
    for resp in answers:
        assert resp.status_code == 400, resp.text
        assert resp.json()["code"] == "DELIVERY_ADDRESS_UNKNOWN"
    assert answers[0].json()["title"] == answers[1].json()["title"]
    shown = await client.get(path, headers=stranger)
    assert shown.json()["method"] is None
    book = await client.get("/api/v1/addresses", headers=applicant.headers)
    assert [a["id"] for a in book.json()["items"]] == [address]


# --- the cross-party matrix (docs/acting-as.md) --------------------------------------------
# A company's resources, made by its agent acting for it, walked by every caller who must be
# refused: the agent as a natural person (no X-Acting-As), another company's agent acting for
# that company, a person acting for this company without a mandate, and the agent once revoked.
# The first two meet nothing (404, as for an id that exists nowhere); the last two are refused
# before any resource is looked at (403 with the mandate's code).

COMPANY_LICENCE_ROUTES = [
    Route("GET", "/api/v1/licences/{id}"),
    Route("GET", "/api/v1/licences/{id}/file"),
    Route("POST", "/api/v1/licences/{id}/display"),
    Route("GET", "/api/v1/licences/{id}/verifications"),
]
COMPANY_INBOX_ROUTES = [Route("POST", "/api/v1/inbox/{id}/read")]


async def test_a_companys_resources_are_refused_to_every_other_party(
    client: httpx.AsyncClient, outside: Outside, services: Services, worker: None
) -> None:
    await synced(services)
    zhang = await signed_in(client, outside, "zhangsan")
    company = await company_id(client, zhang, QIHANG)
    await authorise(client, zhang, company, "lisi")
    li = await signed_in(client, outside, "lisi")
    await company_id(client, li, QIHANG)
    wang = await signed_in(client, outside, "wangfang")
    other = await company_id(client, wang, HENGXIN)
    owner = acting(li, company)

    created = await client.post(
        "/api/v1/declarations",
        json={"itemCode": await item_code(client, "企业名称自主申报登记")},
        headers=owner,
    )
    assert created.status_code == 200, created.text
    declaration = created.json()["id"]

    async def licence() -> str | None:
        wallet = (await client.get("/api/v1/licences", headers=owner)).json()
        return next((w["id"] for w in wallet if w["status"] == "valid"), None)

    licence_id = await eventually(licence)
    async with services.infra.pool.acquire() as conn, conn.transaction():
        await services.push.notify(
            conn,
            uuid.UUID(company),
            "declaration.submitted",
            {"item": "企业名称自主申报登记"},
            dedupe_key="matrix-company-message",
        )
    inbox = (await client.get("/api/v1/inbox", headers=owner)).json()["items"]
    message = inbox[0]["id"]  # a message in the company's inbox
    resources = [
        (MATRIX["declaration"].routes, declaration, "/api/v1/declarations/{id}"),
        (COMPANY_LICENCE_ROUTES, licence_id, "/api/v1/licences/{id}"),
        (COMPANY_INBOX_ROUTES, message, None),
    ]

    async def snapshot() -> list[object]:
        return [
            (await client.get(read.format(id=target), headers=acting(zhang, company))).json()
            for _, target, read in resources
            if read
        ]

    before = await snapshot()

    async def walk(headers: dict[str, str], expect: int, code: str | None, who: str) -> None:
        for routes, target, _ in resources:
            for n, route in enumerate(routes):
                key = f"party-{who}-{route.method}-{route.path}-{n}"

                async def call(
                    target_id: str, suffix: str, route: Route = route, key: str = key
                ) -> httpx.Response:
                    return await client.request(
                        route.method,
                        route.path.format(id=target_id),
                        json=route.body if route.files is None else None,
                        files=route.files,
                        headers={**headers, "Idempotency-Key": key + suffix},
                    )

                resp = await call(target, "")
                where = f"{who}: {route.method} {route.path}: {resp.status_code} {resp.text}"
                assert resp.status_code == expect, where
                assert resp.headers["content-type"].startswith("application/problem+json"), where
                if code is not None:
                    assert resp.json()["code"] == code, where
                else:  # no oracle: as for an id that exists nowhere
                    nowhere = await call(str(uuid.uuid4()), "-nowhere")
                    assert resp.json()["code"] == nowhere.json()["code"], where

    await walk(li, 404, None, "natural person")
    await walk(acting(wang, other), 404, None, "other company")
    await walk(acting(wang, company), 403, "ACTING_AS_FORBIDDEN", "no mandate")
    # The company's agents are managed by its representative only.
    for method, path in (("GET", f"{PARTIES}/{company}/agents"),
                         ("POST", f"{PARTIES}/{company}/agents")):  # fmt: skip
        body = {"agentIdNumber": "620102198503120317", "agentName": "王芳"}
        for caller, status in ((wang, 404), (li, 403)):
            resp = await client.request(
                method, path, json=body if method == "POST" else None, headers=caller
            )
            assert resp.status_code == status, f"{method} {path}: {resp.text}"
    mandates = (await client.get(f"{PARTIES}/{company}/agents", headers=zhang)).json()["agents"]
    mandate = next(a["mandateId"] for a in mandates if a["role"] == "agent")
    stray = await client.delete(f"{PARTIES}/{other}/agents/{mandate}", headers=wang)
    assert stray.status_code == 404, stray.text  # another company's mandate is nobody's here

    revoked = await client.delete(f"{PARTIES}/{company}/agents/{mandate}", headers=zhang)
    assert revoked.status_code == 200, revoked.text
    await walk(owner, 403, "MANDATE_REVOKED", "revoked agent")
    assert await snapshot() == before, "a company's resource changed by another party's calls"
