"""The citizen's inbox."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.status_codes import HTTP_204_NO_CONTENT

from core.db import Connection
from core.openapi import problem_responses
from core.principals import CitizenPrincipal
from push import service
from push.schemas import InboxPage


class InboxController(Controller):
    path = "/api/v1/inbox"
    tags = ["push 消息"]  # noqa: RUF012 - Litestar reads a list

    @get("", summary="My messages, newest first, with the unread count",
         responses=problem_responses(400, 401))  # fmt: skip
    async def inbox(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        db_connection: NamedDependency[Connection],
        page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
        page_size: Annotated[int, QueryParameter(name="pageSize", ge=1, le=50)] = 20,
    ) -> InboxPage:
        return await service.inbox(db_connection, citizen.citizen_id, page, page_size)

    @post("/{message_id:uuid}/read", status_code=HTTP_204_NO_CONTENT,
          responses=problem_responses(400, 401, 404))  # fmt: skip
    async def read(
        self,
        message_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await service.mark_read(db_connection, citizen.citizen_id, message_id)
