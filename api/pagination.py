"""Pagination styles: cursors for ledgers, pages for short catalogues.

Every list answers a malformed ``page`` or ``page_size`` (not a positive ASCII integer: ``-1``,
``abc``, ``٣``) and a malformed ``cursor`` with the same ``400 invalid_page``, as the
leaderboards do; DRF would answer 404 or silently use the default.
"""

from typing import Any

from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination, PageNumberPagination
from rest_framework.request import Request
from rest_framework.views import APIView

from core.exceptions import InvalidPage, PageNotFound


def positive_int(value: str | None) -> int | None:
    """``value`` as a positive integer (None when absent); raises InvalidPage when malformed."""
    if value is None:
        return None
    # ASCII digits only ("²".isdigit() is true) and the length checked before int().
    if not value.isascii() or not value.isdigit() or len(value) > 9 or int(value) < 1:
        raise InvalidPage()
    return int(value)


def page_param(value: str | None, default: int, maximum: int | None = None) -> int:
    """A ``page`` or ``page_size`` parameter: ``default`` when absent, at most ``maximum``;
    raises InvalidPage when malformed (the views that page by hand, e.g. the leaderboards)."""
    number = positive_int(value)
    if number is None:
        return default
    return min(number, maximum) if maximum else number


def _check_params(request: Request, *names: str) -> None:
    for name in names:
        positive_int(request.query_params.get(name))


class HistoryCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> Any:
        # A cursor list has no page numbers, but a malformed one is refused like on every list.
        _check_params(request, "page", self.page_size_query_param)
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request: Request) -> Any:
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise InvalidPage("cursor is not a cursor this list gave out.") from None


class StandardPagePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()  # "?page=last" is not a number either

    def paginate_queryset(self, queryset: Any, request: Request, view: APIView | None = None) -> Any:
        _check_params(request, self.page_query_param, self.page_size_query_param)
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound:
            raise PageNotFound() from None  # past the last page: the same answer as the leaderboards

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        """Pages count from 1 (page 0 or a malformed page is 400 invalid_page; past the last page is 404 page_not_found)."""
        parameters: list[dict[str, Any]] = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"] = {**parameter["schema"], "minimum": 1}
        return parameters
