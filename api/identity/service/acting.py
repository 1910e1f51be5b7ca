"""Acting as another party, checked on every request that asks (docs/acting-as.md).

A request says whom it acts for with the ``X-Acting-As`` header (a party id); the token says
who the person is. The answer "may this person act for that party now" is kept in process per
(person, party) for ``max_age_s`` at most; what can change it sooner is handled without waiting:

- a revocation is published to every process (``core.revocation``, the list token families use)
  before the revoking request answers, and the revoked set is looked up on every request;
- an authorisation's window (valid from/until) is compared with the clock on every request;
- while this process cannot tell whether its revoked set is complete (its subscription is
  down), every check reads the database instead of the cache.

So the next request after a revocation is refused, in every process, and a request in the
common case costs two dict lookups and a clock read.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from api.identity import errors
from api.identity.repository import parties as parties_repo
from api.identity.repository.parties import MandateRow
from core import audit
from core.db import Pool
from core.principals import CitizenPrincipal
from core.revocation import RevocationList

# The channel and key prefix revocations of mandates travel on (core.revocation).
REVOCATION_CHANNEL = "revoked:mandate"
# Where the composition root keeps a process's ActingAs (``app.state``), for the guards.
STATE_KEY = "acting_as"


@dataclass(frozen=True, slots=True)
class _Entry:
    mandate_id: uuid.UUID
    mandate_key: str  # str(mandate_id), as the revocation list keys it
    party_kind: str
    items: frozenset[str] | None
    valid_from: float
    valid_until: float | None
    revoked: bool
    loaded_at: float


def _entry(row: MandateRow, now: float) -> _Entry:
    return _Entry(
        mandate_id=row.id,
        mandate_key=str(row.id),
        party_kind=row.party_kind,
        items=None if row.items is None else frozenset(row.items),
        valid_from=row.valid_from.timestamp(),
        valid_until=None if row.valid_until is None else row.valid_until.timestamp(),
        revoked=row.revoked_at is not None,
        loaded_at=now,
    )


class ActingAs:
    """``clock``: wall-clock seconds (authorisation windows are instants)."""

    def __init__(
        self,
        pool: Pool,
        revocations: RevocationList,
        *,
        max_age_s: float = 30.0,
        max_entries: int = 50_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._pool = pool
        self.revocations = revocations
        self._max_age_s = max_age_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[tuple[uuid.UUID, uuid.UUID], _Entry] = {}

    async def act(self, principal: CitizenPrincipal, party_id: uuid.UUID) -> CitizenPrincipal:
        """The principal acting for ``party_id``: its owner becomes the party, the person
        stays as the actor. Raises a 403 when the person may not act for it now."""
        if party_id == principal.citizen_id:
            return principal  # acting as oneself: nothing to check
        key = (principal.citizen_id, party_id)
        now = self._clock()
        entry = self._entries.get(key)
        if (
            entry is None
            or entry.loaded_at + self._max_age_s <= now
            or not self.revocations.current
        ):
            entry = await self._load(key, now)
        if entry.revoked or self.revocations.is_revoked(entry.mandate_key):
            raise errors.MandateRevoked()
        if entry.valid_from > now or (entry.valid_until is not None and entry.valid_until <= now):
            raise errors.MandateExpired()
        return CitizenPrincipal(
            citizen_id=party_id,
            family_id=principal.family_id,
            acr=principal.acr,
            method=principal.method,
            actor_id=principal.citizen_id,
            mandate_id=entry.mandate_id,
            party_kind=entry.party_kind,
            items=entry.items,
        )

    async def _load(self, key: tuple[uuid.UUID, uuid.UUID], now: float) -> _Entry:
        async with self._pool.acquire() as conn:
            row = await parties_repo.mandate_for(conn, key[0], key[1])
        if row is None:
            # Not cached: an authorisation granted a moment later works on the next request.
            self._entries.pop(key, None)
            raise errors.ActingAsForbidden()
        entry = _entry(row, now)
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # bounded; reading again is only slower
        self._entries[key] = entry
        return entry

    async def assisted(self, principal: CitizenPrincipal) -> None:
        """A hall worker's assistance token (帮办): its mandate must not be revoked. The
        token's expiry is the mandate's end; a revocation (the citizen's, or the worker ending
        it) is in the revoked set before it answers. While that set may be incomplete here, the
        database decides."""
        assert principal.mandate_id is not None
        if self.revocations.current:
            if self.revocations.is_revoked(str(principal.mandate_id)):
                raise errors.MandateRevoked()
            return
        async with self._pool.acquire() as conn:
            row = await parties_repo.mandate(conn, principal.mandate_id)
        if row is None or row.revoked_at is not None:
            raise errors.MandateRevoked()

    async def record_assisted(
        self, principal: CitizenPrincipal, *, action: str, route: str, ip: str
    ) -> None:
        """An audit entry of a change a hall worker made for a citizen (the worker is the
        actor), on a connection of its own like ``record``."""
        async with self._pool.acquire() as conn, conn.transaction():
            await audit.append(
                conn,
                actor_type="staff",
                actor_id=str(principal.actor_staff_id),
                action=action,
                target_type="citizen",
                target_id=str(principal.citizen_id),
                details={"route": route, "mandate": str(principal.mandate_id)},
                ip=ip,
            )

    def forget(self, agent_id: uuid.UUID, party_id: uuid.UUID) -> None:
        """Drop what this process knows (a grant or change made here shows at once)."""
        self._entries.pop((agent_id, party_id), None)

    async def revoked(self, mandate_ids: list[uuid.UUID]) -> None:
        """Tell every process: from their next request on, these mandates are refused."""
        await self.revocations.revoke(str(m) for m in mandate_ids)

    async def record(
        self, principal: CitizenPrincipal, *, action: str, route: str, ip: str
    ) -> None:
        """An audit entry of a change made acting for another party, on a connection of its
        own (it stands even when the request then fails: it records the attempt)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await audit.append(
                conn,
                actor_type="citizen",
                actor_id=str(principal.actor),
                action=action,
                target_type="party",
                target_id=str(principal.citizen_id),
                details={"route": route, "mandate": str(principal.mandate_id)},
                ip=ip,
            )
