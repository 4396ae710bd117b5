"""One error shape for the whole API: {"code", "detail", ...} with a machine-readable code.

``detail`` is in the request's language (Accept-Language: English or German, from
locale/de/LC_MESSAGES/django.po); ``code`` never changes with the language.

Validation errors also carry ``errors``: [{"field", "code", "detail"}], and the top-level code
is the first field error's code (for example ``max_decimal_places``)."""

import math
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import exception_handler

from api.errors import DOMAIN_STATUS
from api.outage import is_database_unavailable, retry_after, unavailable_body
from api.parsers import PayloadTooLarge
from core import exceptions as errors
from core.exceptions import ERRORS, DomainError

# DRF's own exceptions: the registered error each answers as.
FIXED_CODES = {
    exceptions.NotAuthenticated: errors.NotAuthenticated.code,
    exceptions.AuthenticationFailed: errors.AuthenticationFailed.code,
    exceptions.PermissionDenied: errors.PermissionDenied.code,
    exceptions.NotFound: errors.NotFound.code,
    exceptions.MethodNotAllowed: errors.MethodNotAllowed.code,
    exceptions.UnsupportedMediaType: errors.UnsupportedMediaType.code,
    exceptions.ParseError: errors.ParseError.code,
    exceptions.Throttled: errors.Throttled.code,
    exceptions.NotAcceptable: errors.NotAcceptable.code,
}


def registered_text(code: str, detail: str, default: str = "") -> str:
    """An error's text in the request's language: the registry's, unless the raiser said
    something more specific than the default (DRF's ``Method "PUT" not allowed.``)."""
    error = ERRORS.get(code)
    if error is not None and detail in (default, error.message, ""):
        detail = error.message
    return gettext(detail)


def _flatten(detail: Any, field: str | None = None) -> list[dict[str, Any]]:
    if isinstance(detail, dict):
        out: list[dict[str, Any]] = []
        for key, value in detail.items():
            name = key if field is None or key == "non_field_errors" else f"{field}.{key}"
            out += _flatten(value, None if key == "non_field_errors" and field is None else name)
        return out
    if isinstance(detail, list):
        return [item for value in detail for item in _flatten(value, field)]
    return [{"field": field, "code": getattr(detail, "code", "invalid"), "detail": str(detail)}]


def _retry_seconds(exc: DomainError) -> int:
    """When to try again: the upstream's own reset time when the error carries one (Strava's
    rate-limit window), otherwise the same pause as a database outage."""
    retry_at = getattr(exc, "retry_at", None)
    if retry_at is not None:
        return max(1, math.ceil((retry_at - timezone.now()).total_seconds()))
    return retry_after()


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    request = context.get("request")
    if request is not None:
        # Errors are JSON whatever the view renders otherwise (Swagger UI, OpenAPI YAML).
        request.accepted_renderer, request.accepted_media_type = JSONRenderer(), "application/json"
    if is_database_unavailable(exc):
        return Response(unavailable_body(), status=503, headers={"Retry-After": str(retry_after())})
    if isinstance(exc, DomainError):
        refused = Response(
            {"code": exc.code, "detail": gettext(exc.message), **exc.details}, status=DOMAIN_STATUS.get(exc.kind, 400)
        )
        if exc.kind == "unauthenticated":
            refused["WWW-Authenticate"] = 'Bearer realm="api"'
        if exc.kind == "unavailable":
            refused["Retry-After"] = str(_retry_seconds(exc))
        return refused
    if isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        found = [{**error, "detail": gettext(error["detail"])} for error in _flatten(exc.detail)]
        first = (
            found[0] if found else {"code": errors.InvalidInput.code, "detail": gettext(errors.InvalidInput.message)}
        )
        response.data = {"code": first["code"], "detail": first["detail"], "errors": found}
        response.status_code = status.HTTP_400_BAD_REQUEST
        return response
    code = next((c for cls, c in FIXED_CODES.items() if isinstance(exc, cls)), None)
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        specific = codes if isinstance(codes, str) and codes != exc.default_code else None
        # A specific code (token_expired, invalid_api_key, missing_scope, csrf_failed) wins.
        code = specific or code or exc.default_code
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        body: dict[str, Any] = {"code": code, "detail": registered_text(code, str(detail), str(exc.default_detail))}
        body.update(getattr(exc, "details", {}))  # what api/errors.py ``refusal`` attached
        wait = getattr(exc, "wait", None) if isinstance(exc, exceptions.Throttled) else None
        if wait is not None:
            body["retry_after"] = int(wait) + (0 if wait == int(wait) else 1)
            response["Retry-After"] = str(body["retry_after"])
        response.data = body
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed) and response.status_code == 403:
        # Not signed in is 401 whatever authentication classes a view has (API.md); a session is
        # one of the ways to sign in, so say so.
        response.status_code = status.HTTP_401_UNAUTHORIZED
        response["WWW-Authenticate"] = 'Session realm="api"'
    return response
