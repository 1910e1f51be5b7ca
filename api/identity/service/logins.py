"""Sign-in by WeChat (mini-program) and by SMS code (app), and the phone WeChat vouches for."""

from __future__ import annotations

from api.identity import errors
from api.identity.repository import citizens as citizens_repo
from api.identity.schemas import CitizenProfile, TokenPair
from api.identity.service.base import (
    PHONE,
    SESSION_KEY,
    SMS_LEVEL_CAP,
    IdentityBase,
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

    def _sms_key(self, phone: str) -> str:
        return "sms:code:" + self.pii.lookup_hash(phone, field=PHONE).hex()

    async def sms_send(self, phone: str, ip: str) -> int:
        phone_key = self.pii.lookup_hash(phone, field=PHONE).hex()
        await self._limited(self._sms_phone_limits, "sms-send-phone", phone_key)
        await self._limited(self._sms_ip_limits, "sms-send-ip", ip)
        key = self._sms_key(phone)
        code = await self._codes.issue(key)
        try:
            await self._sms.send(
                phone,
                self._sms_settings.login_template,
                {"code": code, "minutes": str(self._codes.ttl_s // 60)},
            )
        except SmsRejected as exc:
            await self._codes.forget(key)
            if exc.code == "FLOW_CONTROL":
                raise errors.SmsRateLimited() from exc
            raise errors.PhoneRejected() from exc
        except Exception:
            await self._codes.forget(key)
            raise
        return self._codes.ttl_s

    async def sms_login(self, conn: Connection, phone: str, code: str, ip: str) -> TokenPair:
        await self._limited(self._sms_ip_limits, "sms-login-ip", ip)
        if not await self._codes.redeem(self._sms_key(phone), code):
            raise errors.SmsCodeInvalid()
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
