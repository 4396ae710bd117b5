"""The text rule for what does not go through a body parser: the URL's path and query string.

A NUL (PostgreSQL text refuses it) or a percent-escape that is not UTF-8 in the query string,
or a NUL in the path, is answered ``400 invalid_text`` before any view runs; JSON and form
bodies get the same rule from api/parsers.py.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext

from core.exceptions import InvalidText


def url_has_invalid_text(request: HttpRequest) -> bool:
    if "\x00" in request.path_info:
        return True
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return False
    if "%00" in query or "\x00" in query:
        return True
    if "%" not in query and query.isascii():
        return False
    try:  # WSGI hands the raw bytes over as latin-1
        raw = query.encode("latin-1")
    except UnicodeEncodeError:
        raw = query.encode("utf-8", "surrogatepass")
    try:
        unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def invalid_text_response() -> HttpResponse:
    return JsonResponse({"code": InvalidText.code, "detail": gettext(InvalidText.message)}, status=400)


class InvalidTextMiddleware(MiddlewareMixin):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        return invalid_text_response() if url_has_invalid_text(request) else None
