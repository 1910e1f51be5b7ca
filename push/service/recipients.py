"""What push needs to know of citizens, which the identity domain owns.

Push never reads identity's tables: the composition root hands ``deps.build`` an object with
these methods (``IdentityService``, its block ``# --- for push ---``). Audiences are walked in
pages keyed by citizen id, so a notice to every citizen never holds them all in memory and
counting them stays one ``count(*)`` in the database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Protocol

import msgspec

from core.db import Connection


class Contact(msgspec.Struct, frozen=True, kw_only=True):
    """How a citizen can be reached outside the inbox."""

    has_phone: bool
    # The latest openid bound for the mini-program's appid.
    openid: str | None


class WechatAddress(msgspec.Struct, frozen=True, kw_only=True):
    citizen_id: uuid.UUID
    openid: str


class Recipients(Protocol):
    async def push_contact(
        self, conn: Connection, citizen_id: uuid.UUID, appid: str
    ) -> Contact | None:
        """None when there is no such citizen."""
        ...

    async def push_phone(self, conn: Connection, citizen_id: uuid.UUID) -> str | None:
        """The citizen's phone number in clear, to send an SMS to."""
        ...

    async def push_openids(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> list[WechatAddress]:
        """Every openid (any appid) bound to these citizens."""
        ...

    async def push_audience(
        self,
        conn: Connection,
        *,
        after: uuid.UUID,
        limit: int,
        region_code: str | None = None,
        among: Sequence[uuid.UUID] | None = None,
    ) -> list[uuid.UUID]:
        """Up to ``limit`` live citizens (never an absorbed account) with ids above ``after``,
        in id order; ``region_code``: registered in that region (620000 province, 620100
        city, 620102 district); ``among``: only these."""
        ...

    async def push_audience_count(
        self,
        conn: Connection,
        *,
        region_code: str | None = None,
        among: Sequence[uuid.UUID] | None = None,
        with_phone: bool = False,
    ) -> int:
        """How many citizens ``push_audience`` would walk through (``with_phone``: only those
        with a phone number on record)."""
        ...

    async def push_with_phone(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        """Those of ``citizen_ids`` with a phone number on record."""
        ...

    async def push_existing(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        """Those of ``citizen_ids`` that are accounts (absorbed ones included)."""
        ...

    async def push_party_agents(self, conn: Connection, citizen_id: uuid.UUID) -> list[uuid.UUID]:
        """The people acting for a company now (its messages reach each of them, per their
        own preferences); [] for a person (docs/acting-as.md)."""
        ...


class Applicants(Protocol):
    async def push_applicants(
        self, conn: Connection, item_code: str, *, after: uuid.UUID, limit: int
    ) -> list[uuid.UUID]:
        """Up to ``limit`` citizens who applied for ``item_code`` with ids above ``after``, in
        id order (an absorbed account among them is dropped by ``Recipients``)."""
        ...


__all__ = ["Applicants", "Contact", "Recipients", "WechatAddress"]
