"""亮证: display codes issued to the holder, their QR symbol, online verification.

``show`` and ``verify`` are the hot path of a licence shown at a counter (bench/licences.py):
each holds a pooled connection for its two short statements and its one INSERT commits on its
own, instead of the request transaction (which would add BEGIN and COMMIT round trips to both).
"""

from __future__ import annotations

import hmac
import time
import uuid
from datetime import UTC, datetime
from urllib.parse import urlencode

from api.licences import display_codes, errors
from api.licences import repository as repo
from api.licences.schemas import (
    DisplayCode,
    DisplayKey,
    VerificationEntry,
    VerificationResult,
    VerifiedLicence,
)
from api.licences.service._base import (
    HOLDER_NAME,
    DrawnQr,
    LicencesBase,
    effective_status,
    status_text,
)
from core import sm2
from core.db import Connection
from core.pii import mask_name
from core.principals import CitizenPrincipal

# Where a display code's QR symbol is drawn (no login: the code is the short-lived secret).
QR_PATH = "/api/v1/licences/display-qr.svg"


class DisplayCases(LicencesBase):
    def _key(self) -> sm2.Sm2KeyPair:
        if self.display_key is None:
            raise errors.DisplayUnavailable()
        return self.display_key

    def published_key(self) -> DisplayKey:
        key = self._key()
        return DisplayKey(
            key_id=key.key_id,
            algorithm="SM2-SM3",
            signer_id=sm2.SIGNER_ID.decode(),
            public_key=key.public_key_hex,
            public_key_pem=sm2.public_key_pem(key.public_key),
            code_format="HL1.<base64url(JSON)>.<base64url(r||s)>: SM2-SM3 signature of the "
            "ASCII text before the second dot",
        )

    async def show(self, principal: CitizenPrincipal, licence_id: uuid.UUID) -> DisplayCode:
        """A fresh display code. Its QR symbol is drawn by ``qr`` at ``qrUrl``, so that this
        request holds a database connection for two short statements only: the licence read
        and the display row (one INSERT, committed on its own)."""
        key = self._key()
        async with self._pool.acquire() as conn:
            row = await repo.display_source(conn, licence_id, principal.citizen_id)
            if row is None:
                raise errors.LicenceNotFound()  # also another citizen's: no oracle
            status = effective_status(row.status, row.valid_until, self._today())
            if status != "valid":
                raise errors.LicenceNotDisplayable(status=status)
            now = int(time.time())
            expires = now + self._settings.display_ttl_s
            display_id = uuid.uuid4()
            if row.holder_name_enc is None:  # a valid licence was imported with its holder
                raise errors.LicenceNotDisplayable(status="pending")
            holder = mask_name(self._pii.decrypt(row.holder_name_enc, field=HOLDER_NAME))
            payload = display_codes.DisplayPayload(
                v=1,
                k=key.key_id,
                d=display_codes.display_id_text(display_id),
                t=row.type_code,
                h=holder,
                f=row.valid_from.isoformat() if row.valid_from else None,
                u=row.valid_until.isoformat() if row.valid_until else None,
                s=status,
                i=now,
                e=expires,
            )
            assert self._signer is not None  # built with the key
            code = display_codes.issue(self._signer, payload)
            await repo.add_display(
                conn,
                display_id,
                row.id,
                principal.citizen_id,
                datetime.fromtimestamp(now, UTC),
                datetime.fromtimestamp(expires, UTC),
                display_codes.digest(code),
            )
        base = self._settings.verify_base_url
        return DisplayCode(
            code=code,
            expires_at=datetime.fromtimestamp(expires, UTC),
            verify_url=f"{base.rstrip('/')}#{code}" if base else None,
            qr_url=f"{QR_PATH}?{urlencode({'code': code})}",
        )

    def _decode(self, code: str) -> display_codes.DisplayPayload:
        key = self._key()
        if self._verifier is None or self._verifier.public_key != key.public_key:
            self._verifier = sm2.Sm2Verifier(key.public_key)
        try:
            return display_codes.decode({key.key_id: self._verifier}, code)
        except display_codes.CodeInvalid as exc:
            raise errors.DisplayCodeInvalid() from exc

    async def _refused(self, ip: str | None) -> None:
        """Count a code we did not issue against its address: probing answers 429 once over the
        limit. Genuine codes are never throttled (a service hall verifies many from one
        address) and cost no Redis round trip."""
        if self._limiter is None:
            return
        for limit in self._verify_limits:
            if not await self._limiter.hit(limit, "licence-verify-refused", ip or "unknown"):
                raise errors.VerificationsLimited()

    async def qr(self, code: str, requester: CitizenPrincipal | None) -> tuple[bytes, int]:
        """The QR symbol (SVG) of a display code we issued, whose licence is still valid and
        that has not expired, and how many whole seconds it has left (``max-age``).

        A code never changes, so its symbol is drawn once and kept in the process, keyed by
        the code's digest (only the very code drawn finds it). Served again, it is checked
        again: expiry, the requester, the licence's validity day, and the revoked licences
        every process knows (``display_revocations``); when that list may be behind (its
        subscription down) or names the licence, the database decides, as on the first
        request. A citizen signed in who is not the holder gets 404, as on every route of
        another's licence."""
        code = code.strip()
        digest = display_codes.digest(code)
        drawn = self._qr_cache.get(digest)
        now = time.time()
        if drawn is not None:
            if now > drawn.expires:
                self._qr_cache.pop(digest, None)
                raise errors.DisplayCodeExpired()
            if requester is not None and requester.citizen_id != drawn.holder:
                raise errors.LicenceNotFound()
            if self._servable(drawn):
                self._qr_cache.move_to_end(digest)
                return drawn.svg, int(drawn.expires - now)
        try:
            payload = display_codes.parse(code).payload
        except display_codes.CodeInvalid as exc:
            raise errors.DisplayCodeInvalid() from exc
        async with self._pool.acquire() as conn:
            row = await repo.display(conn, payload.display_id)
        if row is None or not (
            hmac.compare_digest(row.code_digest, digest)
            if row.code_digest is not None
            else self._decode(code) == payload
        ):
            raise errors.DisplayCodeInvalid()
        if now > payload.e:
            raise errors.DisplayCodeExpired()
        if requester is not None and requester.citizen_id != row.citizen_id:
            raise errors.LicenceNotFound()
        status = effective_status(row.status, row.valid_until, self._today())
        if status != "valid":
            self._qr_cache.pop(digest, None)
            raise errors.LicenceNotDisplayable(status=status)
        svg = drawn.svg if drawn is not None else display_codes.qr_svg_bytes(code)
        self._qr_cache[digest] = DrawnQr(svg, row.id, row.citizen_id, payload.e, row.valid_until)
        self._qr_cache.move_to_end(digest)
        while len(self._qr_cache) > self._settings.qr_cache_entries:
            self._qr_cache.popitem(last=False)
        return svg, int(payload.e - now)

    def drawn_qr(self, code: str) -> tuple[bytes, int] | None:
        """The cached symbol of ``code`` and its seconds left, when it may be served as is to
        a caller without a token; None when ``qr`` must decide (not drawn, expired, or its
        licence possibly revoked)."""
        if not code.isascii():
            return None  # never a code we issued: the handler refuses it
        digest = display_codes.digest(code.strip())
        drawn = self._qr_cache.get(digest)
        if drawn is None:
            return None
        left = drawn.expires - time.time()
        if left < 0 or not self._servable(drawn):
            return None
        self._qr_cache.move_to_end(digest)
        return drawn.svg, int(left)

    def _servable(self, drawn: DrawnQr) -> bool:
        """Its licence valid today and not revoked, as far as every process knows (False
        while the revoked list may be behind: the database decides then)."""
        revocations = self._display_revocations
        return (
            revocations is not None
            and revocations.current
            and not revocations.is_revoked(str(drawn.licence_id))
            and effective_status("valid", drawn.valid_until, self._today()) == "valid"
        )

    async def verify(
        self, code: str, verifier: str | None, ip: str | None, locale: str
    ) -> VerificationResult:
        """Online verification. Every attempt with a code we signed is recorded (an expired one
        too, before the 410); the row is one INSERT, committed on its own."""
        try:
            payload = display_codes.parse(code).payload
        except display_codes.CodeInvalid as exc:
            await self._refused(ip)
            raise errors.DisplayCodeInvalid() from exc
        now = datetime.now(UTC)
        expired = now.timestamp() > payload.e
        async with self._pool.acquire() as conn:
            row = await repo.display(conn, payload.display_id)
            # Online, the code is recognised as the very one we issued (its digest is on the
            # display row; offline verifiers check the signature instead). A row from before
            # digests were kept falls back to the signature.
            if row is None or not (
                hmac.compare_digest(row.code_digest, display_codes.digest(code))
                if row.code_digest is not None
                else self._decode(code) == payload
            ):
                await self._refused(ip)
                raise errors.DisplayCodeInvalid()
            status = effective_status(row.status, row.valid_until, self._today())
            outcome = (
                "code_expired"
                if expired
                else "valid"
                if status == "valid"
                else f"licence_{status}"
                if status in ("revoked", "expired", "invalid")
                else "licence_invalid"
            )
            await repo.add_verification(
                conn,
                display_id=payload.display_id,
                licence_id=row.id,
                citizen_id=row.citizen_id,
                outcome=outcome,
                verifier=verifier,
                verifier_ip=ip,
                at=now,
            )
        if expired:
            raise errors.DisplayCodeExpired()  # the attempt is the holder's business: recorded
        return VerificationResult(
            valid=outcome == "valid",
            outcome=outcome,
            licence=VerifiedLicence(
                type_code=row.type_code,
                type_name=row.name,
                holder_name=payload.h,
                issuer_name=row.issuer_name,
                valid_from=row.valid_from,
                valid_until=row.valid_until,
                status=status,  # type: ignore[arg-type]
                status_text=status_text(status, locale),
            ),
            verified_at=now,
            code_expires_at=datetime.fromtimestamp(payload.e, UTC),
        )

    async def verifications(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID
    ) -> list[VerificationEntry]:
        await self._owned(conn, principal, licence_id)
        rows = await repo.verifications(conn, licence_id, principal.citizen_id)
        return [
            VerificationEntry(
                id=str(r.id),
                verified_at=r.verified_at,
                outcome=r.outcome,
                verifier=r.verifier,
            )
            for r in rows
        ]
