"""The WeChat Pay v3 client (direct merchant, 直连商户) on ``JsonApiClient``: JSAPI and APP
payments, queries, closing, refunds, trade bills, and the verification and decryption of WeChat
Pay's notifications.

``JsonApiClient`` does the transport (timing, logging, retries); this class adds what WeChat Pay
needs through its hooks: every request signed (``_request_headers``), WeChat Pay's error body
read (``_error``), URLs sent as encoded (the signature covers them byte for byte). Each answer is
taken undecoded (``RawResponse``) and its signature checked before it is decoded: by the key
``Wechatpay-Serial`` names, the WeChat Pay public key (``PUB_KEY_ID_…``, configured) or a
platform certificate (hex serial, fetched from ``GET /v3/certificates`` and decrypted with the
APIv3 key). The bill download is not signed; its SHA1 is checked instead.

Only idempotent calls are retried (on transport errors and 5xx): queries, bill, prepay by
``out_trade_no`` and refund by ``out_refund_no``. A 4xx is never retried, nor is an answer whose
signature does not verify.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal, TypeVar
from urllib.parse import quote, urlencode

import aiohttp
import msgspec
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from yarl import URL

from core.clients.wechatpay import crypto
from core.clients.wechatpay.errors import (
    WechatPayConfigError,
    WechatPayError,
    WechatPayNotFound,
    WechatPaySignatureInvalid,
)
from core.clients.wechatpay.schemas import (
    Amount,
    Certificates,
    CloseRequest,
    EncryptedResource,
    ErrorBody,
    NotificationEnvelope,
    Payer,
    PayNotification,
    PrepayRequest,
    PrepayResponse,
    Refund,
    RefundRequest,
    RefundRequestAmount,
    TradeBillUrl,
    Transaction,
)
from core.clock import CHINA_TZ
from core.http import JsonApiClient, OutsideSystemHttpError, RawResponse
from core.settings import HttpClientSettings, WechatPaySettings

log = logging.getLogger(__name__)
T = TypeVar("T")

USER_AGENT = "handheld-wechatpay/1 (aiohttp)"


@dataclass(frozen=True, slots=True)
class _PlatformKey:
    key: rsa.RSAPublicKey
    not_before: datetime
    not_after: datetime


class WechatPayClient(JsonApiClient):
    """Typed async client of WeChat Pay API v3 (direct merchant). One per process, sharing the
    process's aiohttp session."""

    system = "wechatpay"

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: WechatPaySettings,
        http_settings: HttpClientSettings,
        *,
        certificate_refresh_interval_s: float = 60.0,
    ) -> None:
        """Loads the keys now: a missing or unusable mchid, merchant serial, private key or
        APIv3 key (32 bytes) raises ``WechatPayConfigError``; so does a ``public_key_id``
        without a readable ``public_key_path``."""
        if not settings.base_url:
            raise WechatPayConfigError("wechatpay.base_url is not set")
        if not settings.mchid or not settings.merchant_serial_no:
            raise WechatPayConfigError("wechatpay.mchid and merchant_serial_no are required")
        apiv3_key = settings.apiv3_key.reveal().encode()
        if len(apiv3_key) != 32:
            raise WechatPayConfigError("wechatpay.apiv3_key must be the 32-byte APIv3 key")
        super().__init__(session, settings.base_url, http_settings)
        self._pay = settings
        self._private_key = crypto.load_private_key(settings.merchant_private_key_path)
        self._apiv3_key = apiv3_key
        self._public_key_id = settings.public_key_id
        self._public_key = (
            crypto.load_public_key(settings.public_key_path) if settings.public_key_id else None
        )
        self._window = settings.timestamp_window_s
        self._platform_keys: dict[int, _PlatformKey] = {}
        self._certificates_lock = asyncio.Lock()
        self._certificates_fetched_at = float("-inf")
        self._refresh_interval = certificate_refresh_interval_s

    @property
    def mchid(self) -> str:
        return self._pay.mchid

    # ---- signing ----------------------------------------------------------------------------

    def authorization(
        self, method: str, path_and_query: str, body: str, *, timestamp: int, nonce: str
    ) -> str:
        """The ``Authorization`` header of a request (signature over
        ``METHOD\\nPATH?QUERY\\nTIMESTAMP\\nNONCE\\nBODY\\n``)."""
        return crypto.authorization(
            self._private_key,
            mchid=self._pay.mchid,
            serial_no=self._pay.merchant_serial_no,
            method=method,
            path_and_query=path_and_query,
            body=body,
            timestamp=timestamp,
            nonce=nonce,
        )

    def jsapi_pay_params(self, prepay_id: str) -> dict[str, str]:
        """Parameters of ``wx.requestPayment`` in the mini-program (paySign over
        ``appId\\ntimeStamp\\nnonceStr\\npackage\\n``)."""
        appid = self._require("appid")
        timestamp = str(int(time.time()))
        nonce = crypto.new_nonce()
        package = f"prepay_id={prepay_id}"
        message = f"{appid}\n{timestamp}\n{nonce}\n{package}\n"
        return {
            "appId": appid,
            "timeStamp": timestamp,
            "nonceStr": nonce,
            "package": package,
            "signType": "RSA",
            "paySign": crypto.rsa_sign(self._private_key, message),
        }

    def app_pay_params(self, prepay_id: str) -> dict[str, str]:
        """Parameters of the OpenSDK ``PayReq`` in the mobile app (sign over
        ``appid\\ntimestamp\\nnoncestr\\nprepayid\\n``)."""
        appid = self._require("app_appid")
        timestamp = str(int(time.time()))
        nonce = crypto.new_nonce()
        message = f"{appid}\n{timestamp}\n{nonce}\n{prepay_id}\n"
        return {
            "appid": appid,
            "partnerid": self._pay.mchid,
            "prepayid": prepay_id,
            "package": "Sign=WXPay",
            "noncestr": nonce,
            "timestamp": timestamp,
            "sign": crypto.rsa_sign(self._private_key, message),
        }

    def _require(self, field: str) -> str:
        value = getattr(self._pay, field)
        if not value:
            raise WechatPayConfigError(f"wechatpay.{field} is not set")
        return str(value)

    # ---- verification -----------------------------------------------------------------------

    def decrypt_resource(self, resource: EncryptedResource) -> bytes:
        """Plaintext of an AEAD_AES_256_GCM resource; ``WechatPaySignatureInvalid`` when it
        does not decrypt (wrong key, tampered ciphertext, nonce or associated data)."""
        return crypto.aead_decrypt(self._apiv3_key, resource)

    async def verify_signature(self, headers: Mapping[str, str], body: bytes) -> None:
        """Checks WeChat Pay's signature of a response or notification; raises
        ``WechatPaySignatureInvalid``. The key is chosen by ``Wechatpay-Serial``: the
        configured public key for ``public_key_id``, a platform certificate otherwise (fetched
        once, single-flight, when the serial is unknown)."""
        timestamp, nonce, serial, signature = crypto.signed_parts(headers, self._window)
        key = await self._key_for(serial)
        if key is None:
            raise WechatPaySignatureInvalid(f"unknown key serial {serial!r}")
        crypto.check_signature(key, timestamp, nonce, body, signature)

    async def parse_notification(self, headers: Mapping[str, str], body: bytes) -> PayNotification:
        """A payment or refund notification, verified and decrypted."""
        await self.verify_signature(headers, body)
        try:
            envelope = msgspec.json.decode(body, type=NotificationEnvelope)
        except msgspec.DecodeError as exc:
            raise WechatPayError(None, "BAD_NOTIFICATION", str(exc)) from exc
        if envelope.resource_type != "encrypt-resource":
            raise WechatPayError(
                None, "BAD_NOTIFICATION", f"resource_type {envelope.resource_type!r}"
            )
        plaintext = self.decrypt_resource(envelope.resource)
        original_type = envelope.resource.original_type
        resource: Transaction | Refund
        try:
            if original_type == "transaction":
                resource = msgspec.json.decode(plaintext, type=Transaction)
            elif original_type == "refund":
                refund = msgspec.json.decode(plaintext, type=Refund)
                if not refund.status and refund.refund_status:
                    refund = msgspec.structs.replace(refund, status=refund.refund_status)
                resource = refund
            else:
                raise WechatPayError(None, "BAD_NOTIFICATION", f"original_type {original_type!r}")
        except msgspec.DecodeError as exc:
            raise WechatPayError(None, "BAD_NOTIFICATION", str(exc)) from exc
        return PayNotification(
            id=envelope.id,
            create_time=envelope.create_time,
            event_type=envelope.event_type,
            resource_type=envelope.resource_type,
            summary=envelope.summary,
            original_type=original_type,
            resource=resource,
        )

    def _configured_public_key(self, serial: str) -> rsa.RSAPublicKey | None:
        if self._public_key is not None and hmac.compare_digest(
            serial.encode(), self._public_key_id.encode()
        ):
            return self._public_key
        return None

    async def _key_for(self, serial: str) -> rsa.RSAPublicKey | None:
        if (key := self._configured_public_key(serial)) is not None:
            return key
        number = crypto.serial_number(serial)
        if number is None:
            return None
        if (key := self._platform_key(number)) is not None:
            return key
        async with self._certificates_lock:
            # Whoever held the lock may have fetched this very serial.
            if (key := self._platform_key(number)) is not None:
                return key
            if time.monotonic() - self._certificates_fetched_at < self._refresh_interval:
                return None  # fetched a moment ago: an unknown serial stays unknown
            await self._refresh_certificates()
            return self._platform_key(number)

    def _platform_key(self, number: int) -> rsa.RSAPublicKey | None:
        entry = self._platform_keys.get(number)
        if entry is None:
            return None
        now = datetime.now(UTC)
        return entry.key if entry.not_before <= now <= entry.not_after else None

    async def refresh_certificates(self) -> int:
        """Fetches the platform certificates now (single-flight); returns how many are valid."""
        async with self._certificates_lock:
            await self._refresh_certificates()
            return len(self._platform_keys)

    async def _refresh_certificates(self) -> None:
        answer = await self._send(
            "GET", "certificates", "/v3/certificates", retry=True, verify=False
        )
        self._certificates_fetched_at = time.monotonic()
        reply = _decode(answer, Certificates)
        now = datetime.now(UTC)
        keys: dict[int, _PlatformKey] = {}
        for entry in reply.data:
            pem = self.decrypt_resource(entry.encrypt_certificate)
            try:
                certificate = x509.load_pem_x509_certificate(pem)
            except ValueError as exc:
                raise WechatPaySignatureInvalid("platform certificate does not load") from exc
            public_key = certificate.public_key()
            if not isinstance(public_key, rsa.RSAPublicKey):
                continue
            if crypto.serial_number(entry.serial_no) != certificate.serial_number:
                raise WechatPaySignatureInvalid("platform certificate serial mismatch")
            if certificate.not_valid_after_utc < now:
                continue
            keys[certificate.serial_number] = _PlatformKey(
                public_key, certificate.not_valid_before_utc, certificate.not_valid_after_utc
            )
        # The list is signed by one of the certificates it contains (what WeChat Pay's own
        # certificate downloader checks), or, for a merchant in public-key mode, by the public
        # key: decrypting the certificates proves the APIv3 key, this proves the answer.
        timestamp, nonce, serial, signature = crypto.signed_parts(answer.headers, self._window)
        signer = self._configured_public_key(serial)
        if signer is None and (number := crypto.serial_number(serial)) in keys:
            signer = keys[number].key
        if signer is None:
            raise WechatPaySignatureInvalid("certificate list not signed by a known key")
        crypto.check_signature(signer, timestamp, nonce, answer.body, signature)
        self._platform_keys = keys
        log.info("wechatpay platform certificates", extra={"count": len(keys)})

    # ---- API ----------------------------------------------------------------------------------

    async def jsapi_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        openid: str,
        time_expire: datetime | None = None,
        attach: str | None = None,
    ) -> str:
        """JSAPI/mini-program order (POST /v3/pay/transactions/jsapi) → prepay_id. Retried: the
        same out_trade_no with the same content is the same order. ``time_expire`` defaults to
        now + ``order_ttl_s``."""
        return await self._prepay(
            "jsapi", out_trade_no, description, total, Payer(openid=openid), time_expire, attach
        )

    async def app_prepay(
        self,
        *,
        out_trade_no: str,
        description: str,
        total: int,
        time_expire: datetime | None = None,
        attach: str | None = None,
    ) -> str:
        """APP order (POST /v3/pay/transactions/app) with the mobile app's appid → prepay_id.
        Retried like ``jsapi_prepay``."""
        return await self._prepay(
            "app", out_trade_no, description, total, None, time_expire, attach
        )

    async def _prepay(
        self,
        kind: Literal["jsapi", "app"],
        out_trade_no: str,
        description: str,
        total: int,
        payer: Payer | None,
        time_expire: datetime | None,
        attach: str | None,
    ) -> str:
        if time_expire is None:
            time_expire = datetime.now(UTC) + timedelta(seconds=self._pay.order_ttl_s)
        request = PrepayRequest(
            appid=self._require("appid" if kind == "jsapi" else "app_appid"),
            mchid=self._pay.mchid,
            description=description,
            out_trade_no=out_trade_no,
            notify_url=self._require("notify_url"),
            amount=Amount(total=total),
            payer=payer,
            time_expire=time_expire.astimezone(CHINA_TZ).isoformat(timespec="seconds"),
            attach=attach,
        )
        answer = await self._send(
            "POST", f"{kind}_prepay", f"/v3/pay/transactions/{kind}", json=request, retry=True
        )
        return _decode(answer, PrepayResponse).prepay_id

    async def query_by_out_trade_no(self, out_trade_no: str) -> Transaction:
        """GET /v3/pay/transactions/out-trade-no/{out_trade_no}; ``WechatPayNotFound``
        (code ORDER_NOT_EXIST) when WeChat Pay does not know it."""
        return await self._query(
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}"
        )

    async def query_by_transaction_id(self, transaction_id: str) -> Transaction:
        return await self._query(f"/v3/pay/transactions/id/{quote(transaction_id, safe='')}")

    async def _query(self, path: str) -> Transaction:
        answer = await self._send(
            "GET", "query", path, query={"mchid": self._pay.mchid}, retry=True
        )
        return _decode(answer, Transaction)

    async def close(self, out_trade_no: str) -> None:
        """POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close (204). Not retried here:
        the caller's job retries it."""
        await self._send(
            "POST",
            "close",
            f"/v3/pay/transactions/out-trade-no/{quote(out_trade_no, safe='')}/close",
            json=CloseRequest(mchid=self._pay.mchid),
        )

    async def refund(
        self,
        *,
        out_refund_no: str,
        refund: int,
        total: int,
        out_trade_no: str | None = None,
        transaction_id: str | None = None,
        reason: str | None = None,
        notify_url: str | None = None,
        funds_account: str | None = None,
    ) -> Refund:
        """POST /v3/refund/domestic/refunds. Idempotent by ``out_refund_no`` (WeChat Pay refunds
        once per number), so it is retried. ``notify_url`` defaults to ``refund_notify_url``."""
        if (out_trade_no is None) == (transaction_id is None):
            raise ValueError("give exactly one of out_trade_no and transaction_id")
        request = RefundRequest(
            out_refund_no=out_refund_no,
            amount=RefundRequestAmount(refund=refund, total=total),
            out_trade_no=out_trade_no,
            transaction_id=transaction_id,
            reason=reason,
            notify_url=notify_url or self._pay.refund_notify_url or None,
            funds_account=funds_account,
        )
        answer = await self._send(
            "POST", "refund", "/v3/refund/domestic/refunds", json=request, retry=True
        )
        return _decode(answer, Refund)

    async def query_refund(self, out_refund_no: str) -> Refund:
        """GET /v3/refund/domestic/refunds/{out_refund_no}; ``WechatPayNotFound`` (code
        RESOURCE_NOT_EXISTS) when unknown."""
        answer = await self._send(
            "GET",
            "query_refund",
            f"/v3/refund/domestic/refunds/{quote(out_refund_no, safe='')}",
            retry=True,
        )
        return _decode(answer, Refund)

    async def trade_bill(
        self, bill_date: date | str, *, bill_type: str = "ALL", gzipped: bool = False
    ) -> bytes:
        """The trade bill of a day (GET /v3/bill/tradebill, then the signed download of
        ``download_url``), its SHA1 checked against ``hash_value``
        (``WechatPayBillHashMismatch``). Returns the bill's bytes (decompressed when
        ``gzipped``); the payments domain parses them."""
        day = bill_date.isoformat() if isinstance(bill_date, date) else bill_date
        query = {"bill_date": day, "bill_type": bill_type}
        if gzipped:
            query["tar_type"] = "GZIP"
        answer = await self._send("GET", "tradebill", "/v3/bill/tradebill", query=query, retry=True)
        location = _decode(answer, TradeBillUrl)
        if location.hash_type.upper() != "SHA1":
            raise WechatPayError(None, "BAD_RESPONSE", f"hash_type {location.hash_type!r}")
        # The download answer is not signed (documented); the digest is the integrity check.
        download = await self._send(
            "GET", "billdownload", location.download_url.strip(), retry=True, verify=False
        )
        return crypto.verified_bill(download.body, location.hash_value, gzipped=gzipped)

    # ---- transport: JsonApiClient and its hooks -----------------------------------------------

    async def _send(
        self,
        method: str,
        operation: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        json: msgspec.Struct | None = None,
        retry: bool = False,
        verify: bool = True,
    ) -> RawResponse:
        """One signed call; ``path`` is relative to base_url, or an absolute URL (the bill
        download). The answer of a 2xx is verified when ``verify``, after the call's attempts:
        a bad signature is never retried."""
        if query:
            path += ("&" if "?" in path else "?") + urlencode(query, quote_via=quote)
        try:
            answer = await self._call(method, operation, path, RawResponse, json=json, retry=retry)
        except WechatPayError:
            raise
        except OutsideSystemHttpError as exc:  # transport error or timeout (the base's error)
            raise WechatPayError(None, "NETWORK_ERROR", repr(exc.__cause__ or exc)) from exc
        if verify:
            await self.verify_signature(answer.headers, answer.body)
        return answer

    def _url(self, path: str) -> URL:
        raw = path if path.startswith(("http://", "https://")) else self._base_url + path
        # As built: the signature covers the path and query byte for byte.
        return URL(raw, encoded=True)

    def _request_headers(
        self, method: str, url: str | URL, body: bytes | None
    ) -> Mapping[str, str]:
        target = url if isinstance(url, URL) else URL(url)
        headers = {
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
            "Authorization": self.authorization(
                method,
                target.raw_path_qs,
                (body or b"").decode(),
                timestamp=int(time.time()),
                nonce=crypto.new_nonce(),
            ),
        }
        if self._public_key_id:
            headers["Wechatpay-Serial"] = self._public_key_id
        return headers

    def _error(self, operation: str, response: RawResponse) -> WechatPayError:
        try:
            error = msgspec.json.decode(response.body, type=ErrorBody)
        except msgspec.DecodeError:
            error = ErrorBody(
                code="HTTP_ERROR", message=response.body[:200].decode("utf-8", "replace")
            )
        kind = WechatPayNotFound if response.status == 404 else WechatPayError
        return kind(
            response.status,
            error.code,
            error.message,
            detail=error.detail,
            request_id=response.headers.get("Request-ID", ""),
        )


def _decode(answer: RawResponse, response_type: type[T]) -> T:
    try:
        return msgspec.json.decode(answer.body, type=response_type)
    except msgspec.DecodeError as exc:
        raise WechatPayError(answer.status, "BAD_RESPONSE", f"unexpected response: {exc}") from exc


__all__ = ["WechatPayClient"]
