"""The published OpenAPI against the server's behaviour, one finding of the schema fuzzer each
(tests/test_schemathesis.py runs the fuzzer itself)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.identity import Outside, bearer, sso, user

PROBLEM = "application/problem+json"


@pytest.fixture
async def schema(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = {"get", "put", "post", "patch", "delete"}
    return [
        (method.upper(), path, operation)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if method in methods
    ]


async def test_a_body_that_refuses_unknown_fields_says_so(
    client: httpx.AsyncClient, schema: dict[str, Any]
) -> None:
    """ST202: the server answers 422 to an extra field, the schema must not allow one."""
    components = schema["components"]["schemas"]
    body = schema["paths"]["/api/v1/auth/sms/send"]["post"]["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert components[ref]["additionalProperties"] is False
    extra = await client.post("/api/v1/auth/sms/send", json={"phone": "13800000000", "x": 1})
    assert extra.status_code == 422
    # Every request body of the API is closed: each one's Struct forbids unknown fields.
    for method, path, operation in _operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        if (json_body := content.get("application/json")) and "$ref" in json_body["schema"]:
            name = json_body["schema"]["$ref"].rsplit("/", 1)[-1]
            assert components[name].get("additionalProperties") is False, (method, path)


async def test_constraints_inside_lists_and_optional_fields_are_published(
    schema: dict[str, Any],
) -> None:
    """A 422 for a schema-valid body: Litestar dropped `Meta` constraints of list items and of
    optional fields (an empty review tag, a 51-character verifier name)."""
    components = schema["components"]["schemas"]
    tags = components["RateRequest"]["properties"]["tags"]["items"]
    assert (tags["minLength"], tags["maxLength"]) == (1, 64)
    verifier = components["VerifyRequest"]["properties"]["verifier"]["oneOf"]
    assert {"type": "string", "maxLength": 50} in verifier


async def test_a_body_is_as_strict_as_its_schema(
    client: httpx.AsyncClient,
    outside: Outside,
    schema: dict[str, Any],
) -> None:
    """ST201: `0` is not a JSON boolean, `"5"` not an integer, though Litestar's lax conversion
    took them; `3.0` is an integer for JSON Schema and stays accepted."""
    token = (await sso(client, outside, user("zhangsan"))).json()["accessToken"]
    prefs = schema["components"]["schemas"]["Preferences"]["properties"]
    assert prefs["sms"]["type"] == "boolean"
    lax = await client.put(
        "/api/v1/push/preferences", json={"sms": 0, "app": "true"}, headers=bearer(token)
    )
    assert lax.status_code == 422, lax.text
    assert lax.headers["content-type"].startswith(PROBLEM)
    assert lax.json()["code"] == "VALIDATION_FAILED"
    strict = await client.put(
        "/api/v1/push/preferences", json={"sms": False}, headers=bearer(token)
    )
    assert strict.status_code == 200 and strict.json()["sms"] is False
    consent = await client.post(
        "/api/v1/licences/consents",
        json={"licenceId": "nope", "clientId": "c", "purpose": "p", "days": 30.0},
        headers=bearer(token),
    )
    assert consent.status_code != 422, consent.text


async def test_every_status_is_documented_as_a_problem_with_its_codes(
    schema: dict[str, Any],
) -> None:
    """ST103: withdraw and payment orders answered an undocumented 422. Every operation with a
    body documents 400 and 422, every one with a path parameter 404, every authenticated one
    401 (and 403 for staff) with its security scheme; each as problem details listing codes."""
    for method, path, operation in _operations(schema):
        responses = operation["responses"]
        for status, response in responses.items():
            if int(status) >= 400:
                content = response["content"]
                assert list(content) == [PROBLEM], (method, path, status)
                assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
                assert "Codes: `" in response["description"], (method, path, status)
        if "requestBody" in operation and "application/json" in operation["requestBody"]["content"]:
            assert {"400", "422"} <= set(responses), (method, path)
        if "{" in path:
            assert {"400", "404"} <= set(responses), (method, path)
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        if schemes:
            assert "401" in responses, (method, path)
        if "staffSession" in schemes:
            assert "403" in responses, (method, path)
        if path.startswith("/ops/v1/") and not path.startswith("/ops/v1/auth/l"):
            assert path == "/ops/v1/auth/totp" or schemes == {"staffSession"}, (method, path)
    withdraw = schema["paths"]["/api/v1/declarations/{declaration_id}/withdraw"]["post"]
    order = schema["paths"]["/api/v1/payments/orders"]["post"]
    assert "422" in withdraw["responses"] and "422" in order["responses"]
    assert "VALIDATION_FAILED" in order["responses"]["422"]["description"]
    assert set(schema["components"]["securitySchemes"]) == {"citizenBearer", "staffSession"}


async def test_the_live_inbox_is_documented_as_an_event_stream(schema: dict[str, Any]) -> None:
    """ST105: documented as application/json, answered as text/event-stream."""
    live = schema["paths"]["/api/v1/inbox/live"]["get"]["responses"]["200"]
    assert list(live["content"]) == ["text/event-stream"]


async def test_options_lists_every_method_of_the_path(
    client: httpx.AsyncClient, schema: dict[str, Any]
) -> None:
    """ST205: Litestar 2 answered OPTIONS with the methods of the first handler registered on a
    path only (`OPTIONS, POST` for /api/v1/declarations, which also lists with GET)."""
    for path, item in schema["paths"].items():
        documented = {m.upper() for m in item if m in {"get", "put", "post", "patch", "delete"}}
        concrete = path
        for parameter in next(iter(item.values())).get("parameters", []):
            if parameter["in"] == "path":
                kind = parameter["schema"].get("type"), parameter["schema"].get("format")
                value = {("integer", None): "2026", ("string", "uuid"): str(uuid.uuid4())}
                concrete = concrete.replace(f"{{{parameter['name']}}}", value.get(kind, "x"))
        answer = await client.options(concrete)
        assert answer.status_code == 204, (path, answer.text)
        allowed = {m.strip() for m in answer.headers["allow"].split(",")}
        assert allowed == documented | {"OPTIONS"}, path


async def test_stateful_links_lead_from_an_item_to_its_draft(schema: dict[str, Any]) -> None:
    """The fuzzer (and a generated client) follows links from real answers: an item of the
    catalogue to a draft for it, a draft to reading it and saving its form."""
    items = schema["paths"]["/api/v1/items"]["get"]["responses"]["200"]["links"]
    assert items["apply"] == {
        "operationRef": "#/paths/~1api~1v1~1declarations/post",
        "requestBody": {"itemCode": "$response.body#/items/0/code"},
    }
    draft = schema["paths"]["/api/v1/declarations"]["post"]["responses"]["200"]["links"]
    assert draft["saveForm"]["parameters"] == {"declaration_id": "$response.body#/id"}
    assert (
        draft["saveForm"]["operationRef"]
        == "#/paths/~1api~1v1~1declarations~1{declaration_id}/patch"
    )
