"""Client of the service halls' calling system (排队叫号系统): taking a queue number, reading a
ticket back. Its events (called, completed, skipped) come to us as signed callbacks; the
decoded shapes are here so the receiving domain checks them the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from urllib.parse import quote

import aiohttp
import msgspec

from core.http import JsonApiClient
from core.settings import HallQueueSettings, HttpClientSettings

TicketStatus = Literal["waiting", "called", "completed", "skipped"]


class HallSnapshot(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """The hall's queue as the calling system reports it with every event: every number up to
    ``served_through`` has been called (one first-come queue per hall)."""

    hall_code: str
    # The hall's last event when the snapshot was taken (0: none).
    sequence: int = 0
    served_through: int
    waiting: int
    open_windows: int
    avg_service_seconds: int


class SystemTicket(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    ticket_id: str
    hall_code: str
    request_id: str | None = None
    number: str
    seq: int
    status: TicketStatus
    window: str | None = None
    issued_at: datetime
    called_at: datetime | None = None
    finished_at: datetime | None = None


class TicketAnswer(msgspec.Struct, kw_only=True, frozen=True):
    ticket: SystemTicket
    hall: HallSnapshot


class QueueEvent(msgspec.Struct, rename="camel", kw_only=True, frozen=True):
    """A callback: ``sequence`` counts the hall's events from 1 without gaps."""

    event_id: str
    hall_code: str
    sequence: int
    type: Literal["ticket.issued", "ticket.called", "ticket.completed", "ticket.skipped"]
    occurred_at: datetime
    ticket: SystemTicket
    hall: HallSnapshot


class HallQueueClient(JsonApiClient):
    system = "hallqueue"

    def __init__(
        self, session: aiohttp.ClientSession, settings: HallQueueSettings, http: HttpClientSettings
    ) -> None:
        super().__init__(session, settings.base_url, http)
        self._auth = {"Authorization": f"Bearer {settings.api_key.reveal()}"}

    def _headers(self) -> dict[str, str]:
        return self._auth

    async def take_number(
        self, hall_code: str, *, request_id: str, item_code: str, reference: str
    ) -> TicketAnswer:
        """Take a number online; ``request_id`` is the calling system's idempotency key, so a
        retry after a lost answer returns the same number."""
        return await self._call(
            "POST",
            "take_number",
            f"/queue/v1/halls/{quote(hall_code, safe='')}/tickets",
            TicketAnswer,
            json={
                "requestId": request_id,
                "itemCode": item_code,
                "channel": "online",
                "reference": reference,
            },
            retry=True,
        )

    async def ticket(self, ticket_id: str) -> TicketAnswer:
        return await self._call(
            "GET",
            "ticket",
            f"/queue/v1/tickets/{quote(ticket_id, safe='')}",
            TicketAnswer,
            retry=True,
        )
