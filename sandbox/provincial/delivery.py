"""Delivery of paper results (邮寄送达, Yongchang rules Art. 22) on the platform's cases.

A channel tells the platform how the applicant takes a case's paper result: window pickup at a
hall, or postal delivery to an address (``PUT /gov/cases/v1/cases/{caseNumber}/delivery``),
changeable until the result is produced. When a case with postal delivery completes, the
platform issues a payment notice for the item's postage if it has one (announced like every
fee, by a case event) and books the shipment with the courier (the postal stand-in) once it is
paid — at once when the postage is free. The courier answers a waybill number, which the
platform announces by a case event (``delivery``); the courier's tracking events go to the
callback URL the channel gave (the platform passes it on). The platform books one shipment per
case, under the channel's ``reference`` (the courier's request id).

The courier is linked by ``POST /_control/postal`` (``{"url", "apiKey"}``) or at build time.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

import aiohttp
import msgspec
from aiohttp import web

from sandbox.http import ApiError, json_response
from sandbox.provincial.payments import Notice

if TYPE_CHECKING:
    from sandbox.provincial.cases import Case, CaseBook

log = logging.getLogger("sandbox.provincial.delivery")

FINAL = frozenset({"completed", "refused", "not_accepted", "withdrawn"})
COURIER_TIMEOUT = 5.0
MAX_BACKOFF = 5.0

Key = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class _Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True):
    pass


class Recipient(_Body, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=50)]
    phone: Annotated[str, msgspec.Meta(pattern=r"^1[3-9]\d{9}$")]
    region_code: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")]
    address: Annotated[str, msgspec.Meta(min_length=2, max_length=200)]
    postcode: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")] | None = None


class DeliveryBody(_Body, frozen=True):
    method: Literal["pickup", "postal"]
    reference: Key
    hall_code: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    recipient: Recipient | None = None
    callback_url: str | None = None


class CourierLink(_Body, frozen=True):
    url: Annotated[str, msgspec.Meta(pattern=r"^https?://")]
    api_key: Annotated[str, msgspec.Meta(min_length=1)]


class DeliveryInfo(msgspec.Struct, rename="camel"):
    """As the case shows it and the ``delivery`` of a case event."""

    method: str
    reference: str
    hall_code: str | None = None
    # registered → awaiting_fee → shipping → shipped (or failed: the courier refused).
    status: str = "registered"
    fee_notice_number: str | None = None
    waybill_number: str | None = None
    carrier: str | None = None
    last_error: str | None = None


@dataclass
class Registration:
    body: DeliveryBody
    info: DeliveryInfo


class CaseDeliveries:
    """Each case's delivery choice, its postage notice and its shipment."""

    def __init__(self, book: CaseBook) -> None:
        self.book = book
        self.link: CourierLink | None = None
        self.retry_base = 0.2
        self._by_case: dict[str, Registration] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def reset(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._by_case.clear()

    def of(self, case_number: str) -> DeliveryInfo | None:
        found = self._by_case.get(case_number)
        return None if found is None else found.info

    def register(self, case: Case, body: DeliveryBody) -> DeliveryInfo:
        item = self.book.item(case.item_code)
        if item is None or item.delivery is None or not item.delivery.paper_result:
            raise ApiError(409, "NO_PAPER_RESULT", f"item {case.item_code} has no paper result")
        known = self._by_case.get(case.case_number)
        if known is not None and known.body == body:
            return known.info  # the same choice sent again
        if case.status in FINAL:
            raise ApiError(
                409, "RESULT_PRODUCED", f"case {case.case_number} is {case.status}: too late"
            )
        if body.method == "postal":
            if not item.delivery.postal:
                raise ApiError(409, "POSTAL_NOT_OFFERED", "this item's result is not posted")
            if body.recipient is None:
                raise ApiError(400, "INVALID_PARAMETER", "recipient: needed for postal delivery")
            if body.callback_url is not None and not body.callback_url.startswith(
                ("http://", "https://")
            ):
                raise ApiError(400, "INVALID_PARAMETER", "callbackUrl: an http(s) URL")
        info = DeliveryInfo(method=body.method, reference=body.reference, hall_code=body.hall_code)
        self._by_case[case.case_number] = Registration(body=body, info=info)
        return info

    # -- hooks of the case book and the payment desk ------------------------------------------

    def on_completed(self, case: Case) -> None:
        """The result is produced: postage asked for, or the shipment booked."""
        found = self._by_case.get(case.case_number)
        if found is None or found.body.method != "postal":
            return
        item = self.book.item(case.item_code)
        fee = item.delivery.postal_fee_fen if item is not None and item.delivery else 0
        if fee > 0:
            notice = self.book.issue_notice_after_result(case, fee, "邮寄送达费")
            found.info.status = "awaiting_fee"
            found.info.fee_notice_number = notice.notice_number
            return
        self._ship(case, found)

    def on_paid(self, notice: Notice) -> None:
        found = self._by_case.get(notice.case_number)
        if found is None or found.info.fee_notice_number != notice.notice_number:
            return
        self._ship(self.book.get(notice.case_number), found)

    def _ship(self, case: Case, found: Registration) -> None:
        found.info.status = "shipping"
        task = asyncio.get_running_loop().create_task(self._book_shipment(case, found))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _book_shipment(self, case: Case, found: Registration) -> None:
        item = self.book.item(case.item_code)
        recipient = found.body.recipient
        assert recipient is not None
        body: dict[str, Any] = {
            "requestId": found.body.reference,
            "sender": {
                "name": item.department.name if item else "政务服务中心",
                "phone": item.consultation.phone if item else "12345",
                "address": item.consultation.address if item else "政务服务中心",
                "regionCode": item.region_code if item else None,
            },
            "recipient": msgspec.to_builtins(recipient),
            "contents": (item.result_type if item else "办理结果")[:100],
            "reference": case.case_number,
            "callbackUrl": found.body.callback_url,
        }
        failures = 0
        while True:
            link = self.link
            if link is None:
                found.info.last_error = "no courier linked (POST /_control/postal)"
            else:
                try:
                    answer = await self._post(link, body)
                except _Refused as exc:
                    found.info.status = "failed"
                    found.info.last_error = str(exc)
                    return
                except (aiohttp.ClientError, TimeoutError, _Retry) as exc:
                    found.info.last_error = f"{type(exc).__name__}: {exc}"
                else:
                    found.info.status = "shipped"
                    found.info.waybill_number = answer["waybillNumber"]
                    found.info.carrier = answer.get("carrier")
                    found.info.last_error = None
                    self.book.record_delivery(case, msgspec.structs.replace(found.info))
                    return
            await asyncio.sleep(min(self.retry_base * 2 ** min(failures, 20), MAX_BACKOFF))
            failures += 1

    async def _post(self, link: CourierLink, body: dict[str, Any]) -> dict[str, Any]:
        timeout = aiohttp.ClientTimeout(total=COURIER_TIMEOUT)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(
                f"{link.url.rstrip('/')}/postal/v1/shipments",
                json=body,
                headers={"Authorization": f"Bearer {link.api_key}"},
            ) as resp,
        ):
            answer = await resp.json(content_type=None)
            if resp.status in (200, 201):
                return dict(answer)
            if resp.status in (400, 409):
                raise _Refused(f"{answer.get('code')}: {answer.get('message')}")
            raise _Retry(f"HTTP {resp.status}")


