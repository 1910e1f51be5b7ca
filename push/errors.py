"""Push's refusals, each with its stable code (core.i18n holds their Chinese text)."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class MessageNotFound(NotFound, code="MESSAGE_NOT_FOUND"): ...


class PushEventRejected(DomainError, status=401, code="WECHAT_PUSH_SIGNATURE_INVALID"): ...


class NoWechatIdentity(Conflict, code="WECHAT_NOT_BOUND"): ...


class NoticeNotFound(NotFound, code="NOTICE_NOT_FOUND"): ...


class NoticeStateConflict(Conflict, code="NOTICE_STATE_CONFLICT"): ...


class NoticeSmsCostChanged(Conflict, code="NOTICE_SMS_COST_CHANGED"):
    """An urgent notice approved without the SMS cost it has now (none shown, or the audience
    changed since): the problem carries the cost as it is now."""


class SelfApproval(DomainError, status=403, code="NOTICE_SELF_APPROVAL"): ...


class AudienceInvalid(DomainError, code="NOTICE_AUDIENCE_INVALID"):
    """The audience's kind lacks what it needs (a region audience without its region...): the
    schema carries every other rule, so this refusal of a well-formed draft is a 400."""


class Throttled(Exception):
    """WeChat's daily or per-second limit: the delivery job is retried later with backoff."""

    def __init__(self, message: str, *, per_second: bool = False) -> None:
        super().__init__(message)
        self.per_second = per_second


__all__ = [
    "AudienceInvalid",
    "MessageNotFound",
    "NoWechatIdentity",
    "NoticeNotFound",
    "NoticeSmsCostChanged",
    "NoticeStateConflict",
    "PushEventRejected",
    "SelfApproval",
    "Throttled",
]
