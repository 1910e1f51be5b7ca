"""Verifying a citizen's access token, on every authenticated request: kept cheap.

What a request costs (measured with ``bench/auth.py``'s token): an ES256 verification with
PyJWT/cryptography ~0.3–0.6 ms, more than the rest of a typical request; a token seen before,
about a microsecond (a SHA-256 of the token and two dict lookups). So a verified token's
claims are kept in process, keyed by the token's digest (the cache holds no bearer token),
until the moment the signature check would refuse it (``exp`` plus the verifier's leeway);
after that the same token is refused from the cache, without verifying it again.

Revocation is not cached: the token's family is looked up on every request in the process's
revocation set (``core.revocation``), which every revocation reaches before it returns. A
process that cannot tell whether the set is complete (its subscription is down) refuses to
guess: ``RevocationsUnknown``, answered 503 with Retry-After.
"""

from __future__ import annotations

import dataclasses
import hashlib
import time
import uuid
from collections.abc import Callable

from api.identity import errors
from api.identity.service.base import IdentityBase
from core.principals import CitizenPrincipal
from core.revocation import RevocationsUnknown
from core.signing import LEEWAY_S
from core.signing import TokenInvalid as SigningTokenInvalid

# Where the composition root keeps a process's AccessTokens (``app.state``): the request
# guards take it from there (api.guards.provide_citizen).
STATE_KEY = "access_tokens"


class AccessTokens:
    """Verifies citizens' access tokens; a token seen before skips the signature check until it
    expires, but its family's revocation is checked on every request. ``clock``: wall-clock
    seconds, as the tokens' ``exp`` counts them."""

    def __init__(
        self,
        service: IdentityBase,
        max_entries: int = 50_000,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._service = service
        self._max_entries = max_entries
        self._clock = clock
        # digest of the token -> (its principal, when the verifier stops accepting it)
        self._verified: dict[bytes, tuple[CitizenPrincipal, float]] = {}

    def authenticate(self, token: str) -> CitizenPrincipal:
        key = hashlib.sha256(token.encode()).digest()
        cached = self._verified.get(key)
        if cached is None:
            cached = self._verify(key, token)
        elif cached[1] <= self._clock():
            raise errors.TokenExpired()
        principal = cached[0]
        revocations = self._service.revocations
        if not revocations.current:
            raise RevocationsUnknown("revoked token families not known in this process now")
        if revocations.is_revoked(principal.family_id):
            raise errors.TokenRevoked()
        return principal

    def _verify(self, key: bytes, token: str) -> tuple[CitizenPrincipal, float]:
        settings = self._service.settings
        try:
            claims = self._service.signing.verify(
                token, issuer=settings.issuer, audience=settings.audience
            )
            if claims.get("typ") != "citizen":
                raise errors.TokenInvalid()
            principal = CitizenPrincipal(
                citizen_id=uuid.UUID(str(claims["sub"])),
                family_id=str(claims["sid"]),
                acr=int(claims["acr"]),
                method=str(claims["amr"][0]),
            )
            if "act" in claims:
                # A hall worker's assistance token (帮办): the worker acts for the citizen
                # under the mandate the citizen confirmed, for its items only.
                if claims["act"].get("typ") != "staff":
                    raise errors.TokenInvalid()
                principal = dataclasses.replace(
                    principal,
                    actor_staff_id=uuid.UUID(str(claims["act"]["sub"])),
                    mandate_id=uuid.UUID(str(claims["mid"])),
                    items=frozenset(str(i) for i in claims["items"]),
                )
            # The verifier accepts a token until exp + its leeway (clock skew between
            # processes); the cache keeps it exactly as long, and refuses it from then on.
            entry = (principal, float(claims["exp"]) + LEEWAY_S)
        except SigningTokenInvalid as exc:
            raise (
                errors.TokenExpired() if exc.reason == "expired" else errors.TokenInvalid()
            ) from exc
        except (KeyError, ValueError, TypeError, IndexError, AttributeError) as exc:
            raise errors.TokenInvalid() from exc
        if len(self._verified) >= self._max_entries:
            self._evict()
        self._verified[key] = entry
        return entry

    def _evict(self) -> None:
        """Bounded: expired entries go first; if that frees too little, everything (verifying
        again is only slower)."""
        now = self._clock()
        kept = {k: v for k, v in self._verified.items() if v[1] > now}
        self._verified = kept if len(kept) < self._max_entries * 3 // 4 else {}
