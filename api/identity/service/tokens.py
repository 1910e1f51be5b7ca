"""Verifying a citizen's access token, on every authenticated request: kept cheap."""

from __future__ import annotations

import time
import uuid

from api.identity import errors
from api.identity.service.base import IdentityBase
from core.principals import CitizenPrincipal
from core.signing import TokenInvalid as SigningTokenInvalid


class AccessTokens:
    """Verifies citizens' access tokens; a token seen before skips the signature check until it
    expires (an ECDSA verification costs more than the rest of a typical request), but its
    family's revocation is checked on every request."""

    def __init__(self, service: IdentityBase, max_entries: int = 50_000) -> None:
        self._service = service
        self._max_entries = max_entries
        self._verified: dict[str, tuple[CitizenPrincipal, float]] = {}

    def authenticate(self, token: str) -> CitizenPrincipal:
        cached = self._verified.get(token)
        if cached is None or cached[1] <= time.time():
            cached = self._verify(token)
        principal = cached[0]
        if self._service.revocations.is_revoked(principal.family_id):
            raise errors.TokenRevoked()
        return principal

    def _verify(self, token: str) -> tuple[CitizenPrincipal, float]:
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
        except SigningTokenInvalid as exc:
            raise (
                errors.TokenExpired() if exc.reason == "expired" else errors.TokenInvalid()
            ) from exc
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise errors.TokenInvalid() from exc
        if len(self._verified) >= self._max_entries:
            self._verified.clear()  # bounded; verifying again is only a little slower
        entry = (principal, float(claims["exp"]))
        self._verified[token] = entry
        return entry
