"""Staff accounts: password then TOTP, opaque sessions with idle and absolute timeouts,
lockout after repeated failures; every step audited."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from api.identity import errors
from api.identity.repository import staff as staff_repo
from api.identity.schemas import StaffChallenge, StaffProfile, StaffSession
from api.identity.service.base import TOTP_SECRET, IdentityBase, as_bytes, digest
from core import audit, passwords, totp
from core.db import Connection
from core.principals import StaffPrincipal

MFA_TTL_S = 300


class StaffAccounts(IdentityBase):
    async def staff_login(
        self, conn: Connection, username: str, password: str, ip: str | None
    ) -> StaffChallenge:
        staff = await staff_repo.staff_by_username(conn, username)
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
        await self._redis.set("staff:mfa:" + digest(mfa_token).hex(), str(staff.id), ex=MFA_TTL_S)
        return StaffChallenge(mfa_token=mfa_token, expires_in=MFA_TTL_S)

    async def _staff_failure(
        self, conn: Connection, staff_id: uuid.UUID, action: str, ip: str | None
    ) -> None:
        locked = await staff_repo.record_staff_failure(
            conn, staff_id, self.settings.staff_max_failures, self.settings.staff_lockout_s
        )
        await self._staff_audit(conn, staff_id, action, ip)
        if locked:
            raise errors.AccountLocked(keep_changes=True)
        raise errors.CredentialsInvalid(keep_changes=True)

    async def staff_totp(
        self, conn: Connection, mfa_token: str, code: str, ip: str | None
    ) -> StaffSession:
        staff_id = await self._redis.getdel("staff:mfa:" + digest(mfa_token).hex())
        if staff_id is None:
            raise errors.MfaInvalid()
        staff = await staff_repo.staff_by_id(
            conn, uuid.UUID(as_bytes(staff_id).decode()), lock=True
        )
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
        await staff_repo.reset_staff_failures(conn, staff.id, step)
        session_token = secrets.token_urlsafe(32)
        await staff_repo.create_staff_session(conn, digest(session_token), staff.id)
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
                departments=staff.department_codes,
            ),
        )

    async def staff_session(
        self, conn: Connection, token: str, roles: frozenset[str] | None
    ) -> StaffPrincipal:
        """The staff member of a session token, its last use now. A session past a timeout
        raises ``SessionExpired`` with the ``reason``; ``end_staff_session`` records it."""
        token_hash = digest(token)
        session = await staff_repo.get_staff_session(conn, token_hash)
        if session is None or session.ended_at is not None or not session.active:
            raise errors.SessionExpired()
        now = datetime.now(UTC)
        why = None
        if now - session.last_seen_at > timedelta(seconds=self.settings.staff_idle_timeout_s):
            why = "idle_timeout"
        elif now - session.created_at > timedelta(seconds=self.settings.staff_absolute_timeout_s):
            why = "absolute_timeout"
        if why:
            raise errors.SessionExpired(reason=why)
        if roles is not None and session.role not in roles:
            raise errors.RoleForbidden(requiredRoles=sorted(roles))
        await staff_repo.touch_staff_session(conn, token_hash)
        departments = session.department_codes
        return StaffPrincipal(
            session.staff_id,
            session.username,
            session.role,
            token_hash,
            None if departments is None else frozenset(departments),
        )

    async def end_staff_session(self, conn: Connection, token: str, why: str) -> None:
        await staff_repo.end_staff_session(conn, digest(token), why)

    async def staff_profile(self, conn: Connection, staff_id: uuid.UUID) -> StaffProfile:
        row = await staff_repo.staff_by_id(conn, staff_id)
        if row is None:
            raise errors.SessionExpired()
        return StaffProfile(
            id=str(row.id),
            username=row.username,
            display_name=row.display_name,
            role=row.role,
            departments=row.department_codes,
        )

    async def staff_logout(self, conn: Connection, principal: StaffPrincipal) -> None:
        await staff_repo.end_staff_session(conn, principal.token_hash, "logout")

    async def _staff_audit(
        self, conn: Connection, staff_id: uuid.UUID, action: str, ip: str | None
    ) -> None:
        await audit.append(
            conn,
            actor_type="staff",
            actor_id=str(staff_id),
            action=action,
            target_type="staff",
            target_id=str(staff_id),
            ip=ip,
        )

    async def set_staff_departments(
        self, conn: Connection, staff_id: uuid.UUID, department_codes: list[str] | None
    ) -> None:
        """Limit an account to departments (None: province-wide again); audited. For the CLI
        and seeding; the database refuses it for an admin."""
        await staff_repo.set_staff_departments(conn, staff_id, department_codes)
        await audit.append(
            conn,
            actor_type="system",
            actor_id="cli",
            action="staff.departments_set",
            target_type="staff",
            target_id=str(staff_id),
            details={"departments": department_codes},
        )

    async def department_supervisors(
        self, conn: Connection, department_code: str
    ) -> list[uuid.UUID]:
        """The staff ids of the department's own supervisors (scoped to it), for its cards."""
        return [r.id for r in await staff_repo.department_supervisors(conn, department_code)]

    async def staff_usernames(self, conn: Connection) -> set[str]:
        return set(await staff_repo.staff_usernames(conn))

    async def create_staff(
        self, conn: Connection, *, username: str, display_name: str, password: str, role: str
    ) -> tuple[uuid.UUID, str]:
        """For the CLI and seeding: returns the staff id and the TOTP provisioning URI."""
        secret = totp.new_secret()
        staff_id = await staff_repo.create_staff(
            conn,
            username=username,
            display_name=display_name,
            password_hash=passwords.hash_password(password),
            totp_secret_enc=self.pii.encrypt(secret, field=TOTP_SECRET),
            role=role,
        )
        await audit.append(
            conn,
            actor_type="system",
            actor_id="cli",
            action="staff.created",
            target_type="staff",
            target_id=str(staff_id),
            details={"role": role},
        )
        return staff_id, totp.provisioning_uri(secret, username)
