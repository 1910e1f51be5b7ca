"""OpenAPI pieces shared by every controller, and what makes the published contract true.

Three things are derived here once for every route rather than written by hand per handler:

- ``StrictStructSchemaPlugin``: a msgspec Struct with ``forbid_unknown_fields`` is published with
  ``additionalProperties: false`` (the server answers 422 to an extra field).
- ``document_operations(app)``: every status an operation can answer is in its responses, as
  problem details with the stable codes of that status: 400 for any parameter or body (bad
  syntax, a NUL byte, an unparsable value), 404 for any path parameter, 422 for a body, 401/403
  and the security requirement from the principal the handler depends on (citizen, optional
  citizen or staff) and its ``opt`` (assurance level, staff roles).
- ``complete_allow_header``: Litestar 2's automatic ``OPTIONS`` answer lists only the methods of
  the first handler registered on a path (litestar-org/litestar#4169, fixed in v3); this
  ``before_send`` hook answers the methods of the whole path.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, Schema, SecurityRequirement, SecurityScheme
from litestar.params import HeaderParameter
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute

from core.errors import _STATUS_CODES, PROBLEM_MEDIA_TYPE, DomainError

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar._openapi.schema_generation import SchemaCreator
    from litestar.di import Provide
    from litestar.types import Message, Scope
    from litestar.typing import FieldDefinition

# A client-chosen key that makes a POST safe to retry (submissions, payment orders).
IdempotencyKey = Annotated[
    str, HeaderParameter(name="Idempotency-Key", min_length=8, max_length=128)
]


class Problem(msgspec.Struct, kw_only=True):
    """RFC 9457 problem details, with our stable ``code`` and the request id.

    Extension members (``requiredLevel``, ``errcode``, ``errors``...) may come with a code."""

    type: str
    title: str
    status: int
    code: str
    instance: str | None = None
    detail: str | None = None
    request_id: str | None = msgspec.field(default=None, name="requestId")
    errors: list[dict[str, Any]] | None = None


_DESCRIPTIONS = {
    400: "Invalid parameters",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    410: "Gone",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid request body",
    423: "Locked",
    429: "Too many requests",
    503: "An outside system is unavailable",
}

# Codes answered by the error handlers themselves rather than by a domain error.
_HANDLER_CODES: Mapping[int, tuple[str, ...]] = {
    400: ("INVALID_PARAMETER",),
    422: ("VALIDATION_FAILED",),
    503: ("SERVICE_UNAVAILABLE",),
}


def problem_responses(*statuses: int) -> dict[int, ResponseSpec]:
    """Statuses a handler answers beyond those derived for it (``document_operations`` adds
    their codes)."""
    return {status: _problem_spec(status) for status in statuses}


def _problem_spec(status: int, codes: Mapping[int, list[str]] | None = None) -> ResponseSpec:
    description = _DESCRIPTIONS.get(status, "Problem")
    if codes and codes.get(status):
        description += ". Codes: " + ", ".join(f"`{code}`" for code in codes[status])
    return ResponseSpec(
        data_container=Problem, description=description, media_type=PROBLEM_MEDIA_TYPE
    )


def _subclasses(cls: type[DomainError]) -> Iterator[type[DomainError]]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def problem_codes() -> dict[int, list[str]]:
    """Every stable code the API answers, by status: the domain errors' (every module that
    defines one is imported by then), the framework's and the error handlers' own."""
    codes: dict[int, set[str]] = {}
    for status, code in _STATUS_CODES.items():
        codes.setdefault(status, set()).add(code)
    for status, names in _HANDLER_CODES.items():
        codes.setdefault(status, set()).update(names)
    for error in _subclasses(DomainError):
        codes.setdefault(error.status_code, set()).add(error.code)
    return {status: sorted(names) for status, names in sorted(codes.items())}


class StrictStructSchemaPlugin(OpenAPISchemaPlugin):
    """A Struct that refuses unknown fields is published with ``additionalProperties: false``.

    It runs before Litestar's own Struct plugin, lets that plugin build the schema, then closes
    it: one rule for every request and response Struct, none written by hand."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        annotation = field_definition.annotation
        return (
            not field_definition.is_union
            and isinstance(annotation, type)
            and issubclass(annotation, msgspec.Struct)
            and annotation.__struct_config__.forbid_unknown_fields
        )

    def to_openapi_schema(
        self, field_definition: FieldDefinition, schema_creator: SchemaCreator
    ) -> Schema:
        builder = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self and schema_creator.plugin_supports_field(plugin, field_definition)
        )
        schema = builder.to_openapi_schema(field_definition, schema_creator)
        schema.additional_properties = False
        return schema


