"""The per-request acting-as check (api.identity.service.acting): a mandate read once is
trusted from memory, a published revocation is refused on the very next check in every
process, and a window that closes is refused without reading anything."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from api.composition import Services, open_services
from api.identity import errors
from core.principals import CitizenPrincipal
from core.settings import Settings


async def _company_and_mandate(
    db: asyncpg.Connection, *, valid_until: datetime | None = None
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    person, company, mandate = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await db.execute("INSERT INTO citizens (id) VALUES ($1)", person)
    await db.execute(
        """INSERT INTO citizens (id, kind, uscc_enc, uscc_hash, legal_name)
           VALUES ($1, 'legal', $2, $3, '测试公司')""",
        company, uuid.uuid4().bytes, uuid.uuid4().bytes,
    )  # fmt: skip
    await db.execute(
        """INSERT INTO mandates (id, principal_id, agent_id, role, source, valid_until)
           VALUES ($1, $2, $3, 'agent', 'citizen', $4)""",
        mandate, company, person, valid_until,
    )  # fmt: skip
    return person, company, mandate


def _person(person: uuid.UUID) -> CitizenPrincipal:
    return CitizenPrincipal(person, str(uuid.uuid4()), 2, "sms")


async def test_a_mandate_is_read_once_and_a_revocation_reaches_every_process(
    settings: Settings, services: Services, db: asyncpg.Connection
) -> None:
    person, company, mandate = await _company_and_mandate(db)
    acting = services.identity.acting
    principal = await acting.act(_person(person), company)
    assert (principal.citizen_id, principal.actor, principal.mandate_id) == (
        company,
        person,
        mandate,
    )
    assert principal.party_kind == "legal"

    # Revoked in the database only (nobody told): this process still trusts what it read —
    # the check costs no query while the entry is fresh.
    await db.execute(
        "UPDATE mandates SET revoked_at = now(), revoked_why = 'test' WHERE id = $1", mandate
    )
    assert (await acting.act(_person(person), company)).mandate_id == mandate

    # Published from another process: refused here on the next check.
    async with open_services(settings, name="other-process") as other:
        await other.identity.acting.revoked([mandate])
    with pytest.raises(errors.MandateRevoked):
        await acting.act(_person(person), company)


async def test_a_closed_window_is_refused_and_no_mandate_is_forbidden(
    services: Services, db: asyncpg.Connection
) -> None:
    soon = datetime.now(UTC) + timedelta(seconds=2)
    person, company, _ = await _company_and_mandate(db, valid_until=soon)
    clock = [soon.timestamp() - 1]
    acting = type(services.identity.acting)(
        services.infra.pool, services.identity.acting.revocations, clock=lambda: clock[0]
    )
    await acting.act(_person(person), company)
    clock[0] = soon.timestamp() + 1
    with pytest.raises(errors.MandateExpired):
        await acting.act(_person(person), company)
    with pytest.raises(errors.ActingAsForbidden):
        await acting.act(_person(uuid.uuid4()), company)
    # Acting as oneself is no check at all.
    me = _person(person)
    assert await acting.act(me, person) is me
