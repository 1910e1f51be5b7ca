"""The in-process cache of verified access tokens (``AccessTokens``): a cached token stops at
its expiry (the verifier's, leeway included) and is refused from the cache from then on; a
revocation reaches a cached token at once; and while this process's revocation list is not
current no token is accepted (503, not a guess)."""

from __future__ import annotations

import time
import uuid

import pytest

from api.composition import Services
from api.identity import errors
from api.identity.service import AccessTokens
from core.revocation import RevocationsUnknown
from core.signing import LEEWAY_S


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def issue(services: Services, *, ttl_s: int = 600, family: str | None = None) -> str:
    settings = services.identity.settings
    claims = {
        "sub": str(uuid.uuid4()),
        "sid": family or str(uuid.uuid4()),
        "acr": 1,
        "amr": ["sms"],
        "typ": "citizen",
    }
    return services.identity.signing.issue(
        claims, ttl_s=ttl_s, issuer=settings.issuer, audience=settings.audience
    )


async def test_a_cached_token_stops_at_its_expiry(services: Services) -> None:
    clock = Clock()
    tokens = AccessTokens(services.identity, clock=clock)
    token = issue(services, ttl_s=60)
    exp = services.identity.signing.verify(
        token,
        issuer=services.identity.settings.issuer,
        audience=services.identity.settings.audience,
    )["exp"]
    principal = tokens.authenticate(token)  # verified, and cached

    # Served from the cache up to the last moment the verifier itself would accept it...
    clock.now = exp + LEEWAY_S - 0.5
    assert tokens.authenticate(token) == principal
    # ...and not a moment later, though its signature is still good and it is cached.
    clock.now = exp + LEEWAY_S
    with pytest.raises(errors.TokenExpired):
        tokens.authenticate(token)
    clock.now += 3600
    with pytest.raises(errors.TokenExpired):
        tokens.authenticate(token)


async def test_a_revoked_cached_token_is_refused_at_once(services: Services) -> None:
    family = str(uuid.uuid4())
    token = issue(services, family=family)
    tokens = services.access_tokens
    assert tokens.authenticate(token).family_id == family  # cached now
    await services.identity.revocations.revoke([family])
    with pytest.raises(errors.TokenRevoked):
        tokens.authenticate(token)


async def test_no_token_is_accepted_while_revocations_are_not_known(services: Services) -> None:
    token = issue(services)
    tokens = services.access_tokens
    tokens.authenticate(token)
    # The process stops following revocations (what a dropped subscription does until it is
    # taken up again and the set reloaded): it cannot tell, so it does not accept.
    await services.identity.revocations.stop()
    with pytest.raises(RevocationsUnknown):
        tokens.authenticate(token)
    with pytest.raises(RevocationsUnknown):
        AccessTokens(services.identity).authenticate(issue(services))
    await services.identity.revocations.start()
    assert tokens.authenticate(token)


async def test_only_verified_tokens_are_cached_and_by_digest(services: Services) -> None:
    tokens = AccessTokens(services.identity, max_entries=4)
    token = issue(services)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(errors.TokenInvalid):
        tokens.authenticate(forged)
    with pytest.raises(errors.TokenInvalid):  # refused again: nothing was cached for it
        tokens.authenticate(forged)
    tokens.authenticate(token)
    assert token not in repr(tokens._verified)  # the cache holds no bearer token
    for _ in range(10):  # bounded
        tokens.authenticate(issue(services))
    assert len(tokens._verified) <= 4
