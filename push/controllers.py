"""The citizen's inbox."""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from typing import Annotated, Any

from litestar import Controller, MediaType, Request, get, post, put
from litestar.channels import ChannelsPlugin
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.status_codes import HTTP_200_OK, HTTP_204_NO_CONTENT

from core.db import Connection
from core.openapi import link, problem_responses
from core.principals import (
    ACTING_AS,
    ANY_STAFF,
    OPERATORS,
    SUPERVISORS,
    UNSCOPED,
    CitizenPrincipal,
    StaffPrincipal,
)
from push.schemas import (
    DeviceRegistration,
    InboxPage,
    Notice,
    NoticeApproval,
    NoticeDraft,
    Preferences,
    Quota,
    SubscriptionReport,
    TagRequest,
    TagResult,
)
from push.service import PushService, live_channel


class InboxController(Controller):
    path = "/api/v1/inbox"
    # A party's resources take X-Acting-As. Messages carry no item: closed to a mandate
    # limited to items (docs/acting-as.md).
    opt = ACTING_AS
    tags = ["push 消息"]  # noqa: RUF012 - Litestar reads a list

    @get(
        "",
        summary="My messages, newest first, with the unread count",
        responses=problem_responses(400, 401),
        opt={
            "links": {
                "markRead": link(
                    "POST",
                    "/api/v1/inbox/{message_id}/read",
                    parameters={"message_id": "$response.body#/items/0/id"},
                )
            }
        },
    )
    async def inbox(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
        page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
        page_size: Annotated[int, QueryParameter(name="pageSize", ge=1, le=50)] = 20,
    ) -> InboxPage:
        return await push.inbox(db_connection, citizen.citizen_id, page, page_size)

    @post(
        "/{message_id:uuid}/read",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(400, 401, 404),
    )
    async def read(
        self,
        message_id: FromPath[uuid.UUID],
        citizen: NamedDependency[CitizenPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await push.mark_read(db_connection, citizen.citizen_id, message_id)


class PushSubscriptionController(Controller):
    path = "/api/v1/push"
    tags = ["push 消息"]  # noqa: RUF012

    @post(
        "/subscriptions",
        status_code=HTTP_200_OK,
        responses=problem_responses(400, 401, 409, 422),
        summary="Report the citizen's answers to the subscribe-message popup",
    )
    async def report(
        self,
        data: JSONBody[SubscriptionReport],
        citizen: NamedDependency[CitizenPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> list[Quota]:
        rows = await push.report_subscriptions(db_connection, citizen.citizen_id, data.results)
        return [
            Quota(template_id=r.template_id, quota=r.quota, long_term=r.long_term) for r in rows
        ]


class WechatPushHookController(Controller):
    """WeChat's message push (消息推送), safe mode, JSON: URL check and signed encrypted events."""

    path = "/api/v1/hooks/wechat"
    tags = ["platform hooks"]  # noqa: RUF012

    @get("/message-push", media_type=MediaType.TEXT, responses=problem_responses(401))
    async def verify(
        self,
        push: NamedDependency[PushService],
        signature: FromQuery[str] = "",
        timestamp: FromQuery[str] = "",
        nonce: FromQuery[str] = "",
        echostr: FromQuery[str] = "",
    ) -> str:
        push.check_url_signature(signature, timestamp, nonce)
        return echostr

    @post(
        "/message-push",
        status_code=HTTP_200_OK,
        media_type=MediaType.TEXT,
        responses=problem_responses(401),
    )
    async def event(
        self,
        request: Request[Any, Any, Any],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
        msg_signature: FromQuery[str] = "",
        timestamp: FromQuery[str] = "",
        nonce: FromQuery[str] = "",
    ) -> str:
        await push.receive_push_event(
            db_connection, await request.body(), msg_signature, timestamp, nonce
        )
        return "success"


_NOTICE = "/ops/v1/notices/{notice_id}"
_NOTICE_LINKS = {
    name: link(method, _NOTICE + tail, parameters={"notice_id": "$response.body#/id"})
    for name, method, tail in [
        ("read", "GET", ""),
        ("approve", "POST", "/approve"),
        ("cancel", "POST", "/cancel"),
    ]
}


class NoticeController(Controller):
    """Notices (通知公告): operators draft, a supervisor (never the author) approves."""

    path = "/ops/v1/notices"
    tags = ["ops 运营"]  # noqa: RUF012

    @post(
        "",
        status_code=HTTP_200_OK,
        opt={"staff_roles": OPERATORS, "links": _NOTICE_LINKS},
        responses=problem_responses(400, 401, 403, 422),
    )
    async def draft(
        self,
        data: JSONBody[NoticeDraft],
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> Notice:
        return await push.draft_notice(db_connection, staff, data)

    @get("", responses=problem_responses(400, 401, 403))
    async def list_all(
        self,
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> list[Notice]:
        return await push.notices(db_connection, limit)

    @get(
        "/{notice_id:uuid}",
        responses=problem_responses(401, 403, 404),
        summary="A notice with its figures: targeted, sent, read, per channel; an urgent "
        "draft's SMS cost",
    )
    async def one(
        self,
        notice_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> Notice:
        return await push.notice(db_connection, notice_id)

    @post(
        "/{notice_id:uuid}/approve",
        status_code=HTTP_200_OK,
        opt={"staff_roles": SUPERVISORS},
        responses=problem_responses(401, 403, 404, 409),
    )
    async def approve(
        self,
        notice_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
        data: JSONBody[NoticeApproval | None] = None,
    ) -> Notice:
        """An urgent notice's approval carries the SMS cost the approver was shown
        (``smsCostFen``); 409 NOTICE_SMS_COST_CHANGED when it is not the cost any more."""
        return await push.approve_notice(db_connection, staff, notice_id, data)

    @post(
        "/citizen-tags",
        status_code=HTTP_200_OK,
        opt={"staff_roles": OPERATORS},
        responses=problem_responses(400, 401, 403, 422),
        summary="Tag an uploaded list of citizens (a notice audience)",
    )
    async def tag(
        self,
        data: JSONBody[TagRequest],
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> TagResult:
        return await push.tag_citizens(db_connection, staff, data)

    @post(
        "/{notice_id:uuid}/cancel",
        status_code=HTTP_200_OK,
        opt={"staff_roles": OPERATORS},
        responses=problem_responses(401, 403, 404, 409),
    )
    async def cancel(
        self,
        notice_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> Notice:
        return await push.cancel_notice(db_connection, notice_id)


class PushSettingsController(Controller):
    path = "/api/v1/push"
    tags = ["push 消息"]  # noqa: RUF012

    @post(
        "/devices",
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(400, 401, 422),
        summary="Register this app installation for app push",
    )
    async def device(
        self,
        data: JSONBody[DeviceRegistration],
        citizen: NamedDependency[CitizenPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await push.register_device(
            db_connection, citizen.citizen_id, data.registration_id, data.platform
        )

    @get("/preferences", responses=problem_responses(401))
    async def preferences(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> Preferences:
        row = await push.preferences(db_connection, citizen.citizen_id)
        return Preferences(wechat=row.wechat, app=row.app, sms=row.sms)

    @put("/preferences", responses=problem_responses(400, 401, 422))
    async def set_preferences(
        self,
        data: JSONBody[Preferences],
        citizen: NamedDependency[CitizenPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> Preferences:
        await push.set_preferences(
            db_connection, citizen.citizen_id, data.wechat, data.app, data.sms
        )
        return data


class LiveInboxController(Controller):
    path = "/api/v1/inbox/live"
    tags = ["push 消息"]  # noqa: RUF012

    @get(
        "",
        responses=problem_responses(401),
        media_type="text/event-stream",
        summary="Server-sent events: each new inbox message while the page is open",
    )
    async def live(
        self,
        citizen: NamedDependency[CitizenPrincipal],
        channels: NamedDependency[ChannelsPlugin],
    ) -> ServerSentEvent:
        async def events() -> AsyncGenerator[ServerSentEventMessage, None]:
            async with channels.start_subscription([live_channel(citizen.citizen_id)]) as sub:
                yield ServerSentEventMessage(event="ready", data="{}")
                async for message in sub.iter_events():
                    yield ServerSentEventMessage(event="message", data=message.decode())

        return ServerSentEvent(events())


class StaffInboxController(Controller):
    """A staff member's own messages (the supervision cards of their departments)."""

    path = "/ops/v1/inbox"
    tags = ["ops 运营"]  # noqa: RUF012

    @get(
        "",
        opt={"staff_roles": ANY_STAFF, "departments": UNSCOPED},
        summary="My staff messages, newest first, with the unread count",
        responses=problem_responses(400, 401, 403),
    )
    async def inbox(
        self,
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
        page: Annotated[int, QueryParameter(ge=1, le=1000)] = 1,
        page_size: Annotated[int, QueryParameter(name="pageSize", ge=1, le=50)] = 20,
    ) -> InboxPage:
        return await push.staff_inbox(db_connection, staff.staff_id, page, page_size)

    @post(
        "/{message_id:uuid}/read",
        opt={"staff_roles": ANY_STAFF, "departments": UNSCOPED},
        status_code=HTTP_204_NO_CONTENT,
        responses=problem_responses(400, 401, 403, 404),
    )
    async def read(
        self,
        message_id: FromPath[uuid.UUID],
        staff: NamedDependency[StaffPrincipal],
        push: NamedDependency[PushService],
        db_connection: NamedDependency[Connection],
    ) -> None:
        await push.mark_staff_read(db_connection, staff.staff_id, message_id)
