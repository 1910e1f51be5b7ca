"""Client of the app push aggregator (a JPush-style REST API)."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Mapping, Sequence

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


class BatchPush(msgspec.Struct, frozen=True, kw_only=True):
    """One push of a batch single push: ``key`` names it for the caller and, with the
    registration id, makes its cid, so a retried batch sends nothing twice."""

    key: str
    registration_id: str
    title: str
    alert: str


class BatchResult(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    registration_id: str
    msg_id: str | None = None
    error_code: int | None = None


class _SingleReply(msgspec.Struct, kw_only=True):
    msg_id: str | int | None = None
    error: _Error | None = None


# The namespace of our cids (JPush's are "{appkey}-{uuid}"): a uuid5 of key and device.
_CID_NAMESPACE = uuid.UUID("6f1c3b0e-5a52-4c1e-9d3e-7b0f6c2a9e41")
BATCH_LIMIT = 1000


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
        self._app_key = settings.app_key
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

    def cid(self, key: str, registration_id: str) -> str:
        return f"{self._app_key}-{uuid.uuid5(_CID_NAMESPACE, f'{key}:{registration_id}')}"

    async def push_batch(self, pushes: Sequence[BatchPush]) -> list[BatchResult]:
        """A notification per device in one request (批量单推, at most ``BATCH_LIMIT``), each
        answered on its own. Each push's cid is derived from its key and device: when a batch
        is sent again (a job retried after its reply was lost), the aggregator answers the
        first result and pushes nothing twice."""
        if not 1 <= len(pushes) <= BATCH_LIMIT:
            raise ValueError(f"a batch holds 1..{BATCH_LIMIT} pushes")
        by_cid = {self.cid(p.key, p.registration_id): p for p in pushes}
        replies = await self._call(
            "POST",
            "push_batch",
            "/v3/push/batch/regid/single",
            dict[str, _SingleReply],
            json={
                "pushlist": {
                    cid: {
                        "platform": "all",
                        "target": p.registration_id,
                        "notification": {
                            "alert": p.alert,
                            "android": {"title": p.title, "category": "sys"},
                            "ios": {"alert": p.alert},
                        },
                        "options": {"third_party_channel": {"huawei": {"category": "WORK"}}},
                    }
                    for cid, p in by_cid.items()
                }
            },
        )
        results: list[BatchResult] = []
        for cid, p in by_cid.items():
            reply = replies.get(cid) or _SingleReply(error=_Error(1000, "not answered"))
            if reply.error is None and reply.msg_id is not None:
                results.append(BatchResult(key=p.key, registration_id=p.registration_id,
                                           msg_id=str(reply.msg_id)))  # fmt: skip
            else:
                code = reply.error.code if reply.error is not None else 1000
                results.append(BatchResult(key=p.key, registration_id=p.registration_id,
                                           error_code=code))  # fmt: skip
        return results

    async def received(self, msg_ids: list[str]) -> list[Received]:
        """How many devices received each message (absent: not known yet)."""
        return await self._get_json(
            "received", "/v3/received", list[Received], params={"msg_ids": ",".join(msg_ids)}
        )
