"""How the identity service of a process is built and provided (``identity`` and, for the
request guards, ``access_tokens``)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Sequence

from limits.aio.strategies import MovingWindowRateLimiter

from api.identity.service import Absorber, AccessTokens, IdentityService, acting, tokens
from core.clients.provincial_identity import ProvincialIdentityClient
from core.clients.provincial_legal import ProvincialLegalClient
from core.clients.sms import SmsClient
from core.clients.wechat import WechatClient
from core.di import from_state
from core.infra import Infrastructure, MissingSecrets
from core.redis import limiter_storage
from core.revocation import RevocationList
from core.signing import SigningKeys

KEY = "identity"
TOKENS_KEY = tokens.STATE_KEY
ACTING_KEY = acting.STATE_KEY
DEPENDENCIES = from_state(KEY) | from_state(TOKENS_KEY)


@contextlib.asynccontextmanager
async def build(
    infra: Infrastructure, *, wechat: WechatClient, sms: SmsClient, absorbers: Sequence[Absorber]
) -> AsyncIterator[IdentityService]:
    """``absorbers``: how every other domain moves its citizen-keyed rows when two accounts of
    one person are joined (the composition root collects them)."""
    settings = infra.settings
    if settings.auth.keys_dir is None:
        raise MissingSecrets("set HANDHELD_AUTH_KEYS_DIR (handheld dev generates one)")
    revocations = RevocationList(infra.redis, settings.auth.access_ttl_s)
    await revocations.start()
    # Revoked authorisations to act for another party (docs/acting-as.md): kept a day, far
    # longer than any process caches a live one.
    mandate_revocations = RevocationList(infra.redis, 24 * 3600, name=acting.REVOCATION_CHANNEL)
    await mandate_revocations.start()
    try:
        yield IdentityService(
            settings=settings.auth,
            sms_settings=settings.sms,
            pii=infra.pii,
            signing=SigningKeys.load(settings.auth.keys_dir),
            redis=infra.redis,
            revocations=revocations,
            limiter=MovingWindowRateLimiter(limiter_storage(settings.redis)),
            wechat=wechat,
            sso=ProvincialIdentityClient(infra.http, settings.provincial, settings.http),
            sms=sms,
            absorbers=absorbers,
            acting=acting.ActingAs(
                infra.pool, mandate_revocations, max_age_s=settings.auth.mandate_cache_s
            ),
            legal=ProvincialLegalClient(infra.http, settings.provincial, settings.http),
        )
    finally:
        await mandate_revocations.stop()
        await revocations.stop()


def access_tokens(identity: IdentityService) -> AccessTokens:
    return AccessTokens(identity)
