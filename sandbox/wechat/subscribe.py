"""Subscribe messages (订阅消息): templates, the users' quotas, sent messages, the limits.

A one-time template (一次性订阅) gives one message per accepted popup tap, so quota is a count per
(openid, template). A long-term template (长期订阅, open to government services) allows any
number of messages once the user accepted it, until the user rejects it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Literal

from sandbox.clock import Clock

TemplateKind = Literal["one_time", "long_term"]

DEFAULT_DAILY_LIMIT = 100_000
KEY_PATTERN = re.compile(
    r"(thing|number|letter|symbol|character_string|time|date|amount|phone_number|car_number"
    r"|name|phrase)([1-9][0-9]{0,2})"
)
TEMPLATE_ID_PATTERN = re.compile(r"[0-9A-Za-z_\-]{1,64}")
MINIPROGRAM_STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")
CHINA = dt.timezone(dt.timedelta(hours=8))

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_DATE = r"\d{4}(-\d{1,2}-\d{1,2}|/\d{1,2}/\d{1,2}|年\d{1,2}月\d{1,2}日)"
_TIME = r"\d{1,2}:\d{2}(:\d{2})?"
_MOMENT = rf"({_DATE}( {_TIME})?|{_TIME})"
_VALUE_RULES: dict[str, tuple[int, re.Pattern[str]]] = {
    # key kind -> (max length, pattern of the whole value)
    "thing": (20, re.compile(r".+", re.DOTALL)),
    "number": (32, re.compile(r"-?\d+(\.\d+)?")),
    "letter": (32, re.compile(r"[A-Za-z]+")),
    "symbol": (5, re.compile(r"[^\w\s]+")),
    "character_string": (32, re.compile(r"[\x21-\x7e]+")),
    "time": (64, re.compile(rf"{_MOMENT}( ?[~至-] ?{_MOMENT})?")),
    "date": (64, re.compile(rf"{_MOMENT}( ?[~至-] ?{_MOMENT})?")),
    "amount": (16, re.compile(r"[¥￥]?\d{1,10}(\.\d{1,2})?元?")),
    "phone_number": (17, re.compile(r"[0-9+\-() ]+")),
    "car_number": (8, re.compile(r"[0-9A-Za-z" + _CJK + "]+")),
    "name": (20, re.compile(r"[A-Za-z ·" + _CJK + "]+")),
    "phrase": (5, re.compile(r"[" + _CJK + "]+")),
}


def key_kind(key: str) -> str | None:
    match = KEY_PATTERN.fullmatch(key)
    return match.group(1) if match else None


def _valid_date_parts(value: str) -> bool:
    """Every date inside a time/date value is a real calendar date."""
    for year, month, day in re.findall(r"(\d{4})[-/年](\d{1,2})[-/月](\d{1,2})", value):
        try:
            dt.date(int(year), int(month), int(day))
        except ValueError:
            return False
    for hour, minute in re.findall(r"(?<![\d])(\d{1,2}):(\d{2})", value):
        if int(hour) > 23 or int(minute) > 59:
            return False
    return True


def value_valid(key: str, value: str) -> bool:
    """WeChat's rule for a data value of this key kind (``thing`` ≤ 20 characters, …)."""
    kind = key_kind(key)
    if kind is None:
        return False
    max_len, pattern = _VALUE_RULES[kind]
    if not value or len(value) > max_len or not pattern.fullmatch(value):
        return False
    if kind == "name" and re.search(f"[{_CJK}]", value) and len(value) > 10:
        return False
    return kind not in ("time", "date") or _valid_date_parts(value)


@dataclass(frozen=True)
class Template:
    template_id: str
    title: str
    kind: TemplateKind
    keys: tuple[str, ...]
    key_names: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "templateId": self.template_id,
            "title": self.title,
            "kind": self.kind,
            "keys": list(self.keys),
            "keyNames": self.key_names,
        }


