"""Health, readiness, metrics, request ids, OpenAPI."""

from __future__ import annotations

import httpx


async def test_liveness_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok", "checks": {}}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert {k: checks[k] for k in ("postgres", "redis")} == {"postgres": "ok", "redis": "ok"}
    assert "calendar" in checks  # a warning only (tests/api/calendars)


async def test_request_id_is_generated_or_echoed(client: httpx.AsyncClient) -> None:
    generated = (await client.get("/healthz")).headers["x-request-id"]
    assert len(generated) == 24  # core.logging._mint_request_id
    unrouted = await client.get("/nowhere", headers={"X-Request-ID": "unrouted-1234"})
    assert unrouted.headers["x-request-id"] == unrouted.json()["requestId"] == "unrouted-1234"
    echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-12345678"})
    assert echoed.headers["x-request-id"] == "abc-12345678"
    # A malformed id (header injection, absurd length) is replaced, not echoed.
    replaced = await client.get("/healthz", headers={"X-Request-ID": "x" * 300})
    assert replaced.headers["x-request-id"] != "x" * 300


async def test_prometheus_metrics(client: httpx.AsyncClient) -> None:
    await client.get("/api/v1/items")
    metrics = await client.get("/metrics")
    assert metrics.status_code == 200
    assert 'handheld_requests_total{method="GET",path="/api/v1/items",status="200"}' in metrics.text

    def served() -> tuple[float, float]:
        counted = timed = 0.0
        for line in metrics.text.splitlines():
            if line.startswith(
                'handheld_requests_total{method="GET",path="/api/v1/items",status="200"}'
            ):
                counted = float(line.rsplit(" ", 1)[1])
            elif line.startswith(
                'handheld_request_duration_seconds_count{method="GET",path="/api/v1/items"}'
            ):
                timed = float(line.rsplit(" ", 1)[1])
        return counted, timed

    before = served()
    # Hits of the response cache, answered before routing, count under their route too, and
    # the metric children kept after the first request go on counting.
    for _ in range(3):
        await client.get("/api/v1/items")
    metrics = await client.get("/metrics")
    assert served() == (before[0] + 3, before[1] + 3)


async def test_openapi_31_with_citizen_routes_under_api_v1(client: httpx.AsyncClient) -> None:
    schema = (await client.get("/schema/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    paths = set(schema["paths"]) - {"/healthz", "/readyz", "/.well-known/jwks.json"}
    staff = {p for p in paths if p.startswith("/ops/v1/")}
    citizen = paths - staff
    assert staff and citizen and all(p.startswith("/api/v1/") for p in citizen)
    assert (await client.get("/schema/swagger")).status_code == 200
