"""Which channels carry an event, and how each renders it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

import msgspec

from core.clock import china_time
from push.events import EventType, MessageType

Channel = Literal["wechat", "app", "sms"]

# Events a citizen must not miss: SMS carries them too (docs/domain.md §4).
MUST_NOT_MISS: frozenset[EventType] = frozenset(
    {
        "declaration.needs_supplement",
        "declaration.not_accepted",
        "declaration.refused",
        "declaration.completed",
        "declaration.overdue_warning",
        # The platform refused what we delivered: nothing moves until the citizen acts.
        "declaration.platform_refused",
        "declaration.supplement_refused",
        "declaration.tolerated_refused",
        # An unpaid fee holds the case up until the notice expires.
        "payment.notice",
        # A bundle member that cannot start: the citizen decides what to do with it.
        "bundle.member_blocked",
    }
)

# 订阅消息 "phrase" fields hold at most 5 characters.
STATUS_PHRASES: Mapping[MessageType, str] = {
    "declaration.submitted": "已提交",
    "declaration.delivered": "已送达",
    "declaration.needs_supplement": "需补正",
    "declaration.not_accepted": "不予受理",
    "declaration.accepted": "已受理",
    "declaration.processing": "审批中",
    "declaration.completed": "已办结",
    "declaration.refused": "未通过",
    "declaration.withdrawn": "已撤回",
    "declaration.overdue_warning": "即将到期",
    "deadline.moved": "期限调整",
    "declaration.platform_refused": "平台退回",
    "declaration.supplement_refused": "补正退回",
    "declaration.tolerated_refused": "材料退回",
    "payment.notice": "待缴费",
    "payment.paid": "缴费成功",
    "review.ticket_opened": "核实中",
    "review.ticket_resolved": "已处理",
    "appointment.reminder": "明日办理",
    "appointment.no_show": "预约未到",
    "licence.revoked": "证照注销",
    "queue.called": "已叫号",
    "queue.completed": "已办结",
    "hotline.received": "已登记",
    "hotline.transferred": "已转办",
    "hotline.replied": "已答复",
    "delivery.shipped": "已寄出",
    "delivery.collected": "已揽收",
    "delivery.in_transit": "运输中",
    "delivery.out_for_delivery": "派送中",
    "delivery.signed": "已签收",
    "bundle.member_started": "已自动提交",
    "bundle.member_blocked": "暂停办理",
    "bundle.completed": "已全部办结",
    "proxy.granted": "已授权",
    "proxy.received": "收到授权",
    "proxy.acted": "代办进展",
    "proxy.revoked": "已撤销",
    "assist.confirmed": "帮办确认",
}

THING_MAX = 20  # WeChat refuses (47003) a "thing" value longer than 20 characters


def thing(text: str) -> str:
    """Cut to WeChat's limit for ``thing`` fields, marking the cut."""
    return text if len(text) <= THING_MAX else text[: THING_MAX - 1] + "…"


class Reach(msgspec.Struct, frozen=True, kw_only=True):
    """Where a citizen can be reached (identity's contact) and what they allowed (push's
    preferences: every channel unless switched off)."""

    openid: str | None
    has_phone: bool
    has_device: bool
    wechat_ok: bool
    app_ok: bool
    sms_ok: bool


def channels_for(event_type: MessageType, reach: Reach) -> list[Channel]:
    chosen: list[Channel] = []
    if reach.openid and reach.wechat_ok and event_type in STATUS_PHRASES:
        chosen.append("wechat")
    if reach.has_device and reach.app_ok and event_type in STATUS_PHRASES:
        chosen.append("app")
    if reach.has_phone and reach.sms_ok and event_type in MUST_NOT_MISS:
        chosen.append("sms")
    return chosen


def progress_fields(
    params: Mapping[str, str], event_type: MessageType, at: datetime, title: str
) -> dict[str, str]:
    """TPL_PROGRESS: thing1 事项名称, phrase2 办理状态, time3 更新时间, thing4 备注."""
    note = params.get("notice") or params.get("reason") or title
    return {
        "thing1": thing(params.get("item", "")),
        "phrase2": STATUS_PHRASES.get(event_type, "有更新")[:5],
        "time3": china_time(at).strftime("%Y-%m-%d %H:%M"),  # Beijing time, as people read it
        "thing4": thing(note or "请在掌上办查看详情"),
    }
