"""JSON answers for errors raised outside DRF views (unknown URLs, CSRF, crashes)."""

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"code": "not_found", "detail": _("Not found.")}, status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"code": "server_error", "detail": _("Something went wrong on our side.")}, status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    if isinstance(exception, RequestDataTooBig):
        return JsonResponse({"code": "payload_too_large", "detail": _("The request body is too large.")}, status=413)
    return JsonResponse({"code": "bad_request", "detail": _("Bad request.")}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse({"code": "permission_denied", "detail": _("Permission denied.")}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> JsonResponse:
    return JsonResponse({"code": "csrf_failed", "detail": f"CSRF verification failed: {reason}"}, status=403)
