"""User-facing text, Chinese first, looked up by stable key.

Every message a citizen may see lives in ``MESSAGES``; code never embeds it. Adding a locale
(e.g. Mongolian, ``mn``) means adding a column here, nothing else.
"""

from __future__ import annotations

DEFAULT_LOCALE = "zh-CN"

MESSAGES: dict[str, dict[str, str]] = {
    "BAD_REQUEST": {"zh-CN": "请求有误", "en": "Bad request"},
    "VALIDATION_FAILED": {"zh-CN": "提交的内容不符合要求，请检查后重试", "en": "Validation failed"},
    "INVALID_PARAMETER": {"zh-CN": "请求参数有误", "en": "Invalid parameter"},
    "NOT_FOUND": {"zh-CN": "您访问的内容不存在", "en": "Not found"},
    "METHOD_NOT_ALLOWED": {"zh-CN": "不支持该请求方式", "en": "Method not allowed"},
    "UNAUTHORIZED": {"zh-CN": "请先登录", "en": "Authentication required"},
    "FORBIDDEN": {"zh-CN": "您无权进行此操作", "en": "Forbidden"},
    "CONFLICT": {"zh-CN": "操作冲突，请刷新后重试", "en": "Conflict"},
    "PAYLOAD_TOO_LARGE": {"zh-CN": "上传的内容过大", "en": "Payload too large"},
    "TOO_MANY_REQUESTS": {"zh-CN": "操作过于频繁，请稍后再试", "en": "Too many requests"},
    "INTERNAL_ERROR": {"zh-CN": "系统繁忙，请稍后再试", "en": "Internal error"},
    "SERVICE_UNAVAILABLE": {"zh-CN": "服务暂不可用，请稍后再试", "en": "Service unavailable"},
    "ITEM_NOT_FOUND": {"zh-CN": "未找到该办事事项", "en": "Service item not found"},
    "INVALID_PAGE": {"zh-CN": "分页参数有误", "en": "Invalid paging parameters"},
}


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header; Chinese unless asked otherwise."""
    if not accept_language:
        return DEFAULT_LOCALE
    for part in accept_language.split(","):
        tag = part.split(";", 1)[0].strip().lower()
        if tag.startswith("zh"):
            return "zh-CN"
        if tag.startswith("en"):
            return "en"
    return DEFAULT_LOCALE


def text(key: str, locale: str = DEFAULT_LOCALE) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(locale) or entry[DEFAULT_LOCALE]
