from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class LicenceNotFound(NotFound, code="LICENCE_NOT_FOUND"): ...


class LicenceNotDisplayable(Conflict, code="LICENCE_NOT_DISPLAYABLE"): ...


class LicenceFileUnavailable(Conflict, code="LICENCE_FILE_UNAVAILABLE"): ...


class DisplayUnavailable(DomainError, status=503, code="LICENCE_DISPLAY_UNAVAILABLE"): ...


class DisplayCodeInvalid(DomainError, code="DISPLAY_CODE_INVALID"): ...


class DisplayCodeExpired(DomainError, status=410, code="DISPLAY_CODE_EXPIRED"): ...


class ConsentNotFound(NotFound, code="CONSENT_NOT_FOUND"): ...


class ConsentRequired(Conflict, code="LICENCE_CONSENT_REQUIRED"): ...


class DepartmentAppUnknown(NotFound, code="CLIENT_UNKNOWN"): ...


class DepartmentTokenInvalid(DomainError, status=401, code="DEPARTMENT_TOKEN_INVALID"): ...


class VerificationsLimited(DomainError, status=429, code="LICENCE_VERIFICATIONS_LIMITED"): ...


class LicenceNoLongerValid(Conflict, code="LICENCE_NO_LONGER_VALID"):
    """A licence attached to a material was revoked or expired before submission."""
