"""Licences into the wallet: the import job (fetch, verify, store) and the library's event feed.

A licence reaches the wallet when a case completes: declarations call ``record_issued`` in
the transaction that applies the completion, which stores the number as ``pending`` and
enqueues the import job. The job fetches the signed document from the platform's licence
library, checks it (SM2-SM3 seal of the issuer, GB/T 36904 check character, GB 32100 issuer
code, the holder is this citizen) and stores it, with its file, as ``valid``/``revoked`` or
``invalid``. Revocations come from the library's event feed, polled by a scheduled job.

Both are jobs that call the library between statements: they hold a connection only around
their own reads and writes (from the pool), never across a call to the library.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import msgspec

from api.licences import repository as repo
from api.licences.identifiers import licence_number_problem
from api.licences.service._base import HOLDER_NAME, SIGNED_DATA, LicencesBase, log
from api.licences.tasks import IMPORT_JOB, LicenceJob
from core import jobs, sm2
from core.clients.provincial import LibraryLicence, LicenceNotInLibrary

PAGE = 100


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


class ImportCases(LicencesBase):
    async def import_licence(self, licence_number: str) -> None:
        async with self._pool.acquire() as conn:
            row = await repo.by_number(conn, licence_number)
            if row is None or row.status != "pending":
                return
            holder_id = await self._identity.id_number_of(conn, row.citizen_id)
        try:
            stored = await self._library.licence(licence_number)
        except LicenceNotInLibrary:
            await self._invalid(licence_number, "NOT_IN_LIBRARY")
            return
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
        file_key = f"licences/{row.citizen_id}/{row.id}.{kind}"

        async def chunks() -> AsyncIterator[bytes]:
            yield content

        await self.storage.put_stream(file_key, chunks())
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.update(
                conn,
                licence_number,
                status="revoked" if stored.status == "revoked" else "valid",
                problem=None,
                type_code=document.type_code,
                name=document.type_name,
                holder_name_enc=self._pii.encrypt(document.holder_name, field=HOLDER_NAME),
                holder_id_hash=self._identity.id_number_hash(document.holder_id_number),
                issuer_code=document.issuer_code,
                issuer_name=document.issuer_name,
                valid_from=document.valid_from,
                valid_until=document.valid_until,
                revoked_at=stored.revoked_at,
                revocation_reason=stored.revocation_reason,
                signed_data_enc=self._pii.encrypt(data.decode("utf-8"), field=SIGNED_DATA),
                signature=signature,
                key_id=stored.key_id,
                file_key=file_key,
                file_type=kind,
                imported_at=datetime.now(UTC),
            )

    async def _invalid(self, licence_number: str, problem: str) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await repo.update(
                conn,
                licence_number,
                status="invalid",
                problem=problem,
                imported_at=datetime.now(UTC),
            )

    async def _issuer_key(self, key_id: str) -> tuple[str, bytes] | None:
        if key_id not in self._issuer_keys:
            for key in (await self._library.issuer_keys()).keys:
                if key.algorithm == "SM2-SM3":
                    try:
                        self._issuer_keys[key.key_id] = (
                            key.issuer_code,
                            sm2.public_key_from_hex(key.public_key),
                        )
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
                    if event.type == "revoked" and row.status == "valid":
                        await repo.update(
                            conn,
                            event.licence_number,
                            status="revoked",
                            revoked_at=event.occurred_at,
                            revocation_reason=event.reason,
                        )
                        # Before the commit: no process serves a cached QR symbol of its
                        # codes once the revocation is visible (a rollback only costs a
                        # database check per symbol until the entry expires).
                        if self._display_revocations is not None:
                            await self._display_revocations.revoke([str(row.id)])
                        await self._push.notify(
                            conn,
                            row.citizen_id,
                            "licence.revoked",
                            {"name": row.name, "reason": event.reason or ""},
                            dedupe_key=f"licence-revoked:{event.licence_number}",
                            link=f"/pages/licence/index?id={row.id}",
                        )
                await repo.set_feed_position(conn, max(position, page.next))
                if not page.has_more:
                    for number in await repo.pending_numbers(conn):
                        await jobs.enqueue(
                            conn, IMPORT_JOB, LicenceJob(number), dedupe_key=f"import:{number}"
                        )
            read += len(page.events)
            if not page.has_more:
                return read
