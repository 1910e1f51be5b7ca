"""Client of the app push aggregator (a JPush-style REST API)."""

from __future__ import annotations

import base64
from collections.abc import Mapping

import aiohttp
import msgspec

from core.http import JsonApiClient
from core.settings import AppPushSettings, HttpClientSettings


class AppPushRejected(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code


class _Error(msgspec.Struct):
    code: int = 0
    message: str = ""


class _Reply(msgspec.Struct, kw_only=True):
    sendno: str = ""
    msg_id: str = ""
    error: _Error | None = None


class Received(msgspec.Struct, kw_only=True):
    msg_id: str
    android_received: int | None = 0
    ios_apns_sent: int | None = 0


class AppPushClient(JsonApiClient):
    system = "apppush"

    def __init__(
        self, session: aiohttp.ClientSession, settings: AppPushSettings, http: HttpClientSettings
    ) -> None:
        super().__init__(session, settings.base_url, http)
        credentials = f"{settings.app_key}:{settings.master_secret.reveal()}".encode()
        self._auth = {"Authorization": "Basic " + base64.b64encode(credentials).decode()}

    def _headers(self) -> Mapping[str, str]:
        return self._auth

    async def push(
        self, registration_ids: list[str], title: str, alert: str, *, category: str = "WORK"
    ) -> str:
        """One notification to these devices; returns the aggregator's message id. Government
        progress messages go in the vendors' service category (not marketing), so they pass
        vendors' daily limits for marketing pushes."""
        reply = await self._call(
            "POST",
            "push",
            "/v3/push",
            _Reply,
            json={
                "platform": "all",
                "audience": {"registration_id": registration_ids},
                "notification": {
                    "alert": alert,
                    "android": {"title": title, "category": "sys"},
                    "ios": {"alert": alert},
                },
                "options": {"third_party_channel": {"huawei": {"category": category}}},
            },
            error_statuses=frozenset({400}),
        )
        if reply.error is not None:
            raise AppPushRejected(reply.error.code, reply.error.message)
        return reply.msg_id

    async def received(self, msg_ids: list[str]) -> list[Received]:
        """How many devices received each message (absent: not known yet)."""
        return await self._get_json(
            "received", "/v3/received", list[Received], params={"msg_ids": ",".join(msg_ids)}
        )
