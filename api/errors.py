"""JSON answers for errors raised outside DRF views (unknown URLs, CSRF, crashes), and the
registered errors raised where DRF expects its own exceptions. Codes and texts come from the
registry (core/exceptions.py)."""

import sys
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext
from rest_framework import exceptions, serializers
from rest_framework.status import (
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_405_METHOD_NOT_ALLOWED,
    HTTP_406_NOT_ACCEPTABLE,
    HTTP_409_CONFLICT,
    HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_502_BAD_GATEWAY,
    HTTP_503_SERVICE_UNAVAILABLE,
)

from api.outage import is_database_unavailable, unavailable_response
from core.exceptions import (
    BadRequest,
    CsrfFailed,
    DomainError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    ServerError,
)

# The one map from a registered error's kind (core/exceptions.py) to its HTTP status.
DOMAIN_STATUS = {
    "invalid": HTTP_400_BAD_REQUEST,
    "unauthenticated": HTTP_401_UNAUTHORIZED,
    "forbidden": HTTP_403_FORBIDDEN,
    "not_found": HTTP_404_NOT_FOUND,
    "method_not_allowed": HTTP_405_METHOD_NOT_ALLOWED,
    "not_acceptable": HTTP_406_NOT_ACCEPTABLE,
    "conflict": HTTP_409_CONFLICT,
    "too_large": HTTP_413_REQUEST_ENTITY_TOO_LARGE,
    "unsupported_media_type": HTTP_415_UNSUPPORTED_MEDIA_TYPE,
    "rule": HTTP_422_UNPROCESSABLE_ENTITY,
    "throttled": HTTP_429_TOO_MANY_REQUESTS,
    "server_error": HTTP_500_INTERNAL_SERVER_ERROR,
    "bad_gateway": HTTP_502_BAD_GATEWAY,  # an upstream (Discord) answered unusably
    "unavailable": HTTP_503_SERVICE_UNAVAILABLE,  # an upstream is unreachable: retry
}


def answer(error: type[DomainError], **details: Any) -> JsonResponse:
    """A registered error as a JSON answer (its status from its kind, its text translated)."""
    body = {"code": error.code, "detail": gettext(error.message), **details}
    return JsonResponse(body, status=DOMAIN_STATUS[error.kind])


def refusal(drf_class: type[exceptions.APIException], error: type[DomainError], **details: Any) -> Any:
    """A registered error as one of DRF's exceptions (what authentication and permission classes
    must raise); ``details`` join the body (api/exception_handler.py)."""
    exc = drf_class(error.message, code=error.code)
    exc.details = details  # type: ignore[attr-defined]
    return exc


def field_error(error: type[DomainError]) -> Any:
    """A registered validation code as a serializer field error."""
    return serializers.ErrorDetail(error.message, code=error.code)


def csrf_refusal(reason: str) -> Any:
    """403 csrf_failed, with Django's reason (a missing cookie, a missing or wrong token)."""
    return refusal(exceptions.PermissionDenied, CsrfFailed, reason=reason)


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return answer(NotFound)


def server_error(request: HttpRequest) -> JsonResponse:
    # Django calls this while handling the exception: a database outage raised outside any view
    # (a middleware saving the session) is a 503 too, never a 500.
    exc = sys.exc_info()[1]
    if is_database_unavailable(exc):
        assert exc is not None
        return unavailable_response(exc)
    return answer(ServerError)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return answer(PayloadTooLarge)
    return answer(BadRequest)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return answer(PermissionDenied)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return answer(CsrfFailed, reason=reason)
