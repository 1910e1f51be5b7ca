"""What other domains ask of identity: each block names the domain it serves. Other domains
never read identity's tables; they call these (wired by the composition root)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import msgspec

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.repository import for_domains as domains_repo
from api.identity.repository import parties as parties_repo
from api.identity.repository import proxies as proxies_repo
from api.identity.repository.proxies import PersonMandateRow
from api.identity.service.base import (
    ID_NUMBER,
    PHONE,
    REAL_NAME,
    REAL_NAME_LEVEL,
    USCC,
    IdentityBase,
)
from core.clients.sms import SmsRejected
from core.db import Connection
from core.pii import mask_name, mask_phone
from push.service.recipients import Contact as PushContact
from push.service.recipients import WechatAddress


class CitizenForCase(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's personal data as a declaration uses it (never sent to a client unmasked)."""

    real_name: str | None
    id_number: str | None
    phone: str | None
    # "legal" for a company: its name and unified social credit code in the two fields above.
    kind: str = "natural"


class ForOtherDomains(IdentityBase):
    # --- for declarations ---

    async def citizen_for_case(
        self, conn: Connection, citizen_id: uuid.UUID
    ) -> CitizenForCase | None:
        """What a declaration needs of its applicant, decrypted: the name, ID number and phone
        on record (None where not bound); one query, each field decrypted once."""
        row = await citizens_repo.get_citizen(conn, citizen_id)
        if row is None:
            return None
        if row.real_name_enc is None and row.id_number_enc is None:
            company = await parties_repo.company(conn, citizen_id)
            if company is not None and company.uscc_enc is not None:
                return CitizenForCase(
                    real_name=company.legal_name,
                    id_number=self.pii.decrypt(company.uscc_enc, field=USCC),
                    phone=None,
                    kind="legal",
                )

        def clear(blob: bytes | None, field: str) -> str | None:
            return self.pii.decrypt(blob, field=field) if blob else None

        return CitizenForCase(
            real_name=clear(row.real_name_enc, REAL_NAME),
            id_number=clear(row.id_number_enc, ID_NUMBER),
            phone=clear(row.phone_enc, PHONE),
        )

    # --- for push ---
    # push.service.recipients.Recipients: what push may know of citizens (it never reads
    # identity's tables). Audiences are walked in id order, a page per call.

    async def push_contact(
        self, conn: Connection, citizen_id: uuid.UUID, appid: str
    ) -> PushContact | None:
        row = await domains_repo.push_contact(conn, citizen_id, appid)
        return None if row is None else PushContact(has_phone=row.has_phone, openid=row.openid)

    async def push_phone(self, conn: Connection, citizen_id: uuid.UUID) -> str | None:
        phone_enc = await domains_repo.push_phone(conn, citizen_id)
        return None if phone_enc is None else self.pii.decrypt(phone_enc, field=PHONE)

    async def push_openids(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> list[WechatAddress]:
        return [
            WechatAddress(citizen_id=r.citizen_id, openid=r.openid)
            for r in await domains_repo.push_openids(conn, citizen_ids)
        ]

    async def push_audience(
        self,
        conn: Connection,
        *,
        after: uuid.UUID,
        limit: int,
        region_code: str | None = None,
        among: Sequence[uuid.UUID] | None = None,
    ) -> list[uuid.UUID]:
        return await domains_repo.push_audience(
            conn, after=after, limit=limit, region_code=region_code, among=among
        )

    async def push_audience_count(
        self,
        conn: Connection,
        *,
        region_code: str | None = None,
        among: Sequence[uuid.UUID] | None = None,
        with_phone: bool = False,
    ) -> int:
        return await domains_repo.push_audience_count(
            conn, region_code=region_code, among=among, with_phone=with_phone
        )

    async def push_with_phone(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        return await domains_repo.push_with_phone(conn, citizen_ids)

    async def push_existing(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> list[uuid.UUID]:
        return await domains_repo.push_existing(conn, citizen_ids)

    async def push_party_agents(self, conn: Connection, citizen_id: uuid.UUID) -> list[uuid.UUID]:
        return await parties_repo.current_agents_of_company(conn, citizen_id)

    # --- for reviews ---

    async def contact_of(
        self, conn: Connection, citizen_id: uuid.UUID
    ) -> tuple[str | None, str | None]:
        """The citizen's real name and phone number in clear (None where unknown), for a
        rectification call back; the caller masks what it shows."""
        row = await domains_repo.contact_fields(conn, citizen_id)
        if row is None:
            return None, None
        name = self.pii.decrypt(row.real_name_enc, field=REAL_NAME) if row.real_name_enc else None
        phone = self.pii.decrypt(row.phone_enc, field=PHONE) if row.phone_enc else None
        return name, phone

    async def usernames_of_staff(
        self, conn: Connection, staff_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """The usernames of these staff members (one query for a whole ticket history); an
        unknown id is left out."""
        if not staff_ids:
            return {}
        rows = await domains_repo.staff_usernames_of(conn, sorted(set(staff_ids)))
        return {r.id: r.username for r in rows}

    # --- for supervision ---

    async def masked_names_of(
        self, conn: Connection, citizen_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """Each citizen's real name masked (``张**``), for lists staff read; a citizen without
        a bound name is left out. One query; only masked text leaves this domain."""
        if not citizen_ids:
            return {}
        rows = await domains_repo.real_names_enc(conn, sorted(set(citizen_ids)))
        return {
            r.id: mask_name(self.pii.decrypt(r.real_name_enc, field=REAL_NAME))
            for r in rows
            if r.real_name_enc
        }

    # --- for licences ---

    async def id_number_of(self, conn: Connection, citizen_id: uuid.UUID) -> str | None:
        """The citizen's ID number in clear (a licence's holder is checked against it)."""
        blob = await domains_repo.id_number_enc(conn, citizen_id)
        if blob:
            return self.pii.decrypt(blob, field=ID_NUMBER)
        # A company holds its licences under its unified social credit code.
        company = await parties_repo.company(conn, citizen_id)
        return (
            self.pii.decrypt(company.uscc_enc, field=USCC) if company and company.uscc_enc else None
        )

    def id_number_hash(self, id_number: str) -> bytes:
        """The keyed hash ID numbers are looked up by (the same as a citizen's)."""
        return self.pii.lookup_hash(id_number, field=ID_NUMBER)

    async def department_app_name(self, conn: Connection, client_id: str) -> str | None:
        """The name of an active department app; None when unknown or disabled."""
        return await domains_repo.active_department_app_name(conn, client_id)

    # --- for payments ---

    async def wechat_openid(
        self, conn: Connection, citizen_id: uuid.UUID, appid: str
    ) -> str | None:
        """The citizen's openid in a WeChat app (the one bound last), for a JSAPI payment."""
        return await domains_repo.wechat_openid(conn, citizen_id, appid)

    # --- for proxies (委托代办 and 帮办) ---

    async def real_named_citizen(
        self, conn: Connection, id_number: str, real_name: str
    ) -> uuid.UUID | None:
        """The live account of the person with this ID number and name, real-named through the
        platform; None otherwise (unknown number, another name, no real name), one answer for
        all so a caller learns no more than "this person is not here"."""
        row = await citizens_repo.find_by_id_number(conn, self.id_number_hash(id_number.upper()))
        if (
            row is None
            or row.merged_into is not None
            or row.assurance_level < REAL_NAME_LEVEL
            or row.real_name_enc is None
        ):
            return None
        if self.pii.decrypt(row.real_name_enc, field=REAL_NAME) != real_name.strip():
            return None
        return row.id

    async def masked_contact_of(
        self, conn: Connection, citizen_id: uuid.UUID
    ) -> tuple[str | None, str | None]:
        """The citizen's name and phone, masked (``张*``, ``138****8000``), for another person
        to recognise them by."""
        name, phone = await self.contact_of(conn, citizen_id)
        return (mask_name(name) if name else None, mask_phone(phone) if phone else None)

    def _confirmation_key(self, citizen_id: uuid.UUID, purpose: str) -> str:
        return f"confirm:{purpose}:{citizen_id}"

    async def send_confirmation_code(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        purpose: str,
        template: str,
        params: dict[str, str],
    ) -> tuple[int, str]:
        """Texts a one-time code to the phone on the citizen's record, for them to tell the
        person who asks (a hall worker): rate-limited per citizen as login codes are per phone.
        Answers the code's life in seconds and the masked phone it went to."""
        phone = await self.push_phone(conn, citizen_id)
        if phone is None:
            raise errors.PhoneMissing()
        phone_key = self.pii.lookup_hash(phone, field=PHONE).hex()
        await self._limited(self._sms_phone_limits, "sms-confirm-phone", phone_key)
        key = self._confirmation_key(citizen_id, purpose)
        code = await self._codes.issue(key)
        try:
            await self._sms.send(
                phone, template, {**params, "code": code, "minutes": str(self._codes.ttl_s // 60)}
            )
        except SmsRejected as exc:
            await self._codes.forget(key)
            if exc.code == "FLOW_CONTROL":
                raise errors.SmsRateLimited() from exc
            raise errors.PhoneRejected() from exc
        except Exception:
            await self._codes.forget(key)
            raise
        return self._codes.ttl_s, mask_phone(phone)

    async def redeem_confirmation_code(
        self, citizen_id: uuid.UUID, purpose: str, code: str
    ) -> bool:
        """True once for the code sent for ``purpose``, within its life and attempts."""
        return await self._codes.redeem(self._confirmation_key(citizen_id, purpose), code)

    @property
    def confirmation_ttl_s(self) -> int:
        """How long a confirmation code lives (as login codes do)."""
        return self._codes.ttl_s

    async def _replace_live(
        self,
        conn: Connection,
        principal_id: uuid.UUID,
        agent_id: uuid.UUID | None,
        agent_staff_id: uuid.UUID | None,
    ) -> None:
        """One live mandate per agent and principal: a new grant revokes the old one first,
        in every process."""
        old = await proxies_repo.live_person_mandate(
            conn, principal_id=principal_id, agent_id=agent_id, agent_staff_id=agent_staff_id
        )
        if old:
            revoked = await parties_repo.revoke(conn, old, "replaced by a new grant")
            await self.acting.revoked(revoked)

    async def grant_person_mandate(
        self,
        conn: Connection,
        *,
        principal_id: uuid.UUID,
        agent_id: uuid.UUID,
        items: list[str] | None,
        valid_from: datetime,
        valid_until: datetime,
    ) -> uuid.UUID:
        """委托代办: the principal authorises a person (role ``family``, granted by the
        principal); the agent acts with ``X-Acting-As`` from the next request."""
        await self._replace_live(conn, principal_id, agent_id, None)
        mandate_id = await parties_repo.insert_mandate(
            conn,
            principal_id=principal_id,
            agent_id=agent_id,
            role="family",
            source="citizen",
            items=items,
            valid_from=valid_from,
            valid_until=valid_until,
            granted_by=principal_id,
        )
        self.acting.forget(agent_id, principal_id)
        return mandate_id

    async def grant_staff_mandate(
        self,
        conn: Connection,
        *,
        citizen_id: uuid.UUID,
        staff_id: uuid.UUID,
        items: list[str],
        valid_until: datetime,
    ) -> uuid.UUID:
        """帮办: the citizen confirmed a hall worker by their SMS code (role ``staff``)."""
        await self._replace_live(conn, citizen_id, None, staff_id)
        return await parties_repo.insert_mandate(
            conn,
            principal_id=citizen_id,
            agent_id=None,
            agent_staff_id=staff_id,
            role="staff",
            source="staff",
            items=items,
            valid_from=None,
            valid_until=valid_until,
            granted_by=citizen_id,
        )

    async def person_mandates(
        self, conn: Connection, principal_id: uuid.UUID
    ) -> list[PersonMandateRow]:
        return await proxies_repo.of_principal(conn, principal_id)

    async def live_staff_mandates(
        self, conn: Connection, staff_id: uuid.UUID
    ) -> list[PersonMandateRow]:
        return await proxies_repo.live_of_staff(conn, staff_id)

    async def revoke_person_mandate(
        self, conn: Connection, principal_id: uuid.UUID, mandate_id: uuid.UUID, why: str
    ) -> PersonMandateRow | None:
        """Revoked now and in every process before this returns (the agent's next request is
        refused, a hall worker's token with it); None when it is not the principal's (or not
        a person's or hall worker's mandate), or was revoked already."""
        row = await proxies_repo.one_of_principal(conn, principal_id, mandate_id)
        if row is None or row.revoked_at is not None:
            return None
        revoked = await parties_repo.revoke(conn, [mandate_id], why)
        await self.acting.revoked(revoked)
        return row

    def assist_token(
        self,
        *,
        citizen_id: uuid.UUID,
        staff_id: uuid.UUID,
        mandate_id: uuid.UUID,
        items: list[str],
        valid_until: datetime,
    ) -> tuple[str, int]:
        """An access token acting for the citizen under a hall worker's mandate: subject the
        citizen, actor the worker (RFC 8693's ``act`` claim), the mandate and its items; it
        ends with the mandate (expiry, or its revocation, checked on every request)."""
        ttl = max(1, int((valid_until - datetime.now(UTC)).total_seconds()))
        token = self.signing.issue(
            {
                "sub": str(citizen_id),
                "sid": f"assist:{mandate_id}",
                "acr": REAL_NAME_LEVEL,
                "amr": ["assist"],
                "typ": "citizen",
                "act": {"sub": str(staff_id), "typ": "staff"},
                "mid": str(mandate_id),
                "items": list(items),
            },
            ttl_s=ttl,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
        )
        return token, ttl
