"""The database is unavailable: answer ``503 database_unavailable`` with ``Retry-After``.

PostgreSQL refusing connections, shutting down, starting up, terminating our connection or not
answering within the connect timeout is a passing outage, not a bug: clients (the bot, the apps)
retry after ``Retry-After`` seconds (``DATABASE_RETRY_AFTER_SECONDS``). Three places turn such
an error into the same answer:

- DRF views: ``api/exception_handler.py`` calls :func:`unavailable_response`;
- every other view (Discord callback, admin, schema and docs): :class:`DatabaseUnavailableMiddleware`;
- anything raised outside a view (a middleware saving the session): ``api.errors.server_error``.

Recovery needs nothing: Django marks a connection that raised as broken and closes it at the end
of the request (``CONN_HEALTH_CHECKS`` checks a kept one before reuse), so the first request
after PostgreSQL is back opens a fresh connection.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import psycopg
from django.conf import settings
from django.db import utils as db_utils
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext

from core.exceptions import DatabaseUnavailable

logger = logging.getLogger(__name__)

# Django wraps psycopg's errors (the original is the __cause__); both kinds are listed. psycopg's
# OperationalError covers refused and broken connections, AdminShutdown ("terminating
# connection"), CannotConnectNow ("starting up"), timeouts and query cancellation.
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    db_utils.OperationalError,
    db_utils.InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    # a write reaching a standby during a failover ("cannot execute ... in a read-only transaction")
    psycopg.errors.ReadOnlySqlTransaction,
)


def is_database_unavailable(exc: BaseException | None) -> bool:
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, _UNAVAILABLE):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def retry_after() -> int:
    return int(settings.DATABASE_RETRY_AFTER_SECONDS)


def unavailable_body() -> dict[str, str]:
    text = gettext(DatabaseUnavailable.message)
    return {"code": DatabaseUnavailable.code, "detail": text % {"seconds": retry_after()}}


def unavailable_response(exc: BaseException) -> JsonResponse:
    logger.warning("database unavailable: %s", str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc))
    response = JsonResponse(unavailable_body(), status=503)
    response["Retry-After"] = str(retry_after())
    return response


class DatabaseUnavailableMiddleware:
    """503 database_unavailable for a view outside DRF that hit a database outage."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if is_database_unavailable(exception):
            return unavailable_response(exception)
        return None
