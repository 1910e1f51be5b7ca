"""The mini-program's routes table (miniprogram/utils/endpoints.js) against the backend's
OpenAPI schema: every route it calls exists with that method, the JSON members and query
parameters it sends are declared, the required members are sent, and Idempotency-Key is sent
where the route takes one. A renamed route or field fails here, not in a citizen's hand."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from litestar.serialization import encode_json

from api.app import create_app
from core.settings import load_settings

MINIPROGRAM = Path(__file__).resolve().parents[2] / "miniprogram"


@pytest.fixture(scope="module")
def endpoints() -> dict[str, dict[str, Any]]:
    node = shutil.which("node")
    assert node, "Node.js (20+) is needed to read the mini-program's routes"
    out = subprocess.run(
        [node, "-e", "process.stdout.write(JSON.stringify(require('./utils/endpoints')))"],
        cwd=MINIPROGRAM,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return dict(json.loads(out))


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    # Building the app opens nothing: the URLs only have to parse.
    settings = load_settings(
        {},
        env="test",
        database={"url": "postgresql://contract@127.0.0.1:1/contract"},
        redis={"url": "redis://127.0.0.1:1"},
    )
    app = create_app(settings, configure_logs=False)
    return dict(json.loads(encode_json(app.openapi_schema.to_schema())))


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operation(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    for candidate, operations in schema["paths"].items():
        if _shape(candidate) == _shape(path) and method.lower() in operations:
            return dict(operations[method.lower()])
    return None


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = schema["components"]["schemas"][name]
    for variant in node.get("oneOf", node.get("anyOf", [])):
        resolved = _resolve(schema, variant)
        if resolved.get("type") == "object":
            return resolved
    return node


def test_every_route_the_miniprogram_calls_exists(
    endpoints: dict[str, dict[str, Any]], schema: dict[str, Any]
) -> None:
    missing = [
        f"{name}: {ep['method']} {ep['path']}"
        for name, ep in endpoints.items()
        if not ep.get("pendingBackend") and _operation(schema, ep["method"], ep["path"]) is None
    ]
    assert not missing, f"routes the mini-program calls that the backend lacks: {missing}"


def test_routes_waiting_for_the_backend_are_still_missing_and_have_a_fallback(
    endpoints: dict[str, dict[str, Any]], schema: dict[str, Any]
) -> None:
    """`pendingBackend` marks a route the mini-program prefers but the backend does not serve
    yet (POST uploads: wx.uploadFile cannot PUT); once served, the mark must go."""
    for name, ep in endpoints.items():
        if not ep.get("pendingBackend"):
            continue
        assert _operation(schema, ep["method"], ep["path"]) is None, (
            f"{name}: the backend now serves {ep['method']} {ep['path']}; drop pendingBackend"
        )
        assert any(
            other["path"] == ep["path"] and not other.get("pendingBackend")
            for other in endpoints.values()
        ), f"{name}: no served fallback for {ep['path']}"


def test_bodies_query_parameters_and_idempotency_keys_match(
    endpoints: dict[str, dict[str, Any]], schema: dict[str, Any]
) -> None:
    problems: list[str] = []
    for name, ep in endpoints.items():
        operation = _operation(schema, ep["method"], ep["path"])
        if operation is None:
            continue
        params = operation.get("parameters", [])
        query = {p["name"] for p in params if p["in"] == "query"}
        headers = {p["name"].lower() for p in params if p["in"] == "header"}
        if unknown := set(ep.get("query", [])) - query:
            problems.append(f"{name}: query {sorted(unknown)} not in {sorted(query)}")
        if ep.get("idempotent") and "idempotency-key" not in headers:
            problems.append(f"{name}: sends Idempotency-Key, the route takes none")
        required_headers = {
            p["name"].lower() for p in params if p["in"] == "header" and p.get("required")
        }
        if "idempotency-key" in required_headers and not ep.get("idempotent"):
            problems.append(f"{name}: the route requires Idempotency-Key")

        body = operation.get("requestBody")
        sent = set(ep.get("body", []))
        if body is None:
            if sent:
                problems.append(f"{name}: sends {sorted(sent)}, the route takes no body")
            continue
        content = body.get("content", {})
        if "application/json" not in content:
            if sent:
                problems.append(f"{name}: sends JSON, the route takes {sorted(content)}")
            continue
        model = _resolve(schema, content["application/json"]["schema"])
        declared = set(model.get("properties", {}))
        if unknown := sent - declared:
            problems.append(f"{name}: body {sorted(unknown)} not in {sorted(declared)}")
        if absent := set(model.get("required", [])) - sent:
            problems.append(f"{name}: required body members not sent: {sorted(absent)}")
    assert not problems, "\n".join(problems)


def test_multipart_routes_take_multipart(
    endpoints: dict[str, dict[str, Any]], schema: dict[str, Any]
) -> None:
    for name, ep in endpoints.items():
        if not ep.get("multipart"):
            continue
        operation = _operation(schema, ep["method"], ep["path"])
        if operation is None:
            continue  # pending, checked above
        # The upload route streams the request itself; its summary names the part.
        assert f"`{ep['multipart']}`" in operation.get("summary", ""), (name, operation)
