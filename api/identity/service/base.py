"""What every identity use case shares: the service's parts, personal-data field names,
assurance levels, and issuing a citizen's tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from limits import parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.repository import tokens as tokens_repo
from api.identity.schemas import CitizenProfile, TokenPair
from api.identity.service.acting import ActingAs
from core.clients.provincial_identity import ProvincialIdentityClient
from core.clients.provincial_legal import CompanyLicence, ProvincialLegalClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.db import Connection
from core.one_time_codes import OneTimeCodes
from core.pii import PiiCipher, mask_id_number, mask_name, mask_phone
from core.revocation import RevocationList
from core.settings import AuthSettings, SmsSettings
from core.signing import SigningKeys

# Identity assurance levels (the platform's): 0 none, 1 account, 2 phone, 3 ID + bank card,
# 4 face. A session's level is the `acr` of its token.
REAL_NAME_LEVEL = 2
SMS_LEVEL_CAP = 2

# Personal-data fields: the context each is encrypted and blind-indexed under (core.pii).
ID_NUMBER = "citizen.id_number"
PHONE = "citizen.phone"
REAL_NAME = "citizen.real_name"
SESSION_KEY = "wechat.session_key"
TOTP_SECRET = "staff.totp_secret"
USCC = "party.uscc"  # a company's unified social credit code

# A company's licences as the platform lists them, handed to the wallet (licences) when the
# company is synced; bound by the composition root (licences is built after identity).
CompanyLicences = Callable[[Connection, uuid.UUID, Sequence[CompanyLicence]], Awaitable[None]]

# Moves every row another domain keys by citizen from one account to another, inside the
# caller's transaction; returns the rows moved per table (for the audit entry). Each domain that
# owns citizen-keyed rows has one (``absorb_citizen`` in its service), wired in api.composition.
Absorber = Callable[[Connection, uuid.UUID, uuid.UUID], Awaitable[Mapping[str, int]]]


def as_bytes(value: bytes | str) -> bytes:
    # The Redis client is built with decode_responses=False; its types allow both.
    return value if isinstance(value, bytes) else value.encode()


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class IdentityBase:
    """The parts every use case of identity works with (built by ``api.identity.deps``)."""

    def __init__(
        self,
        *,
        settings: AuthSettings,
        sms_settings: SmsSettings,
        pii: PiiCipher,
        signing: SigningKeys,
        redis: Redis,
        revocations: RevocationList,
        limiter: MovingWindowRateLimiter,
        wechat: WechatClient,
        sso: ProvincialIdentityClient,
        sms: SmsClient,
        absorbers: Sequence[Absorber] = (),
        acting: ActingAs,
        legal: ProvincialLegalClient,
    ) -> None:
        self.acting = acting
        self._legal = legal
        self.company_licences: CompanyLicences | None = None
        self.settings = settings
        self._absorbers = tuple(absorbers)
        self._sms_settings = sms_settings
        self.pii = pii
        self.signing = signing
        self._redis = redis
        self.revocations = revocations
        self._limiter = limiter
        self._wechat = wechat
        self._sso = sso
        self._sms = sms
        self._sms_phone_limits = parse_many(settings.sms_per_phone)
        self._sms_ip_limits = parse_many(settings.sms_per_ip)
        self._codes = OneTimeCodes(
            redis, ttl_s=settings.sms_code_ttl_s, attempts=settings.sms_code_attempts
        )

    async def _limited(self, limits: list[Any], *keys: str) -> None:
        for limit in limits:
            if not await self._limiter.hit(limit, *keys):
                raise errors.SmsRateLimited()

    async def _issue(
        self, conn: Connection, citizen_id: uuid.UUID, method: str, acr: int
    ) -> TokenPair:
        """A new session (token family) and its first pair of tokens."""
        family_id = await tokens_repo.create_family(conn, citizen_id, method, acr)
        return await self._tokens(conn, citizen_id, family_id, method, acr)

    async def _tokens(
        self, conn: Connection, citizen_id: uuid.UUID, family_id: uuid.UUID, method: str, acr: int
    ) -> TokenPair:
        refresh = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(seconds=self.settings.refresh_ttl_s)
        await tokens_repo.insert_refresh(conn, digest(refresh), family_id, expires)
        access = self.signing.issue(
            {
                "sub": str(citizen_id),
                "sid": str(family_id),
                "acr": acr,
                "amr": [method],
                "typ": "citizen",
            },
            ttl_s=self.settings.access_ttl_s,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=self.settings.access_ttl_s,
            citizen=await self.profile(conn, citizen_id),
            session_assurance_level=acr,
        )

    async def profile(self, conn: Connection, citizen_id: uuid.UUID) -> CitizenProfile:
        row = await citizens_repo.get_citizen(conn, citizen_id)
        if row is None:
            raise errors.TokenInvalid()
        return CitizenProfile(
            id=str(row.id),
            real_name_bound=row.id_number_enc is not None,
            assurance_level=row.assurance_level,
            name=mask_name(self.pii.decrypt(row.real_name_enc, field=REAL_NAME))
            if row.real_name_enc
            else None,
            id_number=mask_id_number(self.pii.decrypt(row.id_number_enc, field=ID_NUMBER))
            if row.id_number_enc
            else None,
            phone=mask_phone(self.pii.decrypt(row.phone_enc, field=PHONE))
            if row.phone_enc
            else None,
            wechat_bound=row.wechat_bound,
        )
