"""Identity errors: stable codes, Chinese titles in core.i18n."""

from __future__ import annotations

from core.errors import DomainError


class _Unauthorized(DomainError, status=401): ...


class _Forbidden(DomainError, status=403): ...


class WechatCodeInvalid(DomainError, code="WECHAT_CODE_INVALID"): ...


class SsoStateInvalid(DomainError, code="SSO_STATE_INVALID"): ...


class SsoRejected(DomainError, code="SSO_REJECTED"): ...


class RealNameConflict(DomainError, status=409, code="REAL_NAME_CONFLICT"):
    """The signed-in account already carries another person's ID number: never joined."""


class SmsCodeInvalid(DomainError, code="SMS_CODE_INVALID"): ...


class SmsRateLimited(DomainError, status=429, code="SMS_RATE_LIMITED"): ...


class PhoneRejected(DomainError, code="PHONE_REJECTED"): ...


class PhoneMissing(DomainError, status=409, code="PHONE_MISSING"):
    """A code is to be texted to a citizen who has no phone on record."""


class TokenMissing(_Unauthorized, code="UNAUTHORIZED"): ...


class TokenInvalid(_Unauthorized, code="TOKEN_INVALID"): ...


class TokenExpired(_Unauthorized, code="TOKEN_EXPIRED"): ...


class TokenRevoked(_Unauthorized, code="TOKEN_REVOKED"): ...


class RefreshTokenInvalid(_Unauthorized, code="REFRESH_TOKEN_INVALID"): ...


class RefreshTokenReused(_Unauthorized, code="REFRESH_TOKEN_REUSED"): ...


class AssuranceTooLow(_Forbidden, code="ASSURANCE_LEVEL_TOO_LOW"): ...


class StaffOnly(_Forbidden, code="STAFF_ONLY"): ...


class RoleForbidden(_Forbidden, code="ROLE_FORBIDDEN"): ...


class CredentialsInvalid(_Unauthorized, code="CREDENTIALS_INVALID"): ...


class AccountLocked(DomainError, status=423, code="ACCOUNT_LOCKED"): ...


class MfaInvalid(_Unauthorized, code="MFA_INVALID"): ...


class SessionExpired(_Unauthorized, code="SESSION_EXPIRED"): ...


class ClientInvalid(_Unauthorized, code="CLIENT_INVALID"): ...


class DepartmentAppUnknown(DomainError, code="CLIENT_UNKNOWN"): ...


class TicketInvalid(DomainError, code="TICKET_INVALID"): ...


class UnsupportedGrant(DomainError, code="UNSUPPORTED_GRANT_TYPE"): ...


# --- parties and acting as (docs/acting-as.md) ---


class ActingAsInvalid(DomainError, status=400, code="ACTING_AS_INVALID"):
    """The X-Acting-As header is not a party id."""


class ActingAsNotAllowed(_Forbidden, code="ACTING_AS_NOT_ALLOWED"):
    """This route acts for the signed-in person only (their account, sessions, devices): it
    takes no X-Acting-As."""


class ActingAsForbidden(_Forbidden, code="ACTING_AS_FORBIDDEN"):
    """No authorisation to act for that party (or no such party: the same answer)."""


class MandateRevoked(_Forbidden, code="MANDATE_REVOKED"):
    """The authorisation to act for that party was revoked."""


class MandateExpired(_Forbidden, code="MANDATE_EXPIRED"):
    """The authorisation to act for that party has expired (or is not valid yet)."""


class UsccInvalid(DomainError, status=400, code="USCC_INVALID"):
    """Not a unified social credit code (GB 32100 shape or check character)."""


class RepresentativeOnly(_Forbidden, code="PARTY_REPRESENTATIVE_ONLY"):
    """Only the company's legal representative manages its agents."""


class PartyNotFound(DomainError, status=404, code="PARTY_NOT_FOUND"): ...


class MandateNotFound(DomainError, status=404, code="MANDATE_NOT_FOUND"): ...


class RealNameRequired(_Forbidden, code="PARTY_REAL_NAME_REQUIRED"):
    """Acting for a company needs the person's real name verified through the platform."""


class AgentRejected(DomainError, status=400, code="PARTY_AGENT_REJECTED"):
    """The platform refused the authorisation (the agent's ID number or name)."""


class LegalCallbackRejected(_Unauthorized, code="CALLBACK_SIGNATURE_INVALID"):
    """A legal-person callback that is not the platform's (signature, time) or not an event."""
