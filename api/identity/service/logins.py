"""Sign-in by WeChat (mini-program) and by SMS code (app), and the phone WeChat vouches for."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.schemas import CitizenProfile, TokenPair
from api.identity.service.base import (
    PHONE,
    SESSION_KEY,
    SMS_LEVEL_CAP,
    IdentityBase,
    as_bytes,
    digest,
)
from core.clients.sms import SmsRejected
from core.clients.wechat import WechatCodeRejected
from core.db import Connection
from core.principals import CitizenPrincipal


class Logins(IdentityBase):
    # --- WeChat --------------------------------------------------------------------------------

    async def wechat_login(self, conn: Connection, code: str) -> TokenPair:
        try:
            session = await self._wechat.code2session(code)
        except WechatCodeRejected as exc:
            raise errors.WechatCodeInvalid(errcode=exc.errcode) from exc
        known = await citizens_repo.find_by_wechat(conn, self._wechat.appid, session.openid)
        citizen_id = known.id if known else await citizens_repo.create_citizen(conn)
        await citizens_repo.upsert_wechat(
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
        await citizens_repo.set_phone(
            conn,
            principal.citizen_id,
            self.pii.encrypt(phone, field=PHONE),
            self.pii.lookup_hash(phone, field=PHONE),
        )
        return await self.profile(conn, principal.citizen_id)

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
            pipe.hset(key, mapping={"code": digest(code), "attempts": 0})
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
        if not hmac.compare_digest(as_bytes(stored), digest(code)):
            raise errors.SmsCodeInvalid()
        if not await self._redis.delete(key):
            raise errors.SmsCodeInvalid()  # a concurrent login used it first: single use
        phone_hash = self.pii.lookup_hash(phone, field=PHONE)
        holder = await citizens_repo.find_by_phone(conn, phone_hash)
        if holder is None:
            citizen_id = await citizens_repo.create_citizen(conn)
            await citizens_repo.set_phone(
                conn, citizen_id, self.pii.encrypt(phone, field=PHONE), phone_hash
            )
            level = 0
        else:
            citizen_id, level = holder.id, holder.assurance_level
        return await self._issue(conn, citizen_id, "sms", min(level, SMS_LEVEL_CAP))
