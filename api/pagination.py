"""Pagination styles: cursors for ledgers, pages for short catalogues."""

from rest_framework.pagination import CursorPagination, PageNumberPagination


class HistoryCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class StandardPagePagination(PageNumberPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 200
