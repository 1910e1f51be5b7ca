"""Errors of 委托代办 and 帮办: stable codes, Chinese titles in core.i18n."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class ProxyNotFound(NotFound, code="PROXY_NOT_FOUND"):
    """Also for another citizen's authorisation: no oracle."""


class AgentUnknown(DomainError, status=400, code="PROXY_AGENT_UNKNOWN"):
    """No real-named person with that ID number and name (one answer for every reason)."""


class AgentIsSelf(DomainError, status=400, code="PROXY_AGENT_SELF"): ...


class WindowInvalid(DomainError, status=400, code="PROXY_WINDOW_INVALID"):
    """The window ends before it starts, is over already, or is longer than allowed."""


class ItemUnknown(DomainError, status=400, code="PROXY_ITEM_UNKNOWN"):
    """An item of the authorisation is not in the catalogue, or not for a person."""


class LookupsLimited(DomainError, status=429, code="PROXY_LOOKUPS_LIMITED"):
    """Too many people named in a short time (naming is a lookup of a person: throttled)."""


class ProxyOwnOnly(DomainError, status=403, code="PROXY_OWN_ONLY"):
    """Authorising others is the person's own act: never done while acting for someone."""


class AssistNotFound(NotFound, code="ASSIST_NOT_FOUND"):
    """Also for another hall worker's request: no oracle."""


class AssistCodeInvalid(DomainError, status=400, code="ASSIST_CODE_INVALID"):
    """Wrong, expired, used or too often tried."""


class AssistClosed(Conflict, code="ASSIST_CLOSED"):
    """The request was confirmed already, or has expired."""


class CitizenUnknown(DomainError, status=400, code="ASSIST_CITIZEN_UNKNOWN"):
    """No real-named citizen with a phone for that ID number and name."""
