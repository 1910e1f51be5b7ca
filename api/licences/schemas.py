"""Wire contracts of the e-licence wallet (camelCase; requests reject unknown fields)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

LicenceStatus = Literal["pending", "valid", "expired", "revoked", "invalid"]


class _In(msgspec.Struct, rename="camel", kw_only=True, forbid_unknown_fields=True):
    pass


class _Out(msgspec.Struct, rename="camel", kw_only=True):
    pass


class LicenceSummary(_Out, kw_only=True):
    """A wallet entry. ``status`` is what the holder must see first: ``pending`` (being
    verified), ``valid``, ``expired``, ``revoked`` or ``invalid`` (``problem`` says why);
    ``statusText`` is its Chinese label. Only ``valid`` licences can be shown or used."""

    id: str
    licence_number: str
    type_code: str
    name: str
    holder_name: str | None = None  # masked
    issuer_code: str | None = None
    issuer_name: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None  # null: long-term (or not yet verified)
    issued_at: datetime
    status: LicenceStatus
    status_text: str
    problem: str | None = None
    problem_text: str | None = None
    usable: bool = False
    has_file: bool = False


class LicenceDetail(LicenceSummary, kw_only=True):
    revoked_at: datetime | None = None
    revocation_reason: str | None = None
    signature_algorithm: str = "SM2-SM3"
    signature_verified: bool = False
    key_id: str | None = None
    file_type: str | None = None
    declaration_id: str | None = None
    imported_at: datetime | None = None


class DisplayCode(_Out, kw_only=True):
    """``qrUrl`` (relative to the API's origin) draws the code's QR symbol as SVG, without a
    login, until ``expiresAt``."""

    code: str
    expires_at: datetime
    verify_url: str | None = None
    qr_url: str


class DisplayKey(_Out, kw_only=True):
    key_id: str
    algorithm: str
    signer_id: str
    public_key: str  # hex 04 || x || y
    public_key_pem: str
    code_format: str


class VerifyRequest(_In, kw_only=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]
    # Who is checking, as the verifier describes itself (shown to the holder).
    verifier: Annotated[str, msgspec.Meta(max_length=50)] | None = None


class VerifiedLicence(_Out, kw_only=True):
    """The minimum a verifier needs: no number, no ID number, a masked name."""

    type_code: str
    type_name: str
    holder_name: str
    issuer_name: str | None
    valid_from: date | None
    valid_until: date | None
    status: LicenceStatus
    status_text: str


class VerificationResult(_Out, kw_only=True):
    valid: bool
    outcome: str
    licence: VerifiedLicence
    verified_at: datetime
    code_expires_at: datetime


class VerificationEntry(_Out, kw_only=True):
    id: str
    verified_at: datetime
    outcome: str
    verifier: str | None = None


class Grantee(_Out, kw_only=True):
    kind: Literal["declaration", "department_app"]
    id: str
    name: str


class ConsentEntry(_Out, kw_only=True):
    id: str
    licence_id: str
    licence_name: str
    licence_number: str
    grantee: Grantee
    purpose: str
    granted_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    active: bool


class GrantConsent(_In, kw_only=True):
    licence_id: str
    client_id: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    purpose: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    days: Annotated[int, msgspec.Meta(ge=1, le=365)] = 30


class UseEntry(_Out, kw_only=True):
    id: str
    licence_id: str
    licence_name: str
    licence_number: str
    user: Grantee
    purpose: str
    consent_id: str
    used_at: datetime


class DepartmentLicence(_Out, kw_only=True):
    """What a department app receives under a consent: the issuer's signed document (base64)
    and its DER SM2-SM3 signature, so that it can check the seal itself."""

    consent_id: str
    licence_number: str
    type_code: str
    name: str
    issuer_code: str | None
    issuer_name: str | None
    valid_from: date | None
    valid_until: date | None
    status: LicenceStatus
    signed_data: str
    signature: str
    key_id: str | None


# --- for declarations ---


class DeclarationLicence(msgspec.Struct, frozen=True, kw_only=True):
    """A usable licence of the wallet, as a declaration offers it for a material."""

    licence_number: str
    type_code: str
    name: str
    issued_at: datetime
