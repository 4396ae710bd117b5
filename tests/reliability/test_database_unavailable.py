"""Database outages are 503 database_unavailable with Retry-After on every kind of view (the
fault suite proves it against a real cut; these pin each of the three places in process)."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.db.utils import DatabaseError, IntegrityError, InterfaceError, OperationalError
from django.test import RequestFactory

from api.errors import server_error
from api.exception_handler import api_exception_handler
from api.outage import DatabaseUnavailableMiddleware, is_database_unavailable


def _wrapped(original: BaseException, wrapper: type[Exception] = OperationalError) -> Exception:
    """As Django raises it: its own class with psycopg's error as the cause."""
    try:
        try:
            raise original
        except BaseException as exc:
            raise wrapper(str(exc)) from exc
    except Exception as outer:
        return outer


OUTAGES = [
    _wrapped(psycopg.OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')),
    _wrapped(psycopg.errors.AdminShutdown("terminating connection due to administrator command")),
    _wrapped(psycopg.errors.CannotConnectNow("the database system is starting up")),
    _wrapped(psycopg.OperationalError("the database system is shutting down")),
    _wrapped(psycopg.OperationalError("connection timeout expired")),
    _wrapped(psycopg.InterfaceError("the connection is closed"), InterfaceError),
    psycopg.OperationalError("server closed the connection unexpectedly"),
    _wrapped(psycopg.errors.ReadOnlySqlTransaction("cannot execute INSERT in a read-only transaction")),
    _wrapped(psycopg.errors.TooManyConnections("sorry, too many clients already")),
]


@pytest.mark.parametrize("exc", OUTAGES, ids=lambda e: str(e)[:40])
def test_outages_are_recognised(exc: Exception) -> None:
    assert is_database_unavailable(exc)


@pytest.mark.parametrize("exc", [IntegrityError("duplicate key"), DatabaseError("syntax"), ValueError("x"), None])
def test_other_errors_are_not_outages(exc: Any) -> None:
    assert not is_database_unavailable(exc)


def _check(status: int, headers: Any, body: dict[str, Any], settings: Any) -> None:
    assert status == 503
    assert headers["Retry-After"] == str(settings.DATABASE_RETRY_AFTER_SECONDS)
    assert body["code"] == "database_unavailable" and body["detail"]


def test_drf_views_answer_503(settings: Any) -> None:
    settings.DATABASE_RETRY_AFTER_SECONDS = 7
    response = api_exception_handler(OUTAGES[1], {"request": None})
    assert response is not None
    _check(response.status_code, response, response.data, settings)


def test_other_views_answer_503_through_the_middleware(settings: Any) -> None:
    import json

    middleware = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().get("/admin/"), OUTAGES[0])
    assert response is not None
    _check(response.status_code, response, json.loads(response.content), settings)
    assert middleware.process_exception(RequestFactory().get("/admin/"), ValueError("a bug")) is None


def test_errors_outside_views_answer_503_not_500(settings: Any) -> None:
    import json

    request = RequestFactory().get("/api/v1/")
    try:
        raise OUTAGES[2]
    except OperationalError:
        response = server_error(request)  # Django calls the 500 handler inside its except block
    _check(response.status_code, response, json.loads(response.content), settings)
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(request).status_code == 500


def test_the_database_gives_up_connecting_after_a_few_seconds() -> None:
    from django.conf import settings

    timeout = settings.DATABASES["default"]["OPTIONS"]["connect_timeout"]
    assert 1 <= timeout <= 10
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