SEED_TEMPLATES = (
    Template(
        "TPL_PROGRESS",
        "办理进度通知",
        "one_time",
        ("thing1", "phrase2", "time3", "thing4"),
        {"thing1": "事项名称", "phrase2": "办理状态", "time3": "更新时间", "thing4": "备注"},
    ),
    Template(
        "TPL_RESULT",
        "办结通知",
        "one_time",
        ("thing1", "phrase2", "date3", "thing4"),
        {"thing1": "事项名称", "phrase2": "办理结果", "date3": "办结时间", "thing4": "领取方式"},
    ),
    Template(
        "TPL_SUPPLEMENT",
        "材料补正提醒",
        "one_time",
        ("thing1", "thing2", "date3"),
        {"thing1": "事项名称", "thing2": "补正内容", "date3": "截止日期"},
    ),
    Template(
        "TPL_NOTICE",
        "政务公告",
        "long_term",
        ("thing1", "thing2"),
        {"thing1": "标题", "thing2": "摘要"},
    ),
)


@dataclass
class Quota:
    """One (openid, template): ``remaining`` one-time messages; ``long_term`` accepted or not."""

    remaining: int = 0
    long_term: bool = False
    status: Literal["accept", "reject"] = "accept"


@dataclass
class SubscribeState:
    clock: Clock
    daily_limit: int = DEFAULT_DAILY_LIMIT
    per_second: int | None = None
    templates: dict[str, Template] = field(default_factory=dict)
    quotas: dict[tuple[str, str], Quota] = field(default_factory=dict)
    known_openids: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    # (template, China day) -> messages accepted that day
    daily: dict[tuple[str, str], int] = field(default_factory=dict)
    recent_sends: deque[float] = field(default_factory=deque)
    next_msgid: int = 2_071_384_853_734_129_664
    initial_limits: tuple[int, int | None] = (DEFAULT_DAILY_LIMIT, None)

    def __post_init__(self) -> None:
        self.initial_limits = (self.daily_limit, self.per_second)
        self.seed()

    def seed(self) -> None:
        self.templates = {t.template_id: t for t in SEED_TEMPLATES}

    def reset(self) -> None:
        self.seed()
        self.daily_limit, self.per_second = self.initial_limits
        self.quotas.clear()
        self.known_openids.clear()
        self.sent.clear()
        self.daily.clear()
        self.recent_sends.clear()

    def credit(self, openid: str, template: Template, accept: bool, count: int) -> Quota:
        """The user tapped the popup: accept credits quota, reject turns a long-term one off."""
        self.known_openids.add(openid)
        quota = self.quotas.setdefault((openid, template.template_id), Quota())
        quota.status = "accept" if accept else "reject"
        if template.kind == "long_term":
            quota.long_term = accept
        elif accept:
            quota.remaining += count
        return quota

    def quotas_of(self, openid: str) -> list[dict[str, Any]]:
        rows = []
        for (owner, template_id), quota in self.quotas.items():
            if owner != openid:
                continue
            template = self.templates.get(template_id)
            kind = template.kind if template else "one_time"
            unlimited = kind == "long_term" and quota.long_term
            rows.append(
                {
                    "templateId": template_id,
                    "kind": kind,
                    "status": quota.status,
                    "remaining": None if unlimited else quota.remaining,
                }
            )
        return rows

    def rate_exceeded(self) -> bool:
        """Counts this send attempt; True when more than ``per_second`` in the last second."""
        now = self.clock.now()
        window = self.recent_sends
        while window and (window[0] <= now - 1 or window[0] > now):
            window.popleft()
        window.append(now)
        return self.per_second is not None and len(window) > self.per_second

    def _day(self) -> str:
        return dt.datetime.fromtimestamp(self.clock.now(), CHINA).date().isoformat()

    def daily_exceeded(self, template_id: str) -> bool:
        return self.daily.get((template_id, self._day()), 0) >= self.daily_limit

    def has_quota(self, openid: str, template: Template) -> bool:
        quota = self.quotas.get((openid, template.template_id))
        if quota is None:
            return False
        if template.kind == "long_term":
            return quota.long_term
        return quota.remaining > 0

    def record_send(self, template: Template, message: dict[str, Any]) -> int:
        """Debit the quota (one-time only), count the day, keep the message; its msgid."""
        openid = message["touser"]
        if template.kind == "one_time":
            self.quotas[(openid, template.template_id)].remaining -= 1
        day_key = (template.template_id, self._day())
        self.daily[day_key] = self.daily.get(day_key, 0) + 1
        msgid = self.next_msgid
        self.next_msgid += 1
        self.sent.append({"msgid": msgid, **message, "sentAt": self.clock.rfc3339()})
        return msgid
