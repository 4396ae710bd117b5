"""The OpenAPI schema is exact: every answer and every error an operation can give is in it.

Errors share one component, ``Error`` (``{"code", "detail", ...}``; validation errors add
``errors: [{field, code, detail}]``). Each operation's error responses narrow ``code`` to the
values that operation can answer with (an ``enum``), per status; an error answer two or more
operations give alike is written once under ``components/responses`` (``Unavailable503``,
``Throttled429``, ...) and referenced (``shared_error_responses``, a postprocessing hook). The
codes and their statuses come from the registry (core/exceptions.py).

Two ways codes get into the schema:

1. Automatically, by ``AutoSchema`` (the project's ``DEFAULT_SCHEMA_CLASS``), from what the view
   is made of, so a new endpoint is covered without doing anything:
   - 401 for every view with authentication classes (each class lists its codes in
     ``error_codes``) and ``not_authenticated`` when a permission refuses anonymous callers;
   - 403 from the permission classes (``error_codes``, or the table below for DRF's own) and
     ``csrf_failed`` for unsafe methods under session authentication;
   - 400 ``parse_error`` and every validation code of the request serializer (the fields'
     ``error_messages`` keys, the serializer's ``extra_error_codes``), 413 and 415 for
     operations with a request body;
   - 404 ``not_found`` for paths with parameters, 404 ``page_not_found`` for paginated lists (past
     the last page), and
     400 ``invalid_page`` for paginated lists (a malformed page, page_size or cursor);
   - 400 ``invalid_text`` (api/text.py), 406 ``not_acceptable``, 503 ``database_unavailable``
     (with ``Retry-After``) everywhere; 400 ``invalid_text`` and ``duplicate_key`` for bodies;
   - 429 ``throttled`` (with ``Retry-After`` and ``retry_after``) for throttled views.
2. Declared by the view for its domain errors: ``extend_schema(responses={200: Ser,
   **error_responses(UnknownSeason, InvalidPage)})``: each ``DomainError`` subclass lands under
   the status of its ``kind``; raw codes go in as ``error_responses(codes={409: ["x"]})``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from api.errors import DOMAIN_STATUS
from api.fields import NoUnknownFieldsMixin, decimal_pattern
from core.exceptions import DomainError

ERROR_REF = {"$ref": "#/components/schemas/Error"}

STATUS_DESCRIPTIONS = {
    400: "Bad input: a malformed body or parameter, or a field that failed validation "
    "(`errors` then lists every field error).",
    401: "Not signed in, or the credential (session, app token, service key) is invalid.",
    403: "Signed in, but not allowed.",
    404: "Not found.",
    406: "The Accept header asks for a media type this endpoint cannot render.",
    409: "Conflicts with the current state.",
    413: "The request body is too large.",
    415: "The request body's media type is not accepted.",
    422: "A rule of the game refused it.",
    429: "Too many requests: wait `Retry-After` seconds (also `retry_after` in the body).",
    502: "An upstream service answered unusably; try again.",
    503: "A dependency is unavailable; try again after `Retry-After` seconds.",
}
RETRY_AFTER_HEADER = {
    "Retry-After": {"schema": {"type": "integer", "minimum": 0}, "description": "Seconds to wait before retrying."}
}

# DRF's own permission classes: what each can refuse with (ours declare ``error_codes``).
BUILTIN_PERMISSION_CODES: dict[type, dict[int, list[str]]] = {
    permissions.AllowAny: {},
    # A service key is authenticated but nobody's account: 403, not 401.
    permissions.IsAuthenticated: {401: ["not_authenticated"], 403: ["permission_denied"]},
    permissions.IsAdminUser: {401: ["not_authenticated"], 403: ["permission_denied"]},
    permissions.IsAuthenticatedOrReadOnly: {401: ["not_authenticated"], 403: ["permission_denied"]},
}
DEFAULT_PERMISSION_CODES = {401: ["not_authenticated"], 403: ["permission_denied"]}
# invalid_text: a NUL or non-UTF-8 escape in any URL's path or query (api/text.py).
ALWAYS = {400: ["invalid_text"], 406: ["not_acceptable"], 503: ["database_unavailable"]}
BODY_CODES = {
    400: ["parse_error", "invalid_text", "duplicate_key"],
    413: ["payload_too_large"],
    415: ["unsupported_media_type"],
}


def error_schema(codes: Iterable[str]) -> dict[str, Any]:
    """The schema of an error answer whose ``code`` is one of ``codes``."""
    return {
        "allOf": [
            ERROR_REF,
            {
                "type": "object",
                "required": ["code"],
                "properties": {"code": {"type": "string", "enum": sorted(set(codes))}},
            },
        ]
    }


def codes_of(schema: dict[str, Any]) -> set[str] | None:
    """The codes of a schema made by ``error_schema``; None for any other schema."""
    parts = schema.get("allOf")
    if not isinstance(parts, list) or len(parts) != 2 or parts[0] != ERROR_REF:
        return None
    return set(parts[1]["properties"]["code"]["enum"])


def error_responses(
    *errors: type[DomainError], codes: dict[int, Iterable[str]] | None = None
) -> dict[int, OpenApiResponse]:
    """``extend_schema(responses=...)`` entries for the domain errors a view raises (each under
    the status of its kind) and for raw ``codes`` by status. The common errors are added by
    ``AutoSchema``; declare only what the view itself raises."""
    by_status: dict[int, set[str]] = {}
    for error in errors:
        by_status.setdefault(DOMAIN_STATUS.get(error.kind, 400), set()).add(error.code)
    for status, values in (codes or {}).items():
        by_status.setdefault(status, set()).update(values)
    return {
        status: OpenApiResponse(response=error_schema(values), description=STATUS_DESCRIPTIONS.get(status, "Error."))
        for status, values in by_status.items()
    }


# The name of a shared error answer in components/responses, by status.
SHARED_RESPONSE_NAMES = {
    400: "ValidationError400",
    401: "Unauthenticated401",
    403: "Forbidden403",
    404: "NotFound404",
    406: "NotAcceptable406",
    409: "Conflict409",
    413: "PayloadTooLarge413",
    415: "UnsupportedMediaType415",
    422: "RuleRefused422",
    429: "Throttled429",
    502: "BadGateway502",
    503: "Unavailable503",
}


def shared_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: an error answer that two or more operations give
    alike (the same status, codes, description and headers) is written once under
    ``components/responses`` and referenced (``$ref``) by each operation. Per status, the most
    common answer takes the plain name (``Unavailable503``); another shared one adds a short
    digest of its content (``Forbidden403_1a2b3c``), so a name stays put while its codes do."""
    uses: dict[tuple[str, str], list[tuple[dict[str, Any], str]]] = {}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status >= "400" and isinstance(schema, dict) and codes_of(schema) is not None:
                    key = json.dumps(response, sort_keys=True)
                    uses.setdefault((status, key), []).append((operation["responses"], status))
    shared = {key: places for key, places in uses.items() if len(places) > 1}
    components = result.setdefault("components", {}).setdefault("responses", {})
    for status in sorted({status for status, _ in shared}):
        variants = sorted(
            ((key, places) for (s, key), places in shared.items() if s == status), key=lambda v: (-len(v[1]), v[0])
        )
        base = SHARED_RESPONSE_NAMES.get(int(status), f"Error{status}")
        for index, (key, places) in enumerate(variants):
            name = base if index == 0 else f"{base}_{hashlib.sha256(key.encode()).hexdigest()[:6]}"
            components[name] = json.loads(key)
            for responses, where in places:
                responses[where] = {"$ref": f"#/components/responses/{name}"}
    result["components"]["responses"] = dict(sorted(components.items()))
    return result


