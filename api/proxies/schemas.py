"""Wire types of 委托代办 (citizens) and 帮办 (hall workers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]+$")]
IdNumber = Annotated[str, msgspec.Meta(min_length=15, max_length=18, pattern=r"^[0-9]{17}[0-9Xx]$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=30)]
SmsCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]
Status = Literal["active", "scheduled", "expired", "revoked"]
Event = Literal["granted", "confirmed", "acted", "revoked"]


class _In(msgspec.Struct, rename="camel", forbid_unknown_fields=True, frozen=True, kw_only=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class GrantProxy(_In, frozen=True, kw_only=True):
    """Authorise a person (named by ID number and name, both checked against a citizen whose
    real name the platform verified) to act for me: for the items listed (empty: every item a
    person may apply for) from ``validFrom`` (default: now) until ``validUntil`` (at most a
    year on)."""

    agent_id_number: IdNumber
    agent_name: Name
    items: Annotated[list[Code], msgspec.Meta(max_length=20)] = []
    valid_from: datetime | None = None
    valid_until: datetime


class ProxyItem(_Out, kw_only=True):
    code: str
    name: str


class ProxyGrant(_Out, kw_only=True):
    """One authorisation I gave: to a person (``agentKind`` person) or a hall worker (staff)."""

    id: str
    agent_kind: Literal["person", "staff"]
    agent_name: str  # masked
    items: list[ProxyItem]  # empty: every item
    valid_from: datetime
    valid_until: datetime | None
    status: Status
    revoked_at: datetime | None = None


class ProxyGrants(_Out, kw_only=True):
    items: list[ProxyGrant]


class ProxyLogEntry(_Out, kw_only=True):
    id: str
    mandate_id: str
    event: Event
    label: str
    agent_name: str  # masked
    action: str | None = None
    target: str | None = None
    at: datetime


class ProxyLog(_Out, kw_only=True):
    items: list[ProxyLogEntry]


# --- 帮办: hall workers --------------------------------------------------------------------


class StartAssist(_In, frozen=True, kw_only=True):
    """The citizen at the window, named by the ID card they show, and what they want done; a
    code is texted to the phone on their record."""

    id_number: IdNumber
    name: Name
    items: Annotated[list[Code], msgspec.Meta(min_length=1, max_length=5)]


class AssistStarted(_Out, kw_only=True):
    id: str
    citizen_name: str  # masked
    phone: str  # masked: where the code went
    items: list[ProxyItem]
    expires_in: int


class ConfirmAssist(_In, frozen=True, kw_only=True):
    code: SmsCode


class AssistGranted(_Out, kw_only=True):
    """The citizen confirmed: ``accessToken`` acts for them on the citizen API (with the items
    and until the time here), until it expires or the assistance is ended."""

    id: str
    mandate_id: str
    citizen_name: str
    items: list[ProxyItem]
    valid_until: datetime
    access_token: str
    expires_in: int


class AssistRequest(_Out, kw_only=True):
    id: str
    citizen_name: str
    items: list[ProxyItem]
    created_at: datetime
    status: Literal["waiting", "active", "ended", "expired"]
    mandate_id: str | None = None


class AssistRequests(_Out, kw_only=True):
    items: list[AssistRequest]
