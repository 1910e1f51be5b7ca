"""Errors of 一件事 bundles: a stable code each, the citizen's text in ``core.i18n``."""

from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class BundleNotFound(NotFound, code="BUNDLE_NOT_FOUND"):
    """Also for another citizen's bundle: no oracle."""


class NotABundle(NotFound, code="NOT_A_BUNDLE"):
    """The item is unknown or is not a 一件事 bundle."""


class AnswerInvalid(DomainError, code="BUNDLE_ANSWER_INVALID"):
    """A situation answer names no question of the bundle, or no option of its question."""


class MemberUnknown(DomainError, code="BUNDLE_MEMBER_UNKNOWN"):
    """A member ticked (按需勾选) that the bundle does not list, or none at all."""


class BundleFormInvalid(DomainError, code="BUNDLE_FORM_INVALID"): ...


class BundleMaterialUnknown(NotFound, code="BUNDLE_MATERIAL_UNKNOWN"): ...


class BundleMaterialsMissing(Conflict, code="BUNDLE_MATERIALS_MISSING"): ...


class BundleState(Conflict, code="BUNDLE_STATE_CONFLICT"):
    """Only a draft bundle is edited or submitted."""


class BundleLicenceNotUsable(DomainError, code="BUNDLE_LICENCE_NOT_USABLE"):
    """The licence is not the citizen's valid one, or no member accepts its type."""
