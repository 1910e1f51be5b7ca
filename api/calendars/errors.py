from __future__ import annotations

from core.errors import DomainError, NotFound


class NoticeInvalid(DomainError, code="CALENDAR_NOTICE_INVALID"):
    """The holiday notice file does not follow the format (docs/calendar-notice.md) or
    contradicts itself; ``problems`` lists each finding: where, and what is wrong. A 400: the
    request is well-formed (the file is a string), its content is what is refused."""


class YearOutOfRange(NotFound, code="NOT_FOUND"): ...
