"""HTTP of delivery: the citizen's address book, a declaration's result delivery (pickup or
post) with its tracking, and the courier's signed tracking callbacks."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, Request, Response, delete, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from api.delivery.callbacks import verified_event
from api.delivery.schemas import (
    Address,
    AddressBook,
    ChooseDelivery,
    DeliveryPage,
    NewAddress,
    ResultDelivery,
)
from api.delivery.service import DeliveryService
from core.db import Connection
from core.openapi import problem_responses
from core.principals import CitizenPrincipal


class AddressController(Controller):
    path = "/api/v1/addresses"
    tags = ["delivery 邮寄送达"]  # noqa: RUF012 - Litestar reads a list

    @get("", responses=problem_responses(401), summary="My address book (masked)")
    async def book(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> AddressBook:
        return await delivery.book(db_connection, citizen)

    @post(
        "",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 409, 422),
        summary="Add an address (the first, or one marked default, becomes the default)",
    )
    async def add(
        self,
        data: JSONBody[NewAddress],
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> Address:
        return await delivery.add_address(db_connection, citizen, data)

    @get("/{address_id:uuid}", responses=problem_responses(400, 401, 404))
    async def one(
        self,
        address_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> Address:
        return await delivery.address(db_connection, citizen, address_id)

    @put(
        "/{address_id:uuid}",
        responses=problem_responses(400, 401, 404, 422),
        summary="Replace an address (every field given again: the stored ones are never shown)",
    )
    async def replace(
        self,
        address_id: FromPath[uuid.UUID],
        data: JSONBody[NewAddress],
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> Address:
        return await delivery.replace_address(db_connection, citizen, address_id, data)

    @delete(
        "/{address_id:uuid}",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(400, 401, 404),
    )
    async def remove(
        self,
        address_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await delivery.remove_address(db_connection, citizen, address_id)


class ResultDeliveryController(Controller):
    path = "/api/v1"
    tags = ["delivery 邮寄送达"]  # noqa: RUF012

    @get(
        "/declarations/{declaration_id:uuid}/result-delivery",
        responses=problem_responses(400, 401, 404),
        summary="How the paper result can reach me (halls with hours, postage) and my choice",
    )
    async def options(
        self,
        declaration_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> ResultDelivery:
        return await delivery.options(db_connection, citizen, declaration_id)

    @put(
        "/declarations/{declaration_id:uuid}/result-delivery",
        responses=problem_responses(400, 401, 404, 409, 422),
        summary="Choose window pickup or postal delivery (changeable until the result is out)",
    )
    async def choose(
        self,
        declaration_id: FromPath[uuid.UUID],
        data: JSONBody[ChooseDelivery],
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> ResultDelivery:
        return await delivery.choose(db_connection, citizen, declaration_id, data)

    @get(
        "/result-deliveries",
        responses=problem_responses(400, 401),
        summary="My deliveries with their tracking, latest first",
    )
    async def mine(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 20,
        offset: Annotated[int, QueryParameter(ge=0, le=100_000)] = 0,
    ) -> DeliveryPage:
        return await delivery.mine(db_connection, citizen, limit, offset)


class PostalCallbackController(Controller):
    """The courier's signed tracking callbacks (an inbox: store, answer fast)."""

    path = "/api/v1/hooks/postal"
    tags = ["platform hooks"]  # noqa: RUF012

    @post("/events", status_code=HTTP_200_OK, responses=problem_responses(401))
    async def events(
        self,
        request: Request[Any, Any, Any],
        delivery: NamedDependency[DeliveryService],
        db_connection: NamedDependency[Connection],
    ) -> Response[dict[str, str]]:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        event, stored = verified_event(delivery.callback_secret, headers, body)
        return Response({"status": await delivery.store_callback(db_connection, event, stored)})
