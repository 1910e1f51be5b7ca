from __future__ import annotations

from core.errors import Conflict, DomainError, NotFound


class DeclarationNotFound(NotFound):
    code = "DECLARATION_NOT_FOUND"


class MaterialNotFound(NotFound):
    code = "MATERIAL_NOT_FOUND"


class ItemNotAccepting(Conflict):
    code = "ITEM_NOT_ACCEPTING"


class InvalidState(Conflict):
    code = "DECLARATION_STATE_CONFLICT"


class FormInvalid(DomainError):
    status_code = 422
    code = "FORM_INVALID"


class MaterialsMissing(DomainError):
    status_code = 422
    code = "MATERIALS_MISSING"


class UnknownMaterial(DomainError):
    code = "UNKNOWN_MATERIAL"


class LicenceNotUsable(DomainError):
    code = "LICENCE_NOT_USABLE"


class RealNameRequired(DomainError):
    status_code = 403
    code = "REAL_NAME_REQUIRED"


class CallbackRejected(DomainError):
    status_code = 401
    code = "CALLBACK_SIGNATURE_INVALID"
