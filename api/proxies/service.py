"""委托代办 between people and a hall worker's 帮办, on identity's mandates.

A citizen names the person who will act for them by ID number and name; both must match a
citizen whose real name the platform verified (one answer for every mismatch, and naming is
throttled per citizen, so it is no way to look people up). The authorisation is a mandate of
role ``family`` for the items chosen and a window that always ends; the agent then acts with
``X-Acting-As`` like a company's agent, and identity's per-request check refuses anything
outside it, revoked the moment the principal revokes it.

A hall worker's 帮办 is a mandate of role ``staff``: the worker names the citizen at the window
by their ID card, a code goes to the phone on the citizen's record (identity's one-time codes:
hashed, expiring, bounded attempts, single use, rate-limited), and the code read back makes a
mandate for the chosen items for ``assist_minutes``; the worker gets an access token whose
subject is the citizen and whose actor is the worker, so the same citizen API and the same
checks serve both. Every grant, confirmation, step and revocation is written to ``proxy_log``
(append-only) and told to the principal's inbox; hall workers' requests are audit-logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from limits import parse_many
from limits.aio.strategies import MovingWindowRateLimiter

from api.catalog.errors import ItemNotFound
from api.catalog.service import CatalogService
from api.identity.service import IdentityService
from api.proxies import errors
from api.proxies import repository as repo
from api.proxies.schemas import (
    AssistGranted,
    AssistRequest,
    AssistRequests,
    AssistStarted,
    GrantProxy,
    ProxyGrant,
    ProxyGrants,
    ProxyItem,
    ProxyLog,
    ProxyLogEntry,
    StartAssist,
    Status,
)
from core import audit
from core.clock import Clock, china_time
from core.db import Connection
from core.principals import CitizenPrincipal, StaffPrincipal
from core.settings import ProxiesSettings
from push.service import PushService

EVENT_LABELS = {
    "granted": "授权代办",
    "confirmed": "短信确认帮办",
    "acted": "代为办理",
    "revoked": "撤销授权",
}
# What an agent did, as the principal reads it (a step not listed: "代为办理").
ACTION_LABELS = {
    "declaration.create": "创建申报",
    "declaration.save": "填写申报表",
    "declaration.material": "提交材料",
    "declaration.submit": "提交申请",
    "declaration.supplement": "补正材料",
    "declaration.withdraw": "撤回申请",
    "payment.order": "发起缴费",
    "review.rate": "评价办件",
}
ALL_ITEMS = "全部个人事项"


class ProxiesService:
    def __init__(
        self,
        *,
        identity: IdentityService,
        catalog: CatalogService,
        push: PushService,
        limiter: MovingWindowRateLimiter,
        settings: ProxiesSettings,
        clock: Clock,
    ) -> None:
        self._identity = identity
        self._catalog = catalog
        self._push = push
        self._limiter = limiter
        self._lookups = parse_many(settings.lookups_per_citizen)
        self._settings = settings
        self._clock = clock

    # --- items ---------------------------------------------------------------------------------

    async def _items(self, conn: Connection, codes: Sequence[str]) -> list[ProxyItem]:
        """The items named, checked against the catalogue, in the order given, once each."""
        found: list[ProxyItem] = []
        for code in dict.fromkeys(codes):
            try:
                item = await self._catalog.item_for_declaration(conn, code)
            except ItemNotFound as exc:
                raise errors.ItemUnknown(itemCode=code) from exc
            found.append(ProxyItem(code=item.code, name=item.name))
        return found

    async def _named(self, conn: Connection, codes: Sequence[str] | None) -> list[ProxyItem]:
        """Names for items already accepted (an item since dropped keeps its code)."""
        named: list[ProxyItem] = []
        for code in codes or ():
            try:
                name = (await self._catalog.item_for_declaration(conn, code)).name
            except ItemNotFound:
                name = code
            named.append(ProxyItem(code=code, name=name))
        return named

    @staticmethod
    def _scope_text(items: Sequence[ProxyItem]) -> str:
        return "、".join(f"“{i.name}”" for i in items) if items else ALL_ITEMS

    # --- 委托代办: the principal's side --------------------------------------------------------

    async def grant(
        self, conn: Connection, principal: CitizenPrincipal, data: GrantProxy
    ) -> ProxyGrant:
        if principal.acting:
            raise errors.ProxyOwnOnly()
        now = self._clock.now()
        valid_from = data.valid_from or now
        if (
            valid_from.tzinfo is None
            or data.valid_until.tzinfo is None
            or data.valid_until <= valid_from
            or data.valid_until <= now
            or data.valid_until - valid_from > timedelta(days=self._settings.max_days)
            or valid_from > now + timedelta(days=self._settings.max_days)
        ):
            raise errors.WindowInvalid(maxDays=self._settings.max_days)
        items = await self._items(conn, data.items)
        for limit in self._lookups:
            if not await self._limiter.hit(limit, "proxy-lookup", str(principal.citizen_id)):
                raise errors.LookupsLimited()
        agent_id = await self._identity.real_named_citizen(
            conn, data.agent_id_number, data.agent_name
        )
        if agent_id is None:
            raise errors.AgentUnknown()
        if agent_id == principal.citizen_id:
            raise errors.AgentIsSelf()
        codes = [i.code for i in items] or None
        mandate_id = await self._identity.grant_person_mandate(
            conn,
            principal_id=principal.citizen_id,
            agent_id=agent_id,
            items=codes,
            valid_from=valid_from,
            valid_until=data.valid_until,
        )
        await repo.log(
            conn,
            mandate_id=mandate_id,
            principal_id=principal.citizen_id,
            agent_id=agent_id,
            agent_staff_id=None,
            event="granted",
            items=codes,
            valid_until=data.valid_until,
        )
        names = await self._identity.masked_names_of(conn, [principal.citizen_id, agent_id])
        params = {
            "principal": names.get(principal.citizen_id, ""),
            "agent": names.get(agent_id, ""),
            "scope": self._scope_text(items),
            "until": china_time(data.valid_until).strftime("%Y-%m-%d %H:%M"),
        }
        key = f"proxy:{mandate_id}"
        await self._push.notify(
            conn, principal.citizen_id, "proxy.granted", params, dedupe_key=key + ":granted"
        )
        await self._push.notify(conn, agent_id, "proxy.received", params, dedupe_key=key)
        return ProxyGrant(
            id=str(mandate_id),
            agent_kind="person",
            agent_name=names.get(agent_id, ""),
            items=items,
            valid_from=valid_from,
            valid_until=data.valid_until,
            status="active" if valid_from <= now else "scheduled",
        )

    def _status(self, valid_from: datetime, valid_until: datetime | None, revoked: bool) -> Status:
        now = self._clock.now()
        if revoked:
            return "revoked"
        if valid_until is not None and valid_until <= now:
            return "expired"
        return "scheduled" if valid_from > now else "active"

    async def granted(self, conn: Connection, principal: CitizenPrincipal) -> ProxyGrants:
        """Who acts, or acted, for me: people and hall workers, newest first."""
        if principal.acting:
            raise errors.ProxyOwnOnly()
        mandates = await self._identity.person_mandates(conn, principal.citizen_id)
        people = await self._identity.masked_names_of(
            conn, [m.agent_id for m in mandates if m.agent_id is not None]
        )
        staff = await self._identity.usernames_of_staff(
            conn, [m.agent_staff_id for m in mandates if m.agent_staff_id is not None]
        )
        grants = []
        for m in mandates:
            grants.append(
                ProxyGrant(
                    id=str(m.id),
                    agent_kind="person" if m.agent_id is not None else "staff",
                    agent_name=people.get(m.agent_id, "")
                    if m.agent_id is not None
                    else "窗口工作人员 " + staff.get(m.agent_staff_id or m.id, ""),
                    items=await self._named(conn, m.items),
                    valid_from=m.valid_from,
                    valid_until=m.valid_until,
                    status=self._status(m.valid_from, m.valid_until, m.revoked_at is not None),
                    revoked_at=m.revoked_at,
                )
            )
        return ProxyGrants(items=grants)

    async def revoke(
        self, conn: Connection, principal: CitizenPrincipal, mandate_id: uuid.UUID
    ) -> None:
        """At once: the agent's next request under it is refused (identity checks the mandate
        on every request, and a hall worker's token is revoked in every process before this
        answers)."""
        if principal.acting:
            raise errors.ProxyOwnOnly()
        revoked = await self._identity.revoke_person_mandate(
            conn, principal.citizen_id, mandate_id, "revoked by the principal"
        )
        if revoked is None:
            raise errors.ProxyNotFound()
        await self._ended(
            conn,
            revoked.id,
            principal.citizen_id,
            revoked.agent_id,
            revoked.agent_staff_id,
            revoked.items,
        )

    async def _ended(
        self,
        conn: Connection,
        mandate_id: uuid.UUID,
        principal_id: uuid.UUID,
        agent_id: uuid.UUID | None,
        agent_staff_id: uuid.UUID | None,
        items: list[str] | None,
    ) -> None:
        await repo.log(
            conn,
            mandate_id=mandate_id,
            principal_id=principal_id,
            agent_id=agent_id,
            agent_staff_id=agent_staff_id,
            event="revoked",
            items=items,
        )
        ids = [principal_id] + ([agent_id] if agent_id else [])
        names = await self._identity.masked_names_of(conn, ids)
        params = {
            "principal": names.get(principal_id, ""),
            "agent": names.get(agent_id, "") if agent_id else "窗口工作人员",
            "scope": self._scope_text(await self._named(conn, items)),
        }
        key = f"proxy:{mandate_id}:revoked"
        await self._push.notify(conn, principal_id, "proxy.revoked", params, dedupe_key=key)
        if agent_id is not None:
            await self._push.notify(conn, agent_id, "proxy.revoked", params, dedupe_key=key)

    async def log(
        self, conn: Connection, principal: CitizenPrincipal, mandate_id: uuid.UUID | None
    ) -> ProxyLog:
        """What was granted, confirmed, done and revoked in my name (the consent log)."""
        if principal.acting:
            raise errors.ProxyOwnOnly()
        rows = await repo.log_of(conn, principal.citizen_id, mandate_id, 200)
        if mandate_id is not None and not rows:
            raise errors.ProxyNotFound()
        people = await self._identity.masked_names_of(
            conn, [r.agent_id for r in rows if r.agent_id is not None]
        )
        return ProxyLog(
            items=[
                ProxyLogEntry(
                    id=str(r.id),
                    mandate_id=str(r.mandate_id),
                    event=r.event,  # type: ignore[arg-type]  # the table's CHECK
                    label=ACTION_LABELS.get(r.action or "", EVENT_LABELS[r.event]),
                    agent_name=people.get(r.agent_id, "") if r.agent_id else "窗口工作人员",
                    action=r.action,
                    target=r.target,
                    at=r.at,
                )
                for r in rows
            ]
        )

    # --- every step an agent takes ----------------------------------------------------------

    async def acted(
        self,
        conn: Connection,
        principal: CitizenPrincipal,
        action: str,
        target: str,
        item_name: str,
    ) -> None:
        """A step a person or hall worker took in a citizen's name (a company's agents are
        not this: the company is told through its own inbox): logged, and told to the
        principal in the same transaction. Nothing for a person acting for themselves."""
        if principal.mandate_id is None or principal.party_kind != "natural":
            return
        agent_id = principal.actor_id
        agent_staff_id = principal.actor_staff_id
        if agent_id is None and agent_staff_id is None:
            return
        await repo.log(
            conn,
            mandate_id=principal.mandate_id,
            principal_id=principal.citizen_id,
            agent_id=agent_id,
            agent_staff_id=None if agent_id else agent_staff_id,
            event="acted",
            action=action,
            target=target,
        )
        if agent_id is not None:
            agent = (await self._identity.masked_names_of(conn, [agent_id])).get(agent_id, "")
        else:
            agent = "窗口工作人员"
        await self._push.notify(
            conn,
            principal.citizen_id,
            "proxy.acted",
            {
                "agent": agent,
                "action": ACTION_LABELS.get(action, "代为办理"),
                "item": item_name,
            },
            dedupe_key=f"proxy:{principal.mandate_id}:{action}:{target}:{uuid.uuid4()}",
        )

    # --- 帮办: the hall worker's side ----------------------------------------------------------

    async def start_assist(
        self, conn: Connection, staff: StaffPrincipal, data: StartAssist, ip: str
    ) -> AssistStarted:
        items = await self._items(conn, data.items)
        for limit in self._lookups:
            if not await self._limiter.hit(limit, "assist-lookup", str(staff.staff_id)):
                raise errors.LookupsLimited()
        citizen_id = await self._identity.real_named_citizen(conn, data.id_number, data.name)
        if citizen_id is None:
            raise errors.CitizenUnknown()
        name, _ = await self._identity.masked_contact_of(conn, citizen_id)
        expires_at = self._clock.now() + timedelta(seconds=self._identity.confirmation_ttl_s)
        request_id = await repo.insert_assist(
            conn,
            staff_id=staff.staff_id,
            citizen_id=citizen_id,
            items=[i.code for i in items],
            expires_at=expires_at,
        )
        ttl, phone = await self._identity.send_confirmation_code(
            conn,
            citizen_id,
            f"assist:{request_id}",
            self._settings.assist_template,
            {"items": self._scope_text(items)},
        )
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="assist.start",
            target_type="citizen",
            target_id=str(citizen_id),
            ip=ip,
            details={"request": str(request_id), "items": [i.code for i in items]},
        )
        return AssistStarted(
            id=str(request_id), citizen_name=name or "", phone=phone, items=items, expires_in=ttl
        )

    async def confirm_assist(
        self, conn: Connection, staff: StaffPrincipal, request_id: uuid.UUID, code: str, ip: str
    ) -> AssistGranted:
        request = await repo.assist(conn, request_id, staff.staff_id, lock=True)
        if request is None:
            raise errors.AssistNotFound()
        now = self._clock.now()
        if request.confirmed_at is not None or request.expires_at <= now:
            raise errors.AssistClosed()
        if not await self._identity.redeem_confirmation_code(
            request.citizen_id, f"assist:{request_id}", code
        ):
            # A wrong code is recorded with the refusal (who tried, for whom).
            await audit.append(
                conn,
                actor_type="staff",
                actor_id=str(staff.staff_id),
                action="assist.code_refused",
                target_type="citizen",
                target_id=str(request.citizen_id),
                ip=ip,
                details={"request": str(request_id)},
            )
            raise errors.AssistCodeInvalid(keep_changes=True)
        valid_until = now + timedelta(minutes=self._settings.assist_minutes)
        mandate_id = await self._identity.grant_staff_mandate(
            conn,
            citizen_id=request.citizen_id,
            staff_id=staff.staff_id,
            items=request.items,
            valid_until=valid_until,
        )
        await repo.confirm_assist(conn, request_id, mandate_id)
        await repo.log(
            conn,
            mandate_id=mandate_id,
            principal_id=request.citizen_id,
            agent_id=None,
            agent_staff_id=staff.staff_id,
            event="confirmed",
            items=request.items,
            valid_until=valid_until,
        )
        items = await self._named(conn, request.items)
        name, _ = await self._identity.masked_contact_of(conn, request.citizen_id)
        await self._push.notify(
            conn,
            request.citizen_id,
            "assist.confirmed",
            {
                "staff": staff.username,
                "scope": self._scope_text(items),
                "until": china_time(valid_until).strftime("%H:%M"),
            },
            dedupe_key=f"proxy:{mandate_id}:confirmed",
        )
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="assist.confirmed",
            target_type="citizen",
            target_id=str(request.citizen_id),
            ip=ip,
            details={"request": str(request_id), "mandate": str(mandate_id)},
        )
        token, expires_in = self._identity.assist_token(
            citizen_id=request.citizen_id,
            staff_id=staff.staff_id,
            mandate_id=mandate_id,
            items=request.items,
            valid_until=valid_until,
        )
        return AssistGranted(
            id=str(request_id),
            mandate_id=str(mandate_id),
            citizen_name=name or "",
            items=items,
            valid_until=valid_until,
            access_token=token,
            expires_in=expires_in,
        )

    async def end_assist(
        self, conn: Connection, staff: StaffPrincipal, request_id: uuid.UUID, ip: str
    ) -> None:
        """The worker is done: the mandate and its token end at once."""
        request = await repo.assist(conn, request_id, staff.staff_id, lock=True)
        if request is None:
            raise errors.AssistNotFound()
        if request.mandate_id is None:
            raise errors.AssistClosed()
        revoked = await self._identity.revoke_person_mandate(
            conn, request.citizen_id, request.mandate_id, "ended by the hall worker"
        )
        if revoked is not None:
            await self._ended(
                conn, revoked.id, request.citizen_id, None, staff.staff_id, revoked.items
            )
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff.staff_id),
            action="assist.ended",
            target_type="citizen",
            target_id=str(request.citizen_id),
            ip=ip,
            details={"request": str(request_id)},
        )

    async def assists(self, conn: Connection, staff: StaffPrincipal) -> AssistRequests:
        """The worker's own requests, newest first."""
        rows = await repo.assists_of(conn, staff.staff_id, 50)
        names = await self._identity.masked_names_of(conn, [r.citizen_id for r in rows])
        live = {m.id for m in await self._identity.live_staff_mandates(conn, staff.staff_id)}
        now = self._clock.now()
        out = []
        for r in rows:
            if r.mandate_id is None:
                status = "waiting" if r.expires_at > now else "expired"
            else:
                status = "active" if r.mandate_id in live else "ended"
            out.append(
                AssistRequest(
                    id=str(r.id),
                    citizen_name=names.get(r.citizen_id, ""),
                    items=await self._named(conn, r.items),
                    created_at=r.created_at,
                    status=status,  # type: ignore[arg-type]
                    mandate_id=str(r.mandate_id) if r.mandate_id else None,
                )
            )
        return AssistRequests(items=out)


async def absorb_citizen(conn: Connection, source: uuid.UUID, target: uuid.UUID) -> dict[str, int]:
    return await repo.absorb_citizen(conn, source, target)
