"""Identity rules: logins by WeChat, platform SSO and SMS; tokens; trust transfer; staff."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import msgspec
from limits import parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from redis.asyncio import Redis

from api.identity import errors
from api.identity import repository as repo
from api.identity.schemas import (
    CitizenProfile,
    SsoStartResponse,
    StaffChallenge,
    StaffProfile,
    StaffSession,
    TicketResponse,
    TokenExchangeResponse,
    TokenPair,
)
from core import audit, passwords, totp
from core.clients.provincial_identity import (
    IdTokenInvalid,
    ProvincialIdentityClient,
    SsoGrantRejected,
    pkce_pair,
)
from core.clients.sms import SmsClient, SmsRejected
from core.clients.wechat import WechatClient, WechatCodeRejected
from core.db import Connection, Pool
from core.pii import PiiCipher, mask_id_number, mask_name, mask_phone, valid_id_number
from core.principals import CitizenPrincipal, StaffPrincipal
from core.revocation import RevocationList
from core.settings import AuthSettings, SmsSettings
from core.signing import SigningKeys
from core.signing import TokenInvalid as SigningTokenInvalid

log = logging.getLogger(__name__)

# Identity assurance levels (the platform's): 0 none, 1 account, 2 phone, 3 ID + bank card,
# 4 face. A session's level is the `acr` of its token.
REAL_NAME_LEVEL = 2
SMS_LEVEL_CAP = 2

ID_NUMBER = "citizen.id_number"
PHONE = "citizen.phone"
REAL_NAME = "citizen.real_name"
SESSION_KEY = "wechat.session_key"
TOTP_SECRET = "staff.totp_secret"

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
TICKET_TOKEN_TYPE = "urn:handheld:params:oauth:token-type:ticket"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"
SCOPE_CLAIMS = {"openid": "sub", "profile": "name", "idcard": "id_number", "phone": "phone_number"}


def _bytes(value: bytes | str) -> bytes:
    # The Redis client is built with decode_responses=False; its types allow both.
    return value if isinstance(value, bytes) else value.encode()


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


class _SsoState(msgspec.Struct):
    verifier: str
    nonce: str
    purpose: Literal["login", "bind"]
    citizen_id: str | None


# Moves every row another domain keys by citizen from one account to another, inside the
# caller's transaction; returns the rows moved per table (for the audit entry). Each domain that
# owns citizen-keyed rows has one (``absorb_citizen`` in its service), wired in api.composition.
Absorber = Callable[[Connection, uuid.UUID, uuid.UUID], Awaitable[Mapping[str, int]]]


class _Ticket(msgspec.Struct):
    citizen_id: str
    client_id: str
    acr: int


class IdentityService:
    def __init__(
        self,
        *,
        settings: AuthSettings,
        sms_settings: SmsSettings,
        pool: Pool,
        pii: PiiCipher,
        signing: SigningKeys,
        redis: Redis,
        revocations: RevocationList,
        limiter: MovingWindowRateLimiter,
        wechat: WechatClient,
        sso: ProvincialIdentityClient,
        sms: SmsClient,
        absorbers: Sequence[Absorber] = (),
    ) -> None:
        self.settings = settings
        self._absorbers = tuple(absorbers)
        self._sms_settings = sms_settings
        self._pool = pool
        self.pii = pii
        self.signing = signing
        self._redis = redis
        self.revocations = revocations
        self._limiter = limiter
        self._wechat = wechat
        self._sso = sso
        self._sms = sms
        self._sms_phone_limits = parse_many(settings.sms_per_phone)
        self._sms_ip_limits = parse_many(settings.sms_per_ip)

    # --- sessions ------------------------------------------------------------------------------

    async def _issue(
        self, conn: Connection, citizen_id: uuid.UUID, method: str, acr: int
    ) -> TokenPair:
        family_id = await repo.create_family(conn, citizen_id, method, acr)
        return await self._tokens(conn, citizen_id, family_id, method, acr)

    async def _tokens(
        self, conn: Connection, citizen_id: uuid.UUID, family_id: uuid.UUID, method: str, acr: int
    ) -> TokenPair:
        refresh = secrets.token_urlsafe(32)
        expires = datetime.now(UTC) + timedelta(seconds=self.settings.refresh_ttl_s)
        await repo.insert_refresh(conn, _digest(refresh), family_id, expires)
        access = self.signing.issue(
            {"sub": str(citizen_id), "sid": str(family_id), "acr": acr, "amr": [method],
             "typ": "citizen"},
            ttl_s=self.settings.access_ttl_s,
            issuer=self.settings.issuer,
            audience=self.settings.audience,
        )  # fmt: skip
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_in=self.settings.access_ttl_s,
            citizen=await self.profile(conn, citizen_id),
            session_assurance_level=acr,
        )

    async def profile(self, conn: Connection, citizen_id: uuid.UUID) -> CitizenProfile:
        row = await repo.get_citizen(conn, citizen_id)
        if row is None:
            raise errors.TokenInvalid()
        return CitizenProfile(
            id=str(row.id),
            real_name_bound=row.id_number_enc is not None,
            assurance_level=row.assurance_level,
            name=mask_name(self.pii.decrypt(row.real_name_enc, field=REAL_NAME))
            if row.real_name_enc
            else None,
            id_number=mask_id_number(self.pii.decrypt(row.id_number_enc, field=ID_NUMBER))
            if row.id_number_enc
            else None,
            phone=mask_phone(self.pii.decrypt(row.phone_enc, field=PHONE))
            if row.phone_enc
            else None,
            wechat_bound=row.wechat_bound,
        )

    async def refresh(self, conn: Connection, refresh_token: str) -> TokenPair:
        row = await repo.take_refresh(conn, _digest(refresh_token))
        if row is None or row.family_revoked or row.expires_at < datetime.now(UTC):
            raise errors.RefreshTokenInvalid()
        if row.used_at is not None:
            # A spent token came back: it was stolen or replayed. Kill the whole family and
            # keep that decision even though the request fails.
            await repo.revoke_family(conn, row.family_id, "refresh_token_reuse")
            await self.revocations.revoke([str(row.family_id)])
            await audit.append(
                conn, actor_type="system", actor_id="identity", action="token.family_revoked",
                target_type="citizen", target_id=str(row.citizen_id),
                details={"reason": "refresh_token_reuse", "family": str(row.family_id)},
            )  # fmt: skip
            raise errors.RefreshTokenReused(keep_changes=True)
        await repo.mark_refresh_used(conn, _digest(refresh_token))
        return await self._tokens(conn, row.citizen_id, row.family_id, row.method, row.acr)

    async def logout(self, conn: Connection, principal: CitizenPrincipal) -> None:
        await repo.revoke_family(conn, uuid.UUID(principal.family_id), "logout")
        await self.revocations.revoke([principal.family_id])

    async def logout_everywhere(self, conn: Connection, principal: CitizenPrincipal) -> int:
        families = await repo.revoke_families_of(conn, principal.citizen_id, "logout_all")
        await self.revocations.revoke(families)
        await audit.append(
            conn, actor_type="citizen", actor_id=str(principal.citizen_id),
            action="identity.logout_everywhere", details={"families": len(families)},
        )  # fmt: skip
        return len(families)

    # --- WeChat --------------------------------------------------------------------------------

    async def wechat_login(self, conn: Connection, code: str) -> TokenPair:
        try:
            session = await self._wechat.code2session(code)
        except WechatCodeRejected as exc:
            raise errors.WechatCodeInvalid(errcode=exc.errcode) from exc
        known = await repo.find_by_wechat(conn, self._wechat.appid, session.openid)
        citizen_id = known.id if known else await repo.create_citizen(conn)
        await repo.upsert_wechat(
            conn,
            appid=self._wechat.appid,
            openid=session.openid,
            unionid=session.unionid,
            citizen_id=citizen_id,
            session_key_enc=self.pii.encrypt(session.session_key, field=SESSION_KEY),
        )
        # A WeChat identity bound to a real name signs in at the level the platform vouched for.
        return await self._issue(conn, citizen_id, "wechat", known.assurance_level if known else 0)

    async def bind_wechat_phone(
        self, conn: Connection, principal: CitizenPrincipal, code: str
    ) -> CitizenProfile:
        try:
            phone = await self._wechat.phone_number(code)
        except WechatCodeRejected as exc:
            raise errors.WechatCodeInvalid(errcode=exc.errcode) from exc
        await repo.set_phone(
            conn,
            principal.citizen_id,
            self.pii.encrypt(phone, field=PHONE),
            self.pii.lookup_hash(phone, field=PHONE),
        )
        return await self.profile(conn, principal.citizen_id)

    # --- the platform's unified identity (OAuth 2.0 + PKCE + OIDC) ----------------------------

    async def sso_start(
        self, purpose: Literal["login", "bind"], principal: CitizenPrincipal | None
    ) -> SsoStartResponse:
        if purpose == "bind" and principal is None:
            raise errors.TokenMissing()
        state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
        verifier, challenge = pkce_pair()
        record = _SsoState(
            verifier=verifier,
            nonce=nonce,
            purpose=purpose,
            # A login started while signed in (the app, by SMS) is that account's too.
            citizen_id=str(principal.citizen_id) if principal else None,
        )
        await self._redis.set(
            f"sso:state:{state}", msgspec.msgpack.encode(record), ex=self.settings.sso_state_ttl_s
        )
        return SsoStartResponse(
            authorize_url=self._sso.authorize_url(
                state=state, nonce=nonce, code_challenge=challenge
            ),
            state=state,
            expires_in=self.settings.sso_state_ttl_s,
        )

    async def sso_complete(
        self, conn: Connection, code: str, state: str, principal: CitizenPrincipal | None
    ) -> TokenPair:
        # GETDEL: a state is good for one completion, whatever its outcome.
        raw = await self._redis.getdel(f"sso:state:{state}")
        if raw is None:
            raise errors.SsoStateInvalid()
        record = msgspec.msgpack.decode(_bytes(raw), type=_SsoState)
        if record.purpose == "bind" and (
            principal is None or str(principal.citizen_id) != record.citizen_id
        ):
            raise errors.SsoStateInvalid()
        try:
            tokens = await self._sso.exchange_code(code, record.verifier)
            claims = await self._sso.verify_id_token(tokens.id_token, nonce=record.nonce)
        except (SsoGrantRejected, IdTokenInvalid) as exc:
            log.warning("sso rejected", extra={"reason": str(exc)})
            raise errors.SsoRejected() from exc
        info = await self._sso.userinfo(tokens.access_token)
        if info.sub != claims.get("sub") or not valid_id_number(info.id_number):
            raise errors.SsoRejected()
        id_hash = self.pii.lookup_hash(info.id_number, field=ID_NUMBER)
        # The signed-in account that started this (always for a binding; for a login only when
        # the same session completes it).
        session = (
            principal.citizen_id
            if principal and record.citizen_id == str(principal.citizen_id)
            else None
        )
        # A phone counts only when the platform verified it (level 2 and up).
        phone_hash = (
            self.pii.lookup_hash(info.phone, field=PHONE)
            if info.phone and info.assurance_level >= REAL_NAME_LEVEL
            else None
        )
        joined = await self._join(
            conn, id_hash=id_hash, session=session, phone_hash=phone_hash, via=record.purpose
        )
        citizen_id = joined if joined is not None else await repo.create_citizen(conn)
        await repo.lock_citizen(conn, citizen_id)
        await repo.set_real_name(
            conn,
            citizen_id,
            real_name_enc=self.pii.encrypt(info.name, field=REAL_NAME),
            id_number_enc=self.pii.encrypt(info.id_number, field=ID_NUMBER),
            id_number_hash=id_hash,
            assurance_level=info.assurance_level,
            platform_subject=info.sub,
            region_code=info.id_number[:6],
        )
        if info.phone:
            await repo.set_phone(
                conn,
                citizen_id,
                self.pii.encrypt(info.phone, field=PHONE),
                self.pii.lookup_hash(info.phone, field=PHONE),
            )
        await audit.append(
            conn, actor_type="citizen", actor_id=str(citizen_id),
            action=f"identity.sso_{record.purpose}", target_type="citizen",
            target_id=str(citizen_id), details={"assuranceLevel": info.assurance_level},
        )  # fmt: skip
        # A binding upgrades the session it came from: a mini-program session stays a WeChat
        # one (the channel of what the citizen does next, e.g. ratings, follows it).
        method = principal.method if record.purpose == "bind" and principal else "sso"
        return await self._issue(conn, citizen_id, method, info.assurance_level)

    # --- one person, one account ------------------------------------------------------------

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
        await repo.lock_person(conn, id_hash)
        links: dict[uuid.UUID, str] = {}
        holder = await repo.find_by_id_number(conn, id_hash)
        if holder is not None:
            links[holder.id] = "id_number"
        if session is not None:
            links.setdefault(session, "session")
        if phone_hash is not None:
            for row in await repo.unnamed_by_phone(conn, phone_hash):
                links.setdefault(row.id, "phone")
        if not links:
            return None
        accounts = await repo.lock_citizens(conn, list(links))
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
        await repo.mark_merged(conn, source, target)
        moved, families = await self._move(conn, source, target)
        await audit.append(
            conn, actor_type="citizen", actor_id=str(target), action="identity.accounts_merged",
            target_type="citizen", target_id=str(source),
            details={"into": str(target), "link": link, "via": f"sso_{via}", "moved": moved,
                     "sessionsRevoked": len(families)},
        )  # fmt: skip
        await self.revocations.revoke(families)

    async def _move(
        self, conn: Connection, source: uuid.UUID, target: uuid.UUID
    ) -> tuple[dict[str, int], list[str]]:
        """Every row keyed by ``source`` becomes ``target``'s (the tombstone is set already);
        returns the rows moved per table and the token families revoked."""
        moved: dict[str, int] = {}
        for absorb in self._absorbers:
            moved.update(await absorb(conn, source, target))
        families = await repo.revoke_families_of(conn, source, "merged")
        moved.update(await repo.absorb_citizen(conn, source, target))
        return {k: v for k, v in sorted(moved.items()) if v}, families

    async def finish_merges(self, conn: Connection) -> int:
        """Tombstones whose rows did not all move (merges made before every domain moved its
        rows kept only the openids there): move them now. Idempotent; returns the accounts
        that had rows left (``handheld accounts finish-merges``)."""
        finished = 0
        for source, target in await repo.tombstones(conn):
            moved, families = await self._move(conn, source, target)
            if moved:
                finished += 1
                await audit.append(
                    conn, actor_type="system", actor_id="identity",
                    action="identity.accounts_merge_finished", target_type="citizen",
                    target_id=str(source),
                    details={"into": str(target), "moved": moved,
                             "sessionsRevoked": len(families)},
                )  # fmt: skip
            await self.revocations.revoke(families)
        return finished

    # --- SMS code login (app) ------------------------------------------------------------------

    async def _limited(self, limits: list[Any], *keys: str) -> None:
        for limit in limits:
            if not await self._limiter.hit(limit, *keys):
                raise errors.SmsRateLimited()

    def _sms_key(self, phone: str) -> str:
        return "sms:code:" + self.pii.lookup_hash(phone, field=PHONE).hex()

    async def sms_send(self, phone: str, ip: str) -> int:
        phone_key = self.pii.lookup_hash(phone, field=PHONE).hex()
        await self._limited(self._sms_phone_limits, "sms-send-phone", phone_key)
        await self._limited(self._sms_ip_limits, "sms-send-ip", ip)
        code = f"{secrets.randbelow(10**6):06d}"
        key = self._sms_key(phone)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            pipe.hset(key, mapping={"code": _digest(code), "attempts": 0})
            pipe.expire(key, self.settings.sms_code_ttl_s)
            await pipe.execute()
        try:
            await self._sms.send(
                phone,
                self._sms_settings.login_template,
                {"code": code, "minutes": str(self.settings.sms_code_ttl_s // 60)},
            )
        except SmsRejected as exc:
            await self._redis.delete(key)
            if exc.code == "FLOW_CONTROL":
                raise errors.SmsRateLimited() from exc
            raise errors.PhoneRejected() from exc
        except Exception:
            await self._redis.delete(key)
            raise
        return self.settings.sms_code_ttl_s

    async def sms_login(self, conn: Connection, phone: str, code: str, ip: str) -> TokenPair:
        await self._limited(self._sms_ip_limits, "sms-login-ip", ip)
        key = self._sms_key(phone)
        stored = await self._redis.hget(key, "code")
        if stored is None:
            raise errors.SmsCodeInvalid()
        attempts = await self._redis.hincrby(key, "attempts", 1)
        if attempts > self.settings.sms_code_attempts:
            await self._redis.delete(key)
            raise errors.SmsCodeInvalid()
        if not hmac.compare_digest(_bytes(stored), _digest(code)):
            raise errors.SmsCodeInvalid()
        if not await self._redis.delete(key):
            raise errors.SmsCodeInvalid()  # a concurrent login used it first: single use
        phone_hash = self.pii.lookup_hash(phone, field=PHONE)
        holder = await repo.find_by_phone(conn, phone_hash)
        if holder is None:
            citizen_id = await repo.create_citizen(conn)
            await repo.set_phone(conn, citizen_id, self.pii.encrypt(phone, field=PHONE), phone_hash)
            level = 0
        else:
            citizen_id, level = holder.id, holder.assurance_level
        return await self._issue(conn, citizen_id, "sms", min(level, SMS_LEVEL_CAP))

    # --- trust transfer to department apps (RFC 8693 token exchange) --------------------------

    async def issue_ticket(
        self, conn: Connection, principal: CitizenPrincipal, client_id: str
    ) -> TicketResponse:
        app = await repo.get_department_app(conn, client_id)
        if app is None or not app.active:
            raise errors.DepartmentAppUnknown()
        ticket = secrets.token_urlsafe(32)
        record = _Ticket(
            citizen_id=str(principal.citizen_id), client_id=client_id, acr=principal.acr
        )
        await self._redis.set(
            "trust:ticket:" + _digest(ticket).hex(),
            msgspec.msgpack.encode(record),
            ex=self.settings.ticket_ttl_s,
        )
        return TicketResponse(ticket=ticket, expires_in=self.settings.ticket_ttl_s)

    async def exchange_ticket(
        self,
        conn: Connection,
        *,
        client_id: str,
        client_secret: str,
        grant_type: str,
        subject_token: str,
        subject_token_type: str,
        ip: str | None,
    ) -> TokenExchangeResponse:
        app = await repo.get_department_app(conn, client_id)
        secret_ok = (
            passwords.verify_password(app.secret_hash, client_secret)
            if app
            else passwords.dummy_verify(client_secret)
        )
        if app is None or not app.active or not secret_ok:
            raise errors.ClientInvalid()
        if grant_type != TOKEN_EXCHANGE or subject_token_type != TICKET_TOKEN_TYPE:
            raise errors.UnsupportedGrant()
        raw = await self._redis.getdel("trust:ticket:" + _digest(subject_token).hex())
        ticket = msgspec.msgpack.decode(_bytes(raw), type=_Ticket) if raw else None
        if ticket is None or ticket.client_id != client_id:
            raise errors.TicketInvalid()
        citizen_id = uuid.UUID(ticket.citizen_id)
        claims = await self._claims_for(conn, citizen_id, client_id, app.scopes)
        claims["acr"] = ticket.acr
        token = self.signing.issue(
            claims,
            ttl_s=self.settings.exchanged_token_ttl_s,
            issuer=self.settings.issuer,
            audience=client_id,
        )
        await audit.append(
            conn, actor_type="department_app", actor_id=client_id,
            action="trust.ticket_exchanged", target_type="citizen", target_id=str(citizen_id),
            details={"scopes": app.scopes}, ip=ip,
        )  # fmt: skip
        return TokenExchangeResponse(
            access_token=token,
            issued_token_type=JWT_TOKEN_TYPE,
            token_type="N_A",
            expires_in=self.settings.exchanged_token_ttl_s,
            scope=" ".join(app.scopes),
        )

    async def _claims_for(
        self, conn: Connection, citizen_id: uuid.UUID, client_id: str, scopes: list[str]
    ) -> dict[str, Any]:
        row = await repo.get_citizen(conn, citizen_id)
        if row is None:
            raise errors.TicketInvalid()
        # Pairwise subject (OIDC Core §8.1): two department apps cannot correlate a citizen.
        claims: dict[str, Any] = {
            "sub": self.pii.lookup_hash(str(citizen_id), field=f"pairwise:{client_id}").hex()
        }
        if "profile" in scopes and row.real_name_enc:
            claims["name"] = self.pii.decrypt(row.real_name_enc, field=REAL_NAME)
        if "idcard" in scopes and row.id_number_enc:
            claims["id_number"] = self.pii.decrypt(row.id_number_enc, field=ID_NUMBER)
        if "phone" in scopes and row.phone_enc:
            claims["phone_number"] = self.pii.decrypt(row.phone_enc, field=PHONE)
        return claims

    # --- staff ---------------------------------------------------------------------------------

    async def staff_login(
        self, conn: Connection, username: str, password: str, ip: str | None
    ) -> StaffChallenge:
        staff = await repo.staff_by_username(conn, username)
        ok = (
            passwords.verify_password(staff.password_hash, password)
            if staff
            else passwords.dummy_verify(password)
        )
        if staff is None or not staff.active:
            raise errors.CredentialsInvalid()
        if staff.locked_until and staff.locked_until > datetime.now(UTC):
            await self._staff_audit(conn, staff.id, "staff.login_refused_locked", ip)
            raise errors.AccountLocked(keep_changes=True)
        if not ok:
            await self._staff_failure(conn, staff.id, "staff.login_failed", ip)
        mfa_token = secrets.token_urlsafe(32)
        await self._redis.set("staff:mfa:" + _digest(mfa_token).hex(), str(staff.id), ex=300)
        return StaffChallenge(mfa_token=mfa_token, expires_in=300)

    async def _staff_failure(
        self, conn: Connection, staff_id: uuid.UUID, action: str, ip: str | None
    ) -> None:
        locked = await repo.record_staff_failure(
            conn, staff_id, self.settings.staff_max_failures, self.settings.staff_lockout_s
        )
        await self._staff_audit(conn, staff_id, action, ip)
        if locked:
            raise errors.AccountLocked(keep_changes=True)
        raise errors.CredentialsInvalid(keep_changes=True)

    async def staff_totp(
        self, conn: Connection, mfa_token: str, code: str, ip: str | None
    ) -> StaffSession:
        staff_id = await self._redis.getdel("staff:mfa:" + _digest(mfa_token).hex())
        if staff_id is None:
            raise errors.MfaInvalid()
        staff = await repo.staff_by_id(conn, uuid.UUID(_bytes(staff_id).decode()), lock=True)
        if staff is None or not staff.active:
            raise errors.MfaInvalid()
        if staff.locked_until and staff.locked_until > datetime.now(UTC):
            raise errors.AccountLocked()
        secret = self.pii.decrypt(staff.totp_secret_enc, field=TOTP_SECRET)
        step = totp.verify(secret, code, last_used_step=staff.totp_last_step)
        if step is None:
            try:
                await self._staff_failure(conn, staff.id, "staff.mfa_failed", ip)
            except errors.CredentialsInvalid as exc:
                raise errors.MfaInvalid(keep_changes=True) from exc
        assert step is not None
        await repo.reset_staff_failures(conn, staff.id, step)
        session_token = secrets.token_urlsafe(32)
        await repo.create_staff_session(conn, _digest(session_token), staff.id)
        await self._staff_audit(conn, staff.id, "staff.login", ip)
        return StaffSession(
            session_token=session_token,
            idle_timeout=self.settings.staff_idle_timeout_s,
            expires_in=self.settings.staff_absolute_timeout_s,
            staff=StaffProfile(
                id=str(staff.id),
                username=staff.username,
                display_name=staff.display_name,
                role=staff.role,
            ),
        )

    async def staff_session(
        self, conn: Connection, token: str, roles: frozenset[str] | None
    ) -> StaffPrincipal:
        token_hash = _digest(token)
        session = await repo.get_staff_session(conn, token_hash)
        if session is None or session.ended_at is not None or not session.active:
            raise errors.SessionExpired()
        now = datetime.now(UTC)
        why = None
        if now - session.last_seen_at > timedelta(seconds=self.settings.staff_idle_timeout_s):
            why = "idle_timeout"
        elif now - session.created_at > timedelta(seconds=self.settings.staff_absolute_timeout_s):
            why = "absolute_timeout"
        if why:
            # Recorded on a connection of its own: this runs while resolving the request's
            # dependencies, whose transaction rolls back on the error.
            async with self._pool.acquire() as own:
                await repo.end_staff_session(own, token_hash, why)
            raise errors.SessionExpired(reason=why)
        if roles is not None and session.role not in roles:
            raise errors.RoleForbidden(requiredRoles=sorted(roles))
        await repo.touch_staff_session(conn, token_hash)
        return StaffPrincipal(session.staff_id, session.username, session.role, token_hash)

    async def staff_profile(self, conn: Connection, staff_id: uuid.UUID) -> StaffProfile:
        row = await repo.staff_by_id(conn, staff_id)
        if row is None:
            raise errors.SessionExpired()
        return StaffProfile(
            id=str(row.id), username=row.username, display_name=row.display_name, role=row.role
        )

    async def staff_logout(self, conn: Connection, principal: StaffPrincipal) -> None:
        await repo.end_staff_session(conn, principal.token_hash, "logout")

    async def _staff_audit(
        self, conn: Connection, staff_id: uuid.UUID, action: str, ip: str | None
    ) -> None:
        await audit.append(
            conn, actor_type="staff", actor_id=str(staff_id), action=action,
            target_type="staff", target_id=str(staff_id), ip=ip,
        )  # fmt: skip

    async def create_staff(
        self, conn: Connection, *, username: str, display_name: str, password: str, role: str
    ) -> tuple[uuid.UUID, str]:
        """For the CLI and seeding: returns the staff id and the TOTP provisioning URI."""
        secret = totp.new_secret()
        staff_id = await repo.create_staff(
            conn,
            username=username,
            display_name=display_name,
            password_hash=passwords.hash_password(password),
            totp_secret_enc=self.pii.encrypt(secret, field=TOTP_SECRET),
            role=role,
        )
        await audit.append(
            conn, actor_type="system", actor_id="cli", action="staff.created",
            target_type="staff", target_id=str(staff_id), details={"role": role},
        )  # fmt: skip
        return staff_id, totp.provisioning_uri(secret, username)

    # --- for declarations ---

    async def citizen_for_case(
        self, conn: Connection, citizen_id: uuid.UUID
    ) -> CitizenForCase | None:
        """What a declaration needs of its applicant, decrypted: the name, ID number and phone
        on record (None where not bound); one query, each field decrypted once."""
        row = await repo.get_citizen(conn, citizen_id)
        if row is None:
            return None

        def clear(blob: bytes | None, field: str) -> str | None:
            return self.pii.decrypt(blob, field=field) if blob else None

        return CitizenForCase(
            real_name=clear(row.real_name_enc, REAL_NAME),
            id_number=clear(row.id_number_enc, ID_NUMBER),
            phone=clear(row.phone_enc, PHONE),
        )


class CitizenForCase(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's personal data as a declaration uses it (never sent to a client unmasked)."""

    real_name: str | None
    id_number: str | None
    phone: str | None


class AccessTokens:
    """Verifies citizens' access tokens; a token seen before skips the signature check until it
    expires (an ECDSA verification costs more than the rest of a typical request), but its
    family's revocation is checked on every request."""

    def __init__(self, service: IdentityService, max_entries: int = 50_000) -> None:
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
