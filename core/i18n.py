"""User-facing text, Chinese first, looked up by stable key.

Every message a citizen may see lives in ``MESSAGES``; code never embeds it. Each entry has the
Chinese text (``zh-CN``, the default and the fallback), the Mongolian one (``mn``: traditional
script, as written in Inner Mongolia; docs/i18n.md) and an English one for staff and logs.
Adding a locale means adding a column here and a tag to ``negotiate``.
"""

# ruff: noqa: E501 - a table of sentences; a line holds one whole, each language on its own line

from __future__ import annotations

DEFAULT_LOCALE = "zh-CN"
MONGOLIAN = "mn"
# The locales a citizen may be answered in (English titles are for staff tools and logs).
LOCALES = ("zh-CN", MONGOLIAN, "en")

MESSAGES: dict[str, dict[str, str]] = {
    "BAD_REQUEST": {"zh-CN": "请求有误", "mn": "ᠭᠤᠶᠤᠯᠲᠠ ᠠᠯᠳᠠᠭ᠎ᠠ ᠲᠠᠢ", "en": "Bad request"},
    "VALIDATION_FAILED": {
        "zh-CN": "提交的内容不符合要求，请检查后重试",
        "mn": "ᠲᠤᠱᠢᠶᠠᠭᠰᠠᠨ ᠠᠭᠤᠯᠭ᠎ᠠ ᠱᠠᠭᠠᠷᠳᠯᠠᠭ᠎ᠠ ᠶᠢ ᠬᠠᠩᠭᠠᠬᠤ ᠦᠭᠡᠢ᠂ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Validation failed",
    },
    "INVALID_PARAMETER": {
        "zh-CN": "请求参数有误",
        "mn": "ᠭᠤᠶᠤᠯᠲᠠᠨ ᠤ ᠫᠠᠷᠠᠮᠡᠲᠷ ᠠᠯᠳᠠᠭ᠎ᠠ ᠲᠠᠢ",
        "en": "Invalid parameter",
    },
    "BODY_TOO_DEEP": {
        "zh-CN": "请求内容嵌套层级过深",
        "mn": "ᠭᠤᠶᠤᠯᠲᠠᠨ ᠤ ᠠᠭᠤᠯᠭ᠎ᠠ ᠶᠢᠨ ᠳᠠᠪᠬᠤᠷᠭ᠎ᠠ ᠬᠡᠲᠦᠷᠬᠡᠢ ᠣᠯᠠᠨ",
        "en": "Request body nested too deeply",
    },
    "NOT_FOUND": {
        "zh-CN": "您访问的内容不存在",
        "mn": "ᠲᠠ ᠶᠢᠨ ᠬᠠᠶᠢᠭᠰᠠᠨ ᠠᠭᠤᠯᠭ᠎ᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Not found",
    },
    "METHOD_NOT_ALLOWED": {
        "zh-CN": "不支持该请求方式",
        "mn": "ᠡᠨᠡ ᠭᠤᠶᠤᠯᠲᠠᠨ ᠤ ᠠᠷᠭ᠎ᠠ ᠶᠢ ᠳᠡᠮᠵᠢᠬᠦ ᠦᠭᠡᠢ",
        "en": "Method not allowed",
    },
    "UNAUTHORIZED": {
        "zh-CN": "请先登录",
        "mn": "ᠤᠷᠢᠳ᠎ᠠ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Authentication required",
    },
    "FORBIDDEN": {
        "zh-CN": "您无权进行此操作",
        "mn": "ᠲᠠ ᠡᠨᠡ ᠦᠢᠯᠡᠳᠡᠯ ᠢ ᠬᠢᠬᠦ ᠡᠷᠬᠡ ᠦᠭᠡᠢ",
        "en": "Forbidden",
    },
    "CONFLICT": {
        "zh-CN": "操作冲突，请刷新后重试",
        "mn": "ᠦᠢᠯᠡᠳᠡᠯ ᠬᠠᠷᠰᠠᠯᠳᠤᠪᠠ᠂ ᠰᠡᠷᠭᠦᠭᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Conflict",
    },
    "PAYLOAD_TOO_LARGE": {
        "zh-CN": "上传的内容过大",
        "mn": "ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠬᠤ ᠠᠭᠤᠯᠭ᠎ᠠ ᠬᠡᠲᠦᠷᠬᠡᠢ ᠶᠡᠬᠡ",
        "en": "Payload too large",
    },
    "TOO_MANY_REQUESTS": {
        "zh-CN": "操作过于频繁，请稍后再试",
        "mn": "ᠦᠢᠯᠡᠳᠡᠯ ᠬᠡᠲᠦᠷᠬᠡᠢ ᠣᠯᠠᠨ ᠤᠳᠠᠭ᠎ᠠ ᠪᠣᠯᠪᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Too many requests",
    },
    "INTERNAL_ERROR": {
        "zh-CN": "系统繁忙，请稍后再试",
        "mn": "ᠰᠢᠰᠲᠡᠮ ᠠᠴᠠᠭᠠᠯᠠᠯ ᠶᠡᠬᠡ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Internal error",
    },
    "SERVICE_UNAVAILABLE": {
        "zh-CN": "服务暂不可用，请稍后再试",
        "mn": "ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡ ᠲᠦᠷ ᠵᠣᠭᠰᠣᠵᠤ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Service unavailable",
    },
    "DEAD_LETTER_NOT_FOUND": {
        "zh-CN": "该失败任务不存在，可能已被重试或丢弃",
        "mn": "ᠲᠡᠷᠡ ᠪᠦᠲᠦᠭᠡᠯ ᠦᠭᠡᠢ ᠠᠵᠢᠯ ᠦᠭᠡᠢ᠂ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠠᠭᠳᠠᠭᠰᠠᠨ ᠪᠤᠶᠤ ᠬᠠᠶᠠᠭᠳᠠᠭᠰᠠᠨ ᠪᠠᠶᠢᠵᠤ ᠮᠠᠭᠠᠳ",
        "en": "No such parked job",
    },
    "JOB_ALREADY_QUEUED": {
        "zh-CN": "相同的任务已在队列中，无需重试",
        "mn": "ᠠᠳᠠᠯᠢ ᠠᠵᠢᠯ ᠵᠡᠷᠭᠡ ᠳᠦ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠠᠬᠤ ᠬᠡᠷᠡᠭ ᠦᠭᠡᠢ",
        "en": "The same job is queued already",
    },
    "WECHAT_CODE_INVALID": {
        "zh-CN": "微信登录凭证无效或已过期，请重新登录",
        "mn": "ᠸᠢᠴᠠᠲ ᠤᠨ ᠨᠡᠪᠲᠡᠷᠡᠬᠦ ᠭᠡᠷᠡᠴᠢᠯᠭᠡᠨ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠨᠢ ᠳᠤᠤᠰᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "WeChat code invalid",
    },
    "SSO_STATE_INVALID": {
        "zh-CN": "实名认证会话已失效，请重新发起认证",
        "mn": "ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠶᠢᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠠᠯᠲ ᠤᠨ ᠦᠶ᠎ᠡ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠣᠯᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠡᠬᠢᠯᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "SSO state invalid",
    },
    "SSO_REJECTED": {
        "zh-CN": "统一身份认证未通过，请重新认证",
        "mn": "ᠨᠢᠭᠡᠳᠦᠭᠰᠡᠨ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠠᠯᠲ ᠥᠩᠭᠡᠷᠡᠭᠰᠡᠨ ᠦᠭᠡᠢ᠂ ᠳᠠᠬᠢᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Identity provider rejected the sign-in",
    },
    "REAL_NAME_CONFLICT": {
        "zh-CN": "当前账号已绑定其他实名身份，无法再绑定此身份",
        "mn": "ᠡᠨᠡ ᠳᠠᠩᠰᠠ ᠥᠪᠡᠷ᠎ᠡ ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠳᠦ ᠬᠣᠯᠪᠠᠭᠳᠠᠭᠰᠠᠨ ᠲᠤᠯᠠ ᠡᠨᠡ ᠪᠡᠶ᠎ᠡ ᠶᠢ ᠬᠣᠯᠪᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "This account is bound to another person's real name",
    },
    "SMS_CODE_INVALID": {
        "zh-CN": "短信验证码错误或已过期",
        "mn": "ᠣᠬᠣᠷ ᠮᠡᠳᠡᠭᠡᠨ ᠦ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠬᠤ ᠺᠣᠳ ᠪᠤᠷᠤᠭᠤ ᠪᠤᠶᠤ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠨᠢ ᠳᠤᠤᠰᠪᠠ",
        "en": "SMS code invalid or expired",
    },
    "SMS_RATE_LIMITED": {
        "zh-CN": "验证码发送过于频繁，请稍后再试",
        "mn": "ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠬᠤ ᠺᠣᠳ ᠬᠡᠲᠦᠷᠬᠡᠢ ᠣᠯᠠᠨ ᠤᠳᠠᠭ᠎ᠠ ᠢᠯᠡᠭᠡᠭᠳᠡᠪᠡ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Too many SMS codes requested",
    },
    "PHONE_REJECTED": {
        "zh-CN": "手机号码无法接收短信，请检查后重试",
        "mn": "ᠡᠨᠡ ᠤᠲᠠᠰᠤᠨ ᠤ ᠳᠤᠭᠠᠷ ᠣᠬᠣᠷ ᠮᠡᠳᠡᠭᠡ ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠴᠤ ᠴᠢᠳᠠᠬᠤ ᠦᠭᠡᠢ᠂ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Phone number rejected",
    },
    "PHONE_MISSING": {
        "zh-CN": "该账号未绑定手机号码，无法发送验证码",
        "mn": "ᠡᠨᠡ ᠳᠠᠩᠰᠠ ᠳᠤᠷ ᠭᠠᠷ ᠤᠲᠠᠰᠤ ᠶᠢᠨ ᠳᠤᠭᠠᠷ ᠬᠣᠯᠪᠠᠭᠳᠠᠭ ᠠ ᠦᠭᠡᠢ ᠲᠤᠯᠠ ᠪᠠᠲᠤᠯᠠᠬᠤ ᠬᠣᠳ ᠢᠯᠡᠭᠡᠵᠦ ᠴᠢᠳᠠᠬᠤ ᠦᠭᠡᠢ",
        "en": "No phone number on record",
    },
    "TOKEN_INVALID": {
        "zh-CN": "登录状态无效，请重新登录",
        "mn": "ᠨᠡᠪᠲᠡᠷᠡᠯ ᠦᠨ ᠪᠠᠶᠢᠳᠠᠯ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Invalid token",
    },
    "TOKEN_EXPIRED": {
        "zh-CN": "登录已过期，请重新登录",
        "mn": "ᠨᠡᠪᠲᠡᠷᠡᠯ ᠦᠨ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠤᠰᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Token expired",
    },
    "TOKEN_REVOKED": {
        "zh-CN": "登录已失效，请重新登录",
        "mn": "ᠨᠡᠪᠲᠡᠷᠡᠯ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠣᠯᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Token revoked",
    },
    "REFRESH_TOKEN_INVALID": {
        "zh-CN": "登录已过期，请重新登录",
        "mn": "ᠨᠡᠪᠲᠡᠷᠡᠯ ᠦᠨ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠤᠰᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Refresh token invalid",
    },
    "REFRESH_TOKEN_REUSED": {
        "zh-CN": "检测到账号异常使用，已退出所有登录，请重新登录",
        "mn": "ᠳᠠᠩᠰᠠ ᠶᠢ ᠵᠣᠬᠢᠰ ᠦᠭᠡᠢ ᠬᠡᠷᠡᠭᠯᠡᠭᠰᠡᠨ ᠨᠢ ᠢᠯᠡᠷᠡᠪᠡ᠂ ᠪᠦᠬᠦ ᠨᠡᠪᠲᠡᠷᠡᠯ ᠡᠴᠡ ᠭᠠᠷᠭᠠᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Refresh token reused; session revoked",
    },
    "ASSURANCE_LEVEL_TOO_LOW": {
        "zh-CN": "该服务需要更高级别的实名认证，请先完成认证",
        "mn": "ᠡᠨᠡ ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡ ᠢᠯᠤᠦ ᠥᠨᠳᠥᠷ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠶᠢᠨ ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠶᠢᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠠᠯᠲ ᠱᠠᠭᠠᠷᠳᠠᠨᠠ᠂ ᠤᠷᠢᠳ᠎ᠠ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Higher identity assurance required",
    },
    "STAFF_ONLY": {
        "zh-CN": "仅限运营人员访问",
        "mn": "ᠵᠥᠪᠬᠡᠨ ᠠᠵᠢᠯᠴᠢᠳ ᠬᠡᠷᠡᠭᠯᠡᠨ᠎ᠡ",
        "en": "Staff only",
    },
    "ROLE_FORBIDDEN": {
        "zh-CN": "您的角色无权进行此操作",
        "mn": "ᠲᠠ ᠶᠢᠨ ᠳᠦᠷᠢ ᠡᠨᠡ ᠦᠢᠯᠡᠳᠡᠯ ᠢ ᠬᠢᠬᠦ ᠡᠷᠬᠡ ᠦᠭᠡᠢ",
        "en": "Role not allowed",
    },
    "DEPARTMENT_OUT_OF_SCOPE": {
        "zh-CN": "您只能查看本部门的办件和数据",
        "mn": "ᠲᠠ ᠵᠥᠪᠬᠡᠨ ᠥᠪᠡᠷ ᠦᠨ ᠲᠠᠰᠤᠭ ᠤᠨ ᠥᠴᠢᠭ ᠪᠠ ᠲᠣᠭ᠎ᠠ ᠪᠠᠶᠢᠳᠠᠯ ᠢ ᠦᠵᠡᠵᠦ ᠪᠣᠯᠣᠨ᠎ᠠ",
        "en": "Outside your departments",
    },
    "PROVINCE_WIDE_ONLY": {
        "zh-CN": "该功能仅限全省范围的工作人员使用",
        "mn": "ᠡᠨᠡ ᠴᠢᠳᠠᠮᠵᠢ ᠶᠢ ᠵᠥᠪᠬᠡᠨ ᠪᠦᠬᠦ ᠮᠤᠵᠢ ᠶᠢᠨ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠶᠢᠨ ᠠᠵᠢᠯᠴᠢᠨ ᠬᠡᠷᠡᠭᠯᠡᠨ᠎ᠡ",
        "en": "Province-wide staff only",
    },
    "CREDENTIALS_INVALID": {
        "zh-CN": "用户名或密码错误",
        "mn": "ᠬᠡᠷᠡᠭᠯᠡᠭᠴᠢ ᠶᠢᠨ ᠨᠡᠷ᠎ᠡ ᠪᠤᠶᠤ ᠨᠤᠭᠤᠴᠠ ᠳᠤᠭᠠᠷ ᠪᠤᠷᠤᠭᠤ",
        "en": "Invalid credentials",
    },
    "ACCOUNT_LOCKED": {
        "zh-CN": "登录失败次数过多，账号已临时锁定",
        "mn": "ᠨᠡᠪᠲᠡᠷᠡᠯ ᠣᠯᠠᠨ ᠤᠳᠠᠭ᠎ᠠ ᠪᠦᠲᠦᠭᠡᠯ ᠦᠭᠡᠢ ᠪᠣᠯᠤᠭᠰᠠᠨ ᠲᠤᠯᠠ ᠳᠠᠩᠰᠠ ᠲᠦᠷ ᠲᠦᠭᠵᠢᠭᠳᠡᠪᠡ",
        "en": "Account locked",
    },
    "MFA_INVALID": {
        "zh-CN": "动态验证码错误",
        "mn": "ᠬᠤᠪᠢᠰᠬᠠᠯᠲᠤ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠬᠤ ᠺᠣᠳ ᠪᠤᠷᠤᠭᠤ",
        "en": "Invalid one-time code",
    },
    "SESSION_EXPIRED": {
        "zh-CN": "会话已超时，请重新登录",
        "mn": "ᠬᠣᠯᠪᠣᠭ᠎ᠠ ᠶᠢᠨ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠤᠰᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Session expired",
    },
    "CLIENT_INVALID": {
        "zh-CN": "应用认证失败",
        "mn": "ᠫᠷᠣᠭᠷᠠᠮ ᠤᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠠᠯᠲ ᠪᠦᠲᠦᠭᠡᠯ ᠦᠭᠡᠢ",
        "en": "Client authentication failed",
    },
    "CLIENT_UNKNOWN": {
        "zh-CN": "该服务未接入统一身份认证",
        "mn": "ᠡᠨᠡ ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡ ᠨᠢᠭᠡᠳᠦᠭᠰᠡᠨ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠠᠯᠲ ᠲᠤ ᠣᠷᠣᠯᠴᠠᠭ᠎ᠠ ᠦᠭᠡᠢ",
        "en": "Unknown department app",
    },
    "TICKET_INVALID": {
        "zh-CN": "授权票据无效或已使用",
        "mn": "ᠡᠷᠬᠡ ᠣᠯᠭᠠᠬᠤ ᠲᠠᠰᠤᠯᠪᠤᠷᠢ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠬᠡᠷᠡᠭᠯᠡᠭᠳᠡᠭᠰᠡᠨ",
        "en": "Ticket invalid, used or expired",
    },
    "UNSUPPORTED_GRANT_TYPE": {
        "zh-CN": "不支持的授权类型",
        "mn": "ᠡᠨᠡ ᠡᠷᠬᠡ ᠣᠯᠭᠠᠬᠤ ᠲᠥᠷᠥᠯ ᠢ ᠳᠡᠮᠵᠢᠬᠦ ᠦᠭᠡᠢ",
        "en": "Unsupported grant type",
    },
    "MESSAGE_NOT_FOUND": {"zh-CN": "消息不存在", "mn": "ᠮᠡᠳᠡᠭᠡ ᠦᠭᠡᠢ", "en": "Message not found"},
    "FEE_NOTICE_NOT_FOUND": {
        "zh-CN": "未找到该缴款通知",
        "mn": "ᠲᠡᠷᠡ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠲᠥᠯᠥᠬᠦ ᠮᠡᠳᠡᠭᠳᠡᠯ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Payment notice not found",
    },
    "PAYMENT_ORDER_NOT_FOUND": {
        "zh-CN": "未找到该缴费订单",
        "mn": "ᠲᠡᠷᠡ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢᠨ ᠵᠠᠬᠢᠶᠠᠯᠭ᠎ᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Payment order not found",
    },
    "REFUND_NOT_FOUND": {
        "zh-CN": "未找到该退款",
        "mn": "ᠲᠡᠷᠡ ᠪᠤᠴᠠᠭᠠᠬᠤ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Refund not found",
    },
    "MISMATCH_NOT_FOUND": {
        "zh-CN": "未找到该对账差异",
        "mn": "ᠲᠡᠷᠡ ᠲᠣᠭᠠᠴᠠᠭᠰᠠᠨ ᠢᠯᠭᠠᠭ᠎ᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Mismatch not found",
    },
    "RECEIPT_NOT_READY": {
        "zh-CN": "电子票据正在开具，请稍后查看",
        "mn": "ᠴᠠᠬᠢᠯᠭᠠᠨ ᠲᠠᠰᠤᠯᠪᠤᠷᠢ ᠶᠢ ᠭᠠᠷᠭᠠᠵᠤ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠦᠵᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "Receipt not ready",
    },
    "FEE_NOTICE_PAID": {
        "zh-CN": "该费用已缴纳，无需重复缴费",
        "mn": "ᠡᠨᠡ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢ ᠨᠢᠭᠡᠨᠲᠡ ᠲᠥᠯᠥᠭᠰᠡᠨ᠂ ᠳᠠᠬᠢᠨ ᠲᠥᠯᠥᠬᠦ ᠬᠡᠷᠡᠭ ᠦᠭᠡᠢ",
        "en": "Already paid",
    },
    "FEE_NOTICE_EXPIRED": {
        "zh-CN": "缴款通知已过期，请联系审批部门",
        "mn": "ᠲᠥᠯᠥᠪᠦᠷᠢ ᠲᠥᠯᠥᠬᠦ ᠮᠡᠳᠡᠭᠳᠡᠯ ᠦᠨ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠤᠰᠪᠠ᠂ ᠬᠢᠨᠠᠨ ᠪᠠᠲᠤᠯᠠᠬᠤ ᠲᠠᠰᠤᠭ ᠲᠤ ᠬᠠᠨᠳᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Notice expired",
    },
    "PAYMENT_ORDER_OPEN": {
        "zh-CN": "该费用已在其他渠道发起支付，请在原渠道完成或稍后再试",
        "mn": "ᠡᠨᠡ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢ ᠥᠪᠡᠷ᠎ᠡ ᠰᠤᠸᠠᠭ ᠠᠴᠠ ᠲᠥᠯᠥᠵᠦ ᠡᠬᠢᠯᠡᠭᠰᠡᠨ᠂ ᠲᠡᠷᠡ ᠰᠤᠸᠠᠭ ᠲᠤ ᠪᠠᠨ ᠳᠤᠤᠰᠭᠠᠬᠤ ᠪᠤᠶᠤ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "An order is open on another channel",
    },
    "REFUND_NOT_ALLOWED": {
        "zh-CN": "该订单不能退款或退款金额超出",
        "mn": "ᠡᠨᠡ ᠵᠠᠬᠢᠶᠠᠯᠭ᠎ᠠ ᠶᠢᠨ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢ ᠪᠤᠴᠠᠭᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠪᠤᠴᠠᠭᠠᠬᠤ ᠲᠣᠭ᠎ᠠ ᠬᠡᠲᠦᠷᠡᠪᠡ",
        "en": "Refund not allowed",
    },
    "REFUND_STATE_CONFLICT": {
        "zh-CN": "该退款已处理",
        "mn": "ᠡᠨᠡ ᠲᠥᠯᠥᠪᠦᠷᠢ ᠪᠤᠴᠠᠭᠠᠯᠲ ᠢ ᠨᠢᠭᠡᠨᠲᠡ ᠱᠢᠢᠳᠪᠦᠷᠢᠯᠡᠭᠰᠡᠨ",
        "en": "Refund already decided",
    },
    "SELF_APPROVAL_FORBIDDEN": {
        "zh-CN": "不能审批本人发起的申请",
        "mn": "ᠥᠪᠡᠷ ᠦᠨ ᠭᠠᠷᠭᠠᠭᠰᠠᠨ ᠥᠴᠢᠭ ᠢ ᠥᠪᠡᠰᠦᠪᠡᠨ ᠪᠠᠲᠤᠯᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Self-approval forbidden",
    },
    "PAY_NOTIFICATION_REJECTED": {
        "zh-CN": "支付通知验签失败",
        "mn": "ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢᠨ ᠮᠡᠳᠡᠭᠳᠡᠯ ᠦᠨ ᠭᠠᠷᠤᠯ ᠤᠨ ᠲᠡᠮᠳᠡᠭ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Notification rejected",
    },
    "PAY_NOTIFICATION_MISMATCH": {
        "zh-CN": "支付通知与订单不符",
        "mn": "ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢᠨ ᠮᠡᠳᠡᠭᠳᠡᠯ ᠵᠠᠬᠢᠶᠠᠯᠭ᠎ᠠ ᠲᠠᠢ ᠲᠠᠭᠠᠷᠠᠬᠤ ᠦᠭᠡᠢ",
        "en": "Notification mismatch",
    },
    "PAYMENT_UNAVAILABLE": {
        "zh-CN": "支付服务暂不可用，请稍后再试",
        "mn": "ᠲᠥᠯᠥᠪᠦᠷᠢ ᠶᠢᠨ ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡ ᠲᠦᠷ ᠵᠣᠭᠰᠣᠵᠤ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Payment unavailable",
    },
    "DECLARATION_NOT_FOUND": {
        "zh-CN": "未找到该申请",
        "mn": "ᠲᠡᠷᠡ ᠥᠴᠢᠭ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Declaration not found",
    },
    "MATERIAL_NOT_FOUND": {
        "zh-CN": "未找到该材料",
        "mn": "ᠲᠡᠷᠡ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Material not found",
    },
    "ITEM_NOT_ACCEPTING": {
        "zh-CN": "该事项暂停受理，请稍后再试",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠢ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠬᠤ ᠪᠠᠨ ᠵᠣᠭᠰᠣᠭᠠᠭᠰᠠᠨ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Item not accepting applications",
    },
    "DECLARATION_STATE_CONFLICT": {
        "zh-CN": "当前申请状态不允许此操作",
        "mn": "ᠥᠴᠢᠭ ᠦᠨ ᠣᠳᠣᠭ᠎ᠠ ᠶᠢᠨ ᠪᠠᠶᠢᠳᠠᠯ ᠳᠤᠷ ᠡᠨᠡ ᠦᠢᠯᠡᠳᠡᠯ ᠢ ᠬᠢᠵᠦ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Not allowed in this state",
    },
    "FORM_INVALID": {
        "zh-CN": "申请表填写有误，请检查后重试",
        "mn": "ᠥᠴᠢᠭ ᠦᠨ ᠪᠢᠴᠢᠭ ᠢ ᠪᠤᠷᠤᠭᠤ ᠪᠥᠭᠯᠡᠭᠰᠡᠨ᠂ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Form invalid",
    },
    "MATERIALS_MISSING": {
        "zh-CN": "还有必需的申请材料未提供",
        "mn": "ᠱᠠᠭᠠᠷᠳᠯᠠᠭ᠎ᠠ ᠲᠠᠢ ᠥᠴᠢᠭ ᠦᠨ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠳᠤᠲᠠᠭᠤ ᠪᠠᠶᠢᠨ᠎ᠠ",
        "en": "Required materials missing",
    },
    "UNKNOWN_MATERIAL": {
        "zh-CN": "该事项不需要此材料",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠳᠦ ᠲᠡᠷᠡ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠬᠡᠷᠡᠭ ᠦᠭᠡᠢ",
        "en": "Unknown material",
    },
    "LICENCE_NOT_USABLE": {
        "zh-CN": "该电子证照不能用于此材料",
        "mn": "ᠡᠨᠡ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠢ ᠲᠡᠷᠡ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠶᠢᠨ ᠣᠷᠤᠨ ᠳᠤᠷ ᠬᠡᠷᠡᠭᠯᠡᠨ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Licence cannot satisfy this material",
    },
    "MATERIAL_NOT_USABLE": {
        "zh-CN": "材料库中没有这份材料，请重新上传",
        "mn": "ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠶᠢᠨ ᠰᠠᠩ ᠳᠤᠷ ᠡᠨᠡ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠦᠭᠡᠢ᠂ ᠳᠠᠬᠢᠨ ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Material not in your library",
    },
    "IDEMPOTENCY_KEY_REUSED": {
        "zh-CN": "重复的提交请求内容不一致",
        "mn": "ᠳᠠᠪᠲᠠᠭᠳᠠᠭᠰᠠᠨ ᠲᠤᠱᠢᠶᠠᠯᠲᠠ ᠶᠢᠨ ᠠᠭᠤᠯᠭ᠎ᠠ ᠠᠳᠠᠯᠢ ᠪᠤᠰᠤ",
        "en": "Idempotency key reused",
    },
    "REAL_NAME_REQUIRED": {
        "zh-CN": "请先完成实名认证",
        "mn": "ᠤᠷᠢᠳ᠎ᠠ ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠶᠢᠨ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠤᠯᠠᠯᠲ ᠢ ᠳᠤᠤᠰᠭᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "Real-name binding required",
    },
    "CALLBACK_SIGNATURE_INVALID": {
        "zh-CN": "回调签名无效",
        "mn": "ᠬᠠᠷᠢᠭᠤ ᠮᠡᠳᠡᠭᠳᠡᠯ ᠦᠨ ᠭᠠᠷᠤᠯ ᠤᠨ ᠲᠡᠮᠳᠡᠭ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ",
        "en": "Callback signature invalid",
    },
    "WECHAT_PUSH_SIGNATURE_INVALID": {
        "zh-CN": "消息推送签名无效",
        "mn": "ᠮᠡᠳᠡᠭᠡ ᠲᠦᠷᠢᠬᠦ ᠭᠠᠷᠤᠯ ᠤᠨ ᠲᠡᠮᠳᠡᠭ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ",
        "en": "Message push signature invalid",
    },
    "WECHAT_NOT_BOUND": {
        "zh-CN": "请先使用微信登录",
        "mn": "ᠤᠷᠢᠳ᠎ᠠ ᠸᠢᠴᠠᠲ ᠢᠶᠠᠷ ᠨᠡᠪᠲᠡᠷᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "No WeChat identity bound",
    },
    "NOTICE_NOT_FOUND": {"zh-CN": "通知不存在", "mn": "ᠮᠡᠳᠡᠭᠳᠡᠯ ᠦᠭᠡᠢ", "en": "Notice not found"},
    "NOTICE_STATE_CONFLICT": {
        "zh-CN": "通知当前状态不允许此操作",
        "mn": "ᠮᠡᠳᠡᠭᠳᠡᠯ ᠦᠨ ᠣᠳᠣᠭ᠎ᠠ ᠶᠢᠨ ᠪᠠᠶᠢᠳᠠᠯ ᠳᠤᠷ ᠡᠨᠡ ᠦᠢᠯᠡᠳᠡᠯ ᠢ ᠬᠢᠵᠦ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Not allowed in this state",
    },
    "NOTICE_SMS_COST_CHANGED": {
        "zh-CN": "短信费用已变化，请核对最新费用后再批准",
        "mn": "ᠣᠬᠣᠷ ᠮᠡᠳᠡᠭᠡᠨ ᠦ ᠵᠠᠷᠳᠠᠯ ᠥᠥᠷᠴᠢᠯᠡᠭᠳᠡᠪᠡ᠂ ᠱᠢᠨᠡ ᠵᠠᠷᠳᠠᠯ ᠢ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠪᠠᠲᠤᠯᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "The SMS cost has changed; check it and approve again",
    },
    "NOTICE_SELF_APPROVAL": {
        "zh-CN": "不能审核自己起草的通知",
        "mn": "ᠥᠪᠡᠷ ᠦᠨ ᠨᠣᠭᠤᠷᠭ᠎ᠠ ᠪᠣᠯᠭᠠᠭᠰᠠᠨ ᠮᠡᠳᠡᠭᠳᠡᠯ ᠢ ᠥᠪᠡᠰᠦᠪᠡᠨ ᠬᠢᠨᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Cannot approve your own notice",
    },
    "NOTICE_AUDIENCE_INVALID": {
        "zh-CN": "通知内容或发送对象有误",
        "mn": "ᠮᠡᠳᠡᠭᠳᠡᠯ ᠦᠨ ᠠᠭᠤᠯᠭ᠎ᠠ ᠪᠤᠶᠤ ᠢᠯᠡᠭᠡᠬᠦ ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠤᠭᠴᠢ ᠪᠤᠷᠤᠭᠤ",
        "en": "Notice content or audience invalid",
    },
    "ITEM_NOT_FOUND": {
        "zh-CN": "未找到该办事事项",
        "mn": "ᠲᠡᠷᠡ ᠬᠡᠷᠡᠭ ᠦᠨ ᠵᠦᠢᠯ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Service item not found",
    },
    "INVALID_PAGE": {
        "zh-CN": "分页参数有误",
        "mn": "ᠬᠤᠭᠤᠳᠠᠰᠤ ᠶᠢᠨ ᠫᠠᠷᠠᠮᠡᠲᠷ ᠪᠤᠷᠤᠭᠤ",
        "en": "Invalid paging parameters",
    },
    "UPLOAD_TOO_LARGE": {
        "zh-CN": "上传的文件超过大小限制",
        "mn": "ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠬᠤ ᠹᠠᠢᠯ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠡᠴᠡ ᠬᠡᠲᠦᠷᠡᠪᠡ",
        "en": "File too large",
    },
    "UPLOAD_TYPE_MISMATCH": {
        "zh-CN": "文件内容与文件类型不符，请检查后重新上传",
        "mn": "ᠹᠠᠢᠯ ᠤᠨ ᠠᠭᠤᠯᠭ᠎ᠠ ᠪᠠ ᠲᠥᠷᠥᠯ ᠲᠠᠭᠠᠷᠠᠬᠤ ᠦᠭᠡᠢ᠂ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "File content does not match its type",
    },
    "UPLOAD_TYPE_NOT_ALLOWED": {
        "zh-CN": "不支持该文件格式，请上传允许的格式",
        "mn": "ᠡᠨᠡ ᠹᠠᠢᠯ ᠤᠨ ᠬᠡᠯᠪᠡᠷᠢ ᠶᠢ ᠳᠡᠮᠵᠢᠬᠦ ᠦᠭᠡᠢ᠂ ᠵᠥᠪᠰᠢᠶᠡᠷᠡᠭᠳᠡᠭᠰᠡᠨ ᠬᠡᠯᠪᠡᠷᠢ ᠪᠡᠷ ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "File type not allowed",
    },
    "UPLOAD_EMPTY": {
        "zh-CN": "上传的文件为空",
        "mn": "ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠬᠤ ᠹᠠᠢᠯ ᠬᠣᠭᠣᠰᠤᠨ ᠪᠠᠶᠢᠨ᠎ᠠ",
        "en": "Empty file",
    },
    "UPLOAD_MALFORMED": {
        "zh-CN": "上传请求格式有误，请重新上传",
        "mn": "ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠬᠤ ᠭᠤᠶᠤᠯᠲᠠᠨ ᠤ ᠬᠡᠯᠪᠡᠷᠢ ᠪᠤᠷᠤᠭᠤ᠂ ᠳᠠᠬᠢᠨ ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Malformed upload",
    },
    "UPLOAD_DOCUMENT_INVALID": {
        "zh-CN": "文件已损坏或无法打开，请检查后重新上传",
        "mn": "ᠹᠠᠢᠯ ᠡᠪᠳᠡᠷᠡᠭᠰᠡᠨ ᠪᠤᠶᠤ ᠨᠡᠭᠡᠭᠳᠡᠬᠦ ᠦᠭᠡᠢ᠂ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "The document is damaged or cannot be opened",
    },
    "UPLOAD_FILE_NAME_REJECTED": {
        "zh-CN": "文件名不合法，请修改文件名后重新上传",
        "mn": "ᠹᠠᠢᠯ ᠤᠨ ᠨᠡᠷ᠎ᠡ ᠵᠣᠬᠢᠰ ᠦᠭᠡᠢ᠂ ᠨᠡᠷ᠎ᠡ ᠶᠢ ᠵᠠᠰᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠳᠡᠭᠡᠭᠱᠢ ᠳᠠᠮᠵᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "File name rejected",
    },
    "DOWNLOAD_LINK_INVALID": {
        "zh-CN": "下载链接无效或已过期，请重新获取",
        "mn": "ᠪᠠᠭᠤᠯᠭᠠᠬᠤ ᠬᠣᠯᠪᠤᠭ᠎ᠠ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠨᠢ ᠳᠤᠤᠰᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠠᠪᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Download link invalid or expired",
    },
    "OBJECT_NOT_FOUND": {
        "zh-CN": "文件不存在或已删除",
        "mn": "ᠹᠠᠢᠯ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠤᠰᠲᠠᠭᠠᠭᠳᠠᠭᠰᠠᠨ",
        "en": "File not found",
    },
    "LICENCE_NOT_FOUND": {
        "zh-CN": "未找到该电子证照",
        "mn": "ᠲᠡᠷᠡ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Licence not found",
    },
    "LICENCE_NOT_DISPLAYABLE": {
        "zh-CN": "该证照已失效、已注销或尚未核验，不能亮证",
        "mn": "ᠡᠨᠡ ᠦᠨᠡᠮᠯᠡᠯ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ᠂ ᠬᠤᠴᠢᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠪᠤᠶᠤ ᠱᠠᠯᠭᠠᠨ ᠪᠠᠲᠤᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ ᠲᠤᠯᠠ ᠦᠵᠦᠭᠦᠯᠵᠦ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "This licence cannot be shown",
    },
    "LICENCE_FILE_UNAVAILABLE": {
        "zh-CN": "该证照文件暂不可下载",
        "mn": "ᠡᠨᠡ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠹᠠᠢᠯ ᠢ ᠲᠦᠷ ᠪᠠᠭᠤᠯᠭᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Licence file not available",
    },
    "LICENCE_DISPLAY_UNAVAILABLE": {
        "zh-CN": "亮证服务暂不可用，请稍后再试",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠵᠦᠭᠦᠯᠬᠦ ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡ ᠲᠦᠷ ᠵᠣᠭᠰᠣᠵᠤ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Licence display unavailable",
    },
    "DISPLAY_CODE_INVALID": {
        "zh-CN": "亮证码无效或已被篡改",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠵᠦᠭᠦᠯᠬᠦ ᠺᠣᠳ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠥᠥᠷᠴᠢᠯᠡᠭᠳᠡᠭᠰᠡᠨ",
        "en": "Display code invalid",
    },
    "DISPLAY_CODE_EXPIRED": {
        "zh-CN": "亮证码已过期，请持证人重新亮证",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠵᠦᠭᠦᠯᠬᠦ ᠺᠣᠳ ᠤᠨ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠤᠰᠪᠠ᠂ ᠦᠨᠡᠮᠯᠡᠯ ᠡᠵᠡᠮᠰᠢᠭᠴᠢ ᠳᠠᠬᠢᠨ ᠦᠵᠦᠭᠦᠯᠦᠨ᠎ᠡ ᠦᠦ",
        "en": "Display code expired",
    },
    "CONSENT_NOT_FOUND": {
        "zh-CN": "未找到该授权记录",
        "mn": "ᠲᠡᠷᠡ ᠵᠥᠪᠰᠢᠶᠡᠷᠡᠯ ᠦᠨ ᠲᠡᠮᠳᠡᠭᠯᠡᠯ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Consent not found",
    },
    # Wallet: what a licence's state means to its holder (status, then the reason it is invalid).
    "LICENCE_STATUS_PENDING": {
        "zh-CN": "核验中",
        "mn": "ᠱᠠᠯᠭᠠᠨ ᠪᠠᠲᠤᠯᠠᠵᠤ ᠪᠠᠶᠢᠨ᠎ᠠ",
        "en": "Being verified",
    },
    "LICENCE_STATUS_VALID": {"zh-CN": "有效", "mn": "ᠬᠤᠴᠦᠨ ᠲᠡᠢ", "en": "Valid"},
    "LICENCE_STATUS_EXPIRED": {"zh-CN": "已过期", "mn": "ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠨᠢ ᠳᠤᠤᠰᠤᠭᠰᠠᠨ", "en": "Expired"},
    "LICENCE_STATUS_REVOKED": {"zh-CN": "已注销", "mn": "ᠬᠤᠴᠢᠯᠠᠭᠳᠠᠭᠰᠠᠨ", "en": "Revoked"},
    "LICENCE_STATUS_INVALID": {"zh-CN": "无效证照", "mn": "ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠦᠨᠡᠮᠯᠡᠯ", "en": "Invalid"},
    "SIGNATURE_INVALID": {
        "zh-CN": "签发机关电子印章（签名）验证失败",
        "mn": "ᠭᠠᠷᠭᠠᠭᠰᠠᠨ ᠪᠠᠶᠢᠭᠤᠯᠤᠯᠭ᠎ᠠ ᠶᠢᠨ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠲᠠᠮᠠᠭ᠎ᠠ (ᠭᠠᠷᠤᠯ ᠤᠨ ᠲᠡᠮᠳᠡᠭ) ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "The issuer's signature does not verify",
    },
    "ISSUER_KEY_UNKNOWN": {
        "zh-CN": "签发机关印章未知",
        "mn": "ᠭᠠᠷᠭᠠᠭᠰᠠᠨ ᠪᠠᠶᠢᠭᠤᠯᠤᠯᠭ᠎ᠠ ᠶᠢᠨ ᠲᠠᠮᠠᠭ᠎ᠠ ᠦᠯᠦ ᠮᠡᠳᠡᠭᠳᠡᠬᠦ",
        "en": "Unknown issuer seal",
    },
    "NUMBER_MALFORMED": {
        "zh-CN": "证照编号格式错误",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠳᠤᠭᠠᠷ ᠤᠨ ᠬᠡᠯᠪᠡᠷᠢ ᠪᠤᠷᠤᠭᠤ",
        "en": "Malformed licence number",
    },
    "NUMBER_MISMATCH": {
        "zh-CN": "证照编号与证照信息不符",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠳᠤᠭᠠᠷ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠮᠡᠳᠡᠭᠡ ᠲᠡᠢ ᠲᠠᠭᠠᠷᠠᠬᠤ ᠦᠭᠡᠢ",
        "en": "Licence number mismatch",
    },
    "NUMBER_CHECK_FAILED": {
        "zh-CN": "证照编号校验位错误",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠳᠤᠭᠠᠷ ᠤᠨ ᠱᠠᠯᠭᠠᠬᠤ ᠣᠷᠤᠨ ᠪᠤᠷᠤᠭᠤ",
        "en": "Licence number check failed",
    },
    "ISSUER_CODE_INVALID": {
        "zh-CN": "签发机关统一社会信用代码校验失败",
        "mn": "ᠭᠠᠷᠭᠠᠭᠰᠠᠨ ᠪᠠᠶᠢᠭᠤᠯᠤᠯᠭ᠎ᠠ ᠶᠢᠨ ᠨᠢᠭᠡᠳᠦᠭᠰᠡᠨ ᠨᠡᠶᠢᠭᠡᠮ ᠦᠨ ᠢᠲᠡᠭᠡᠮᠵᠢ ᠶᠢᠨ ᠺᠣᠳ ᠪᠠᠲᠤᠯᠭᠠᠵᠢᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Issuer credit code invalid",
    },
    "HOLDER_MISMATCH": {
        "zh-CN": "持证人与本人不符",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠡᠵᠡᠮᠰᠢᠭᠴᠢ ᠲᠠ ᠥᠪᠡᠷ᠎ᠡ ᠪᠢᠰᠢ",
        "en": "Holder is not this citizen",
    },
    "DOCUMENT_MALFORMED": {
        "zh-CN": "证照数据格式错误",
        "mn": "ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠲᠣᠭ᠎ᠠ ᠮᠡᠳᠡᠭᠡ ᠶᠢᠨ ᠬᠡᠯᠪᠡᠷᠢ ᠪᠤᠷᠤᠭᠤ",
        "en": "Malformed licence document",
    },
    "NOT_IN_LIBRARY": {
        "zh-CN": "电子证照库中无此证照",
        "mn": "ᠴᠠᠬᠢᠯᠭᠠᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠰᠠᠩ ᠳᠤᠷ ᠡᠨᠡ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠭᠡᠢ",
        "en": "Not in the licence library",
    },
    "LICENCE_CONSENT_REQUIRED": {
        "zh-CN": "该证照的使用授权已撤销，请重新选择证照",
        "mn": "ᠡᠨᠡ ᠦᠨᠡᠮᠯᠡᠯ ᠢ ᠬᠡᠷᠡᠭᠯᠡᠬᠦ ᠵᠥᠪᠰᠢᠶᠡᠷᠡᠯ ᠢ ᠪᠤᠴᠠᠭᠠᠨ ᠠᠪᠤᠭᠰᠠᠨ᠂ ᠥᠪᠡᠷ᠎ᠡ ᠦᠨᠡᠮᠯᠡᠯ ᠰᠣᠩᠭᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Consent to use the licence is missing",
    },
    "DEPARTMENT_TOKEN_INVALID": {
        "zh-CN": "部门应用访问凭证无效",
        "mn": "ᠲᠠᠰᠤᠭ ᠤᠨ ᠫᠷᠣᠭᠷᠠᠮ ᠤᠨ ᠨᠡᠪᠲᠡᠷᠡᠬᠦ ᠭᠡᠷᠡᠴᠢᠯᠭᠡᠨ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ",
        "en": "Department app token invalid",
    },
    "REVIEW_NOT_FINISHED": {
        "zh-CN": "事项办结后才能评价",
        "mn": "ᠬᠡᠷᠡᠭ ᠪᠦᠲᠦᠭᠡᠵᠦ ᠳᠤᠤᠰᠤᠭᠰᠠᠨ ᠤ ᠬᠣᠶᠢᠨ᠎ᠠ ᠦᠨᠡᠯᠡᠨ᠎ᠡ",
        "en": "Only a finished matter can be rated",
    },
    "REVIEW_ALREADY_GIVEN": {
        "zh-CN": "您已在此渠道评价过该事项",
        "mn": "ᠲᠠ ᠡᠨᠡ ᠰᠤᠸᠠᠭ ᠠᠴᠠ ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠢ ᠨᠢᠭᠡᠨᠲᠡ ᠦᠨᠡᠯᠡᠭᠰᠡᠨ",
        "en": "Already rated on this channel",
    },
    "REVIEW_TAG_UNKNOWN": {
        "zh-CN": "评价标签不存在",
        "mn": "ᠦᠨᠡᠯᠡᠯ ᠦᠨ ᠲᠡᠮᠳᠡᠭ ᠦᠭᠡᠢ",
        "en": "Unknown review tag",
    },
    "HALL_NOT_FOUND": {
        "zh-CN": "未找到该政务服务大厅",
        "mn": "ᠲᠡᠷᠡ ᠵᠠᠰᠠᠭ ᠤᠨ ᠠᠯᠪᠠᠨ ᠤ ᠦᠢᠯᠡᠴᠢᠯᠡᠭᠡᠨ ᠦ ᠲᠠᠩᠬᠢᠮ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Service hall not found",
    },
    "HALL_ITEM_NOT_SERVED": {
        "zh-CN": "该大厅不办理此事项",
        "mn": "ᠡᠨᠡ ᠲᠠᠩᠬᠢᠮ ᠳᠤᠷ ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠢ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠦᠭᠡᠢ",
        "en": "The hall does not serve this item",
    },
    "APPOINTMENT_NOT_FOUND": {
        "zh-CN": "未找到该预约",
        "mn": "ᠲᠡᠷᠡ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Appointment not found",
    },
    "APPOINTMENT_SLOT_UNAVAILABLE": {
        "zh-CN": "该时段不可预约（大厅休息、已过时或超出可预约范围）",
        "mn": "ᠡᠨᠡ ᠴᠠᠭ ᠲᠤ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠠᠪᠴᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ (ᠲᠠᠩᠬᠢᠮ ᠠᠮᠠᠷᠠᠵᠤ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠴᠠᠭ ᠥᠩᠭᠡᠷᠡᠭᠰᠡᠨ ᠪᠤᠶᠤ ᠬᠦᠷᠢᠶ᠎ᠡ ᠡᠴᠡ ᠭᠠᠳᠠᠭᠤᠷ᠎ᠠ)",
        "en": "This time slot cannot be booked",
    },
    "APPOINTMENT_SLOT_FULL": {
        "zh-CN": "该时段已约满，请选择其他时段",
        "mn": "ᠡᠨᠡ ᠴᠠᠭ ᠤᠨ ᠣᠷᠣᠨ ᠳᠦᠭᠦᠷᠡᠭᠰᠡᠨ᠂ ᠥᠪᠡᠷ᠎ᠡ ᠴᠠᠭ ᠰᠣᠩᠭᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "This time slot is fully booked",
    },
    "APPOINTMENT_ALREADY_BOOKED": {
        "zh-CN": "您已预约该时段，无需重复预约",
        "mn": "ᠲᠠ ᠡᠨᠡ ᠴᠠᠭ ᠢ ᠨᠢᠭᠡᠨᠲᠡ ᠠᠪᠤᠭᠰᠠᠨ᠂ ᠳᠠᠬᠢᠨ ᠠᠪᠬᠤ ᠬᠡᠷᠡᠭ ᠦᠭᠡᠢ",
        "en": "You have booked this slot already",
    },
    "APPOINTMENT_LIMIT_REACHED": {
        "zh-CN": "您的未完成预约已达上限，请先办理或取消已有预约",
        "mn": "ᠲᠠ ᠶᠢᠨ ᠪᠦᠲᠦᠭᠡᠭᠳᠡᠭᠰᠡᠨ ᠦᠭᠡᠢ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠳᠡᠭᠡᠳᠦ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠳᠦ ᠬᠦᠷᠪᠡ᠂ ᠤᠷᠢᠳ᠎ᠠ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠪᠤᠶᠤ ᠦᠭᠡᠢ ᠪᠣᠯᠭᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "Too many open appointments",
    },
    "APPOINTMENT_PAUSED": {
        "zh-CN": "因多次预约未到，预约功能暂停使用",
        "mn": "ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠠᠪᠤᠭᠰᠠᠨ ᠴᠠᠭ ᠲᠠᠭᠠᠨ ᠣᠯᠠᠨ ᠤᠳᠠᠭ᠎ᠠ ᠢᠷᠡᠭᠰᠡᠨ ᠦᠭᠡᠢ ᠲᠤᠯᠠ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠬᠤ ᠴᠢᠳᠠᠮᠵᠢ ᠲᠦᠷ ᠵᠣᠭᠰᠣᠪᠠ",
        "en": "Booking paused after repeated no-shows",
    },
    "APPOINTMENT_CANCEL_TOO_LATE": {
        "zh-CN": "已过可取消时间，无法取消该预约",
        "mn": "ᠦᠭᠡᠢ ᠪᠣᠯᠭᠠᠬᠤ ᠴᠠᠭ ᠥᠩᠭᠡᠷᠡᠭᠰᠡᠨ ᠲᠤᠯᠠ ᠡᠨᠡ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠶᠢ ᠦᠭᠡᠢ ᠪᠣᠯᠭᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Too late to cancel",
    },
    "APPOINTMENT_NOT_CANCELLABLE": {
        "zh-CN": "该预约当前状态不可取消",
        "mn": "ᠡᠨᠡ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠶᠢ ᠣᠳᠣᠭ᠎ᠠ ᠶᠢᠨ ᠪᠠᠶᠢᠳᠠᠯ ᠳᠤᠷ ᠦᠭᠡᠢ ᠪᠣᠯᠭᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "This appointment cannot be cancelled",
    },
    "APPOINTMENT_DECLARATION_NOT_USABLE": {
        "zh-CN": "所选申报不是您本事项的草稿，无法随预约提交",
        "mn": "ᠰᠣᠩᠭᠣᠭᠰᠠᠨ ᠥᠴᠢᠭ ᠲᠠ ᠶᠢᠨ ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠦᠨ ᠨᠣᠭᠤᠷᠭ᠎ᠠ ᠪᠢᠰᠢ ᠲᠤᠯᠠ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠲᠠᠢ ᠬᠠᠮᠲ ᠲᠤᠱᠢᠶᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "The declaration is not your draft for this item",
    },
    "REVIEW_TICKET_NOT_FOUND": {
        "zh-CN": "未找到该差评整改工单",
        "mn": "ᠲᠡᠷᠡ ᠮᠤᠤ ᠦᠨᠡᠯᠡᠯ ᠦᠨ ᠵᠠᠰᠠᠪᠤᠷ ᠤᠨ ᠠᠵᠢᠯ ᠤᠨ ᠪᠢᠴᠢᠭ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Ticket not found",
    },
    "CALENDAR_NOTICE_INVALID": {
        "zh-CN": "节假日安排文件有误，请按说明修改后重新导入",
        "mn": "ᠪᠠᠶᠠᠷ ᠨᠠᠭᠠᠳᠤᠮ ᠤᠨ ᠠᠮᠠᠷᠠᠯᠲ ᠤᠨ ᠵᠣᠬᠢᠶᠠᠯᠲ ᠤᠨ ᠹᠠᠢᠯ ᠪᠤᠷᠤᠭᠤ᠂ ᠵᠠᠭᠠᠪᠤᠷ ᠤᠨ ᠳᠠᠭᠤ ᠵᠠᠰᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠤᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Invalid holiday notice",
    },
    "LICENCE_NO_LONGER_VALID": {
        "zh-CN": "所选电子证照已注销或过期，请更换材料后再提交",
        "mn": "ᠰᠣᠩᠭᠣᠭᠰᠠᠨ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠬᠤᠴᠢᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠪᠤᠶᠤ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠨᠢ ᠳᠤᠤᠰᠪᠠ᠂ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠶᠢ ᠰᠣᠯᠢᠨ ᠲᠤᠱᠢᠶᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "Licence no longer valid",
    },
    "LICENCE_VERIFICATIONS_LIMITED": {
        "zh-CN": "核验过于频繁，请稍后再试",
        "mn": "ᠱᠠᠯᠭᠠᠨ ᠪᠠᠲᠤᠯᠠᠯ ᠬᠡᠲᠦᠷᠬᠡᠢ ᠣᠯᠠᠨ ᠤᠳᠠᠭ᠎ᠠ ᠪᠣᠯᠪᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Too many verifications",
    },
    "HOTLINE_TICKET_NOT_FOUND": {
        "zh-CN": "未找到该咨询投诉工单",
        "mn": "ᠲᠡᠷᠡ ᠠᠰᠠᠭᠤᠯᠭ᠎ᠠ ᠭᠣᠮᠳᠠᠯ ᠤᠨ ᠠᠵᠢᠯ ᠤᠨ ᠪᠢᠴᠢᠭ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Hotline ticket not found",
    },
    "HOTLINE_SUBJECT_UNKNOWN": {
        "zh-CN": "所选事项、部门或办件不存在",
        "mn": "ᠰᠣᠩᠭᠣᠭᠰᠠᠨ ᠬᠡᠷᠡᠭ᠂ ᠲᠠᠰᠤᠭ ᠪᠤᠶᠤ ᠥᠴᠢᠭ ᠦᠭᠡᠢ",
        "en": "The item, department or declaration named does not exist",
    },
    "HOTLINE_TEXT_BLANK": {
        "zh-CN": "请填写标题和内容",
        "mn": "ᠭᠠᠷᠴᠠᠭ ᠪᠠ ᠠᠭᠤᠯᠭ᠎ᠠ ᠶᠢ ᠪᠢᠴᠢᠨ᠎ᠡ ᠦᠦ",
        "en": "Title and content must not be blank",
    },
    "HOTLINE_SUBJECT_AMBIGUOUS": {
        "zh-CN": "事项、部门和办件只能选择其一",
        "mn": "ᠬᠡᠷᠡᠭ᠂ ᠲᠠᠰᠤᠭ᠂ ᠥᠴᠢᠭ ᠭᠤᠷᠪᠠᠨ ᠠᠴᠠ ᠵᠥᠪᠬᠡᠨ ᠨᠢᠭᠡ ᠶᠢ ᠰᠣᠩᠭᠣᠨ᠎ᠠ",
        "en": "Name at most one of item, department and declaration",
    },
    "HOTLINE_NO_RECTIFICATION": {
        "zh-CN": "该办件没有差评整改记录，无法就整改情况投诉",
        "mn": "ᠡᠨᠡ ᠥᠴᠢᠭ ᠲᠦ ᠮᠤᠤ ᠦᠨᠡᠯᠡᠯ ᠦᠨ ᠵᠠᠰᠠᠪᠤᠷ ᠤᠨ ᠲᠡᠮᠳᠡᠭᠯᠡᠯ ᠦᠭᠡᠢ ᠲᠤᠯᠠ ᠵᠠᠰᠠᠪᠤᠷ ᠤᠨ ᠲᠠᠯᠠᠠᠷ ᠭᠣᠮᠳᠠᠯ ᠭᠠᠷᠭᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "No bad-review rectification on this declaration",
    },
    "HOTLINE_NOT_REPLIED": {
        "zh-CN": "工单尚未答复，答复后才能评价",
        "mn": "ᠠᠵᠢᠯ ᠤᠨ ᠪᠢᠴᠢᠭ ᠲᠦ ᠣᠳᠣᠭ᠎ᠠ ᠬᠠᠷᠢᠭᠤ ᠥᠭᠥᠭᠳᠡᠭᠰᠡᠨ ᠦᠭᠡᠢ᠂ ᠬᠠᠷᠢᠭᠤ ᠥᠭᠥᠭᠳᠡᠭᠰᠡᠨ ᠦ ᠬᠣᠶᠢᠨ᠎ᠠ ᠦᠨᠡᠯᠡᠨ᠎ᠡ",
        "en": "Not replied yet",
    },
    "HOTLINE_ALREADY_RATED": {
        "zh-CN": "您已评价过该答复",
        "mn": "ᠲᠠ ᠡᠨᠡ ᠬᠠᠷᠢᠭᠤ ᠶᠢ ᠨᠢᠭᠡᠨᠲᠡ ᠦᠨᠡᠯᠡᠭᠰᠡᠨ",
        "en": "Already rated",
    },
    "REVIEW_NO_PHONE_NUMBER": {
        "zh-CN": "该群众未留存手机号码",
        "mn": "ᠡᠨᠡ ᠢᠷᠭᠡᠨ ᠦ ᠤᠲᠠᠰᠤᠨ ᠤ ᠳᠤᠭᠠᠷ ᠬᠠᠳᠠᠭᠠᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "No phone number on file",
    },
    "ADDRESS_NOT_FOUND": {
        "zh-CN": "未找到该收件地址",
        "mn": "ᠲᠡᠷᠡ ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠬᠤ ᠬᠠᠶᠢᠭ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Address not found",
    },
    "ADDRESS_INVALID": {
        "zh-CN": "收件地址信息有误，请检查收件人、手机号码、所在地区和详细地址",
        "mn": "ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠬᠤ ᠬᠠᠶᠢᠭ ᠤᠨ ᠮᠡᠳᠡᠡᠯᠡ ᠪᠤᠷᠤᠭᠤ ᠪᠠᠶᠢᠨ᠎ᠠ᠂ ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠤᠭᠴᠢ᠂ ᠭᠠᠷ ᠤᠲᠠᠰᠤᠨ ᠤ ᠳᠤᠭᠠᠷ᠂ ᠣᠷᠤᠨ ᠨᠤᠲᠤᠭ ᠪᠠ ᠨᠠᠷᠢᠨ ᠬᠠᠶᠢᠭ ᠢ ᠱᠠᠯᠭᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "Invalid address",
    },
    "ADDRESS_BOOK_FULL": {
        "zh-CN": "地址簿已满，请删除不用的地址后再添加",
        "mn": "ᠬᠠᠶᠢᠭ ᠤᠨ ᠳᠡᠪᠲᠡᠷ ᠳᠦᠭᠦᠷᠡᠵᠡᠢ᠂ ᠬᠡᠷᠡᠭᠯᠡᠬᠦᠢ ᠦᠭᠡᠢ ᠬᠠᠶᠢᠭ ᠢ ᠤᠰᠲᠠᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠨᠡᠮᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "The address book is full",
    },
    "DELIVERY_NOT_FOUND": {
        "zh-CN": "未找到该送达信息",
        "mn": "ᠲᠡᠷᠡ ᠬᠦᠷᠭᠡᠯᠲᠡ ᠶᠢᠨ ᠮᠡᠳᠡᠡᠯᠡ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Delivery not found",
    },
    "DELIVERY_NOT_AVAILABLE": {
        "zh-CN": "该事项的办理结果为电子证照或电子文书，无需领取或邮寄",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠦᠨ ᠦᠷ᠎ᠡ ᠳᠦᠨ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠪᠤᠶᠤ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠪᠢᠴᠢᠭ ᠲᠤᠯᠠ᠂ ᠠᠪᠬᠤ ᠪᠤᠶᠤ ᠱᠤᠤᠳᠠᠩ ᠢᠶᠠᠷ ᠢᠯᠡᠭᠡᠬᠦ ᠬᠡᠷᠡᠭ ᠦᠭᠡᠢ",
        "en": "The result is electronic only",
    },
    "DELIVERY_POSTAL_NOT_OFFERED": {
        "zh-CN": "该事项的办理结果须本人到窗口领取，不提供邮寄送达",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠦᠨ ᠦᠷ᠎ᠡ ᠳᠦᠨ ᠢ ᠪᠡᠶ᠎ᠡ ᠪᠡᠷ ᠴᠣᠩᠬᠤ ᠳᠤᠷ ᠢᠷᠡᠵᠦ ᠠᠪᠤᠨ᠎ᠠ᠂ ᠱᠤᠤᠳᠠᠩ ᠢᠶᠠᠷ ᠬᠦᠷᠭᠡᠬᠦ ᠦᠭᠡᠢ",
        "en": "Postal delivery is not offered for this item",
    },
    "DELIVERY_LOCKED": {
        "zh-CN": "办理结果已出具，送达方式不能再修改",
        "mn": "ᠪᠦᠲᠦᠭᠡᠯ ᠦᠨ ᠦᠷ᠎ᠡ ᠳᠦᠨ ᠭᠠᠷᠤᠭᠰᠠᠨ ᠲᠤᠯᠠ᠂ ᠬᠦᠷᠭᠡᠬᠦ ᠠᠷᠭ᠎ᠠ ᠶᠢ ᠳᠠᠬᠢᠨ ᠵᠠᠰᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "The result is produced: the delivery choice stands",
    },
    "DELIVERY_HALL_INVALID": {
        "zh-CN": "所选大厅不办理该事项，请选择可领取结果的大厅",
        "mn": "ᠰᠣᠩᠭᠤᠭᠰᠠᠨ ᠲᠠᠩᠬᠢᠮ ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠢ ᠪᠦᠲᠦᠭᠡᠳᠡᠭ ᠦᠭᠡᠢ᠂ ᠦᠷ᠎ᠡ ᠳᠦᠨ ᠢ ᠠᠪᠴᠤ ᠪᠣᠯᠬᠤ ᠲᠠᠩᠬᠢᠮ ᠢ ᠰᠣᠩᠭᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "The hall does not serve this item",
    },
    "DELIVERY_ADDRESS_UNKNOWN": {
        "zh-CN": "所选收件地址不在您的地址簿中",
        "mn": "ᠰᠣᠩᠭᠤᠭᠰᠠᠨ ᠬᠦᠯᠢᠶᠡᠨ ᠠᠪᠬᠤ ᠬᠠᠶᠢᠭ ᠲᠠ ᠶᠢᠨ ᠬᠠᠶᠢᠭ ᠤᠨ ᠳᠡᠪᠲᠡᠷ ᠲᠦ ᠦᠭᠡᠢ",
        "en": "The address is not in your address book",
    },
    "REVIEW_TICKET_STATE_CONFLICT": {
        "zh-CN": "工单当前状态不允许此操作",
        "mn": "ᠠᠵᠢᠯ ᠤᠨ ᠪᠢᠴᠢᠭ ᠦᠨ ᠣᠳᠣᠭ᠎ᠠ ᠶᠢᠨ ᠪᠠᠶᠢᠳᠠᠯ ᠳᠤᠷ ᠡᠨᠡ ᠦᠢᠯᠡᠳᠡᠯ ᠢ ᠬᠢᠵᠦ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Not allowed in this ticket state",
    },
    "REVIEW_APPEAL_SELF_DECISION": {
        "zh-CN": "不能审核自己提出的申诉",
        "mn": "ᠥᠪᠡᠷ ᠦᠨ ᠭᠠᠷᠭᠠᠭᠰᠠᠨ ᠭᠣᠮᠳᠠᠯ ᠢ ᠥᠪᠡᠰᠦᠪᠡᠨ ᠬᠢᠨᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Cannot decide your own appeal",
    },
    "QUEUE_BOOKING_NOT_FOUND": {
        "zh-CN": "未找到该预约",
        "mn": "ᠲᠡᠷᠡ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Booking not found",
    },
    "QUEUE_BOOKING_NOT_OPEN": {
        "zh-CN": "该预约已取消或已结束，无法取号",
        "mn": "ᠡᠨᠡ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠦᠭᠡᠢ ᠪᠣᠯᠭᠠᠭᠳᠠᠭᠰᠠᠨ ᠪᠤᠶᠤ ᠳᠤᠤᠰᠤᠭᠰᠠᠨ ᠲᠤᠯᠠ ᠳᠤᠭᠠᠷ ᠠᠪᠴᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "The booking is cancelled or over",
    },
    "QUEUE_OUTSIDE_SLOT": {
        "zh-CN": "请在预约时段内到达大厅后取号",
        "mn": "ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠠᠪᠤᠭᠰᠠᠨ ᠴᠠᠭ ᠲᠠᠭᠠᠨ ᠲᠠᠩᠬᠢᠮ ᠳᠤᠷ ᠬᠦᠷᠴᠦ ᠢᠷᠡᠭᠡᠳ ᠳᠤᠭᠠᠷ ᠠᠪᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Numbers are taken on arrival within the booked slot",
    },
    "QUEUE_TOO_FAR": {
        "zh-CN": "您当前不在大厅附近，请到达后取号或扫描大厅二维码",
        "mn": "ᠲᠠ ᠣᠳᠣᠭ᠎ᠠ ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠣᠶᠢᠷ᠎ᠠ ᠦᠭᠡᠢ᠂ ᠬᠦᠷᠴᠦ ᠢᠷᠡᠭᠡᠳ ᠳᠤᠭᠠᠷ ᠠᠪᠬᠤ ᠪᠤᠶᠤ ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠬᠣᠶᠠᠷ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠲᠦ ᠺᠣᠳ ᠢ ᠰᠢᠷᠪᠢᠨ᠎ᠡ ᠦᠦ",
        "en": "You are not at the hall",
    },
    "QUEUE_HALL_LOCATION_UNKNOWN": {
        "zh-CN": "该大厅暂不支持定位取号，请扫描大厅二维码",
        "mn": "ᠡᠨᠡ ᠲᠠᠩᠬᠢᠮ ᠳᠤᠷ ᠪᠠᠶᠢᠷᠰᠢᠯ ᠢᠶᠠᠷ ᠳᠤᠭᠠᠷ ᠠᠪᠬᠤ ᠶᠢ ᠣᠳᠣᠭ᠎ᠠ ᠳᠡᠮᠵᠢᠬᠦ ᠦᠭᠡᠢ᠂ ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠬᠣᠶᠠᠷ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠲᠦ ᠺᠣᠳ ᠢ ᠰᠢᠷᠪᠢᠨ᠎ᠡ ᠦᠦ",
        "en": "The hall has no location: scan its QR code",
    },
    "QUEUE_QR_INVALID": {
        "zh-CN": "无法识别的大厅二维码",
        "mn": "ᠲᠠᠨᠢᠵᠤ ᠴᠢᠳᠠᠬᠤ ᠦᠭᠡᠢ ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠬᠣᠶᠠᠷ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠲᠦ ᠺᠣᠳ",
        "en": "Not a hall QR code",
    },
    "QUEUE_WRONG_HALL": {
        "zh-CN": "该二维码不属于您预约的大厅",
        "mn": "ᠡᠨᠡ ᠬᠣᠶᠠᠷ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠲᠦ ᠺᠣᠳ ᠲᠠ ᠶᠢᠨ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠭᠰᠠᠨ ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠪᠢᠰᠢ",
        "en": "The QR code is another hall's",
    },
    "QUEUE_TICKET_NOT_FOUND": {
        "zh-CN": "未找到该排队号",
        "mn": "ᠲᠡᠷᠡ ᠵᠡᠷᠭᠡᠯᠡᠬᠦ ᠳᠤᠭᠠᠷ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Queue number not found",
    },
    "QUEUE_NOT_COMPLETED": {
        "zh-CN": "窗口办结后才能评价",
        "mn": "ᠴᠣᠩᠬᠤ ᠳᠤᠷ ᠪᠦᠲᠦᠭᠡᠵᠦ ᠳᠤᠤᠰᠤᠭᠰᠠᠨ ᠤ ᠬᠣᠶᠢᠨ᠎ᠠ ᠦᠨᠡᠯᠡᠨ᠎ᠡ",
        "en": "The window has not completed the visit",
    },
    "QUEUE_NOTHING_TO_RATE": {
        "zh-CN": "本次预约未关联申请，请在大厅评价器上评价",
        "mn": "ᠡᠨᠡ ᠤᠷᠢᠳᠴᠢᠯᠠᠨ ᠴᠠᠭ ᠠᠪᠤᠯᠭ᠎ᠠ ᠳᠤᠷ ᠥᠴᠢᠭ ᠬᠣᠯᠪᠠᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ᠂ ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠦᠨᠡᠯᠡᠬᠦ ᠲᠣᠨᠣᠭ ᠪᠡᠷ ᠦᠨᠡᠯᠡᠨ᠎ᠡ ᠦᠦ",
        "en": "The booking carries no declaration to rate",
    },
    "QUEUE_QR_NOT_CONFIGURED": {
        "zh-CN": "大厅二维码尚未配置",
        "mn": "ᠲᠠᠩᠬᠢᠮ ᠤᠨ ᠬᠣᠶᠠᠷ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠲᠦ ᠺᠣᠳ ᠣᠳᠣᠭ᠎ᠠ ᠲᠣᠬᠢᠷᠤᠭᠤᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Hall QR codes are not configured",
    },
    "BUNDLE_NOT_FOUND": {
        "zh-CN": "未找到该“一件事”申请",
        "mn": "ᠡᠨᠡ “ᠨᠢᠭᠡ ᠬᠡᠷᠡᠭ” ᠦᠨ ᠥᠴᠢᠭ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Bundle application not found",
    },
    "NOT_A_BUNDLE": {
        "zh-CN": "该事项不是“一件事”联办事项",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ “ᠨᠢᠭᠡ ᠬᠡᠷᠡᠭ” ᠬᠠᠮᠲᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠬᠡᠷᠡᠭ ᠪᠢᠰᠢ",
        "en": "Not a bundle item",
    },
    "BUNDLE_ANSWER_INVALID": {
        "zh-CN": "情形选择有误，请按题目选项作答",
        "mn": "ᠪᠠᠶᠢᠳᠠᠯ ᠤᠨ ᠰᠣᠩᠭᠣᠯᠲᠠ ᠠᠯᠳᠳᠠᠭ ᠠ ᠲᠠᠢ᠂ ᠠᠰᠠᠭᠤᠯᠲᠠ ᠶᠢᠨ ᠰᠣᠩᠭᠣᠯᠲᠠ ᠪᠡᠷ ᠬᠠᠷᠢᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Invalid situation answer",
    },
    "BUNDLE_MEMBER_UNKNOWN": {
        "zh-CN": "所选事项不属于该“一件事”，或未选择任何事项",
        "mn": "ᠰᠣᠩᠭᠣᠭᠰᠠᠨ ᠬᠡᠷᠡᠭ ᠡᠨᠡ “ᠨᠢᠭᠡ ᠬᠡᠷᠡᠭ” ᠳᠦ ᠬᠠᠮᠠᠭ ᠦᠭᠡᠢ᠂ ᠪᠤᠶᠤ ᠨᠢᠭᠡ ᠴᠤ ᠬᠡᠷᠡᠭ ᠰᠣᠩᠭᠣᠭ ᠠ ᠦᠭᠡᠢ",
        "en": "Unknown or no bundle member chosen",
    },
    "BUNDLE_FORM_INVALID": {
        "zh-CN": "联办申请表填写有误，请检查后重试",
        "mn": "ᠬᠠᠮᠲᠤ ᠥᠴᠢᠭ ᠦᠨ ᠪᠢᠴᠢᠭ ᠢ ᠪᠤᠷᠤᠭᠤ ᠪᠥᠭᠯᠡᠪᠡ᠂ ᠱᠠᠯᠭᠠᠭᠠᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Form invalid",
    },
    "BUNDLE_MATERIAL_UNKNOWN": {
        "zh-CN": "该“一件事”不需要此材料",
        "mn": "ᠡᠨᠡ “ᠨᠢᠭᠡ ᠬᠡᠷᠡᠭ” ᠳᠦ ᠡᠨᠡ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠬᠡᠷᠡᠭ ᠦᠭᠡᠢ",
        "en": "Unknown bundle material",
    },
    "BUNDLE_MATERIALS_MISSING": {
        "zh-CN": "还有必需的申请材料未提供",
        "mn": "ᠬᠡᠷᠡᠭ ᠲᠡᠢ ᠥᠴᠢᠭ ᠦᠨ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠳᠤᠲᠠᠭᠤ ᠪᠠᠶᠢᠨ᠎ᠠ",
        "en": "Required materials missing",
    },
    "BUNDLE_STATE_CONFLICT": {
        "zh-CN": "该“一件事”已提交，不能再修改",
        "mn": "ᠡᠨᠡ “ᠨᠢᠭᠡ ᠬᠡᠷᠡᠭ” ᠲᠤᠱᠢᠶᠠᠭᠳᠠᠭᠰᠠᠨ ᠲᠤᠯᠠ ᠳᠠᠬᠢᠨ ᠵᠠᠰᠠᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "The bundle is no longer a draft",
    },
    "BUNDLE_LICENCE_NOT_USABLE": {
        "zh-CN": "该电子证照不能用于此材料",
        "mn": "ᠡᠨᠡ ᠴᠠᠬᠢᠯᠭᠠᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠢ ᠡᠨᠡ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠳᠤᠷ ᠬᠡᠷᠡᠭᠯᠡᠵᠦ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Licence cannot satisfy this material",
    },
    # --- parties and acting as (docs/acting-as.md) ---
    "ACTING_AS_INVALID": {
        "zh-CN": "办理身份参数有误",
        "mn": "ᠪᠦᠲᠦᠭᠡᠬᠦ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠫᠠᠷᠠᠮᠡᠲᠢᠷ ᠠᠯᠳᠳᠠᠭ ᠠ ᠲᠠᠢ",
        "en": "X-Acting-As is not a party id",
    },
    "ACTING_AS_NOT_ALLOWED": {
        "zh-CN": "该操作只能以本人身份办理，请切换回本人",
        "mn": "ᠡᠨᠡ ᠦᠶᠢᠯᠡᠳᠡᠯ ᠢ ᠵᠥᠪᠬᠡᠨ ᠥᠪᠡᠷ ᠢᠶᠡᠨ ᠪᠦᠲᠦᠭᠡᠨ᠎ᠡ᠂ ᠥᠪᠡᠷ ᠲᠡᠭᠡᠨ ᠪᠤᠴᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "This route acts for the signed-in person only",
    },
    "ACTING_AS_FORBIDDEN": {
        "zh-CN": "您未获得该主体的授权，不能代其办理",
        "mn": "ᠲᠠ ᠡᠨᠡ ᠡᠪᠦᠳᠦᠯ ᠦᠨ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠭ ᠠ ᠦᠭᠡᠢ ᠲᠤᠯᠠ ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠵᠦ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Not authorised to act for that party",
    },
    "MANDATE_REVOKED": {
        "zh-CN": "您的办理授权已被撤销，请联系授权人",
        "mn": "ᠲᠠᠨ ᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠡᠷᠬᠡ ᠪᠤᠴᠠᠭᠠᠨ ᠠᠪᠤᠭᠳᠠᠪᠠ᠂ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠭᠴᠢ ᠲᠠᠢ ᠬᠣᠯᠪᠠᠭᠳᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "The authorisation to act was revoked",
    },
    "MANDATE_EXPIRED": {
        "zh-CN": "您的办理授权不在有效期内，请联系授权人",
        "mn": "ᠲᠠᠨ ᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠡᠷᠬᠡ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠷ ᠢᠶᠠᠨ ᠦᠭᠡᠢ᠂ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠭᠴᠢ ᠲᠠᠢ ᠬᠣᠯᠪᠠᠭᠳᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "The authorisation to act is not valid now",
    },
    "ITEM_NOT_IN_MANDATE": {
        "zh-CN": "该事项不在您获得的授权范围内",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠲᠠᠨ ᠤ ᠣᠯᠭᠤᠭᠰᠠᠨ ᠡᠷᠬᠡ ᠶᠢᠨ ᠬᠡᠮᠵᠢᠶ᠎ᠡ ᠳᠦ ᠪᠠᠶᠢᠬᠤ ᠦᠭᠡᠢ",
        "en": "The item is outside the authorisation",
    },
    "MANDATE_ITEMS_ONLY": {
        "zh-CN": "该授权仅限指定事项，不能查看或使用委托人的其他资料",
        "mn": "ᠡᠨᠡ ᠡᠷᠬᠡ ᠵᠥᠪᠬᠡᠨ ᠲᠣᠭᠲᠠᠭᠠᠭᠰᠠᠨ ᠬᠡᠷᠡᠭ ᠲᠦ ᠬᠠᠮᠢᠶᠠᠷᠠᠨ᠎ᠠ᠂ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠭᠴᠢ ᠶᠢᠨ ᠪᠤᠰᠤᠳ ᠪᠢᠴᠢᠭ ᠪᠠᠷᠢᠴᠢᠭ᠎ᠠ ᠶᠢ ᠦᠵᠡᠬᠦ ᠪᠤᠶᠤ ᠬᠡᠷᠡᠭᠯᠡᠬᠦ ᠦᠭᠡᠢ",
        "en": "The authorisation covers some items only: the party's other data is out of reach",
    },
    "APPLICANT_TYPE_REFUSED": {
        "zh-CN": "该事项不面向当前办理主体类型（个人/法人），请切换身份或选择其他事项",
        "mn": "ᠡᠨᠡ ᠬᠡᠷᠡᠭ ᠣᠳᠣᠬᠢ ᠪᠦᠲᠦᠭᠡᠭᠴᠢ ᠶᠢᠨ ᠲᠥᠷᠡᠯ (ᠬᠤᠪᠢ ᠬᠦᠮᠦᠨ / ᠬᠠᠤᠯᠢ ᠶᠢᠨ ᠬᠦᠮᠦᠨ) ᠳᠦ ᠵᠣᠷᠢᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ᠂ ᠪᠡᠶ᠎ᠡ ᠪᠡᠨ ᠰᠣᠯᠢᠬᠤ ᠪᠤᠶᠤ ᠥᠭᠡᠷ᠎ᠡ ᠬᠡᠷᠡᠭ ᠰᠣᠩᠭᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "The item is not for this kind of applicant",
    },
    "USCC_INVALID": {
        "zh-CN": "统一社会信用代码格式或校验位有误",
        "mn": "ᠨᠢᠭᠡᠳᠦᠭᠰᠡᠨ ᠨᠡᠶᠢᠭᠡᠮ ᠦᠨ ᠢᠲᠡᠭᠡᠮᠵᠢ ᠶᠢᠨ ᠬᠣᠳ ᠤᠨ ᠵᠢᠭᠤᠷ ᠪᠤᠶᠤ ᠱᠠᠯᠭᠠᠬᠤ ᠣᠷᠤᠨ ᠠᠯᠳᠳᠠᠭ ᠠ ᠲᠠᠢ",
        "en": "Invalid unified social credit code",
    },
    "PARTY_REPRESENTATIVE_ONLY": {
        "zh-CN": "仅企业法定代表人可以管理经办人授权",
        "mn": "ᠵᠥᠪᠬᠡᠨ ᠠᠵ ᠠᠬᠤᠢ ᠶᠢᠨ ᠬᠠᠤᠯᠢ ᠶᠢᠨ ᠲᠥᠯᠥᠦᠯᠡᠭᠴᠢ ᠪᠦᠲᠦᠭᠡᠭᠴᠢ ᠶᠢᠨ ᠡᠷᠬᠡ ᠶᠢ ᠵᠠᠬᠢᠷᠤᠨ᠎ᠠ",
        "en": "Only the legal representative manages agents",
    },
    "PARTY_NOT_FOUND": {
        "zh-CN": "未找到该办理主体",
        "mn": "ᠡᠨᠡ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠡᠪᠦᠳᠦᠯ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Party not found",
    },
    "MANDATE_NOT_FOUND": {
        "zh-CN": "未找到该授权",
        "mn": "ᠡᠨᠡ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠯᠲᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Authorisation not found",
    },
    "PARTY_REAL_NAME_REQUIRED": {
        "zh-CN": "请先通过统一身份认证完成实名认证",
        "mn": "ᠤᠷᠢᠳ᠎ᠠ ᠨᠢᠭᠡᠳᠦᠭᠰᠡᠨ ᠪᠡᠶ᠎ᠡ ᠪᠠᠲᠤᠯᠭ᠎ᠠ ᠪᠡᠷ ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠪᠡᠨ ᠪᠠᠲᠤᠯᠠᠭᠤᠯᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Real name through the platform required",
    },
    "PARTY_AGENT_REJECTED": {
        "zh-CN": "经办人身份信息核验未通过，请检查姓名与身份证号",
        "mn": "ᠪᠦᠲᠦᠭᠡᠭᠴᠢ ᠶᠢᠨ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠮᠡᠳᠡᠭᠡ ᠪᠠᠲᠤᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ᠂ ᠨᠡᠷ᠎ᠡ ᠪᠠ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠳᠤᠭᠠᠷ ᠢ ᠱᠠᠯᠭᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "The platform refused the agent",
    },
    "PROXY_NOT_FOUND": {
        "zh-CN": "未找到该代办授权",
        "mn": "ᠡᠨᠡ ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠯᠲᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Proxy authorisation not found",
    },
    "PROXY_AGENT_UNKNOWN": {
        "zh-CN": "未找到该代办人，请核对姓名与身份证号（代办人须已在本平台实名认证）",
        "mn": "ᠡᠨᠡ ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠭᠴᠢ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ᠂ ᠨᠡᠷ᠎ᠡ ᠪᠠ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠳᠤᠭᠠᠷ ᠢ ᠱᠠᠯᠭᠠᠨ᠎ᠠ ᠤᠤ (ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠭᠴᠢ ᠡᠨᠡ ᠲᠠᠪᠴᠠᠩ ᠳᠤᠷ ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠪᠡᠨ ᠪᠠᠲᠤᠯᠠᠭᠰᠠᠨ ᠪᠠᠶᠢᠬᠤ ᠬᠡᠷᠡᠭ ᠲᠡᠢ)",
        "en": "No real-named person with that ID number and name",
    },
    "PROXY_AGENT_SELF": {
        "zh-CN": "不能授权自己代办",
        "mn": "ᠥᠪᠡᠷ ᠲᠡᠭᠡᠨ ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠵᠤ ᠪᠣᠯᠬᠤ ᠦᠭᠡᠢ",
        "en": "Cannot authorise oneself",
    },
    "PROXY_WINDOW_INVALID": {
        "zh-CN": "授权有效期有误，请重新选择",
        "mn": "ᠡᠷᠬᠡ ᠶᠢᠨ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠠᠯᠳᠳᠠᠭ ᠠ ᠲᠠᠢ᠂ ᠳᠠᠬᠢᠨ ᠰᠣᠩᠭᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Invalid authorisation window",
    },
    "PROXY_ITEM_UNKNOWN": {
        "zh-CN": "所选事项不存在或不面向个人",
        "mn": "ᠰᠣᠩᠭᠣᠭᠰᠠᠨ ᠬᠡᠷᠡᠭ ᠪᠠᠶᠢᠬᠤ ᠦᠭᠡᠢ ᠪᠤᠶᠤ ᠬᠤᠪᠢ ᠬᠦᠮᠦᠨ ᠳᠦ ᠵᠣᠷᠢᠭᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Unknown item or not for a person",
    },
    "PROXY_LOOKUPS_LIMITED": {
        "zh-CN": "核验代办人过于频繁，请稍后再试",
        "mn": "ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠭᠴᠢ ᠶᠢ ᠳᠡᠩᠳᠡᠭᠦᠦ ᠣᠯᠠᠨ ᠲᠠ ᠪᠠᠲᠤᠯᠠᠪᠠ᠂ ᠲᠦᠷ ᠬᠦᠯᠢᠶᠡᠭᠡᠳ ᠳᠠᠬᠢᠨ ᠣᠷᠣᠯᠳᠣᠨ᠎ᠠ ᠤᠤ",
        "en": "Too many agent lookups",
    },
    "PROXY_OWN_ONLY": {
        "zh-CN": "授权他人代办只能以本人身份办理，请切换回本人",
        "mn": "ᠪᠤᠰᠤᠳ ᠲᠤ ᠣᠷᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠡᠷᠬᠡ ᠣᠯᠭᠣᠬᠤ ᠶᠢ ᠵᠥᠪᠬᠡᠨ ᠥᠪᠡᠷ ᠢᠶᠡᠨ ᠪᠦᠲᠦᠭᠡᠨ᠎ᠡ᠂ ᠥᠪᠡᠷ ᠲᠡᠭᠡᠨ ᠪᠤᠴᠠᠨ᠎ᠠ ᠤᠤ",
        "en": "Authorising others is done as oneself only",
    },
    "ASSIST_NOT_FOUND": {
        "zh-CN": "未找到该帮办请求",
        "mn": "ᠡᠨᠡ ᠲᠤᠰᠠᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠭᠤᠶᠤᠯᠲᠠ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ",
        "en": "Assist request not found",
    },
    "ASSIST_CODE_INVALID": {
        "zh-CN": "验证码错误或已失效，请重新获取",
        "mn": "ᠪᠠᠲᠤᠯᠠᠬᠤ ᠬᠣᠳ ᠪᠤᠷᠤᠭᠤ ᠪᠤᠶᠤ ᠬᠤᠴᠦᠨ ᠦᠭᠡᠢ ᠪᠣᠯᠪᠠ᠂ ᠳᠠᠬᠢᠨ ᠠᠪᠤᠨ᠎ᠠ ᠤᠤ",
        "en": "Wrong or expired confirmation code",
    },
    "ASSIST_CLOSED": {
        "zh-CN": "该帮办请求已确认或已过期",
        "mn": "ᠡᠨᠡ ᠲᠤᠰᠠᠯᠠᠵᠤ ᠪᠦᠲᠦᠭᠡᠬᠦ ᠭᠤᠶᠤᠯᠲᠠ ᠪᠠᠲᠤᠯᠠᠭᠳᠠᠭᠰᠠᠨ ᠪᠤᠶᠤ ᠬᠤᠭᠤᠴᠠᠭ᠎ᠠ ᠳᠤᠤᠰᠪᠠ",
        "en": "The assist request is closed",
    },
    "ASSIST_CITIZEN_UNKNOWN": {
        "zh-CN": "未找到该群众，请核对姓名与身份证号（须已实名认证并绑定手机号码）",
        "mn": "ᠡᠨᠡ ᠢᠷᠭᠡᠨ ᠣᠯᠳᠠᠭᠰᠠᠨ ᠦᠭᠡᠢ᠂ ᠨᠡᠷ᠎ᠡ ᠪᠠ ᠪᠡᠶ᠎ᠡ ᠶᠢᠨ ᠦᠨᠡᠮᠯᠡᠯ ᠦᠨ ᠳᠤᠭᠠᠷ ᠢ ᠱᠠᠯᠭᠠᠨ᠎ᠠ ᠤᠤ (ᠦᠨᠡᠨ ᠨᠡᠷ᠎ᠡ ᠪᠡᠨ ᠪᠠᠲᠤᠯᠠᠵᠤ ᠭᠠᠷ ᠤᠲᠠᠰᠤ ᠶᠢᠨ ᠳᠤᠭᠠᠷ ᠬᠣᠯᠪᠠᠭᠰᠠᠨ ᠪᠠᠶᠢᠬᠤ ᠬᠡᠷᠡᠭ ᠲᠡᠢ)",
        "en": "No real-named citizen with a phone for that ID number and name",
    },
}


