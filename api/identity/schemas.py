"""Wire contracts of identity (camelCase; requests reject unknown fields)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
Phone = Annotated[str, msgspec.Meta(pattern=r"^1[3-9][0-9]{9}$")]
SmsCode = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{6}$")]
Opaque = Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class WechatLoginRequest(_In, kw_only=True):
    code: Code


class WechatPhoneRequest(_In, kw_only=True):
    code: Code


class SsoStartRequest(_In, kw_only=True):
    # login: an app user signs in (or raises their level); bind: a signed-in WeChat user binds
    # their real name.
    purpose: Literal["login", "bind"]


class SsoStartResponse(_Out, kw_only=True):
    authorize_url: str
    state: str
    expires_in: int


class SsoCompleteRequest(_In, kw_only=True):
    code: Code
    state: Opaque


class SmsSendRequest(_In, kw_only=True):
    phone: Phone


class SmsSendResponse(_Out, kw_only=True):
    expires_in: int


class SmsLoginRequest(_In, kw_only=True):
    phone: Phone
    code: SmsCode


class RefreshRequest(_In, kw_only=True):
    refresh_token: Opaque


class CitizenProfile(_Out, kw_only=True):
    """What a citizen sees of their own account: personal data masked (docs/domain.md §9)."""

    id: str
    real_name_bound: bool
    assurance_level: int
    name: str | None = None
    id_number: str | None = None
    phone: str | None = None
    wechat_bound: bool = False


class TokenPair(_Out, kw_only=True):
    access_token: str
    refresh_token: str
    expires_in: int
    citizen: CitizenProfile
    token_type: str = "Bearer"
    # The level this session was authenticated at (a token's `acr`).
    session_assurance_level: int = 0


class TicketRequest(_In, kw_only=True):
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class TicketResponse(_Out, kw_only=True):
    ticket: str
    expires_in: int


class TokenExchangeResponse(msgspec.Struct, kw_only=True):
    """RFC 8693 §2.2.1 (snake_case, as the RFC names the members)."""

    access_token: str
    issued_token_type: str
    token_type: str
    expires_in: int
    scope: str


class StaffLoginRequest(_In, kw_only=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class StaffChallenge(_Out, kw_only=True):
    mfa_token: str
    expires_in: int


class StaffTotpRequest(_In, kw_only=True):
    mfa_token: Opaque
    code: SmsCode


class StaffProfile(_Out, kw_only=True):
    id: str
    username: str
    display_name: str
    role: str
    # The departments a department-scoped account is limited to; null: province-wide.
    departments: list[str] | None = None


class StaffSession(_Out, kw_only=True):
    session_token: str
    idle_timeout: int
    expires_in: int
    staff: StaffProfile


class Jwks(msgspec.Struct):
    keys: list[dict[str, str]]


# --- parties and acting as (docs/acting-as.md) ---

ItemCode = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
IdNumber = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{17}[0-9Xx]$")]
PersonName = Annotated[str, msgspec.Meta(min_length=1, max_length=50)]


class PartyView(_Out, kw_only=True):
    """A party the signed-in person may act for: send its ``id`` as ``X-Acting-As``."""

    id: str
    kind: Literal["natural", "legal"]
    name: str
    role: Literal["self", "representative", "agent", "family", "staff"]
    # The company's unified social credit code, masked; None for a person.
    uscc: str | None = None
    legal_type: str | None = None
    mandate_id: str | None = None
    # The items the authorisation covers; None: every item.
    items: list[str] | None = None
    valid_until: str | None = None


class PartiesResponse(_Out, kw_only=True):
    parties: list[PartyView]
    # False when the platform's authorisation list could not be read just now (what is
    # shown is what was known).
    platform_checked: bool = True


class ActingView(_Out, kw_only=True):
    """Whom this request acts for, and who acts."""

    party: PartyView
    actor_id: str


class GrantAgentRequest(_In, kw_only=True):
    agent_id_number: IdNumber
    agent_name: PersonName
    items: Annotated[list[ItemCode], msgspec.Meta(max_length=200)] | None = None
    valid_until: str | None = None  # RFC 3339 instant; None: until revoked


class AgentView(_Out, kw_only=True):
    mandate_id: str
    name: str | None
    role: str
    source: str
    items: list[str] | None = None
    valid_from: str
    valid_until: str | None = None
    revoked_at: str | None = None
    # True once the agent has an account here (else the grant waits at the platform).
    linked: bool = True


class AgentsResponse(_Out, kw_only=True):
    agents: list[AgentView]
