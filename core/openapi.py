"""OpenAPI pieces shared by every controller, and what makes the published contract true.

Three things are derived here once for every route rather than written by hand per handler:

- ``StructSchemaPlugin``: a msgspec Struct is published as msgspec validates it:
  ``additionalProperties: false`` with ``forbid_unknown_fields``, every ``Meta`` constraint.
- ``strict_json_body``: a JSON body is validated as its schema says (msgspec's strict mode:
  ``0`` is not ``false``, ``"5"`` is not ``5``); Litestar converts bodies in lax mode.
- ``document_operations(app)``: every status an operation can answer is in its responses, as
  problem details with the stable codes of that status: 400 for any parameter or body (bad
  syntax, a NUL byte, an unparsable value), 404 for any path parameter, 422 for a body, 401/403
  and the security requirement from the principal the handler depends on (citizen, optional
  citizen or staff) and its ``opt`` (assurance level, staff roles).
- links: a handler names, in its ``opt["links"]``, the operations its success answer leads to
  (``link(...)``: create a draft, then read it, save its form...). Clients, and the schema
  fuzzer's stateful phase, follow them to real resources.
- ``complete_allow_header``: Litestar 2's automatic ``OPTIONS`` answer lists only the methods of
  the first handler registered on a path (litestar-org/litestar#4169, fixed in v3); this
  ``before_send`` hook answers the methods of the whole path.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    Link,
    OpenAPIResponse,
    Operation,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.params import HeaderParameter
from litestar.plugins import OpenAPISchemaPlugin
from litestar.routes import HTTPRoute

from core.errors import _STATUS_CODES, PROBLEM_MEDIA_TYPE, DomainError

if TYPE_CHECKING:
    from litestar import Litestar, Request
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


# JSON Schema keywords msgspec publishes for a ``Meta`` constraint, and Litestar's names for them.
_CONSTRAINTS = {
    "minLength": "min_length",
    "maxLength": "max_length",
    "pattern": "pattern",
    "minimum": "minimum",
    "maximum": "maximum",
    "exclusiveMinimum": "exclusive_minimum",
    "exclusiveMaximum": "exclusive_maximum",
    "multipleOf": "multiple_of",
    "minItems": "min_items",
    "maxItems": "max_items",
    "minProperties": "min_properties",
    "maxProperties": "max_properties",
}


def _complete(schema: Any, truth: Mapping[str, Any], definitions: Mapping[str, Any]) -> None:
    """Copy onto Litestar's schema the constraints msgspec's own schema of the same type has
    and Litestar lost (those inside list items, dict values and optional fields)."""
    if not isinstance(schema, Schema):
        return  # a $ref: that component is completed on its own
    while "$ref" in truth:
        truth = definitions[truth["$ref"].rsplit("/", 1)[-1]]
    for keyword, attribute in _CONSTRAINTS.items():
        if keyword in truth and getattr(schema, attribute) is None:
            setattr(schema, attribute, truth[keyword])
    for name, sub in (schema.properties or {}).items():
        if name in truth.get("properties", {}):
            _complete(sub, truth["properties"][name], definitions)
    if isinstance(truth.get("items"), dict):
        _complete(schema.items, truth["items"], definitions)
    if isinstance(truth.get("additionalProperties"), dict):
        _complete(schema.additional_properties, truth["additionalProperties"], definitions)
    members = [m for m in schema.one_of or schema.any_of or [] if not _is_null(m)]
    options = [o for o in truth.get("anyOf", []) if o.get("type") != "null"]
    if len(members) == 1 and len(options) == 1:
        _complete(members[0], options[0], definitions)


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Schema) and schema.type == "null"


class StructSchemaPlugin(OpenAPISchemaPlugin):
    """msgspec Structs as msgspec validates them.

    It runs before Litestar's own Struct plugin and lets that plugin build the schema, then:
    a Struct that refuses unknown fields gets ``additionalProperties: false`` (the server
    answers 422 to an extra field), and every constraint of a ``msgspec.Meta`` that Litestar
    drops (in list items, dict values, optional fields) is taken from msgspec's own JSON
    Schema of the type. One rule for every request and response Struct, none by hand."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        annotation = field_definition.annotation
        return (
            not field_definition.is_union
            and isinstance(annotation, type)
            and issubclass(annotation, msgspec.Struct)
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
        struct: type[msgspec.Struct] = field_definition.annotation
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        try:
            (top,), definitions = msgspec.json.schema_components([struct])
        except (TypeError, ValueError):  # a type msgspec cannot describe: Litestar's stands
            return schema
        _complete(schema, top, definitions)
        return schema


# Security schemes: citizens carry an ES256 access JWT, staff an opaque session token.
CITIZEN_SCHEME = "citizenBearer"
STAFF_SCHEME = "staffSession"
SECURITY_COMPONENTS = Components(
    security_schemes={
        CITIZEN_SCHEME: SecurityScheme(
            type="http",
            scheme="bearer",
            bearer_format="JWT",
            description="A citizen's access token (`/api/v1/auth/...` logins, `/auth/refresh`)",
        ),
        STAFF_SCHEME: SecurityScheme(
            type="http",
            scheme="bearer",
            description="A staff session token (`/ops/v1/auth/login` then `/ops/v1/auth/totp`)",
        ),
    }
)

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


def link(
    method: str,
    path: str,
    *,
    parameters: Mapping[str, str] | None = None,
    body: Any = None,
    description: str | None = None,
) -> Link:
    """An OpenAPI link to the operation ``method path``; values are runtime expressions such as
    ``$response.body#/id``."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return Link(
        operation_ref=f"#/paths/{pointer}/{method.lower()}",
        parameters=dict(parameters) if parameters else None,
        request_body=body,
        description=description,
    )


def _linked(links: Mapping[str, Link]) -> type[Operation]:
    @dataclass
    class LinkedOperation(Operation):
        def __post_init__(self) -> None:
            for status, response in (self.responses or {}).items():
                if status.startswith("2") and isinstance(response, OpenAPIResponse):
                    response.links = dict(links)

    return LinkedOperation


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
            if decoder := _strict_decoder(handler):
                handler.opt[_STRICT_BODY] = decoder
            if links := handler.opt.get("links"):
                handler.operation_class = _linked(links)
            if security is not None and handler.security is None:
                handler.security = security


_STRICT_BODY = "strict_json_body"


def _strict_decoder(handler: HTTPRouteHandler) -> msgspec.json.Decoder[Any] | None:
    data = handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return None
    media_type = getattr(data.kwarg_definition, "media_type", RequestEncodingType.JSON)
    if media_type != RequestEncodingType.JSON:
        return None
    try:
        return msgspec.json.Decoder(data.annotation, strict=True)
    except TypeError:  # not a type msgspec decodes: Litestar's conversion stands
        return None


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    """``before_request``: a JSON body is decoded as its schema says before Litestar converts it
    in lax mode (which takes ``0`` for ``false`` and ``"5"`` for ``5``); a body that is not JSON
    at all is left to Litestar's own answer."""
    decoder = request.route_handler.opt.get(_STRICT_BODY)
    if decoder is None:
        return
    body = await request.body()
    if not body:
        return
    try:
        decoder.decode(body)
        return
    except msgspec.ValidationError as exc:  # (a DecodeError too: caught first)
        error = exc
    except msgspec.DecodeError:
        return
    try:
        value = msgspec.json.decode(body)
    except msgspec.DecodeError:
        return
    # JSON Schema's integer is a number without a fraction: 3.0 is one, msgspec's strict mode
    # refuses it. Such numbers become ints and the body is checked again.
    try:
        msgspec.convert(_integral(value), decoder.type, strict=True)
    except msgspec.ValidationError:
        raise ValidationException(
            detail=f"Validation failed for {request.method} {request.url.path}",
            extra=[{"message": str(error), "key": "data", "source": "body"}],
        ) from error


def _integral(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    return value


async def complete_allow_header(message: Message, scope: Scope) -> None:
    """``before_send``: the ``Allow`` of an automatic ``OPTIONS`` answer lists every method of
    the path, whichever handler serves it (see the module's docstring). A coroutine function:
    Litestar runs a plain function hook in its thread pool, i.e. two thread hops (start and
    body) on every response of every route."""
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