def _locale_of(tag: str) -> str | None:
    """The supported locale a language tag asks for (RFC 4647 lookup by primary subtag).

    ``mn`` is Mongolian in the traditional script (``mn-Mong``, ``mn-CN``, ``mn-Mong-CN``); a
    tag asking for the Cyrillic script (``mn-Cyrl``, ``mn-MN``) is not served by it."""
    subtags = tag.split("-")
    primary = subtags[0]
    if primary == "zh":
        return DEFAULT_LOCALE
    if primary == "mn":
        return None if {"cyrl", "mn"} & set(subtags[1:]) else MONGOLIAN
    if primary == "en":
        return "en"
    return None


def negotiate(accept_language: str | None) -> str:
    """Pick a supported locale from an Accept-Language header (RFC 9110 §12.5.4: by quality,
    then by order); Chinese unless a supported language is asked for."""
    if not accept_language:
        return DEFAULT_LOCALE
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate(accept_language.split(",")[:32]):
        tag, _, params = part.partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        locale = _locale_of(tag.strip().lower().replace("_", "-"))
        if locale is not None and quality > 0:
            ranked.append((-quality, index, locale))
    return min(ranked)[2] if ranked else DEFAULT_LOCALE


def text(key: str, locale: str = DEFAULT_LOCALE) -> str:
    entry = MESSAGES.get(key)
    if entry is None:
        return key
    return entry.get(locale) or entry[DEFAULT_LOCALE]
