"""Message templates per event type; Chinese first, other locales as further keys."""

from __future__ import annotations

from collections.abc import Mapping

from push.events import EventType

TEMPLATES: Mapping[EventType, Mapping[str, tuple[str, str]]] = {
    "declaration.submitted": {
        "zh-CN": ("申请已提交", "您的“{item}”申请已提交，正在送达审批部门。"),
    },
    "declaration.delivered": {
        "zh-CN": ("申请已送达", "您的“{item}”申请已送达审批部门，办件编号 {caseNumber}。"),
    },
    "declaration.needs_supplement": {
        "zh-CN": ("请补正材料", "您的“{item}”申请需要补正：{notice}"),
    },
    "declaration.not_accepted": {
        "zh-CN": ("申请不予受理", "很抱歉，您的“{item}”申请不予受理：{reason}"),
    },
    "declaration.accepted": {
        "zh-CN": ("申请已受理", "您的“{item}”申请已受理，承诺办结日期 {due}。"),
    },
    "declaration.processing": {
        "zh-CN": ("正在审批", "您的“{item}”申请正在审批中。"),
    },
    "declaration.completed": {
        "zh-CN": ("已办结", "您的“{item}”申请已办结：{result}"),
    },
    "declaration.refused": {
        "zh-CN": ("审批未通过", "您的“{item}”申请未获批准：{reason}"),
    },
    "declaration.withdrawn": {
        "zh-CN": ("申请已撤回", "您的“{item}”申请已撤回。"),
    },
    "declaration.platform_refused": {
        "zh-CN": (
            "申请未被平台受理",
            "很抱歉，您的“{item}”申请未被省政务服务平台接收：{reason}。"
            "申请内容和材料均已保留，可退回草稿修改后重新提交。",
        ),
    },
    "declaration.supplement_refused": {
        "zh-CN": (
            "补正材料未被接收",
            "您为“{item}”提交的补正材料未被省政务服务平台接收：{reason}。"
            "请按补正通知修改材料后重新提交。",
        ),
    },
    "declaration.tolerated_refused": {
        "zh-CN": (
            "容缺材料未被接收",
            "您为“{item}”补交的容缺材料未被省政务服务平台接收：{reason}。请更换材料后重新补交。",
        ),
    },
    "payment.notice": {
        "zh-CN": ("待缴费", "您的“{item}”需缴纳费用 {amount}，请在缴费期限内完成缴费。"),
    },
    "payment.paid": {
        "zh-CN": ("缴费成功", "您已成功缴纳“{item}”费用 {amount}，电子票据可在缴费记录中查看。"),
    },
    "licence.revoked": {
        "zh-CN": ("电子证照已注销", "您的电子证照“{name}”已被发证机关注销：{reason}"),
    },
    "declaration.overdue_warning": {
        "zh-CN": ("即将到期提醒", "您的“{item}”申请距承诺办结期限不足1个工作日。"),
    },
    "deadline.moved": {
        "zh-CN": (
            "办理期限调整",
            "根据国务院办公厅公布的节假日安排，您的“{item}”{deadline}由 {old} 调整为 {new}。",
        ),
    },
    "review.ticket_opened": {
        "zh-CN": (
            "评价已收到",
            "感谢您对“{item}”的评价。我们将核实情况，并于{due}前与您联系、完成整改。",
        ),
    },
    "review.ticket_resolved": {
        "zh-CN": (
            "差评整改结果",
            "您对“{item}”的评价已处理（{outcome}）：{note} 欢迎您再次评价。",
        ),
    },
    "queue.called": {
        "zh-CN": (
            "请到{window}号窗口",
            "{hall}已叫到您的号码 {number}（{item}），请前往{window}号窗口办理。",
        ),
    },
    "queue.completed": {
        "zh-CN": (
            "窗口已办结",
            "您在{hall}办理的“{item}”已办结，欢迎对本次服务进行评价。",
        ),
    },
    "appointment.reminder": {
        "zh-CN": (
            "预约办理提醒",
            "您已预约{date} {time}到{hall}办理“{item}”，地址：{address}。"
            "请携带身份证件和材料原件按时前往；如不能前往，请在{cutoff}前取消预约。",
        ),
    },
    "appointment.no_show": {
        "zh-CN": (
            "预约未到",
            "您预约的{date} {time}“{item}”（{hall}）未到场办理，已记爽约一次。{rule}",
        ),
    },
    "hotline.received": {
        "zh-CN": (
            "12345热线已登记",
            "您的{item}已由12345热线登记，工单编号 {number}，将于{due}前答复。",
        ),
    },
    "hotline.transferred": {
        "zh-CN": ("已转办", "您的{item}已由12345热线转交{department}办理。"),
    },
    "hotline.replied": {
        "zh-CN": ("12345热线答复", "您的{item}已答复：{reply} 欢迎对答复进行评价。"),
    },
    "delivery.shipped": {
        "zh-CN": ("办理结果已寄出", "您的“{item}”办理结果已交寄{carrier}，运单号 {waybill}。"),
    },
    "delivery.collected": {
        "zh-CN": ("快递已揽收", "您的“{item}”办理结果（运单号 {waybill}）已揽收。"),
    },
    "delivery.in_transit": {
        "zh-CN": ("快递运输中", "您的“{item}”办理结果（运单号 {waybill}）运输中：{location}。"),
    },
    "delivery.out_for_delivery": {
        "zh-CN": (
            "快递派送中",
            "您的“{item}”办理结果（运单号 {waybill}）正在派送，请保持电话畅通。",
        ),
    },
    "delivery.signed": {
        "zh-CN": ("快递已签收", "您的“{item}”办理结果（运单号 {waybill}）已签收。"),
    },
    "bundle.member_started": {
        "zh-CN": ("一件事联办进展", "“{bundle}”中的“{after}”已办结，“{item}”已自动提交办理。"),
    },
    "bundle.member_blocked": {
        "zh-CN": ("一件事联办暂停", "“{bundle}”中的“{item}”暂无法办理：{reason}"),
    },
    "bundle.completed": {
        "zh-CN": ("一件事已办结", "您的“{bundle}”已全部办结：{summary}"),
    },
    "proxy.granted": {
        "zh-CN": (
            "已授权他人代办",
            "您已授权{agent}代您办理{scope}，有效期至{until}。代办人的每一步都会通知您，"
            "您可随时在“谁在为我代办”中撤销授权。",
        ),
    },
    "proxy.received": {
        "zh-CN": (
            "您收到一项代办授权",
            "{principal}授权您代其办理{scope}，有效期至{until}。请在身份切换中选择“{principal}”后办理。",
        ),
    },
    "proxy.acted": {
        "zh-CN": (
            "代办进展",
            "{agent}以您的名义{action}：“{item}”。如非您本人授权，请立即撤销授权。",
        ),
    },
    "proxy.revoked": {
        "zh-CN": ("代办授权已撤销", "{principal}对{agent}的代办授权（{scope}）已撤销，即时生效。"),
    },
    "assist.confirmed": {
        "zh-CN": (
            "窗口帮办已确认",
            "您已通过短信验证码同意窗口工作人员{staff}帮您办理{scope}，{until}前有效。"
            "办理的每一步都会通知您。",
        ),
    },
}


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def render(
    event_type: EventType, params: Mapping[str, str], locale: str = "zh-CN"
) -> tuple[str, str]:
    variants = TEMPLATES[event_type]
    title, body = variants.get(locale) or variants["zh-CN"]
    values = _Missing(params)
    return title.format_map(values), body.format_map(values)