# Security schemes: citizens carry an ES256 access JWT, staff an opaque session token.
CITIZEN_SCHEME = "citizenBearer"
STAFF_SCHEME = "staffSession"
SECURITY_COMPONENTS = Components(
    security_schemes={
        CITIZEN_SCHEME: SecurityScheme(
            type="http", scheme="bearer", bearer_format="JWT",
            description="A citizen's access token (`/api/v1/auth/...` logins, `/auth/refresh`)",
        ),
        STAFF_SCHEME: SecurityScheme(
            type="http", scheme="bearer",
            description="A staff session token (`/ops/v1/auth/login` then `/ops/v1/auth/totp`)",
        ),
    }
)  # fmt: skip

# What authenticates a handler: the name of the dependency it asks for, mapped to one of these.
CITIZEN, OPTIONAL_CITIZEN, STAFF = "citizen", "optional citizen", "staff"

# Parameters Litestar fills from the connection itself, never from the caller's input.
_RESERVED = frozenset(
    {"request", "state", "scope", "headers", "cookies", "query", "socket", "body", "data"}
)


def _needs(handler: HTTPRouteHandler) -> set[str]:
    """Names of the handler's parameters and of every dependency they pull in, transitively."""
    dependencies: dict[str, Provide] = handler.resolve_dependencies()
    seen: set[str] = set()
    pending = list(handler.parsed_fn_signature.parameters)
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if provide := dependencies.get(name):
            pending.extend(inspect.signature(provide.dependency).parameters)
    return seen


def _derived_statuses(
    handler: HTTPRouteHandler, path_parameters: Mapping[str, Any], principals: Mapping[str, str]
) -> tuple[set[int], list[SecurityRequirement] | None]:
    needs = _needs(handler)
    dependencies = handler.resolve_dependencies()
    inputs = {
        name
        for name in handler.parsed_fn_signature.parameters
        if name not in dependencies and name not in _RESERVED
    } | set(handler.resolve_layered_parameters())
    statuses: set[int] = set()
    if inputs or path_parameters or "data" in needs:
        statuses.add(400)
    if path_parameters:
        statuses.add(404)
    if "data" in handler.parsed_fn_signature.parameters:
        statuses.add(422)
    security: list[SecurityRequirement] | None = None
    who = {principals[name] for name in needs if name in principals}
    if STAFF in who:
        statuses |= {401, 403}
        security = [{STAFF_SCHEME: []}]
    elif CITIZEN in who:
        statuses.add(401)
        if handler.opt.get("assurance_level"):
            statuses.add(403)
        security = [{CITIZEN_SCHEME: []}]
    elif OPTIONAL_CITIZEN in who:
        statuses.add(401)
        security = [{}, {CITIZEN_SCHEME: []}]
    return statuses, security


def document_operations(app: Litestar, principals: Mapping[str, str]) -> None:
    """Complete every operation's responses and security from what its handler depends on.

    ``principals`` maps the dependencies that authenticate to ``CITIZEN``, ``OPTIONAL_CITIZEN``
    or ``STAFF``. A status a handler documents with another body than a problem keeps it.
    """
    codes = problem_codes()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema():
                continue
            statuses, security = _derived_statuses(handler, route.path_parameters, principals)
            responses = dict(handler.responses or {})
            for status in statuses | {s for s in responses if s >= 400}:
                if status not in responses or responses[status].data_container is Problem:
                    responses[status] = _problem_spec(status, codes)
            handler.responses = responses
            if security is not None and handler.security is None:
                handler.security = security


def complete_allow_header(message: Message, scope: Scope) -> None:
    """``before_send``: the ``Allow`` of an automatic ``OPTIONS`` answer lists every method of
    the path, whichever handler serves it (see the module's docstring)."""
    if (
        message["type"] != "http.response.start"
        or scope.get("method") != "OPTIONS"
        or "path_template" not in scope
    ):
        return
    headers = MutableScopeHeaders.from_message(message)
    if "allow" not in headers:
        return
    template = scope["path_template"]
    methods = {
        method
        for route in scope["litestar_app"].routes
        if isinstance(route, HTTPRoute) and route.path_format == template
        for method in route.methods
    }
    if methods:
        headers["Allow"] = ", ".join(sorted(methods))
