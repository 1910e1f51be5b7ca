"""Client of the 12345 hotline platform (12345政务服务便民热线): filing a ticket (工单) under our
request id, reading one, and passing on the citizen's satisfaction (满意度回访).

Both writes are idempotent at the platform (the request id names one ticket; the same rating
sent again is answered as before), so they are retried like reads. A documented refusal (400,
404, 409 with a ``code``) raises ``HotlineRefused``, never retried."""

from __future__ import annotations

from typing import Annotated, Literal

import aiohttp
import msgspec

from core.http import JsonApiClient
from core.settings import HotlineSettings, HttpClientSettings

HotlineKind = Literal["consultation", "complaint", "suggestion"]
Satisfaction = Literal["satisfied", "basically_satisfied", "dissatisfied"]


class HotlineRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class _Wire(msgspec.Struct, rename="camel"):
    pass


class Party(_Wire, kw_only=True):
    name: str = ""
    phone: str = ""


class Subject(_Wire, kw_only=True):
    type: Literal["item", "department", "case", "none"] = "none"
    code: str = ""
    name: str = ""


class Department(_Wire, kw_only=True):
    code: str
    name: str


class NewTicket(_Wire, kw_only=True):
    request_id: str
    kind: HotlineKind
    title: str
    content: str
    citizen: Party
    subject: Subject
    department: Department | None = None
    reference: str = ""
    callback_url: str | None = None


class HotlineEvent(_Wire, kw_only=True):
    """One step of a ticket as 12345 reports it (callback body, and each of ``events``)."""

    event_id: str
    ticket_number: str
    request_id: str
    sequence: Annotated[int, msgspec.Meta(ge=1)]
    type: str
    status: str
    occurred_at: str
    department: Department | None = None
    reply: str | None = None
    satisfaction: str | None = None
    note: str | None = None


class HotlineTicket(_Wire, kw_only=True):
    ticket_number: str = ""
    request_id: str = ""
    status: str = ""
    sequence: int = 0
    events: list[HotlineEvent] = []
    # A refusal's body.
    code: str = ""
    message: str = ""


class HotlineClient(JsonApiClient):
    system = "hotline"

    def __init__(
        self, session: aiohttp.ClientSession, settings: HotlineSettings, http: HttpClientSettings
    ) -> None:
        super().__init__(session, settings.base_url, http)
        self._auth = {"Authorization": f"Bearer {settings.api_key.reveal()}"}

    def _headers(self) -> dict[str, str]:
        return self._auth

    def _answer(self, reply: HotlineTicket) -> HotlineTicket:
        if reply.code:
            raise HotlineRefused(reply.code, reply.message)
        return reply

    async def file(self, ticket: NewTicket) -> HotlineTicket:
        """File a ticket (or get the one already filed under ``request_id``)."""
        return self._answer(
            await self._call(
                "POST",
                "file",
                "/hotline/v1/tickets",
                HotlineTicket,
                json=ticket,
                retry=True,
                error_statuses=frozenset({400, 409}),
            )
        )

    async def rate(
        self, ticket_number: str, result: Satisfaction, comment: str = ""
    ) -> HotlineTicket:
        """The citizen's satisfaction with the reply (once per ticket)."""
        return self._answer(
            await self._call(
                "POST",
                "rate",
                f"/hotline/v1/tickets/{ticket_number}/satisfaction",
                HotlineTicket,
                json={"result": result, "comment": comment},
                retry=True,
                error_statuses=frozenset({400, 404, 409}),
            )
        )
