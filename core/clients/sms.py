"""Client of the SMS gateway: sending a templated message, and the delivery receipts of sent
ones. Sending is not retried by the client (a resend could text the citizen twice); a refusal
or flow control (流控) raises ``SmsRejected``."""

from __future__ import annotations

import aiohttp
import msgspec

from core.errors import OutsideSystemError
from core.http import JsonApiClient
from core.settings import HttpClientSettings, SmsSettings


class SmsRejected(Exception):
    """The gateway refused the message (bad number, flow control). ``retry_after``: seconds
    after which the same message will be accepted (flow control), None for a refusal for good."""

    def __init__(self, code: str, retry_after: float | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.retry_after = retry_after


FLOW_CONTROL = "FLOW_CONTROL"


class _Reply(msgspec.Struct, kw_only=True):
    messageId: str = ""
    status: str = ""
    code: str = ""
    message: str = ""


class Receipt(msgspec.Struct, rename="camel", kw_only=True):
    message_id: str
    status: str
    error_code: str | None = None


class _Receipts(msgspec.Struct):
    receipts: list[Receipt] = []


class SmsClient(JsonApiClient):
    system = "sms"

    def __init__(
        self, session: aiohttp.ClientSession, settings: SmsSettings, http: HttpClientSettings
    ) -> None:
        super().__init__(session, settings.base_url, http)
        self._auth = {"Authorization": f"Bearer {settings.api_key.reveal()}"}
        self._sign_name = settings.sign_name
        self._flow_window = settings.flow_control_window_s

    def _headers(self) -> dict[str, str]:
        return self._auth

    async def send(
        self, phone: str, template: str, params: dict[str, str], out_id: str | None = None
    ) -> str:
        reply = await self._call(
            "POST",
            "send",
            "/sms/v1/messages",
            _Reply,
            json={
                "phone": phone,
                "signName": self._sign_name,
                "templateCode": template,
                "templateParams": params,
                "outId": out_id,
            },
            error_statuses=frozenset({400, 429}),
        )
        if reply.code:
            # Flow control (流控) passes with the gateway's per-phone window.
            wait = self._flow_window if reply.code == FLOW_CONTROL else None
            raise SmsRejected(reply.code, retry_after=wait)
        if not reply.messageId:
            raise OutsideSystemError("sms: no message id")
        return reply.messageId

    async def receipts(self, message_ids: list[str]) -> list[Receipt]:
        """Delivery reports of sent messages (a message without one yet is simply absent)."""
        reply = await self._get_json(
            "receipts", "/sms/v1/receipts", _Receipts, params={"messageIds": ",".join(message_ids)}
        )
        return reply.receipts
