from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class DeclarationNotFound(NotFound, code="DECLARATION_NOT_FOUND"): ...


class MaterialNotFound(NotFound, code="MATERIAL_NOT_FOUND"): ...


class ItemNotAccepting(Conflict, code="ITEM_NOT_ACCEPTING"): ...


class InvalidState(Conflict, code="DECLARATION_STATE_CONFLICT"): ...


# A well-formed request the item's rules refuse is a 400 with its code (or a 409 for the
# declaration's state): 422 is kept for a body that is not what the OpenAPI says.
class FormInvalid(DomainError, code="FORM_INVALID"): ...


class MaterialsMissing(Conflict, code="MATERIALS_MISSING"): ...


class UnknownMaterial(DomainError, code="UNKNOWN_MATERIAL"): ...


class LicenceNotUsable(DomainError, code="LICENCE_NOT_USABLE"): ...


class MaterialNotUsable(DomainError, code="MATERIAL_NOT_USABLE"):
    """The library material named in the body is not one of the citizen's (the declaration and
    its material, the target of the request, exist: not a 404)."""


class RealNameRequired(DomainError, status=403, code="REAL_NAME_REQUIRED"): ...


class CallbackRejected(DomainError, status=401, code="CALLBACK_SIGNATURE_INVALID"): ...
