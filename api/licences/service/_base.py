"""What every use case of the wallet shares: the service's state and the validity rules."""

from __future__ import annotations

import logging
import uuid
from collections import OrderedDict
from datetime import date, datetime

import msgspec
from limits import parse_many
from limits.aio.strategies import RateLimiter

from api.identity.service import IdentityService
from api.licences import errors
from api.licences import repository as repo
from core import i18n, sm2
from core.clients.provincial import ProvincialLicencesClient
from core.clock import SYSTEM_CLOCK, Clock, china_today
from core.db import Connection, Pool
from core.pii import PiiCipher
from core.principals import CitizenPrincipal
from core.revocation import RevocationList
from core.settings import AuthSettings, LicenceSettings
from core.signing import SigningKeys
from core.storage import ObjectStorage
from push.service import PushService

log = logging.getLogger("api.licences.service")

HOLDER_NAME = "licence.holder_name"
SIGNED_DATA = "licence.signed_data"


def today(now: datetime | None = None) -> date:
    """Validity dates are calendar days in China: the day of ``now`` (default: the system's)."""
    return china_today(now)


def effective_status(status: str, valid_until: date | None, on: date | None = None) -> str:
    """A valid licence past its last day is shown (and refused) as expired."""
    if status == "valid" and valid_until is not None and valid_until < (on or today()):
        return "expired"
    return status


def status_text(status: str, locale: str) -> str:
    return i18n.text(f"LICENCE_STATUS_{status.upper()}", locale)


class DrawnQr(msgspec.Struct, frozen=True):
    """A display code's QR symbol as drawn, with what serving it again must check."""

    svg: bytes
    licence_id: uuid.UUID
    holder: uuid.UUID
    expires: int  # Unix seconds
    valid_until: date | None


def pairwise_sub(pii: PiiCipher, citizen_id: uuid.UUID, client_id: str) -> str:
    # The same pairwise subject the token exchange gives this app (api.identity.service).
    return pii.lookup_hash(str(citizen_id), field=f"pairwise:{client_id}").hex()


class LicencesBase:
    """The wallet service's state; the use cases (``wallet``, ``importing``, ``display``,
    ``consents``) are its methods, joined in ``LicencesService``."""

    def __init__(
        self,
        *,
        pool: Pool,
        pii: PiiCipher,
        storage: ObjectStorage,
        library: ProvincialLicencesClient,
        settings: LicenceSettings,
        auth: AuthSettings,
        signing: SigningKeys,
        identity: IdentityService,
        push: PushService,
        limiter: RateLimiter | None = None,
        display_revocations: RevocationList | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self._clock = clock
        self._limiter = limiter
        self._verify_limits = parse_many(settings.verify_per_ip)
        self._pool = pool
        self._pii = pii
        self.storage = storage
        self._library = library
        self._settings = settings
        self._auth = auth
        self._signing = signing
        # The holder's ID number and department apps come from identity, through its service.
        self._identity = identity
        # Holders told of a revoked licence, in the transaction of the change (the outbox).
        self._push = push
        self._issuer_keys: dict[str, tuple[str, bytes]] = {}
        self.display_key: sm2.Sm2KeyPair | None = None
        self._signer: sm2.Sm2Signer | None = None
        self._verifier: sm2.Sm2Verifier | None = None
        # Licences whose display codes are void (revoked), as every process knows them: a QR
        # symbol is served from the process's cache only if its licence is not in it.
        self._display_revocations = display_revocations
        self._qr_cache: OrderedDict[bytes, DrawnQr] = OrderedDict()
        if settings.display_key_path is not None:
            self.display_key = sm2.Sm2KeyPair.load(settings.display_key_path)
            self._signer = sm2.Sm2Signer(self.display_key)
        else:
            log.warning("no licence display key (licences.display_key_path): 亮证 is off")

    def close(self) -> None:
        if self._signer is not None:
            self._signer.close()

    def _today(self) -> date:
        return today(self._clock.now())

    async def _owned(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID
    ) -> repo.LicenceRow:
        row = await repo.get(conn, licence_id, principal.citizen_id)
        if row is None:
            raise errors.LicenceNotFound()  # also another citizen's: no oracle
        return row
