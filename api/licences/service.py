"""The e-licence wallet: import and verification, display codes (亮证), consents and uses.

Licences reach the wallet when a case completes: declarations call ``record_issued`` in the
transaction that applies the completion, which stores the number as ``pending`` and enqueues
the import job. The job fetches the signed document from the platform's licence library,
checks it (SM2-SM3 seal of the issuer, GB/T 36904 check character, GB 32100 issuer code, the
holder is this citizen) and stores it, with its file, as ``valid``/``revoked`` or ``invalid``.
Revocations come from the library's event feed, polled by a scheduled job.
"""

from __future__ import annotations

import base64
import hmac
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import asyncpg
import jwt
import msgspec
from limits import parse_many
from limits.aio.strategies import RateLimiter

from api.identity import repository as identity_repo
from api.identity.service import ID_NUMBER
from api.licences import display, errors
from api.licences import repository as repo
from api.licences.identifiers import licence_number_problem
from api.licences.schemas import (
    ConsentEntry,
    DeclarationLicence,
    DepartmentLicence,
    DisplayCode,
    DisplayKey,
    Grantee,
    LicenceDetail,
    LicenceSummary,
    UseEntry,
    VerificationEntry,
    VerificationResult,
    VerifiedLicence,
)
from core import audit, i18n, jobs, sm2
from core.clients.provincial import LibraryLicence, LicenceNotInLibrary, ProvincialLicencesClient
from core.clock import SYSTEM_CLOCK, Clock, china_today
from core.db import Connection, Pool
from core.pii import PiiCipher, mask_name
from core.principals import CitizenPrincipal
from core.settings import AuthSettings, LicenceSettings
from core.signing import SigningKeys
from core.signing import TokenInvalid as SigningTokenInvalid
from core.storage import ObjectStorage
from push.service import notify

log = logging.getLogger(__name__)

IMPORT_JOB = "licences.import"
SYNC_JOB = "licences.sync"
HOLDER_NAME = "licence.holder_name"
SIGNED_DATA = "licence.signed_data"
PAGE = 100
# Where a display code's QR symbol is drawn (no login: the code is the short-lived secret).
QR_PATH = "/api/v1/licences/display-qr.svg"


class LicenceJob(msgspec.Struct):
    licence_number: str


class LicenceDocument(msgspec.Struct, rename="camel", kw_only=True):
    """The issuer's signed JSON (tolerant of new fields)."""

    licence_number: str
    type_code: str
    type_name: str
    holder_name: str
    holder_id_number: str
    issuer_code: str
    issuer_name: str
    issued_at: str = ""
    valid_from: date
    valid_until: date | None = None
    case_number: str | None = None
    key_id: str = ""


def today(now: datetime | None = None) -> date:
    """Validity dates are calendar days in China: the day of ``now`` (default: the system's)."""
    return china_today(now)


def effective_status(row: asyncpg.Record, on: date | None = None) -> str:
    status = str(row["status"])
    if (
        status == "valid"
        and row["valid_until"] is not None
        and row["valid_until"] < (on or today())
    ):
        return "expired"
    return status


# --- called by declarations, inside their transaction ------------------------------------------------


async def record_issued(
    conn: Connection, *, citizen_id: uuid.UUID, licence_number: str, type_code: str, name: str,
    issued_at: datetime, declaration_id: uuid.UUID | None,
) -> None:  # fmt: skip
    """A case completed with a licence: into the wallet as ``pending``, imported by a job."""
    if await repo.add_pending(
        conn, licence_number=licence_number, citizen_id=citizen_id, type_code=type_code,
        name=name, issued_at=issued_at, declaration_id=declaration_id,
    ):  # fmt: skip
        await jobs.enqueue(
            conn, IMPORT_JOB, LicenceJob(licence_number), dedupe_key=f"import:{licence_number}"
        )


async def consent_for_declaration(
    conn: Connection, citizen_id: uuid.UUID, licence_number: str, declaration_id: uuid.UUID,
    item_name: str,
) -> None:  # fmt: skip
    """The citizen chose this licence for a material of this declaration: that choice is the
    consent, recorded (once per declaration and licence) so it shows and can be revoked."""
    row = await repo.by_number(conn, licence_number, citizen_id)
    if row is None:
        raise errors.LicenceNotFound()
    if await repo.active_consent(conn, row["id"], "declaration", str(declaration_id)) is None:
        await repo.add_consent(
            conn, citizen_id=citizen_id, licence_id=row["id"], grantee_kind="declaration",
            grantee_id=str(declaration_id), grantee_name=item_name,
            purpose=f"作为申请材料办理：{item_name}", pairwise_sub=None, expires_at=None,
        )  # fmt: skip


