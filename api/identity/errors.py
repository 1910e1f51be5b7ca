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