def serializer_error_codes(serializer: Any) -> set[str]:
    """Every code a request serializer can refuse with: its fields' ``error_messages`` keys
    (recursively), its own, ``unknown_field`` when it refuses unknown fields and the codes its
    ``validate`` raises (``extra_error_codes``)."""
    found: set[str] = set(getattr(serializer, "error_messages", {}))
    found.update(getattr(serializer, "extra_error_codes", ()))
    if isinstance(serializer, NoUnknownFieldsMixin):
        found.add("unknown_field")
    if isinstance(serializer, serializers.ListSerializer):
        return found | serializer_error_codes(serializer.child)
    for field in getattr(serializer, "fields", {}).values():
        if field.read_only:
            continue
        if isinstance(field, serializers.BaseSerializer):
            found |= serializer_error_codes(field)
        else:
            found |= _field_codes(field)
            child = getattr(field, "child", None)
            if child is not None:
                found |= _field_codes(child)
    return found


def _field_codes(field: Any) -> set[str]:
    """A field's error codes: its messages and its validators' codes (a CharField refuses NUL and
    lone surrogates through validators, not messages)."""
    codes = set(field.error_messages) | set(getattr(field, "extra_error_codes", ()))
    codes.update(code for v in getattr(field, "validators", []) if isinstance(code := getattr(v, "code", None), str))
    return codes


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's AutoSchema plus every error answer of the operation."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        self._register_error_components()
        for status, codes in sorted(self._common_error_codes().items()):
            key = str(status)
            existing = responses.get(key)
            if existing is None:
                responses[key] = self._error_response(status, codes)
                continue
            content = existing.get("content", {})
            schema = content.get("application/json", {}).get("schema")
            declared = codes_of(schema) if isinstance(schema, dict) else None
            if declared is not None:
                responses[key] = self._error_response(status, codes | declared, existing.get("description"))
            elif schema is not None:
                # A status with its own document (health's 503): that document or an error.
                content["application/json"]["schema"] = {"oneOf": [schema, error_schema(codes)]}
                if status in (429, 503):
                    existing.setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        for key, response in responses.items():
            schema = response.get("content", {}).get("application/json", {}).get("schema")
            if isinstance(schema, dict) and codes_of(schema) is not None:
                # Declared-only statuses: errors are JSON whatever the view renders otherwise.
                response["content"] = {"application/json": {"schema": schema}}
                if key in ("429", "503"):
                    response.setdefault("headers", {}).update(RETRY_AFTER_HEADER)
        return dict(sorted(responses.items()))

    def _map_serializer(self, serializer: Any, direction: Any, bypass_extensions: bool = False) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, NoUnknownFieldsMixin):
            schema["additionalProperties"] = False  # unknown fields are 400 unknown_field
        return schema

    def _error_response(self, status: int, codes: set[str], description: str | None = None) -> dict[str, Any]:
        response: dict[str, Any] = {
            "description": description or STATUS_DESCRIPTIONS.get(status, "Error."),
            "content": {"application/json": {"schema": error_schema(codes)}},
        }
        if status in (429, 503):
            response["headers"] = dict(RETRY_AFTER_HEADER)
        return response

    def _common_error_codes(self) -> dict[int, set[str]]:
        found: dict[int, set[str]] = {}

        def add(by_status: Mapping[int, Iterable[str]]) -> None:
            for status, values in by_status.items():
                found.setdefault(status, set()).update(values)

        add(ALWAYS)
        view = self.view
        authenticators = list(view.get_authenticators()) if hasattr(view, "get_authenticators") else []
        for authenticator in authenticators:
            add(getattr(authenticator, "error_codes", {}))
        for permission in view.get_permissions() if hasattr(view, "get_permissions") else []:
            permission_codes = getattr(permission, "error_codes", None)
            if permission_codes is None:
                permission_codes = BUILTIN_PERMISSION_CODES.get(type(permission), DEFAULT_PERMISSION_CODES)
            add(permission_codes if authenticators else {k: v for k, v in permission_codes.items() if k != 401})
        unsafe = self.method not in ("GET", "HEAD", "OPTIONS")
        if unsafe and any(getattr(a, "enforces_csrf", False) for a in authenticators):
            add({403: ["csrf_failed"]})
        if hasattr(view, "get_throttles") and view.get_throttles():
            add({429: ["throttled"]})
        if self._has_request_body():
            add(BODY_CODES)
            request = self.get_request_serializer()
            targets = request.values() if isinstance(request, dict) else [request]
            for target in targets:
                if isinstance(target, type) and issubclass(target, serializers.BaseSerializer):
                    target = target()
                if isinstance(target, serializers.BaseSerializer):
                    add({400: serializer_error_codes(target)})
        paginated = self._is_list_view() and self._get_paginator() is not None
        if re.search(r"{[^}]+}", self.path):
            add({404: ["not_found"]})
        if paginated:
            add({404: ["page_not_found"]})  # past the last page (api/pagination.py)
            add({400: ["invalid_page"]})  # a malformed page, page_size or cursor (api/pagination.py)
        return found

    def _has_request_body(self) -> bool:
        return self.method in ("PUT", "PATCH", "POST") and self.get_request_serializer() is not None

    def _register_error_components(self) -> None:
        self.registry.register_on_missing(
            ResolvedComponent(name="FieldError", type=ResolvedComponent.SCHEMA, object="FieldError", schema=FIELD_ERROR)
        )
        self.registry.register_on_missing(
            ResolvedComponent(name="Error", type=ResolvedComponent.SCHEMA, object="Error", schema=ERROR)
        )


