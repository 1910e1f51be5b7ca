"""An authorisation limited to items reaches the principal's data only through those items
(issue 15): a family agent (委托代办) or a hall worker's 帮办 token whose mandate names items
meets none of the routes that serve the principal's whole — the material library, the licence
wallet (list, detail, file, display codes, verification and use logs, consents), the inbox —
403 MANDATE_ITEMS_ONLY, and nothing changes. What applying needs stays reachable through the
declaration of a covered item: the principal's licences its materials accept
(``licenceSuggestions``, then attached), and library files already attached to declarations
of covered items. A mandate of every item reaches everything, as the principal does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from api.composition import Services
from tests.fixtures.declarations import FILES, Applicant, first_format, synced
from tests.fixtures.identity import Outside, bearer, make_staff, staff_login
from tests.fixtures.licences import earn_licence
from tests.fixtures.parties import acting, parties, signed_in
from tests.fixtures.proxies import (
    ASSIST,
    CHILD,
    MED_INSURANCE,
    PARENT,
    grant,
    item_code,
    start_assist,
    texted_code,
)


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # ``{licence}``, ``{material}``, ``{message}``: the principal's
    body: Any = None
    # Called again under a mandate of every item (a consent needs a department app: left out).
    whole: bool = True


# Every route that serves the principal's whole rather than one declaration's item.
WHOLE = [
    Route("GET", "/api/v1/materials"),
    Route("GET", "/api/v1/materials/{material}/content"),
    Route("POST", "/api/v1/materials/{material}/link"),
    Route("GET", "/api/v1/licences"),
    Route("GET", "/api/v1/licences/{licence}"),
    Route("GET", "/api/v1/licences/{licence}/file"),
    Route("POST", "/api/v1/licences/{licence}/display"),
    Route("GET", "/api/v1/licences/{licence}/verifications"),
    Route("GET", "/api/v1/licences/uses"),
    Route("GET", "/api/v1/licences/consents"),
    Route(
        "POST",
        "/api/v1/licences/consents",
        {"licenceId": "{licence}", "clientId": "dept-app", "purpose": "办事"},
        whole=False,
    ),
    Route("DELETE", f"/api/v1/licences/consents/{uuid.uuid4()}", whole=False),
    Route("GET", "/api/v1/inbox"),
    Route("POST", "/api/v1/inbox/{message}/read"),
]


async def _walk(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    ids: dict[str, str],
    *,
    refused: bool,
) -> None:
    for route in WHOLE if refused else [r for r in WHOLE if r.whole]:
        body = route.body
        if body is not None:
            body = {k: v.format(**ids) for k, v in body.items()}
        resp = await client.request(
            route.method, route.path.format(**ids), json=body, headers=headers
        )
        where = f"{route.method} {route.path}: {resp.status_code} {resp.text[:300]}"
        if refused:
            assert (resp.status_code, resp.json().get("code")) == (403, "MANDATE_ITEMS_ONLY"), where
            problem = resp.json()
            assert problem["title"] == "该授权仅限指定事项，不能查看或使用委托人的其他资料", where
        else:
            assert resp.status_code < 400, where


async def _whole_view(client: httpx.AsyncClient, owner: dict[str, str], licence: str) -> Any:
    """What the principal sees of their whole: wallet, logs, library, inbox."""
    paths = [
        "/api/v1/licences",
        f"/api/v1/licences/{licence}",
        f"/api/v1/licences/{licence}/verifications",
        "/api/v1/licences/uses",
        "/api/v1/licences/consents",
        "/api/v1/materials",
        "/api/v1/inbox?pageSize=50",
    ]
    seen = []
    for path in paths:
        resp = await client.get(path, headers=owner)
        assert resp.status_code == 200, f"{path}: {resp.text}"
        seen.append(resp.json())
    return seen


def _material(detail: dict[str, Any], shared_type: str) -> dict[str, Any]:
    return next(m for m in detail["materials"] if shared_type in m["licenceTypes"])


async def test_an_agent_limited_to_items_meets_no_wallet_library_or_inbox(
    live: httpx.AsyncClient, worker: None, outside: Outside, services: Services
) -> None:
    client = live  # a served API: the licence comes from a completed case
    await synced(services)
    med = await item_code(client, MED_INSURANCE)
    parent = await signed_in(client, outside, PARENT)
    child = await signed_in(client, outside, CHILD)
    parent_id = next(p["id"] for p in await parties(client, parent) if p["role"] == "self")

    # The parent's own: an ID card e-licence (居民身份证补领, another item, whose case left its
    # files in the library and its steps in the inbox), and a draft of the item to authorise.
    owner = Applicant(client, outside, "")
    owner.headers = parent
    licence = await earn_licence(owner)
    library = (await client.get("/api/v1/materials", headers=parent)).json()
    inbox = (await client.get("/api/v1/inbox", headers=parent)).json()["items"]
    assert library and inbox
    ids = {"licence": licence["id"], "material": library[0]["id"], "message": inbox[0]["id"]}
    draft = await owner.create(med)
    id_card = _material(draft, licence["typeCode"])
    # The principal is offered the whole library for it, the ID card e-licence too.
    assert id_card["licenceSuggestions"] == [licence["licenceNumber"]]
    assert {f["id"] for f in id_card["suggestions"]} & {f["id"] for f in library}

    # A family agent for that item only, and a hall worker's 帮办 token for it.
    assert (await grant(client, parent, CHILD, [med])).status_code == 200
    as_parent = acting(child, parent_id)
    clerk = bearer(
        await staff_login(client, await make_staff(services, "items-only-clerk", "operator"))
    )
    request = (await start_assist(client, clerk, PARENT, [med])).json()
    confirmed = await client.post(
        f"{ASSIST}/{request['id']}/confirm",
        json={"code": await texted_code(outside, PARENT)},
        headers=clerk,
    )
    assert confirmed.status_code == 200, confirmed.text
    assisted = bearer(confirmed.json()["accessToken"])

    # Neither meets the parent's whole, and their attempts change nothing of it (no display
    # code, no message read, no consent, no use logged).
    before = await _whole_view(client, parent, licence["id"])
    await _walk(client, as_parent, ids, refused=True)
    await _walk(client, assisted, ids, refused=True)
    assert await _whole_view(client, parent, licence["id"]) == before

    # What applying needs, through the declaration of the item: the e-licence its material
    # accepts is offered and attached; files of the parent's other items are neither offered
    # nor reusable (as a file of no one's).
    for headers in (as_parent, assisted):
        seen = await client.get(f"/api/v1/declarations/{draft['id']}", headers=headers)
        assert seen.status_code == 200, seen.text
        offered = _material(seen.json(), licence["typeCode"])
        assert offered["licenceSuggestions"] == [licence["licenceNumber"]]
        assert offered["suggestions"] == []
        for material_id in (ids["material"], str(uuid.uuid4())):
            reuse = await client.put(
                f"/api/v1/declarations/{draft['id']}/materials/{offered['code']}/reuse",
                json={"materialId": material_id},
                headers=headers,
            )
            assert (reuse.status_code, reuse.json()["code"]) == (400, "MATERIAL_NOT_USABLE")
    assert (await client.post(f"{ASSIST}/{request['id']}/end", headers=clerk)).status_code == 204
    # Ended: not even a display code (亮证's fast path leaves a 帮办 token to the guard).
    ended = await client.post(f"/api/v1/licences/{ids['licence']}/display", headers=assisted)
    assert (ended.status_code, ended.json()["code"]) == (403, "MANDATE_REVOKED")

    # A file the agent attaches to the item's declaration is one they may reuse within it.
    agent = Applicant(client, outside, "")
    agent.headers = as_parent
    other = next(m for m in draft["materials"] if m["code"] != id_card["code"])
    kind = first_format(other)
    uploaded = await agent.upload(draft["id"], other["code"], kind, _fresh(kind))
    assert uploaded.status_code == 200, uploaded.text
    within = _material(await agent.detail(draft["id"]), licence["typeCode"])["suggestions"]
    if kind in id_card["formats"]:
        assert [f["id"] for f in within] == [uploaded.json()["id"]]
        reused = await client.put(
            f"/api/v1/declarations/{draft['id']}/materials/{id_card['code']}/reuse",
            json={"materialId": uploaded.json()["id"]},
            headers=as_parent,
        )
        assert reused.status_code == 200, reused.text
    else:
        assert within == []
    used = await client.put(
        f"/api/v1/declarations/{draft['id']}/materials/{id_card['code']}/licence",
        json={"licenceNumber": licence["licenceNumber"]},
        headers=as_parent,
    )
    assert used.status_code == 200, used.text
    assert _material(used.json(), licence["typeCode"])["licenceNumber"] == licence["licenceNumber"]

    # The same agent under a mandate of every item: the whole, as the parent.
    assert (await grant(client, parent, CHILD, [])).status_code == 200
    await _walk(client, as_parent, ids, refused=False)


def _fresh(kind: str) -> bytes:
    """A file of that kind none of the parent's is equal to (the library keeps one per hash)."""
    data, _, _ = FILES[kind]
    return data + b"\n" + uuid.uuid4().hex.encode()
