"""The e-licence wallet's use cases, one module each, joined in ``LicencesService``:

- ``wallet``: the holder's list, one licence, its file; ``record_issued`` for declarations;
- ``importing``: the import job (fetch, verify the issuer's seal, store) and the event feed;
- ``display``: 亮证 display codes, their QR symbol, online verification;
- ``consents``: consents and uses (declarations, department apps by trust transfer);
- ``for_declarations``: the licences a declaration may use, their types, their use at submit.

The pure rules they use sit beside the service: ``api.licences.display_codes`` (the signed
code's format) and ``api.licences.identifiers`` (licence-number check characters).
"""

from __future__ import annotations

import uuid

from api.licences import repository as repo
from api.licences.service._base import effective_status, pairwise_sub, today
from api.licences.service.consents import ConsentCases
from api.licences.service.display import QR_PATH, DisplayCases
from api.licences.service.for_declarations import DeclarationCases
from api.licences.service.importing import ImportCases, LicenceDocument
from api.licences.service.wallet import WalletCases
from core.db import Connection
from core.pii import PiiCipher


class LicencesService(WalletCases, ImportCases, DisplayCases, ConsentCases, DeclarationCases):
    """The wallet of a process (built by ``api.licences.deps``)."""


async def absorb_citizen(
    conn: Connection, source: uuid.UUID, target: uuid.UUID, *, pii: PiiCipher
) -> dict[str, int]:
    """One person, one account: ``source``'s wallet, display codes, verifications, consents
    and uses become ``target``'s (called by api.identity when it joins a person's accounts).
    A department app knows the citizen by a pairwise subject, so its consents are re-keyed to
    the subject it will now see."""
    return await repo.absorb_citizen(
        conn, source, target, lambda client_id: pairwise_sub(pii, target, client_id)
    )


__all__ = [
    "QR_PATH",
    "LicenceDocument",
    "LicencesService",
    "absorb_citizen",
    "effective_status",
    "pairwise_sub",
    "today",
]