FIELD_ERROR: dict[str, Any] = {
    "type": "object",
    "description": "One field that failed validation.",
    "required": ["field", "code", "detail"],
    "properties": {
        "field": {
            "type": "string",
            "nullable": True,
            "description": "The field's name (dotted for nested fields); null for the body as a whole.",
        },
        "code": {"type": "string", "description": "Machine-readable, stable (e.g. required, max_decimal_places)."},
        "detail": {"type": "string", "description": "Human-readable; may change."},
    },
}
ERROR: dict[str, Any] = {
    "type": "object",
    "description": (
        "Every error answer of the API. `code` is machine-readable and stable (each operation lists "
        "the codes it can answer with, per status); `detail` is for humans. Some codes carry more "
        "fields (e.g. `layer_too_low`: `required_layer`, `current_layer`, `missing_xp`)."
    ),
    "required": ["code", "detail"],
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/FieldError"},
            "description": "Validation errors only: every field that failed (the first gives `code`).",
        },
        "retry_after": {"type": "integer", "minimum": 0, "description": "429 only: seconds to wait."},
    },
    "additionalProperties": True,
}


def decimal_string_schema(field: serializers.DecimalField) -> dict[str, Any]:
    return {
        "type": "string",
        "format": "decimal",
        "pattern": decimal_pattern(field.max_whole_digits, field.decimal_places),
        "example": "1." + "0" * field.decimal_places if field.decimal_places else "1",
    }


class DecimalFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Every decimal, documented one way: rendered as a decimal string (type string, format
    decimal, a pattern); accepted in requests as a JSON number or such a string (``oneOf``)."""

    target_class = "rest_framework.fields.DecimalField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field: serializers.DecimalField = self.target
        as_string = decimal_string_schema(field)
        if direction == "response":
            return as_string
        number: dict[str, Any] = {"type": "number"}
        if field.decimal_places is not None:
            number["multipleOf"] = float(f"1e-{field.decimal_places}") if field.decimal_places else 1
        if field.max_whole_digits is not None and field.decimal_places is not None:
            limit = float(
                "9" * field.max_whole_digits + ("." + "9" * field.decimal_places if field.decimal_places else "")
            )
            number["maximum"], number["minimum"] = limit, -limit
        return {
            "oneOf": [number, as_string],
            "description": "A JSON number or a decimal string (no exponent in strings).",
        }
