"""Identity rules: logins by WeChat, platform SSO and SMS; tokens; trust transfer; staff.

``IdentityService`` is the public face; its use cases live in one module each:
``sessions`` (refresh, logout), ``logins`` (WeChat and SMS), ``sso`` (real name through the
platform, which joins a person's accounts: ``merge``), ``department_apps`` (trust transfer),
``staff`` (staff sign-in and sessions), ``for_domains`` (what other domains ask of
identity). ``tokens.AccessTokens`` checks an access token on every request without a round
trip.
"""

from __future__ import annotations

from api.identity.service.base import (
    ID_NUMBER,
    PHONE,
    REAL_NAME,
    REAL_NAME_LEVEL,
    SESSION_KEY,
    SMS_LEVEL_CAP,
    TOTP_SECRET,
    Absorber,
)
from api.identity.service.department_apps import DepartmentApps
from api.identity.service.for_domains import CitizenForCase, ForOtherDomains
from api.identity.service.logins import Logins
from api.identity.service.parties import Parties
from api.identity.service.sessions import Sessions
from api.identity.service.sso import RealNameSso
from api.identity.service.staff import StaffAccounts
from api.identity.service.tokens import AccessTokens


class IdentityService(
    Sessions, Logins, RealNameSso, DepartmentApps, StaffAccounts, ForOtherDomains, Parties
):
    """Everything other domains, the controllers and the CLI ask of identity (built by
    ``api.identity.deps.build``). What other domains ask of it is in ``for_domains``."""


__all__ = [
    "ID_NUMBER",
    "PHONE",
    "REAL_NAME",
    "REAL_NAME_LEVEL",
    "SESSION_KEY",
    "SMS_LEVEL_CAP",
    "TOTP_SECRET",
    "Absorber",
    "AccessTokens",
    "CitizenForCase",
    "IdentityService",
]
