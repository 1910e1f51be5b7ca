"""The calling system's events as they arrive: signature and timestamp window on the raw body,
stored once by event id, one job to apply each; forged, stale and malformed ones refused."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

import asyncpg
import httpx
import msgspec

from tests.fixtures.standins import HALLQUEUE_SECRET

URL = "/api/v1/hooks/hallqueue/events"


def _event(event_id: str = "e-1", sequence: int = 1) -> bytes:
    return msgspec.json.encode(
        {
            "eventId": event_id,
            "hallCode": "H1",
            "sequence": sequence,
            "type": "ticket.issued",
            "occurredAt": "2026-12-03T01:00:00Z",
            "ticket": {
                "ticketId": "t1",
                "hallCode": "H1",
                "requestId": None,
                "number": "B001",
                "seq": 1,
                "status": "waiting",
                "channel": "kiosk",
                "itemCode": "",
                "reference": "",
                "window": None,
                "issuedAt": "2026-12-03T01:00:00Z",
                "calledAt": None,
                "finishedAt": None,
                "position": 0,
            },
            "hall": {
                "hallCode": "H1",
                "sequence": sequence,
                "servedThrough": 0,
                "waiting": 1,
                "openWindows": 2,
                "avgServiceSeconds": 300,
            },
        }
    )


def _signed(body: bytes, *, at: float | None = None, secret: str = HALLQUEUE_SECRET) -> Any:
    ts = str(int(at if at is not None else time.time()))
    mac = hmac.new(secret.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Queue-Timestamp": ts, "X-Queue-Signature": mac, "Content-Type": "application/json"}


async def test_an_event_is_stored_once_and_applied_by_one_job(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = _event()
    first = await client.post(URL, content=body, headers=_signed(body))
    again = await client.post(URL, content=body, headers=_signed(body))
    assert (first.status_code, first.json()) == (200, {"status": "accepted"})
    assert (again.status_code, again.json()) == (200, {"status": "duplicate"})
    assert await db.fetchval("SELECT count(*) FROM queue_events") == 1
    jobs = await db.fetchval("SELECT count(*) FROM pgqueuer WHERE entrypoint = 'queue.apply_event'")
    assert jobs == 1


async def test_forged_stale_and_malformed_events_are_refused(
    client: httpx.AsyncClient, db: asyncpg.Connection
) -> None:
    body = _event()
    forged = await client.post(URL, content=body, headers=_signed(body, secret="guess"))
    stale = await client.post(URL, content=body, headers=_signed(body, at=time.time() - 600))
    tampered = await client.post(URL, content=body.replace(b"B001", b"B002"), headers=_signed(body))
    junk = b'{"eventId": 1}'
    malformed = await client.post(URL, content=junk, headers=_signed(junk))
    unsigned = await client.post(URL, content=body, headers={"Content-Type": "application/json"})
    for answer in (forged, stale, tampered, malformed, unsigned):
        assert answer.status_code == 401
        assert answer.json()["code"] == "CALLBACK_SIGNATURE_INVALID"
    assert await db.fetchval("SELECT count(*) FROM queue_events") == 0
