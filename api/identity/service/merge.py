"""One person, one account: joining every account of a person once their ID number is known."""

from __future__ import annotations

import uuid

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.repository import tokens as tokens_repo
from api.identity.service.base import IdentityBase
from core import audit
from core.db import Connection


class AccountMerge(IdentityBase):
    async def _join(
        self,
        conn: Connection,
        *,
        id_hash: bytes,
        session: uuid.UUID | None,
        phone_hash: bytes | None,
        via: str,
    ) -> uuid.UUID | None:
        """The one account of the person whose ID number just became known, made of every
        account that is theirs; None when they have none yet.

        Theirs: the account already holding the ID number, the signed-in account the SSO came
        from, and accounts without a real name that verified the phone the platform vouches
        for. The survivor is the account that already had the real name, else the oldest; the
        others are absorbed into it. An account with another person's ID number is never
        joined."""
        await citizens_repo.lock_person(conn, id_hash)
        links: dict[uuid.UUID, str] = {}
        holder = await citizens_repo.find_by_id_number(conn, id_hash)
        if holder is not None:
            links[holder.id] = "id_number"
        if session is not None:
            links.setdefault(session, "session")
        if phone_hash is not None:
            for row in await citizens_repo.unnamed_by_phone(conn, phone_hash):
                links.setdefault(row.id, "phone")
        if not links:
            return None
        accounts = await citizens_repo.lock_citizens(conn, list(links))
        for row in accounts:
            if row.merged_into is not None:
                raise errors.TokenRevoked()  # a session of an account absorbed a moment ago
            if row.id_number_hash is not None and row.id_number_hash != id_hash:
                raise errors.RealNameConflict()
        survivor = min(accounts, key=lambda r: (r.id_number_hash is None, r.created_at, r.id))
        for row in accounts:
            if row.id != survivor.id:
                await self._absorb(conn, row.id, survivor.id, link=links[row.id], via=via)
        return survivor.id

    async def _absorb(
        self, conn: Connection, source: uuid.UUID, target: uuid.UUID, *, link: str, via: str
    ) -> None:
        """Everything of ``source`` moves to ``target``; its sessions end; audited."""
        await citizens_repo.mark_merged(conn, source, target)
        moved, families = await self._move(conn, source, target)
        await audit.append(
            conn,
            actor_type="citizen",
            actor_id=str(target),
            action="identity.accounts_merged",
            target_type="citizen",
            target_id=str(source),
            details={
                "into": str(target),
                "link": link,
                "via": f"sso_{via}",
                "moved": moved,
                "sessionsRevoked": len(families),
            },
        )
        await self.revocations.revoke(families)

    async def _move(
        self, conn: Connection, source: uuid.UUID, target: uuid.UUID
    ) -> tuple[dict[str, int], list[str]]:
        """Every row keyed by ``source`` becomes ``target``'s (the tombstone is set already);
        returns the rows moved per table and the token families revoked."""
        moved: dict[str, int] = {}
        for absorb in self._absorbers:
            moved.update(await absorb(conn, source, target))
        families = await tokens_repo.revoke_families_of(conn, source, "merged")
        moved.update(await citizens_repo.absorb_citizen(conn, source, target))
        return {k: v for k, v in sorted(moved.items()) if v}, families

    async def finish_merges(self, conn: Connection) -> int:
        """Tombstones whose rows did not all move (merges made before every domain moved its
        rows kept only the openids there): move them now. Idempotent; returns the accounts
        that had rows left (``handheld accounts finish-merges``)."""
        finished = 0
        for tombstone in await citizens_repo.tombstones(conn):
            source, target = tombstone.id, tombstone.merged_into
            moved, families = await self._move(conn, source, target)
            if moved:
                finished += 1
                await audit.append(
                    conn,
                    actor_type="system",
                    actor_id="identity",
                    action="identity.accounts_merge_finished",
                    target_type="citizen",
                    target_id=str(source),
                    details={
                        "into": str(target),
                        "moved": moved,
                        "sessionsRevoked": len(families),
                    },
                )
            await self.revocations.revoke(families)
        return finished
