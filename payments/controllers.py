"""HTTP of payments: the citizen's notices and orders, WeChat Pay's notifications, staff tools."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from core import idempotency
from core.clients.wechatpay import PayNotification
from core.db import Connection, Pool, provide_transaction
from core.openapi import IdempotencyKey, problem_responses
from core.principals import (
    ACTING_AS_WITHIN_ITEMS,
    ANY_STAFF,
    OPERATORS,
    SUPERVISORS,
    CitizenPrincipal,
    StaffPrincipal,
)
from payments.schemas import (
    CreateOrder,
    DecideRefund,
    Mismatch,
    MismatchPage,
    MismatchStatus,
    NoticeList,
    Order,
    OrderStatus,
    PaymentFigures,
    Receipt,
    Reconciliation,
    Refund,
    RefundPage,
    RefundStatus,
    RequestRefund,
    ResolveMismatch,
    RunReconciliation,
    StaffOrderPage,
)
from payments.service import PaymentsService

NoticeFilter = Literal["unpaid", "paid", "all"]
_STAFF = {"staff_roles": ANY_STAFF}
_OPERATORS = {"staff_roles": OPERATORS}
_SUPERVISORS = {"staff_roles": SUPERVISORS}


class PaymentController(Controller):
    path = "/api/v1/payments"
    # A party's resources take X-Acting-As; a notice, order or receipt of an item outside the
    # mandate is as absent (payments.service.notices.within_mandate).
    opt = ACTING_AS_WITHIN_ITEMS
    tags = ["payments 缴费"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "/notices",
        responses=problem_responses(400, 401),
        summary="My payment notices (待缴费 by default)",
    )
    async def notices(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
        status: Annotated[NoticeFilter, QueryParameter()] = "unpaid",
        declarationId: FromQuery[uuid.UUID | None] = None,  # the wire is camelCase
    ) -> NoticeList:
        items = await payments.notices.of_citizen(db_connection, citizen, status, declarationId)
        return NoticeList(items=items)

    @post(
        "/orders",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 404, 409, 422, 503),
        summary="Open an order for a notice (idempotent by Idempotency-Key) with pay parameters",
    )
    async def create_order(
        self,
        data: JSONBody[CreateOrder],
        idempotency_key: IdempotencyKey,
        citizen: NamedDependency[CitizenPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> Response[Order]:
        # Copies of one tap (the same key) get the first one's answer: one order, one prepay,
        # and the pay parameters signed once.
        return await idempotency.once(
            db_connection,
            citizen_id=citizen.citizen_id,
            route="payments.create_order",
            key=idempotency_key,
            request=data,
            run=lambda: payments.orders.create(db_connection, citizen, idempotency_key, data),
        )

    @get("/orders/{order_id:uuid}", responses=problem_responses(401, 404))
    async def order(
        self,
        order_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> Order:
        return await payments.orders.get(db_connection, citizen, order_id)

    @get(
        "/orders/{order_id:uuid}/receipt",
        responses=problem_responses(401, 404),
        summary="The electronic payment receipt (电子缴款票据)",
    )
    async def receipt(
        self,
        order_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> Receipt:
        return await payments.orders.receipt(db_connection, citizen, order_id)


class VerifiedNotification:
    """A WeChat Pay notification whose signature, time and decryption were checked.

    A plain holder rather than the Struct itself: Litestar converts a dependency's value to the
    parameter's type, and ``PayNotification`` (a union of untagged Structs) is not convertible;
    an instance of a plain class passes through as it is."""

    __slots__ = ("notification",)

    def __init__(self, notification: PayNotification) -> None:
        self.notification = notification


async def _verified_notification(
    request: Request[Any, Any, Any], payments: NamedDependency[PaymentsService]
) -> VerifiedNotification:
    body = await request.body()
    return VerifiedNotification(await payments.notifications.verify(request.headers, body))


async def _transaction_after_verification(
    pay_notification: NamedDependency[VerifiedNotification], db_pool: NamedDependency[Pool]
) -> AsyncGenerator[Connection, None]:
    """The request's transaction (``core.db.provide_transaction``), opened only once the
    notification is verified: depending on it makes Litestar resolve it first, so a forged
    notification never holds a connection."""
    transaction = provide_transaction(db_pool)
    conn = await anext(transaction)
    try:
        yield conn
    except BaseException as exc:
        # Rolls back (or keeps what a DomainError asks to keep) and raises ``exc`` again.
        await transaction.athrow(exc)
        raise
    else:
        with contextlib.suppress(StopAsyncIteration):
            await anext(transaction)  # commits


class WechatPayHookController(Controller):
    """WeChat Pay's notifications: verified and decrypted first (a forged one never touches the
    database), then stored once and applied in the request's transaction, so a duplicate or a
    mismatch is answered at once and WeChat retries what we refused."""

    path = "/api/v1/hooks/wechatpay"
    tags = ["platform hooks"]  # noqa: RUF012
    dependencies = {  # noqa: RUF012 - Litestar reads a dict
        "pay_notification": Provide(_verified_notification),
        "db_connection": Provide(_transaction_after_verification),
    }

    @post("/transactions", status_code=HTTP_204_NO_CONTENT, responses=problem_responses(400, 401))
    async def transaction(
        self,
        pay_notification: NamedDependency[VerifiedNotification],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await payments.notifications.apply(db_connection, pay_notification.notification)

    @post("/refunds", status_code=HTTP_204_NO_CONTENT, responses=problem_responses(400, 401))
    async def refund(
        self,
        pay_notification: NamedDependency[VerifiedNotification],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await payments.notifications.apply(db_connection, pay_notification.notification)


class PaymentOpsController(Controller):
    """Staff: orders, refunds (an operator asks, a supervisor — never the asker — approves),
    and reconciliation mismatches."""

    path = "/ops/v1/payments"
    tags = ["ops 运营"]  # noqa: RUF012

    @get(
        "/figures",
        opt=_STAFF,
        responses=problem_responses(401, 403),
        summary="Totals for the dashboard: orders by status, amounts, what waits for staff",
    )
    async def figures(
        self,
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> PaymentFigures:
        return await payments.staff.figures(db_connection)

    @get("/orders", opt=_STAFF, responses=problem_responses(400, 401, 403))
    async def orders(
        self,
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
        status: Annotated[OrderStatus | None, QueryParameter()] = None,
    ) -> StaffOrderPage:
        return StaffOrderPage(items=await payments.staff.orders(db_connection, status))

    @post(
        "/orders/{order_id:uuid}/refunds",
        status_code=HTTP_200_OK,
        opt=_OPERATORS,
        responses=problem_responses(400, 401, 403, 404, 409),
    )
    async def request_refund(
        self,
        order_id: FromPath[uuid.UUID],
        data: JSONBody[RequestRefund],
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> Refund:
        return await payments.refunds.request(
            db_connection, staff, order_id, data.amount_fen, data.reason
        )

    @get("/refunds", opt=_STAFF, responses=problem_responses(400, 401, 403))
    async def refunds(
        self,
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
        status: Annotated[RefundStatus | None, QueryParameter()] = None,
    ) -> RefundPage:
        return RefundPage(items=await payments.refunds.recent(db_connection, status))

    @post(
        "/refunds/{refund_id:uuid}/{decision:str}",
        status_code=HTTP_200_OK,
        opt=_SUPERVISORS,
        responses=problem_responses(400, 401, 403, 404, 409),
        summary="Approve or reject a refund (a supervisor who did not ask for it)",
    )
    async def decide(
        self,
        refund_id: FromPath[uuid.UUID],
        decision: FromPath[Literal["approve", "reject"]],
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
        data: JSONBody[DecideRefund | None] = None,
    ) -> Refund:
        return await payments.refunds.decide(
            db_connection,
            staff,
            refund_id,
            approve=decision == "approve",
            note=data.note if data else "",
        )

    @get("/mismatches", opt=_STAFF, responses=problem_responses(400, 401, 403))
    async def mismatches(
        self,
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
        status: Annotated[MismatchStatus | None, QueryParameter()] = "open",
    ) -> MismatchPage:
        return MismatchPage(items=await payments.reconciliation.mismatches(db_connection, status))

    @post(
        "/mismatches/{mismatch_id:uuid}/resolve",
        status_code=HTTP_200_OK,
        opt=_OPERATORS,
        responses=problem_responses(400, 401, 403, 404),
    )
    async def resolve(
        self,
        mismatch_id: FromPath[uuid.UUID],
        data: JSONBody[ResolveMismatch],
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> Mismatch:
        return await payments.reconciliation.resolve_mismatch(
            db_connection, staff, mismatch_id, data.note
        )

    @get("/reconciliations", opt=_STAFF, responses=problem_responses(401, 403))
    async def reconciliations(
        self,
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> list[Reconciliation]:
        return await payments.reconciliation.runs(db_connection)

    @post(
        "/reconciliations",
        status_code=HTTP_200_OK,
        opt=_OPERATORS,
        responses=problem_responses(400, 401, 403),
        summary="Reconcile one day's bill now (a job; the daily schedule does yesterday)",
    )
    async def reconcile(
        self,
        data: JSONBody[RunReconciliation],
        staff: NamedDependency[StaffPrincipal],
        payments: NamedDependency[PaymentsService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await payments.reconciliation.enqueue(db_connection, staff, data.bill_date)