async def use_for_declaration(
    conn: Connection, citizen_id: uuid.UUID, licence_number: str, declaration_id: uuid.UUID
) -> None:
    """The declaration is submitted with this licence: allowed only under an active consent;
    the use is logged for the holder."""
    row = await repo.by_number(conn, licence_number, citizen_id)
    consent = (
        await repo.active_consent(conn, row["id"], "declaration", str(declaration_id))
        if row is not None
        else None
    )
    if row is None or consent is None:
        raise errors.ConsentRequired(licenceNumber=licence_number)
    # Revoked or expired since it was attached (a pending one is still being imported).
    if (status := effective_status(row)) not in ("valid", "pending"):
        raise errors.LicenceNoLongerValid(licenceNumber=licence_number, status=status)
    await repo.add_use(
        conn, consent_id=consent["id"], citizen_id=citizen_id, licence_id=row["id"],
        purpose=consent["purpose"],
    )  # fmt: skip


# --- the service ----------------------------------------------------------------------------------


def _status_text(status: str, locale: str) -> str:
    return i18n.text(f"LICENCE_STATUS_{status.upper()}", locale)


class LicencesService:
    def __init__(
        self, *, pool: Pool, pii: PiiCipher, storage: ObjectStorage,
        library: ProvincialLicencesClient, settings: LicenceSettings, auth: AuthSettings,
        signing: SigningKeys, limiter: RateLimiter | None = None, clock: Clock = SYSTEM_CLOCK,
    ) -> None:  # fmt: skip
        self._clock = clock
        self._limiter = limiter
        self._verify_limits = parse_many(settings.verify_per_ip)
        self._pool = pool
        self._pii = pii
        self.storage = storage
        self._library = library
        self._settings = settings
        self._auth = auth
        self._signing = signing
        self._issuer_keys: dict[str, tuple[str, bytes]] = {}
        self.display_key: sm2.Sm2KeyPair | None = None
        self._verifier: sm2.Sm2Verifier | None = None
        if settings.display_key_path is not None:
            self.display_key = sm2.Sm2KeyPair.load(settings.display_key_path)
        else:
            log.warning("no licence display key (licences.display_key_path): 亮证 is off")

    def _today(self) -> date:
        return today(self._clock.now())

    # --- the wallet ----------------------------------------------------------------------------

    def _summary_fields(self, row: asyncpg.Record, locale: str) -> dict[str, Any]:
        status = effective_status(row, self._today())
        holder = (
            mask_name(self._pii.decrypt(row["holder_name_enc"], field=HOLDER_NAME))
            if row["holder_name_enc"]
            else None
        )
        return {
            "id": str(row["id"]), "licence_number": row["licence_number"],
            "type_code": row["type_code"], "name": row["name"], "holder_name": holder,
            "issuer_code": row["issuer_code"], "issuer_name": row["issuer_name"],
            "valid_from": row["valid_from"], "valid_until": row["valid_until"],
            "issued_at": row["issued_at"], "status": status,
            "status_text": _status_text(status, locale), "problem": row["problem"],
            "problem_text": i18n.text(row["problem"], locale) if row["problem"] else None,
            "usable": status == "valid", "has_file": bool(row["file_key"]),
        }  # fmt: skip

    async def wallet(self, principal: CitizenPrincipal, locale: str) -> list[LicenceSummary]:
        async with self._pool.acquire() as conn:
            rows = await repo.list_for(conn, principal.citizen_id)
        return [LicenceSummary(**self._summary_fields(r, locale)) for r in rows]

    async def _owned(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID
    ) -> asyncpg.Record:
        row = await repo.get(conn, licence_id, principal.citizen_id)
        if row is None:
            raise errors.LicenceNotFound()  # also another citizen's: no oracle
        return row

    async def detail(
        self, principal: CitizenPrincipal, licence_id: uuid.UUID, locale: str
    ) -> LicenceDetail:
        async with self._pool.acquire() as conn:
            row = await self._owned(conn, principal, licence_id)
        return LicenceDetail(
            **self._summary_fields(row, locale),
            revoked_at=row["revoked_at"], revocation_reason=row["revocation_reason"],
            signature_verified=row["signature"] is not None and row["status"] != "invalid",
            key_id=row["key_id"], file_type=row["file_type"],
            declaration_id=str(row["declaration_id"]) if row["declaration_id"] else None,
            imported_at=row["imported_at"],
        )  # fmt: skip

    async def file(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID, ip: str
    ) -> tuple[AsyncIterator[bytes], str, str]:
        row = await self._owned(conn, principal, licence_id)
        if not row["file_key"] or row["status"] == "invalid":
            raise errors.LicenceFileUnavailable()
        await audit.append(
            conn, actor_type="citizen", actor_id=str(principal.citizen_id),
            action="licence.file_downloaded", target_type="licence", target_id=str(licence_id),
            ip=ip,
        )  # fmt: skip
        kind = row["file_type"] or "pdf"
        media = {"pdf": "application/pdf", "ofd": "application/ofd"}.get(kind, "application/pdf")
        stream = await self.storage.get_stream(row["file_key"])
        return stream, media, f"{row['licence_number']}.{kind}"

    # --- import -------------------------------------------------------------------------------

    async def import_licence(self, licence_number: str) -> None:
        async with self._pool.acquire() as conn:
            row = await repo.by_number(conn, licence_number)
            if row is None or row["status"] != "pending":
                return
            citizen = await identity_repo.get_citizen(conn, row["citizen_id"])
        try:
            stored = await self._library.licence(licence_number)
        except LicenceNotInLibrary:
            await self._invalid(licence_number, "NOT_IN_LIBRARY")
            return
        holder_id = (
            self._pii.decrypt(citizen.id_number_enc, field=ID_NUMBER)
            if citizen and citizen.id_number_enc
            else None
        )
        problem, document, data, signature = await self._check(licence_number, stored, holder_id)
        if problem is not None or document is None:
            log.warning(
                "licence rejected on import",
                extra={"licence": licence_number, "problem": problem},
            )
            await self._invalid(licence_number, problem or "DOCUMENT_MALFORMED")
            return
        content, _ = await self._library.file(licence_number)
        kind = "ofd" if content[:2] == b"PK" else "pdf"
        file_key = f"licences/{row['citizen_id']}/{row['id']}.{kind}"

        async def chunks() -> AsyncIterator[bytes]:
            yield content

        await self.storage.put_stream(file_key, chunks())
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.update(
                conn, licence_number,
                status="revoked" if stored.status == "revoked" else "valid", problem=None,
                type_code=document.type_code, name=document.type_name,
                holder_name_enc=self._pii.encrypt(document.holder_name, field=HOLDER_NAME),
                holder_id_hash=self._pii.lookup_hash(document.holder_id_number, field=ID_NUMBER),
                issuer_code=document.issuer_code, issuer_name=document.issuer_name,
                valid_from=document.valid_from, valid_until=document.valid_until,
                revoked_at=stored.revoked_at, revocation_reason=stored.revocation_reason,
                signed_data_enc=self._pii.encrypt(data.decode("utf-8"), field=SIGNED_DATA),
                signature=signature, key_id=stored.key_id, file_key=file_key, file_type=kind,
                imported_at=datetime.now(UTC),
            )  # fmt: skip

    async def _invalid(self, licence_number: str, problem: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.update(
                conn, licence_number, status="invalid", problem=problem,
                imported_at=datetime.now(UTC),
            )  # fmt: skip

    async def _issuer_key(self, key_id: str) -> tuple[str, bytes] | None:
        if key_id not in self._issuer_keys:
            for key in (await self._library.issuer_keys()).keys:
                if key.algorithm == "SM2-SM3":
                    try:
                        self._issuer_keys[key.key_id] = (
                            key.issuer_code, sm2.public_key_from_hex(key.public_key)
                        )  # fmt: skip
                    except sm2.Sm2KeyError:
                        log.warning("issuer key is not an SM2 key", extra={"key": key.key_id})
        return self._issuer_keys.get(key_id)

    async def _check(
        self, licence_number: str, stored: LibraryLicence, holder_id: str | None
    ) -> tuple[str | None, LicenceDocument | None, bytes, bytes]:
        """(problem, document, signed bytes, signature); the document only when it verified."""
        try:
            data = base64.b64decode(stored.data, validate=True)
            signature = base64.b64decode(stored.signature, validate=True)
        except ValueError:
            return "DOCUMENT_MALFORMED", None, b"", b""
        issuer = await self._issuer_key(stored.key_id)
        if issuer is None or stored.signature_algorithm != "SM2-SM3":
            return "ISSUER_KEY_UNKNOWN", None, data, signature
        if not sm2.verify(issuer[1], data, signature):
            return "SIGNATURE_INVALID", None, data, signature
        # Only now is the content the issuer's: read every field from the signed bytes.
        try:
            document = msgspec.json.decode(data, type=LicenceDocument)
        except msgspec.DecodeError:
            return "DOCUMENT_MALFORMED", None, data, signature
        if document.licence_number != licence_number or document.issuer_code != issuer[0]:
            return "NUMBER_MISMATCH", None, data, signature
        problem = licence_number_problem(licence_number, document.type_code, document.issuer_code)
        if problem is not None:
            return problem, None, data, signature
        if holder_id is None or document.holder_id_number.upper() != holder_id.upper():
            return "HOLDER_MISMATCH", None, data, signature
        return None, document, data, signature

    # --- the library's event feed (revocations) -------------------------------------------------

    async def sync_feed(self) -> int:
        """Apply the library's events after our position; returns how many were read. Pending
        imports that lost their job (e.g. rows older than this feature) are enqueued again."""
        read = 0
        while True:
            async with self._pool.acquire() as conn:
                position = await repo.feed_position(conn)
            page = await self._library.events(position, PAGE)
            async with self._pool.acquire() as conn, conn.transaction():
                if await repo.feed_position(conn, lock=True) != position:
                    return read  # another run moved on meanwhile
                for event in page.events:
                    row = await repo.by_number(conn, event.licence_number)
                    if row is None:
                        continue  # not one of our citizens' (or not reached us yet)
                    # A pending licence takes the library's status when it is imported.
                    if event.type == "revoked" and row["status"] == "valid":
                        await repo.update(
                            conn, event.licence_number, status="revoked",
                            revoked_at=event.occurred_at, revocation_reason=event.reason,
                        )  # fmt: skip
                        await notify(
                            conn, row["citizen_id"], "licence.revoked",
                            {"name": row["name"], "reason": event.reason or ""},
                            dedupe_key=f"licence-revoked:{event.licence_number}",
                            link=f"/pages/licence/index?id={row['id']}",
                        )  # fmt: skip
                await repo.set_feed_position(conn, max(position, page.next))
                if not page.has_more:
                    for number in await repo.pending_numbers(conn):
                        await jobs.enqueue(
                            conn, IMPORT_JOB, LicenceJob(number), dedupe_key=f"import:{number}"
                        )
            read += len(page.events)
            if not page.has_more:
                return read

    # --- 亮证 -------------------------------------------------------------------------------------

    def _key(self) -> sm2.Sm2KeyPair:
        if self.display_key is None:
            raise errors.DisplayUnavailable()
        return self.display_key

    def published_key(self) -> DisplayKey:
        key = self._key()
        return DisplayKey(
            key_id=key.key_id, algorithm="SM2-SM3", signer_id=sm2.SIGNER_ID.decode(),
            public_key=key.public_key_hex, public_key_pem=sm2.public_key_pem(key.public_key),
            code_format="HL1.<base64url(JSON)>.<base64url(r||s)>: SM2-SM3 signature of the "
            "ASCII text before the second dot",
        )  # fmt: skip

    async def show(self, principal: CitizenPrincipal, licence_id: uuid.UUID) -> DisplayCode:
        """A fresh display code. Its QR symbol is drawn by ``qr`` at ``qrUrl``, so that this
        request holds a database connection for two short statements only: the licence read
        and the display row (one INSERT, committed on its own)."""
        key = self._key()
        async with self._pool.acquire() as conn:
            row = await repo.display_source(conn, licence_id, principal.citizen_id)
            if row is None:
                raise errors.LicenceNotFound()  # also another citizen's: no oracle
            status = effective_status(row, self._today())
            if status != "valid":
                raise errors.LicenceNotDisplayable(status=status)
            now = int(time.time())
            expires = now + self._settings.display_ttl_s
            display_id = uuid.uuid4()
            holder = mask_name(self._pii.decrypt(row["holder_name_enc"], field=HOLDER_NAME))
            payload = display.DisplayPayload(
                v=1, k=key.key_id, d=display.display_id_text(display_id), t=row["type_code"],
                h=holder, f=row["valid_from"].isoformat() if row["valid_from"] else None,
                u=row["valid_until"].isoformat() if row["valid_until"] else None, s=status,
                i=now, e=expires,
            )  # fmt: skip
            code = display.encode(key, payload)
            await repo.add_display(
                conn, display_id, row["id"], principal.citizen_id,
                datetime.fromtimestamp(now, UTC), datetime.fromtimestamp(expires, UTC),
                display.digest(code),
            )  # fmt: skip
        base = self._settings.verify_base_url
        return DisplayCode(
            code=code, expires_at=datetime.fromtimestamp(expires, UTC),
            verify_url=f"{base.rstrip('/')}#{code}" if base else None,
            qr_url=f"{QR_PATH}?{urlencode({'code': code})}",
        )  # fmt: skip

    def _decode(self, code: str) -> display.DisplayPayload:
        key = self._key()
        if self._verifier is None or self._verifier.public_key != key.public_key:
            self._verifier = sm2.Sm2Verifier(key.public_key)
        try:
            return display.decode({key.key_id: self._verifier}, code)
        except display.CodeInvalid as exc:
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

    def qr(self, code: str) -> tuple[str, int]:
        """The QR symbol (SVG) of a display code whose signature verifies and that has not
        expired, and how many whole seconds it has left (for ``Cache-Control: max-age``)."""
        payload = self._decode(code)
        left = payload.e - time.time()
        if left < 0:
            raise errors.DisplayCodeExpired()
        return display.qr_svg(code.strip()), int(left)

    async def verify(
        self, code: str, verifier: str | None, ip: str | None, locale: str
    ) -> VerificationResult:
        """Online verification. Every attempt with a code we signed is recorded (an expired one
        too, before the 410); the row is one INSERT, committed on its own."""
        try:
            payload = display.parse(code).payload
        except display.CodeInvalid as exc:
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
                hmac.compare_digest(row["code_digest"], display.digest(code))
                if row["code_digest"] is not None
                else self._decode(code) == payload
            ):
                await self._refused(ip)
                raise errors.DisplayCodeInvalid()
            status = effective_status(row, self._today())
            outcome = (
                "code_expired" if expired
                else "valid" if status == "valid"
                else f"licence_{status}" if status in ("revoked", "expired", "invalid")
                else "licence_invalid"
            )  # fmt: skip
            await repo.add_verification(
                conn, display_id=payload.display_id, licence_id=row["id"],
                citizen_id=row["citizen_id"], outcome=outcome, verifier=verifier,
                verifier_ip=ip, at=now,
            )  # fmt: skip
        if expired:
            raise errors.DisplayCodeExpired()  # the attempt is the holder's business: recorded
        return VerificationResult(
            valid=outcome == "valid", outcome=outcome,
            licence=VerifiedLicence(
                type_code=row["type_code"], type_name=row["name"], holder_name=payload.h,
                issuer_name=row["issuer_name"], valid_from=row["valid_from"],
                valid_until=row["valid_until"], status=status,  # type: ignore[arg-type]
                status_text=_status_text(status, locale),
            ),
            verified_at=now, code_expires_at=datetime.fromtimestamp(payload.e, UTC),
        )  # fmt: skip

    async def verifications(
        self, principal: CitizenPrincipal, licence_id: uuid.UUID
    ) -> list[VerificationEntry]:
        async with self._pool.acquire() as conn:
            await self._owned(conn, principal, licence_id)
            rows = await repo.verifications(conn, licence_id, principal.citizen_id)
        return [
            VerificationEntry(
                id=str(r["id"]),
                verified_at=r["verified_at"],
                outcome=r["outcome"],
                verifier=r["verifier"],
            )
            for r in rows
        ]

    # --- consents and uses --------------------------------------------------------------------

    async def consents(self, principal: CitizenPrincipal) -> list[ConsentEntry]:
        async with self._pool.acquire() as conn:
            return await self._consents_on(conn, principal)

    async def grant(
        self, conn: Connection, principal: CitizenPrincipal, licence_id: uuid.UUID,
        client_id: str, purpose: str, days: int,
    ) -> ConsentEntry:  # fmt: skip
        row = await self._owned(conn, principal, licence_id)
        if (status := effective_status(row, self._today())) != "valid":
            raise errors.LicenceNotDisplayable(status=status)
        app = await identity_repo.get_department_app(conn, client_id)
        if app is None or not app.active:
            raise errors.DepartmentAppUnknown()
        consent_id = await repo.add_consent(
            conn, citizen_id=principal.citizen_id, licence_id=licence_id,
            grantee_kind="department_app", grantee_id=client_id, grantee_name=app.name,
            purpose=purpose, pairwise_sub=self._pairwise_sub(principal.citizen_id, client_id),
            expires_at=datetime.now(UTC) + timedelta(days=days),
        )  # fmt: skip
        return next(c for c in await self._consents_on(conn, principal) if c.id == str(consent_id))

    async def _consents_on(
        self, conn: Connection, principal: CitizenPrincipal
    ) -> list[ConsentEntry]:
        rows = await repo.consents(conn, principal.citizen_id)
        now = datetime.now(UTC)
        return [
            ConsentEntry(
                id=str(r["id"]),
                licence_id=str(r["licence_id"]),
                licence_name=r["licence_name"],
                licence_number=r["licence_number"],
                grantee=Grantee(kind=r["grantee_kind"], id=r["grantee_id"], name=r["grantee_name"]),
                purpose=r["purpose"],
                granted_at=r["granted_at"],
                expires_at=r["expires_at"],
                revoked_at=r["revoked_at"],
                active=r["revoked_at"] is None
                and (r["expires_at"] is None or r["expires_at"] > now),
            )
            for r in rows
        ]

    async def revoke(
        self, conn: Connection, principal: CitizenPrincipal, consent_id: uuid.UUID
    ) -> None:
        if not await repo.revoke_consent(conn, consent_id, principal.citizen_id):
            raise errors.ConsentNotFound()

    async def uses(self, principal: CitizenPrincipal) -> list[UseEntry]:
        async with self._pool.acquire() as conn:
            rows = await repo.uses(conn, principal.citizen_id)
        return [
            UseEntry(
                id=str(r["id"]),
                licence_id=str(r["licence_id"]),
                licence_name=r["licence_name"],
                licence_number=r["licence_number"],
                user=Grantee(kind=r["grantee_kind"], id=r["grantee_id"], name=r["grantee_name"]),
                purpose=r["purpose"],
                consent_id=str(r["consent_id"]),
                used_at=r["used_at"],
            )
            for r in rows
        ]

    def _pairwise_sub(self, citizen_id: uuid.UUID, client_id: str) -> str:
        return pairwise_sub(self._pii, citizen_id, client_id)

    # --- department apps (trust transfer) -----------------------------------------------------------

    async def for_department(
        self, conn: Connection, token: str | None, ip: str | None
    ) -> list[DepartmentLicence]:
        """The licences the citizen behind an exchanged token consented to this app using;
        each one returned is a use, logged for the holder."""
        if not token:
            raise errors.DepartmentTokenInvalid()
        try:
            audience = jwt.decode(token, options={"verify_signature": False}).get("aud")
            if not isinstance(audience, str):
                raise errors.DepartmentTokenInvalid()
            claims = self._signing.verify(token, issuer=self._auth.issuer, audience=audience)
        except (jwt.InvalidTokenError, SigningTokenInvalid) as exc:
            raise errors.DepartmentTokenInvalid() from exc
        app = await identity_repo.get_department_app(conn, audience)
        if app is None or not app.active or claims.get("typ") == "citizen":
            raise errors.DepartmentTokenInvalid()
        result = []
        for r in await repo.department_consents(conn, audience, str(claims.get("sub"))):
            status = effective_status(r, self._today())
            if status != "valid" or r["signed_data_enc"] is None:
                continue
            await repo.add_use(
                conn, consent_id=r["id"], citizen_id=r["citizen_id"], licence_id=r["licence_id"],
                purpose=r["purpose"],
            )  # fmt: skip
            await audit.append(
                conn, actor_type="department_app", actor_id=audience, action="licence.used",
                target_type="licence", target_id=str(r["licence_id"]),
                details={"consent": str(r["id"])}, ip=ip,
            )  # fmt: skip
            data = self._pii.decrypt(r["signed_data_enc"], field=SIGNED_DATA).encode("utf-8")
            result.append(
                DepartmentLicence(
                    consent_id=str(r["id"]),
                    licence_number=r["licence_number"],
                    type_code=r["type_code"],
                    name=r["licence_name"],
                    issuer_code=r["issuer_code"],
                    issuer_name=r["issuer_name"],
                    valid_from=r["valid_from"],
                    valid_until=r["valid_until"],
                    status=status,  # type: ignore[arg-type]
                    signed_data=base64.b64encode(data).decode(),
                    signature=base64.b64encode(r["signature"]).decode(),
                    key_id=r["key_id"],
                )
            )
        return result

    # --- for declarations ---
    # A declaration's materials may be e-licences of the wallet; their use is consented and logged.

    async def usable_for_declaration(
        self, conn: Connection, citizen_id: uuid.UUID, licence_number: str | None = None
    ) -> list[DeclarationLicence]:
        """The licences that may satisfy a material (or the one numbered ``licence_number``)."""
        return await repo.usable_for_declaration(conn, citizen_id, licence_number)

    async def types_for_declaration(
        self, conn: Connection, licence_numbers: list[str]
    ) -> dict[str, str]:
        """Each licence's type, as a case submitted to the platform names it."""
        return await repo.types_of(conn, licence_numbers) if licence_numbers else {}

    async def consent_for_declaration_material(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        licence_number: str,
        declaration_id: uuid.UUID,
        item_name: str,
    ) -> None:
        await consent_for_declaration(conn, citizen_id, licence_number, declaration_id, item_name)

    async def use_for_declaration_submission(
        self,
        conn: Connection,
        citizen_id: uuid.UUID,
        licence_numbers: list[str],
        declaration_id: uuid.UUID,
    ) -> None:
        """``use_for_declaration`` for all the licences of a submission at once: each needs an
        active consent and is still valid (else the error, and the caller's transaction rolls
        back the uses logged with it)."""
        if not licence_numbers:
            return
        found = {
            u.licence_number: u
            for u in await repo.use_for_declaration(
                conn, citizen_id, licence_numbers, str(declaration_id)
            )
        }
        on = today()
        for number in licence_numbers:
            use = found.get(number)
            if use is None or use.consent_id is None:
                raise errors.ConsentRequired(licenceNumber=number)
            status = use.status
            if status == "valid" and use.valid_until is not None and use.valid_until < on:
                status = "expired"
            if status not in ("valid", "pending"):
                raise errors.LicenceNoLongerValid(licenceNumber=number, status=status)

    async def record_issued_by_declaration(
        self,
        conn: Connection,
        *,
        citizen_id: uuid.UUID,
        licence_number: str,
        type_code: str,
        name: str,
        issued_at: datetime,
        declaration_id: uuid.UUID,
    ) -> None:
        await record_issued(
            conn,
            citizen_id=citizen_id,
            licence_number=licence_number,
            type_code=type_code,
            name=name,
            issued_at=issued_at,
            declaration_id=declaration_id,
        )


def pairwise_sub(pii: PiiCipher, citizen_id: uuid.UUID, client_id: str) -> str:
    # The same pairwise subject the token exchange gives this app (api.identity.service).
    return pii.lookup_hash(str(citizen_id), field=f"pairwise:{client_id}").hex()


async def absorb_citizen(
    conn: Connection, source: uuid.UUID, target: uuid.UUID, *, pii: PiiCipher
) -> dict[str, int]:
    """One person, one account: ``source``'s wallet, display codes, verifications, consents
    and uses become ``target``'s (called by api.identity when it joins a person's accounts).
    A department app knows the citizen by a pairwise subject, so its consents are re-keyed to
    the subject it will now see."""
    return await repo.absorb_citizen(
        conn, source, target,
        lambda client_id: pairwise_sub(pii, target, client_id),
    )  # fmt: skip
