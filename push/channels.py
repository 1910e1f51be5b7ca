"""Which channels carry an event, and how each renders it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.clock import china_time

# Events a citizen must not miss: SMS carries them too (docs/domain.md §4).
MUST_NOT_MISS = frozenset(
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
    }
)

# 订阅消息 "phrase" fields hold at most 5 characters.
STATUS_PHRASES = {
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
    "licence.revoked": "证照注销",
}

THING_MAX = 20  # WeChat refuses (47003) a "thing" value longer than 20 characters


def thing(text: str) -> str:
    """Cut to WeChat's limit for ``thing`` fields, marking the cut."""
    return text if len(text) <= THING_MAX else text[: THING_MAX - 1] + "…"


def channels_for(event_type: str, recipient: Any) -> list[str]:
    chosen = []
    if recipient["openid"] and recipient["wechat_ok"] and event_type in STATUS_PHRASES:
        chosen.append("wechat")
    if recipient["has_device"] and recipient["app_ok"] and event_type in STATUS_PHRASES:
        chosen.append("app")
    if recipient["phone_enc"] and recipient["sms_ok"] and event_type in MUST_NOT_MISS:
        chosen.append("sms")
    return chosen


def progress_fields(
    params: dict[str, str], event_type: str, at: datetime, title: str
) -> dict[str, str]:
    """TPL_PROGRESS: thing1 事项名称, phrase2 办理状态, time3 更新时间, thing4 备注."""
    note = params.get("notice") or params.get("reason") or title
    return {
        "thing1": thing(params.get("item", "")),
        "phrase2": STATUS_PHRASES.get(event_type, "有更新")[:5],
        "time3": china_time(at).strftime("%Y-%m-%d %H:%M"),  # Beijing time, as people read it
        "thing4": thing(note or "请在掌上办查看详情"),
    }