class _Refused(Exception):
    pass


class _Retry(Exception):
    pass


# -- handlers --------------------------------------------------------------------------------

DELIVERIES_KEY = web.AppKey("provincial_deliveries", CaseDeliveries)


_T = TypeVar("_T")


async def _decode(request: web.Request, kind: type[_T]) -> _T:
    try:
        return msgspec.json.decode(await request.read(), type=kind)
    except msgspec.DecodeError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from exc


async def put_delivery(request: web.Request) -> web.Response:
    deliveries = request.app[DELIVERIES_KEY]
    case = deliveries.book.get(request.match_info["caseNumber"])  # 404 before 400
    body = await _decode(request, DeliveryBody)
    return json_response(msgspec.to_builtins(deliveries.register(case, body)))


async def get_delivery(request: web.Request) -> web.Response:
    deliveries = request.app[DELIVERIES_KEY]
    case = deliveries.book.get(request.match_info["caseNumber"])
    info = deliveries.of(case.case_number)
    if info is None:
        raise ApiError(404, "NO_DELIVERY", f"case {case.case_number} has no delivery choice")
    return json_response(msgspec.to_builtins(info))


async def control_link_postal(request: web.Request) -> web.Response:
    deliveries = request.app[DELIVERIES_KEY]
    deliveries.link = await _decode(request, CourierLink)
    return json_response({"url": deliveries.link.url})


def add_delivery_routes(app: web.Application, deliveries: CaseDeliveries) -> None:
    app[DELIVERIES_KEY] = deliveries
    app.router.add_put("/gov/cases/v1/cases/{caseNumber}/delivery", put_delivery)
    app.router.add_get("/gov/cases/v1/cases/{caseNumber}/delivery", get_delivery)
    app.router.add_post("/_control/postal", control_link_postal)
